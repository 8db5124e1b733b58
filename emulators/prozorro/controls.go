package prozorro

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"

	"github.com/gorilla/mux"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/store"
)

// Service controls of §9 (/_sandbox/prozorro/...): identities, tokens of
// scenario objects, the docservice key and the raw edit hook.

func (s *service) ctlListBrokers(tx emulators.Tx, r *http.Request, _ []byte) (any, int, error) {
	items := append([]identity{}, s.builtIns...)
	var err error
	store.ForEach(tx, brokersBucket, func(_, v []byte) bool {
		var id identity
		if err = json.Unmarshal(v, &id); err != nil {
			return false
		}
		items = append(items, id)
		return true
	})
	return map[string]any{"items": items}, http.StatusOK, err
}

var brokerKeyRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
var levelsRE = regexp.MustCompile(`^[1-4]{1,4}t?$`)

func (s *service) ctlPutBroker(tx emulators.Tx, r *http.Request, body []byte) (any, int, error) {
	key := mux.Vars(r)["key"]
	if s.isBuiltIn(key) {
		return nil, 0, emulators.Problemf(http.StatusConflict, "%q is a built-in identity", key)
	}
	if !brokerKeyRE.MatchString(key) {
		return nil, 0, emulators.Problemf(http.StatusBadRequest, "broker key must be 1–64 of [A-Za-z0-9._-]")
	}
	var in struct {
		Owner  *string  `json:"owner"`
		Levels *string  `json:"levels"`
		Deny   []string `json:"deny"`
	}
	if len(body) > 0 {
		if err := emulators.DecodeStrict(body, &in); err != nil {
			return nil, 0, emulators.Problemf(http.StatusBadRequest, "%v", err)
		}
	}
	id := identity{Key: key, Owner: key, Group: "brokers", Levels: "1234", Deny: []string{}}
	if in.Owner != nil {
		if *in.Owner == "" {
			return nil, 0, emulators.Problemf(http.StatusBadRequest, "owner must not be empty")
		}
		id.Owner = *in.Owner
	}
	if in.Levels != nil {
		if !levelsRE.MatchString(*in.Levels) {
			return nil, 0, emulators.Problemf(http.StatusBadRequest, `levels must be digits 1–4, optionally ending in "t"`)
		}
		id.Levels = *in.Levels
	}
	for _, d := range in.Deny {
		if !contains([]string{"auction", "bid", "question"}, d) {
			return nil, 0, emulators.Problemf(http.StatusBadRequest, "deny may hold auction, bid, question; got %q", d)
		}
		id.Deny = append(id.Deny, d)
	}
	raw, _ := json.Marshal(id)
	return id, http.StatusOK, tx.Put(brokersBucket, []byte(key), raw)
}

func (s *service) isBuiltIn(key string) bool {
	for _, id := range s.builtIns {
		if id.Key == key {
			return true
		}
	}
	return false
}

func (s *service) ctlDeleteBroker(tx emulators.Tx, r *http.Request, _ []byte) (any, int, error) {
	key := mux.Vars(r)["key"]
	if s.isBuiltIn(key) {
		return nil, 0, emulators.Problemf(http.StatusConflict, "%q is a built-in identity and cannot be removed", key)
	}
	if tx.Get(brokersBucket, []byte(key)) == nil {
		return nil, 0, emulators.Problemf(http.StatusNotFound, "no tenant broker %q", key)
	}
	return nil, http.StatusNoContent, tx.Delete(brokersBucket, []byte(key))
}

func (s *service) ctlPlanAccess(tx emulators.Tx, r *http.Request, _ []byte) (any, int, error) {
	rec, err := loadRecord(tx, plansColl, mux.Vars(r)["id"])
	if err != nil {
		return nil, 0, err
	}
	if rec == nil {
		return nil, 0, emulators.Problemf(http.StatusNotFound, "no plan %q", mux.Vars(r)["id"])
	}
	return map[string]string{"owner": rec.owner(), "token": rec.Token}, http.StatusOK, nil
}

func (s *service) ctlDocserviceKey(w http.ResponseWriter, _ *http.Request) {
	pub := s.signKey.Public().(ed25519.PublicKey)
	emulators.WriteJSON(w, http.StatusOK, map[string]string{"keyId": s.keyID, "publicKey": hex.EncodeToString(pub)})
}

// ctlEditPlan is the raw edit of §9.3 for a plan: the equivalent of a direct
// database write, bypassing permissions and roles; fields are still type-checked.
func (s *service) ctlEditPlan(tx emulators.Tx, r *http.Request, body []byte) (any, int, error) {
	rec, err := loadRecord(tx, plansColl, mux.Vars(r)["id"])
	if err != nil {
		return nil, 0, err
	}
	if rec == nil {
		return nil, 0, emulators.Problemf(http.StatusNotFound, "no plan %q", mux.Vars(r)["id"])
	}
	var in struct {
		Data map[string]any `json:"data"`
	}
	v, err := emulators.DecodeJSON(body)
	obj, _ := v.(map[string]any)
	in.Data, _ = obj["data"].(map[string]any)
	if err != nil || in.Data == nil {
		return nil, 0, emulators.Problemf(http.StatusBadRequest, `body must be {"data": {…}}`)
	}
	for k := range in.Data {
		if s.models.plan.byName[k] == nil {
			return nil, 0, emulators.Problemf(http.StatusBadRequest, "unknown plan field %q", k)
		}
	}
	base := deepCopy(rec.Data).(map[string]any)
	documents := base["documents"]
	delete(base, "documents")
	merged := mergePatch(base, in.Data).(map[string]any)
	raw, derr := decodeAsBody(pyJSON(merged, 0))
	if derr != nil {
		return nil, 0, emulators.Problemf(http.StatusBadRequest, "%v", derr)
	}
	data, errs := convertModel(s.conv, s.models.plan, raw)
	if errs != nil {
		detail, _ := json.Marshal(errs)
		return nil, 0, emulators.Problemf(http.StatusUnprocessableEntity, "%s", detail)
	}
	data = normalizeNumbers(prune(data)).(map[string]any)
	if documents != nil {
		data["documents"] = documents
	}
	if reflect.DeepEqual(data, rec.Data) {
		return map[string]any{"data": json.RawMessage(pyJSON(s.planView(r, rec), 0))}, http.StatusOK, nil
	}
	before := cloneRecord(rec)
	now, err := s.nextModified(tx, plansColl)
	if err != nil {
		return nil, 0, err
	}
	data["dateModified"] = isoformat(now)
	rec.Data = data
	if err := s.appendRevision(tx, plansColl, rec, before, "sandbox", now); err != nil {
		return nil, 0, err
	}
	if err := s.savePlan(tx, rec, before); err != nil {
		return nil, 0, err
	}
	return map[string]any{"data": json.RawMessage(pyJSON(s.planView(r, rec), 0))}, http.StatusOK, nil
}
