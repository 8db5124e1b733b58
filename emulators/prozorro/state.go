package prozorro

import (
	"bytes"
	"encoding/json"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/store"
)

// State implements emulators.Emulator: the complete internal state of the
// tenant (§9.7), the only place tokens are dumped. Objects are sorted by id.
func (e *Emulator) State(tx emulators.Tx, env *emulators.Env) (any, error) {
	plans := []any{}
	var err error
	store.ForEach(tx, plansColl.objects(), func(k, _ []byte) bool {
		var rec *record
		if rec, err = loadRecord(tx, plansColl, string(k)); err != nil {
			return false
		}
		revs := []any{}
		prefix := append([]byte(nil), k...)
		c := tx.Cursor(plansColl.revisions())
		for rk, rv := c.Seek(prefix); rk != nil && bytes.HasPrefix(rk, prefix); rk, rv = c.Next() {
			v, derr := decodeStored(rv)
			if derr != nil {
				err = derr
				return false
			}
			revs = append(revs, v)
		}
		plans = append(plans, map[string]any{"data": rec.Data, "owner_token": rec.Token, "revisions": revs})
		return true
	})
	if err != nil {
		return nil, err
	}
	ds := []any{}
	store.ForEach(tx, blobMeta, func(k, v []byte) bool {
		var b blob
		if err = json.Unmarshal(v, &b); err != nil {
			return false
		}
		ds = append(ds, map[string]any{"key": string(k), "title": b.Title, "format": b.Format, "hash": b.Hash, "size": b.Size, "uploaded": b.Uploaded})
		return true
	})
	if err != nil {
		return nil, err
	}
	set, err := emulators.LoadSettings(tx, Name, settingsSpec)
	if err != nil {
		return nil, err
	}
	prog, err := emulators.LoadProgression(tx, Name, emulators.ProgressionSpec{})
	if err != nil {
		return nil, err
	}
	// The dump is rendered with the service's own JSON rules (floats stay floats).
	return json.RawMessage(pyJSON(map[string]any{
		"plans": plans, "auctions": []any{}, "docservice": ds, "settings": set, "progression": prog.String(),
	}, 0)), nil
}
