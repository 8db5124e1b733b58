package prozorro

import (
	"crypto/ed25519"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/store"
)

// The built-in document service (§4.13): a small mirror of openprocurement's
// docservice so that document URLs resolve and multipart uploads have somewhere
// to live. Keys are derived per tenant and looked up across tenants (a client
// following a URL sends no tenant header).

var (
	blobMeta  = store.Bucket{Service: Name, Kind: "docservice"}
	blobBytes = store.Bucket{Service: Name, Kind: "docservice.bytes"}
)

// blob is a docservice entry: registered (hash only) or uploaded.
type blob struct {
	Hash     string `json:"hash"`
	Title    string `json:"title"`
	Format   string `json:"format"`
	Size     int    `json:"size"`
	Uploaded bool   `json:"uploaded"`
}

func loadBlob(tx emulators.Tx, key string) (*blob, error) {
	raw := tx.Get(blobMeta, []byte(key))
	if raw == nil {
		return nil, nil
	}
	var b blob
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("prozorro: docservice %s: %w", key, err)
	}
	return &b, nil
}

func (s *service) newBlobKey(tx emulators.Tx) (string, error) {
	n, err := emulators.NextSeq(tx, Name, "doc.key")
	if err != nil {
		return "", err
	}
	return s.newID(tx.Tenant(), "doc.key", strconv.FormatUint(n, 10)), nil
}

// putBlob stores uploaded bytes under key.
func putBlob(tx emulators.Tx, key string, f *upload) error {
	b := blob{Hash: f.hash(), Title: f.title, Format: f.format, Size: len(f.data), Uploaded: true}
	raw, _ := json.Marshal(b)
	if err := tx.Put(blobMeta, []byte(key), raw); err != nil {
		return err
	}
	return tx.Put(blobBytes, []byte(key), f.data)
}

// ---- signatures (FACT api-2017 generate_docservice_url; docservice views) ----

// sign is quote(b64encode(ed25519(message))): '+' and '=' percent-quoted, '/'
// kept. Query encoding then quotes it a second time.
func (s *service) sign(message string) string {
	sig := ed25519.Sign(s.signKey, []byte(message))
	b64 := base64.StdEncoding.EncodeToString(sig)
	return strings.NewReplacer("+", "%2B", "=", "%3D").Replace(b64)
}

// verify checks a Signature query value (already decoded once by the query
// parser): unquote, base64-decode, verify. The error names the docservice message.
func (s *service) verify(sigParam, message string) string {
	unq, err := url.PathUnescape(sigParam)
	if err != nil {
		return "Signature invalid"
	}
	sig, err := base64.StdEncoding.DecodeString(unq)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return "Signature invalid"
	}
	if !ed25519.Verify(s.signKey.Public().(ed25519.PublicKey), []byte(message), sig) {
		return "Signature does not match"
	}
	return ""
}

func queryValue(s string) string { return url.QueryEscape(s) }

// permanentURL is how a document's url is rendered (§4.12.5); base is
// {origin}{P} (see baseURL).
func (s *service) permanentURL(base, key string) string {
	return fmt.Sprintf("%s/docservice/get/%s?KeyID=%s&Signature=%s", base, key, s.keyID, queryValue(s.sign(key)))
}

// baseURL is {origin}{P}: where the request says the service lives.
func baseURL(r *http.Request) string { return emulators.Origin(r) + emulators.Prefix(r) }

// issuedURL is the docservice's own url for registered/uploaded content, signed
// over key + NUL + md5 hex (what strict mode verifies).
func (s *service) issuedURL(r *http.Request, key, hash string) string {
	md5hex := strings.TrimPrefix(hash, "md5:")
	return fmt.Sprintf("%s%s/docservice/get/%s?KeyID=%s&Signature=%s", emulators.Origin(r), emulators.Prefix(r), key, s.keyID, queryValue(s.sign(key+"\x00"+md5hex)))
}

// temporaryURL is a download link valid for the download lifetime.
func (s *service) temporaryURL(r *http.Request, key string, now time.Time) string {
	exp := strconv.FormatInt(now.Unix()+int64(s.c.DownloadLifetimeS), 10)
	return fmt.Sprintf("%s%s/docservice/get/%s?Signature=%s&Expires=%s&KeyID=%s", emulators.Origin(r), emulators.Prefix(r), key, queryValue(s.sign(key+"\x00"+exp)), exp, s.keyID)
}

func dsErr(status int, location, name, desc string) *apiError {
	return newErr(status, location, name, desc)
}

// ---- multipart ----

// upload is the file part of a multipart request.
type upload struct {
	title  string
	format string
	data   []byte
}

func (f *upload) hash() string {
	sum := md5.Sum(f.data)
	return "md5:" + hex.EncodeToString(sum[:])
}

var spaces = regexp.MustCompile(`\s+`)

// readFilePart finds the part named "file". It reads the whole multipart body:
// a body cut before its closing boundary is refused (mime/multipart would hand
// back the parts it saw).
func readFilePart(r *http.Request, body []byte) (*upload, bool) {
	mt, params := emulators.MediaType(r)
	if mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, false
	}
	mr := multipart.NewReader(strings.NewReader(string(body)), params["boundary"])
	var found *upload
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, false
		}
		_, dp, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if dp["name"] != "file" || found != nil {
			continue
		}
		title := dp["filename"]
		if dec, err := new(mime.WordDecoder).DecodeHeader(title); err == nil {
			title = dec
		}
		format := p.Header.Get("Content-Type")
		if format == "" {
			format = "text/plain"
		}
		found = &upload{title: spaces.ReplaceAllString(title, " "), format: format, data: data}
	}
	return found, found != nil
}

// ---- endpoints ----

// brokerOnly answers 403 url/permission unless the caller is a broker.
func (s *service) brokerOnly(tx emulators.Tx, r *http.Request) error {
	if !s.resolve(tx, callerKey(r)).broker() {
		return errForbidden()
	}
	return nil
}

// dsRegister: POST {P}/docservice/register.
func (s *service) dsRegister(w http.ResponseWriter, r *http.Request) {
	c, ok := s.begin(w, r)
	if !ok {
		return
	}
	var key, hash string
	err := s.env.Update(r, func(tx emulators.Tx) error {
		if err := s.brokerOnly(tx, r); err != nil {
			return err
		}
		hash = ""
		if c.isJSON() {
			if obj, ok := c.json().(map[string]any); ok {
				if d, ok := obj["data"].(map[string]any); ok {
					hash, _ = d["hash"].(string)
				}
			}
		} else if form, err := url.ParseQuery(string(c.body)); err == nil {
			hash = form.Get("hash")
		}
		if hash == "" {
			return dsErr(404, "body", "hash", "Not Found")
		}
		if _, e := (hashType{}).convert(s.conv, hash); e != nil {
			return newErr(422, "body", "hash", e)
		}
		var err error
		if key, err = s.newBlobKey(tx); err != nil {
			return err
		}
		raw, _ := json.Marshal(blob{Hash: hash})
		return tx.Put(blobMeta, []byte(key), raw)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	uploadURL := fmt.Sprintf("%s%s/docservice/upload/%s?KeyID=%s&Signature=%s", emulators.Origin(r), emulators.Prefix(r), key, s.keyID, queryValue(s.sign(key)))
	w.Header().Set("Location", uploadURL)
	s.render(c, http.StatusCreated, ordered{
		{"data", ordered{{"hash", hash}, {"url", s.issuedURL(r, key, hash)}}},
		{"upload_url", uploadURL},
	})
}

// dsUpload: POST {P}/docservice/upload and …/upload/{key}.
func (s *service) dsUpload(w http.ResponseWriter, r *http.Request) {
	c, ok := s.begin(w, r)
	if !ok {
		return
	}
	key := mux.Vars(r)["key"]
	var f *upload
	var now time.Time
	err := s.env.Update(r, func(tx emulators.Tx) error {
		now = tx.Now()
		if err := s.brokerOnly(tx, r); err != nil {
			return err
		}
		if key != "" {
			if e := s.checkSigned(c, key, ""); e != nil {
				return e
			}
		}
		var ok bool
		if f, ok = readFilePart(r, c.body); !ok {
			return dsErr(404, "body", "file", "Not Found")
		}
		if key != "" {
			b, err := loadBlob(tx, key)
			switch {
			case err != nil:
				return err
			case b == nil:
				return dsErr(404, "url", "doc_id", "Not Found")
			case b.Uploaded:
				return dsErr(403, "url", "doc_id", "Content already uploaded")
			case b.Hash != f.hash():
				return dsErr(403, "body", "file", "Invalid checksum")
			}
		}
		if failed, err := s.forcedUploadFailure(tx); err != nil || failed {
			if err != nil {
				return err
			}
			return emulators.CommitAnyway(&apiError{status: 502, items: []errItem{{description: "Upload failed, please try again later"}}})
		}
		if key == "" {
			var err error
			if key, err = s.newBlobKey(tx); err != nil {
				return err
			}
		}
		return putBlob(tx, key, f)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(c, http.StatusOK, ordered{
		{"data", ordered{{"url", s.issuedURL(r, key, f.hash())}, {"hash", f.hash()}, {"format", f.format}, {"title", f.title}}},
		{"get_url", s.temporaryURL(r, key, now)},
	})
}

// checkSigned applies the docservice's URL checks in its order: KeyID, Signature
// present, decodable, matching (message = key, or key NUL expires).
func (s *service) checkSigned(c *call, key, expires string) *apiError {
	if c.query.has("KeyID") && c.query.get("KeyID") != s.keyID {
		return dsErr(403, "url", "KeyID", "Key Id does not exist")
	}
	msg := key
	if expires != "" {
		msg = key + "\x00" + expires
	}
	if !c.query.has("Signature") {
		return dsErr(403, "url", "Signature", "Not Found")
	}
	if m := s.verify(c.query.get("Signature"), msg); m != "" {
		return dsErr(403, "url", "Signature", m)
	}
	return nil
}

// dsGet: GET {P}/docservice/get/{key}.
func (s *service) dsGet(w http.ResponseWriter, r *http.Request) {
	c, ok := s.begin(w, r)
	if !ok {
		return
	}
	key := mux.Vars(r)["key"]
	tenant, b, data, err := s.findBlob(r, key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if c.query.has("KeyID") && c.query.get("KeyID") != s.keyID {
		writeError(w, dsErr(403, "url", "KeyID", "Key Id does not exist"))
		return
	}
	expires := c.query.get("Expires")
	if c.query.has("Expires") {
		exp, perr := strconv.ParseInt(expires, 10, 64)
		now, nerr := s.tenantNow(r, tenant)
		if nerr != nil {
			s.fail(w, r, nerr)
			return
		}
		if perr != nil || exp < now.Unix() {
			writeError(w, dsErr(403, "url", "Expires", "Request has expired"))
			return
		}
	}
	if e := s.checkSigned(c, key, expires); e != nil {
		writeError(w, e)
		return
	}
	if b == nil || !b.Uploaded {
		writeError(w, dsErr(404, "url", "doc_id", "Not Found"))
		return
	}
	w.Header().Set("Content-Type", b.Format)
	w.Header().Set("Content-Disposition", contentDisposition(b.Title))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

// tenantNow is the clock of the tenant owning a key ("" = the request's).
func (s *service) tenantNow(r *http.Request, tenant string) (time.Time, error) {
	if tenant == "" || tenant == emulators.TenantOf(r).Name() {
		return emulators.TenantOf(r).Now(), nil
	}
	if s.env.TenantNow == nil {
		return emulators.TenantOf(r).Now(), nil
	}
	return s.env.TenantNow(tenant)
}

// findBlob looks a key up in the request's tenant first, then in every other.
func (s *service) findBlob(r *http.Request, key string) (string, *blob, []byte, error) {
	own := emulators.TenantOf(r).Name()
	tenants, err := s.env.Store.Tenants()
	if err != nil {
		return "", nil, nil, err
	}
	order := append([]string{own}, tenants...)
	for _, t := range order {
		if t == own && t != order[0] {
			continue
		}
		var b *blob
		var data []byte
		err := s.env.Store.View(t, time.Time{}, func(tx emulators.Tx) error {
			var err error
			if b, err = loadBlob(tx, key); err != nil || b == nil {
				return err
			}
			data = append([]byte(nil), tx.Get(blobBytes, []byte(key))...)
			return nil
		})
		if err != nil {
			return "", nil, nil, err
		}
		if b != nil {
			return t, b, data, nil
		}
	}
	return "", nil, nil, nil
}

// contentDisposition names the download (FACT api-2017 get_file / docservice):
// ASCII titles plainly, others as RFC 5987 filename*.
func contentDisposition(title string) string {
	if isASCII(title) && !strings.ContainsAny(title, "\"\\") {
		return fmt.Sprintf("attachment; filename=%q", title)
	}
	return "attachment; filename*=utf-8''" + url.PathEscape(title)
}
