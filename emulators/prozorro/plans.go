package prozorro

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"time"

	"github.com/gorilla/mux"

	"github.com/upstream-sandbox/sandbox/emulators"
)

// Fields the upstream's create/edit roles drop from a plan body (FACT planning
// models.py roles): they are type-checked, then ignored.
var (
	planCreateIgnored = []string{"id", "owner", "planID", "datePublished", "dateModified", "revisions", "documents"}
	planEditIgnored   = append(append([]string{}, planCreateIgnored...), "mode")
)

// createPlan: POST /api/2.3/plans (§4.2).
func (s *service) createPlan(w http.ResponseWriter, r *http.Request) {
	c, ok := s.begin(w, r)
	if !ok {
		return
	}
	var resp any
	var id string
	err := s.env.Update(r, func(tx emulators.Tx) error {
		resp, id = nil, ""
		set, err := s.settings(tx)
		if err != nil {
			return err
		}
		if !c.isJSON() {
			return errContentType()
		}
		c.who = s.resolve(tx, callerKey(r))
		if !c.who.broker() {
			return errForbidden()
		}
		raw, e := c.data(set.Generation)
		if e != nil {
			return e
		}
		has1, test1 := c.who.level('1')
		has3, test3 := c.who.level('3')
		if !has1 && !has3 {
			return newErr(403, "plan", "accreditation", "Broker Accreditation level does not permit plan creation")
		}
		data, e := s.checkPlan(raw)
		if e != nil {
			return e
		}
		if (test1 || test3) && data["mode"] != "test" {
			return newErr(403, "plan", "mode", "Broker Accreditation level does not permit plan creation")
		}
		if e := s.forcedConflict(tx, r); e != nil {
			return e
		}
		rec, err := s.insertPlan(tx, c.who, data)
		if err != nil {
			return err
		}
		id = rec.id()
		resp = ordered{{"access", ordered{{"token", rec.Token}}}, {"data", s.planView(r, rec)}}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", location(r, "/api/2.3/plans/"+id))
	s.render(c, http.StatusCreated, resp)
}

// checkPlan converts and validates a plan body and drops the ignored fields.
func (s *service) checkPlan(raw map[string]any) (map[string]any, *apiError) {
	data, e := s.validate(s.models.plan, raw)
	if e != nil {
		return nil, e
	}
	for _, k := range planCreateIgnored {
		delete(data, k)
	}
	return data, nil
}

// insertPlan assigns the generated values (§5.1, §5.11) and stores the plan.
func (s *service) insertPlan(tx emulators.Tx, who identity, data map[string]any) (*record, error) {
	tenant := tx.Tenant()
	n, err := emulators.NextSeq(tx, Name, "plan")
	if err != nil {
		return nil, err
	}
	id := s.newID(tenant, "plan", fmt.Sprint(n))
	token := s.newID(tenant, "plan.token", fmt.Sprint(n))
	return s.storeNewPlan(tx, who, id, token, data)
}

// storeNewPlan stores a plan with a known id and token (API creates and
// scenario objects with literal ids share it).
func (s *service) storeNewPlan(tx emulators.Tx, who identity, id, token string, data map[string]any) (*record, error) {
	now, err := s.nextModified(tx, plansColl)
	if err != nil {
		return nil, err
	}
	planID, err := s.dailyID(tx, "UA-P", now)
	if err != nil {
		return nil, err
	}
	if err := s.fillItemIDs(tx, id, data); err != nil {
		return nil, err
	}
	data["id"] = id
	data["planID"] = planID
	data["owner"] = who.Owner
	data["datePublished"] = isoformat(now)
	data["dateModified"] = isoformat(now)
	rec := &record{Data: data, Token: token}
	if err := s.appendRevision(tx, plansColl, rec, nil, who.Key, now); err != nil {
		return nil, err
	}
	return rec, s.savePlan(tx, rec, nil)
}

// dailyID is planID/auctionID: PREFIX-YYYY-MM-DD-NNNNNN with a per-tenant,
// per-Kyiv-day counter (FACT generate_plan_id).
func (s *service) dailyID(tx emulators.Tx, prefix string, now time.Time) (string, error) {
	day := now.In(s.kyiv).Format("2006-01-02")
	n, err := emulators.NextSeq(tx, Name, prefix+":"+day)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%s-%06d", prefix, day, n), nil
}

// fillItemIDs gives items without an id a derived one (key {planId}/{ordinal}).
func (s *service) fillItemIDs(tx emulators.Tx, parent string, data map[string]any) error {
	items, _ := data["items"].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		if _, ok := m["id"]; ok {
			continue
		}
		n, err := emulators.NextSeq(tx, Name, parent+"/item")
		if err != nil {
			return err
		}
		m["id"] = s.newID(tx.Tenant(), "item", fmt.Sprintf("%s/%d", parent, n))
	}
	return nil
}

// getPlan: GET /api/2.3/plans/{id}. The stored view is served as is (see
// savePlan); only pretty output needs a decode and a render.
func (s *service) getPlan(w http.ResponseWriter, r *http.Request) {
	c, ok := s.begin(w, r)
	if !ok {
		return
	}
	var view []byte
	err := s.env.View(r, func(tx emulators.Tx) error {
		id := mux.Vars(r)["id"]
		if raw := tx.Get(plansColl.objects(), []byte(id)); raw != nil {
			view = renderView(raw, baseURL(r))
			return nil
		}
		return errNotFound("plan_id")
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderRaw(c, http.StatusOK, "data", view)
}

// plan loads a plan or answers E2 plan_id.
func (s *service) plan(tx emulators.Tx, id string) (*record, error) {
	rec, err := loadRecord(tx, plansColl, id)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, errNotFound("plan_id")
	}
	return rec, nil
}

// planView is the public form of a plan: rendered document URLs, empty values
// omitted, no token, no revisions.
func (s *service) planView(r *http.Request, rec *record) map[string]any {
	return s.planViewAt(baseURL(r), rec)
}

func (s *service) planViewAt(base string, rec *record) map[string]any {
	data := deepCopy(rec.Data).(map[string]any)
	if docs, ok := data["documents"].([]any); ok {
		for i, d := range docs {
			docs[i] = s.documentView(base, d.(map[string]any))
		}
	}
	return prune(data).(map[string]any)
}

// patchPlan: PATCH /api/2.3/plans/{id} (§4.2, merge §5.2.1).
func (s *service) patchPlan(w http.ResponseWriter, r *http.Request) {
	c, ok := s.begin(w, r)
	if !ok {
		return
	}
	var view map[string]any
	err := s.env.Update(r, func(tx emulators.Tx) error {
		view = nil
		rec, err := s.plan(tx, mux.Vars(r)["id"])
		if err != nil {
			return err
		}
		set, err := s.settings(tx)
		if err != nil {
			return err
		}
		if !c.isJSON() {
			return errContentType()
		}
		c.who = s.resolve(tx, callerKey(r))
		if !c.owns(rec.owner(), rec.Token) && !(set.PlanPatch == "anyBroker" && c.who.broker()) {
			return errForbidden()
		}
		patch, e := c.data(set.Generation)
		if e != nil {
			return e
		}
		merged, e := s.mergePlan(rec, patch)
		if e != nil {
			return e
		}
		if !reflect.DeepEqual(merged, publicFields(rec.Data)) {
			if e := s.forcedConflict(tx, r); e != nil {
				return e
			}
			if err := s.updatePlan(tx, rec, merged, c.who.Key); err != nil {
				return err
			}
		}
		view = s.planView(r, rec)
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(c, http.StatusOK, ordered{{"data", view}})
}

// publicFields is the editable part of stored data: everything the edit role
// may change (the ignored fields are compared separately, i.e. never).
func publicFields(data map[string]any) map[string]any {
	out := deepCopy(data).(map[string]any)
	for _, k := range planEditIgnored {
		delete(out, k)
	}
	return out
}

// mergePlan merges a patch into the stored plan and validates the result as a
// whole; it returns the new editable fields.
func (s *service) mergePlan(rec *record, patch map[string]any) (map[string]any, *apiError) {
	base := deepCopy(rec.Data).(map[string]any)
	delete(base, "documents")
	merged := mergePatch(base, patch).(map[string]any)
	// Re-read the merged tree as a client body (numbers as json.Number), so
	// conversion treats stored and patched values alike.
	raw, err := decodeAsBody(pyJSON(merged, 0))
	if err != nil {
		return nil, errNoJSON("2017")
	}
	data, e := s.validate(s.models.plan, raw)
	if e != nil {
		return nil, e
	}
	for _, k := range planEditIgnored {
		delete(data, k)
	}
	// Stored data is the pruned view: compare like with like.
	return prune(normalizeNumbers(data)).(map[string]any), nil
}

func decodeAsBody(b []byte) (map[string]any, error) {
	v, err := emulators.DecodeJSON(b)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	return m, nil
}

// updatePlan writes a changed plan: new editable fields, dateModified, revision.
func (s *service) updatePlan(tx emulators.Tx, rec *record, fields map[string]any, author string) error {
	prev := &record{Data: deepCopy(rec.Data).(map[string]any), Token: rec.Token, Change: rec.Change, Revs: rec.Revs}
	now, err := s.nextModified(tx, plansColl)
	if err != nil {
		return err
	}
	next := fields
	for _, k := range planEditIgnored {
		if v, ok := rec.Data[k]; ok {
			next[k] = v
		}
	}
	if err := s.fillItemIDs(tx, rec.id(), next); err != nil {
		return err
	}
	next["dateModified"] = isoformat(now)
	rec.Data = next
	if err := s.appendRevision(tx, plansColl, rec, prev, author, now); err != nil {
		return err
	}
	return s.savePlan(tx, rec, prev)
}

// appendRevision stores one revision of a write (§5.2.2): the JSON Patch from
// the new state back to the previous one, over the "plain" view (everything but
// dateModified and revisions).
func (s *service) appendRevision(tx emulators.Tx, c collection, rec, prev *record, author string, now time.Time) error {
	plain := func(r *record) map[string]any {
		if r == nil {
			return map[string]any{}
		}
		m := prune(deepCopy(r.Data)).(map[string]any)
		delete(m, "dateModified")
		return m
	}
	rec.Revs++
	rev := ordered{{"author", author}, {"date", isoformat(now)}, {"changes", diff(plain(rec), plain(prev))}}
	if rec.Revs >= 2 {
		hex := s.newID(tx.Tenant(), "revision", fmt.Sprintf("%s/%d", rec.id(), rec.Revs))
		rev = append(rev, kv{"rev", fmt.Sprintf("%d-%s", rec.Revs-1, hex)})
	}
	key := append([]byte(rec.id()), emulators.SeqKey(rec.Revs)...)
	return tx.Put(c.revisions(), key, pyJSON(rev, 0))
}

// getRevisions: GET /api/2.3/plans/{id}/revisions.
func (s *service) getRevisions(w http.ResponseWriter, r *http.Request) {
	c, ok := s.begin(w, r)
	if !ok {
		return
	}
	var revs []any
	err := s.env.View(r, func(tx emulators.Tx) error {
		rec, err := s.plan(tx, mux.Vars(r)["id"])
		if err != nil {
			return err
		}
		revs = []any{}
		prefix := []byte(rec.id())
		cur := tx.Cursor(plansColl.revisions())
		for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			rv, err := decodeStored(v)
			if err != nil {
				return err
			}
			revs = append(revs, rv)
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(c, http.StatusOK, ordered{{"data", ordered{{"revisions", revs}}}})
}
