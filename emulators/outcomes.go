package emulators

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/upstream-sandbox/sandbox/store"
)

// Outcome is a forced result queued for the next matching operation(s)
// (CONVENTIONS.md, Forced outcomes). Members holds the service-specific members
// (e.g. "errors", "bids"); they are flattened into the JSON object.
type Outcome struct {
	ID        string
	Outcome   string
	Match     map[string]any
	Count     int
	Remaining int
	Members   map[string]json.RawMessage
}

var outcomeFixed = map[string]bool{"id": true, "outcome": true, "match": true, "count": true, "remaining": true}

// MarshalJSON renders the flat wire object.
func (o Outcome) MarshalJSON() ([]byte, error) {
	m := map[string]any{"id": o.ID, "outcome": o.Outcome, "match": o.Match, "count": o.Count, "remaining": o.Remaining}
	if o.Match == nil {
		m["match"] = map[string]any{}
	}
	for k, v := range o.Members {
		m[k] = v
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads the stored form (the same flat object).
func (o *Outcome) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*o = Outcome{Members: map[string]json.RawMessage{}}
	_ = json.Unmarshal(m["id"], &o.ID)
	_ = json.Unmarshal(m["outcome"], &o.Outcome)
	_ = json.Unmarshal(m["match"], &o.Match)
	_ = json.Unmarshal(m["count"], &o.Count)
	_ = json.Unmarshal(m["remaining"], &o.Remaining)
	for k, v := range m {
		if !outcomeFixed[k] {
			o.Members[k] = v
		}
	}
	return nil
}

// MatchString returns match[key] as a string ("" when absent).
func (o *Outcome) MatchString(key string) string {
	s, _ := o.Match[key].(string)
	return s
}

func outcomesBucket(service string) store.Bucket {
	return store.Bucket{Service: service, Kind: "_outcomes"}
}

// ParseOutcomes reads a POST body: one outcome object or an array of them.
// Common members are checked here (outcome a string, match an object, count
// 1–1000, default 1); validate checks the service's names and members.
func ParseOutcomes(body []byte, validate func(*Outcome) error) ([]Outcome, bool, error) {
	trimmed := bytes.TrimSpace(body)
	var raws []json.RawMessage
	array := len(trimmed) > 0 && trimmed[0] == '['
	if array {
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, true, badf("outcomes must be a JSON object or an array of objects")
		}
		if len(raws) == 0 {
			return nil, true, badf("empty outcome list")
		}
	} else {
		raws = []json.RawMessage{trimmed}
	}
	out := make([]Outcome, 0, len(raws))
	for i, raw := range raws {
		o, err := parseOutcome(raw)
		if err == nil && validate != nil {
			err = validate(&o)
		}
		if err != nil {
			if array {
				return nil, true, fmt.Errorf("item %d: %w", i, err)
			}
			return nil, false, err
		}
		out = append(out, o)
	}
	return out, array, nil
}

func parseOutcome(raw json.RawMessage) (Outcome, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return Outcome{}, badf("an outcome must be a JSON object")
	}
	o := Outcome{Count: 1, Members: map[string]json.RawMessage{}}
	if err := json.Unmarshal(m["outcome"], &o.Outcome); err != nil || o.Outcome == "" {
		return o, badf(`"outcome" must be a non-empty string`)
	}
	if rawMatch, ok := m["match"]; ok && string(rawMatch) != "null" {
		if err := json.Unmarshal(rawMatch, &o.Match); err != nil || o.Match == nil {
			return o, badf(`"match" must be an object`)
		}
	}
	if rawCount, ok := m["count"]; ok {
		var n int
		if err := json.Unmarshal(rawCount, &n); err != nil || n < 1 || n > 1000 {
			return o, badf(`"count" must be an integer 1…1000`)
		}
		o.Count = n
	}
	for k, v := range m {
		if k == "id" || k == "remaining" {
			return o, badf("%q is set by the sandbox", k)
		}
		if !outcomeFixed[k] {
			o.Members[k] = v
		}
	}
	o.Remaining = o.Count
	return o, nil
}

// QueueOutcomes stores parsed outcomes in queue order, naming each with newID.
func QueueOutcomes(tx Tx, service string, list []Outcome, newID func(seq uint64) string) ([]Outcome, error) {
	for i := range list {
		seq, err := NextSeq(tx, service, "_outcome")
		if err != nil {
			return nil, err
		}
		list[i].ID = newID(seq)
		raw, err := json.Marshal(list[i])
		if err != nil {
			return nil, err
		}
		if err := tx.Put(outcomesBucket(service), SeqKey(seq), raw); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// ListOutcomes returns the pending outcomes in queue order.
func ListOutcomes(tx Tx, service string) ([]Outcome, error) {
	out := []Outcome{}
	var err error
	store.ForEach(tx, outcomesBucket(service), func(_, v []byte) bool {
		var o Outcome
		if err = json.Unmarshal(v, &o); err != nil {
			return false
		}
		out = append(out, o)
		return true
	})
	return out, err
}

// DeleteOutcome removes one pending outcome; false if there is none with that id.
func DeleteOutcome(tx Tx, service, id string) (bool, error) {
	var key []byte
	store.ForEach(tx, outcomesBucket(service), func(k, v []byte) bool {
		var o Outcome
		if json.Unmarshal(v, &o) == nil && o.ID == id {
			key = append([]byte(nil), k...)
			return false
		}
		return true
	})
	if key == nil {
		return false, nil
	}
	return true, tx.Delete(outcomesBucket(service), key)
}

// ClearOutcomes removes every pending outcome of the service.
func ClearOutcomes(tx Tx, service string) error {
	return tx.DeleteBucket(outcomesBucket(service))
}

// TakeOutcome consumes the oldest pending outcome for which match returns true:
// its remaining count drops by one and it disappears at zero. It runs inside the
// request's transaction, so a request that fails later consumes nothing.
func TakeOutcome(tx Tx, service string, match func(*Outcome) bool) (*Outcome, error) {
	var found *Outcome
	var key []byte
	var err error
	store.ForEach(tx, outcomesBucket(service), func(k, v []byte) bool {
		var o Outcome
		if err = json.Unmarshal(v, &o); err != nil {
			return false
		}
		if match(&o) {
			found, key = &o, append([]byte(nil), k...)
			return false
		}
		return true
	})
	if err != nil || found == nil {
		return nil, err
	}
	found.Remaining--
	if found.Remaining <= 0 {
		return found, tx.Delete(outcomesBucket(service), key)
	}
	raw, err := json.Marshal(found)
	if err != nil {
		return nil, err
	}
	return found, tx.Put(outcomesBucket(service), key, raw)
}

// SortedKeys returns the keys of a map in order (for stable messages).
func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
