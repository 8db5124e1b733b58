package prozorro

import (
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"

	"github.com/gorilla/mux"

	"github.com/upstream-sandbox/sandbox/emulators"
)

// Document mechanics of §4.12 for plan documents. A parent's "documents" list
// holds every version (same id, upload order); the docservice key of each
// version is kept in keyField and rendered as a signed URL on output.

const keyField = "__key"

// docEditable are the fields a document PATCH may change (§4.12.4).
var docEditable = []string{"title", "title_en", "title_ru", "description", "description_en", "description_ru",
	"format", "documentType", "index", "documentOf", "relatedItem", "language", "accessDetails"}

func docs(data map[string]any) []any {
	l, _ := data["documents"].([]any)
	return l
}

func docID(d any) string {
	s, _ := d.(map[string]any)["id"].(string)
	return s
}

// versions returns every version of one document, oldest first.
func versions(data map[string]any, id string) []map[string]any {
	var out []map[string]any
	for _, d := range docs(data) {
		if docID(d) == id {
			out = append(out, d.(map[string]any))
		}
	}
	return out
}

// latestVersions returns the newest version of each document, sorted by dateModified.
func latestVersions(data map[string]any) []map[string]any {
	last := map[string]map[string]any{}
	var order []string
	for _, d := range docs(data) {
		id := docID(d)
		if _, ok := last[id]; !ok {
			order = append(order, id)
		}
		last[id] = d.(map[string]any)
	}
	out := make([]map[string]any, 0, len(order))
	for _, id := range order {
		out = append(out, last[id])
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := out[i]["dateModified"].(string)
		b, _ := out[j]["dateModified"].(string)
		return isoAfter(b, a)
	})
	return out
}

// documentView renders a stored version: the docservice key becomes the signed URL.
func (s *service) documentView(base string, d map[string]any) map[string]any {
	out := deepCopy(d).(map[string]any)
	if key, ok := out[keyField].(string); ok {
		out["url"] = s.permanentURL(base, key)
		delete(out, keyField)
	}
	return prune(out).(map[string]any)
}

// planDocParent loads the plan a document route addresses.
func (s *service) planDocParent(tx emulators.Tx, r *http.Request) (*record, error) {
	return s.plan(tx, mux.Vars(r)["id"])
}

// planDocument loads the plan and every version of the addressed document
// (E2 plan_id, then E2 document_id: outermost first).
func (s *service) planDocument(tx emulators.Tx, r *http.Request) (*record, []map[string]any, error) {
	rec, err := s.planDocParent(tx, r)
	if err != nil {
		return nil, nil, err
	}
	vs := versions(rec.Data, mux.Vars(r)["doc"])
	if len(vs) == 0 {
		return nil, nil, errNotFound("document_id")
	}
	return rec, vs, nil
}

// listDocuments: GET …/documents[?all=1].
func (s *service) listDocuments(w http.ResponseWriter, r *http.Request) {
	c, ok := s.begin(w, r)
	if !ok {
		return
	}
	var out []any
	err := s.env.View(r, func(tx emulators.Tx) error {
		rec, err := s.planDocParent(tx, r)
		if err != nil {
			return err
		}
		out = []any{}
		if c.query.get("all") != "" {
			for _, d := range docs(rec.Data) {
				out = append(out, s.documentView(baseURL(r), d.(map[string]any)))
			}
			return nil
		}
		for _, d := range latestVersions(rec.Data) {
			out = append(out, s.documentView(baseURL(r), d))
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(c, http.StatusOK, ordered{{"data", out}})
}

// getDocument: GET …/documents/{doc}[?download=key].
func (s *service) getDocument(w http.ResponseWriter, r *http.Request) {
	c, ok := s.begin(w, r)
	if !ok {
		return
	}
	var view map[string]any
	var redirect, ctype, disposition string
	err := s.env.View(r, func(tx emulators.Tx) error {
		_, vs, err := s.planDocument(tx, r)
		if err != nil {
			return err
		}
		if c.query.has("download") {
			key := c.query.get("download")
			for _, v := range vs {
				if v[keyField] == key {
					redirect = s.temporaryURL(r, key, tx.Now())
					ctype, _ = v["format"].(string)
					title, _ := v["title"].(string)
					disposition = contentDisposition(title)
					return nil
				}
			}
			return newErr(404, "url", "download", "Not Found")
		}
		latest := vs[len(vs)-1]
		view = s.documentView(baseURL(r), latest)
		prev := []any{}
		for _, v := range vs[:len(vs)-1] {
			if v[keyField] != latest[keyField] {
				prev = append(prev, s.documentView(baseURL(r), v))
			}
		}
		view["previousVersions"] = prev
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if redirect != "" {
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.Header().Set("Content-Disposition", disposition)
		w.Header().Set("Location", redirect)
		w.WriteHeader(http.StatusFound)
		return
	}
	s.render(c, http.StatusOK, ordered{{"data", withPreviousVersions(view)}})
}

// withPreviousVersions keeps "previousVersions" even when empty (FACT seed).
func withPreviousVersions(view map[string]any) ordered {
	prev := view["previousVersions"]
	delete(view, "previousVersions")
	return append(orderedOf(view), kv{"previousVersions", prev})
}

// postDocument: POST …/documents — JSON (docservice form) or multipart.
func (s *service) postDocument(w http.ResponseWriter, r *http.Request) {
	s.uploadDocument(w, r, false)
}

// putDocument: PUT …/documents/{doc} — a new version with the same id.
func (s *service) putDocument(w http.ResponseWriter, r *http.Request) {
	s.uploadDocument(w, r, true)
}

func (s *service) uploadDocument(w http.ResponseWriter, r *http.Request, isPut bool) {
	c, ok := s.begin(w, r)
	if !ok {
		return
	}
	var view map[string]any
	var docPath string
	err := s.env.Update(r, func(tx emulators.Tx) error {
		view = nil
		var rec *record
		var prevVersions []map[string]any
		var err error
		if isPut {
			rec, prevVersions, err = s.planDocument(tx, r)
		} else {
			rec, err = s.planDocParent(tx, r)
		}
		if err != nil {
			return err
		}
		c.who = s.resolve(tx, callerKey(r))
		if !c.owns(rec.owner(), rec.Token) {
			return errForbidden()
		}
		set, err := s.settings(tx)
		if err != nil {
			return err
		}
		doc, e := s.readDocumentBody(tx, c, set, isPut, prevVersions)
		if e != nil {
			return e
		}
		if e := s.forcedConflict(tx, r); e != nil {
			return e
		}
		if up, ok := doc[uploadField].(*upload); ok {
			if failed, err := s.forcedUploadFailure(tx); err != nil || failed {
				if err != nil {
					return err
				}
				return emulators.CommitAnyway(newErr(422, "body", "data", "Can't upload document to document service."))
			}
			key, err := s.newBlobKey(tx)
			if err != nil {
				return err
			}
			if err := putBlob(tx, key, up); err != nil {
				return err
			}
			delete(doc, uploadField)
			doc[keyField] = key
		}
		stored, err := s.addVersion(tx, rec, doc, prevVersions, c.who.Key)
		if err != nil {
			return err
		}
		docPath = "/api/2.3/plans/" + rec.id() + "/documents/" + docID(stored)
		view = s.documentView(baseURL(r), stored)
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if !isPut {
		status = http.StatusCreated
		w.Header().Set("Location", location(r, docPath))
	}
	s.render(c, status, ordered{{"data", view}})
}

// uploadField carries multipart/raw bytes from readDocumentBody to the save step.
const uploadField = "__upload"

// readDocumentBody turns the request into a document version (not yet stored):
// the JSON docservice form, a multipart file, or (PUT only) a raw body.
func (s *service) readDocumentBody(tx emulators.Tx, c *call, set *Settings, isPut bool, prev []map[string]any) (map[string]any, error) {
	mt, _ := emulators.MediaType(c.r)
	switch {
	case mt == "application/json":
		return s.jsonDocument(c, set)
	case mt == "multipart/form-data":
		f, ok := readFilePart(c.r, c.body)
		if !ok {
			return nil, newErr(404, "body", "file", "Not Found")
		}
		return map[string]any{"title": f.title, "format": f.format, "hash": f.hash(), uploadField: f}, nil
	case isPut:
		title, _ := prev[len(prev)-1]["title"].(string)
		format := mt
		if format == "" {
			format = "application/octet-stream"
		}
		f := &upload{title: title, format: format, data: c.body}
		return map[string]any{"title": title, "format": format, "hash": f.hash(), uploadField: f}, nil
	}
	return nil, newErr(404, "body", "file", "Not Found")
}

// jsonDocument validates the docservice JSON form (§4.12.1): model rules, then
// the URL shape, then the hash, then (strict) host, key id and signature.
func (s *service) jsonDocument(c *call, set *Settings) (map[string]any, error) {
	raw, e := c.data(set.Generation)
	if e != nil {
		return nil, e
	}
	data, e := s.validate(s.models.document, raw)
	if e != nil {
		return nil, e
	}
	u, _ := data["url"].(string)
	key, ok := docserviceKey(u)
	if !ok {
		return nil, newErr(403, "body", "url", "Can add document only from document service.")
	}
	hash, _ := data["hash"].(string)
	if hash == "" {
		return nil, newErr(422, "body", "hash", "This field is required.")
	}
	if set.Docservice == "strict" {
		if e := s.strictURL(c.r, u, key, hash); e != nil {
			return nil, e
		}
	}
	for _, k := range []string{"id", "url", "datePublished", "dateModified", "author"} {
		delete(data, k)
	}
	data[keyField] = key
	return data, nil
}

// docserviceKey checks the docservice URL shape: absolute http(s), path ending
// /get/{key}, query exactly KeyID and Signature. It returns the key.
func docserviceKey(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	i := strings.LastIndex(u.Path, "/get/")
	if i < 0 {
		return "", false
	}
	key := u.Path[i+len("/get/"):]
	if key == "" || strings.Contains(key, "/") {
		return "", false
	}
	q := u.Query()
	if len(q) != 2 || len(q["KeyID"]) != 1 || len(q["Signature"]) != 1 {
		return "", false
	}
	return key, true
}

func (s *service) strictURL(r *http.Request, raw, key, hash string) *apiError {
	if !strings.HasPrefix(raw, emulators.Origin(r)+emulators.Prefix(r)+"/docservice/get/") {
		return newErr(403, "body", "url", "Can add document only from document service.")
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if q.Get("KeyID") != s.keyID {
		return newErr(422, "body", "url", "Document url expired.")
	}
	switch s.verify(q.Get("Signature"), key+"\x00"+strings.TrimPrefix(hash, "md5:")) {
	case "":
		return nil
	case "Signature invalid":
		return newErr(422, "body", "url", "Document url signature invalid.")
	}
	return newErr(422, "body", "url", "Document url invalid.")
}

// addVersion stores a new document (prev empty) or a new version of one
// (§4.12.3) and updates the parent (dateModified, revision).
func (s *service) addVersion(tx emulators.Tx, rec *record, doc map[string]any, prev []map[string]any, author string) (map[string]any, error) {
	before := cloneRecord(rec)
	now, err := s.nextModified(tx, plansColl)
	if err != nil {
		return nil, err
	}
	stamp := isoformat(now)
	if len(prev) == 0 {
		n, err := emulators.NextSeq(tx, Name, rec.id()+"/document")
		if err != nil {
			return nil, err
		}
		doc["id"] = s.newID(tx.Tenant(), "document", rec.id()+"/"+itoa(n))
		doc["datePublished"] = stamp
	} else {
		// A new version keeps only its file fields from the request; everything
		// else comes from the previous version (§4.12.3).
		for k := range doc {
			switch k {
			case "title", "format", "hash", keyField:
			default:
				delete(doc, k)
			}
		}
		latest := prev[len(prev)-1]
		for k, v := range latest {
			switch k {
			case "title", "format", "hash", keyField, "dateModified", "url":
			default:
				doc[k] = deepCopy(v)
			}
		}
	}
	doc["dateModified"] = stamp
	rec.Data["documents"] = append(docs(rec.Data), doc)
	rec.Data["dateModified"] = stamp
	if err := s.appendRevision(tx, plansColl, rec, before, author, now); err != nil {
		return nil, err
	}
	return doc, s.savePlan(tx, rec, before)
}

func cloneRecord(r *record) *record {
	return &record{Data: deepCopy(r.Data).(map[string]any), Token: r.Token, Change: r.Change, Revs: r.Revs}
}

// patchDocument: PATCH …/documents/{doc} (§4.12.4).
func (s *service) patchDocument(w http.ResponseWriter, r *http.Request) {
	c, ok := s.begin(w, r)
	if !ok {
		return
	}
	var out any
	err := s.env.Update(r, func(tx emulators.Tx) error {
		out = nil
		rec, vs, err := s.planDocument(tx, r)
		if err != nil {
			return err
		}
		if !c.isJSON() {
			return errContentType()
		}
		c.who = s.resolve(tx, callerKey(r))
		if !c.owns(rec.owner(), rec.Token) {
			return errForbidden()
		}
		set, err := s.settings(tx)
		if err != nil {
			return err
		}
		patch, e := c.data(set.Generation)
		if e != nil {
			return e
		}
		latest := vs[len(vs)-1]
		next, e := s.mergeDocument(latest, patch)
		if e != nil {
			return e
		}
		if reflect.DeepEqual(next, latest) {
			if set.NoopPatchBody == "object" {
				out = ordered{{"data", s.documentView(baseURL(r), latest)}}
			}
			return nil
		}
		if e := s.forcedConflict(tx, r); e != nil {
			return e
		}
		before := cloneRecord(rec)
		for k := range latest {
			delete(latest, k)
		}
		for k, v := range next {
			latest[k] = v
		}
		now, err := s.nextModified(tx, plansColl)
		if err != nil {
			return err
		}
		rec.Data["dateModified"] = isoformat(now)
		if err := s.appendRevision(tx, plansColl, rec, before, c.who.Key, now); err != nil {
			return err
		}
		out = ordered{{"data", s.documentView(baseURL(r), latest)}}
		return s.savePlan(tx, rec, before)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(c, http.StatusOK, out)
}

// mergeDocument applies a PATCH to one version: editable fields merge, the rest
// of the body is type-checked and ignored; the result is validated whole.
func (s *service) mergeDocument(latest map[string]any, patch map[string]any) (map[string]any, *apiError) {
	base := deepCopy(latest).(map[string]any)
	key := base[keyField]
	delete(base, keyField)
	if _, ok := base["url"]; !ok {
		base["url"] = "stored"
	}
	merged := mergePatch(base, patch).(map[string]any)
	raw, err := decodeAsBody(pyJSON(merged, 0))
	if err != nil {
		return nil, errNoJSON("2017")
	}
	data, e := s.validate(s.models.document, raw)
	if e != nil {
		return nil, e
	}
	next := deepCopy(latest).(map[string]any)
	for _, k := range docEditable {
		if v, ok := data[k]; ok {
			next[k] = normalizeNumbers(v)
		} else {
			delete(next, k)
		}
	}
	next[keyField] = key
	if key == nil {
		delete(next, keyField)
	}
	return next, nil
}
