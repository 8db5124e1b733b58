package prozorro

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/store"
)

// A collection ("plans", later "auctions") keeps its objects by id, and three
// ordered indexes per feed: one per mode class (real, test, _all_) so that a
// listing filtered by mode is still O(page).
//
//	{coll}                 id → record
//	{coll}.dm.{class}      dateModified + 0x00 + id → id
//	{coll}.ch.{class}      8-byte change sequence → dateModified + 0x00 + id
//	{coll}.rev             id + 8-byte revision number → revision
type collection string

const plansColl collection = "plans"

func (c collection) objects() store.Bucket { return store.Bucket{Service: Name, Kind: string(c)} }

func (c collection) byModified(class string) store.Bucket {
	return store.Bucket{Service: Name, Kind: string(c) + ".dm." + class}
}

func (c collection) byChange(class string) store.Bucket {
	return store.Bucket{Service: Name, Kind: string(c) + ".ch." + class}
}

func (c collection) revisions() store.Bucket {
	return store.Bucket{Service: Name, Kind: string(c) + ".rev"}
}

// modeClass maps a "mode" query value to an index class; ok=false for values
// the upstream ignores (listed as the default, not echoed).
func modeClass(mode string) (class string, ok bool) {
	switch mode {
	case "test":
		return "test", true
	case "_all_":
		return "all", true
	}
	return "real", false
}

// record is a stored object: its public data plus what never leaves the store.
type record struct {
	Data   map[string]any
	Token  string
	Change uint64
	Revs   uint64
}

func (r *record) mode() string {
	if m, _ := r.Data["mode"].(string); m == "test" {
		return "test"
	}
	return "real"
}

func (r *record) id() string       { s, _ := r.Data["id"].(string); return s }
func (r *record) modified() string { s, _ := r.Data["dateModified"].(string); return s }
func (r *record) owner() string    { s, _ := r.Data["owner"].(string); return s }

func encodeRecord(r *record) []byte {
	return pyJSON(map[string]any{"data": r.Data, "token": r.Token, "change": int64(r.Change), "revs": int64(r.Revs)}, 0)
}

func loadRecord(tx emulators.Tx, c collection, id string) (*record, error) {
	raw := tx.Get(c.objects(), []byte(id))
	if raw == nil {
		return nil, nil
	}
	v, err := decodeStored(raw)
	if err != nil {
		return nil, fmt.Errorf("prozorro: decode %s %s: %w", c, id, err)
	}
	m, _ := v.(map[string]any)
	data, _ := m["data"].(map[string]any)
	token, _ := m["token"].(string)
	change, _ := m["change"].(int64)
	revs, _ := m["revs"].(int64)
	return &record{Data: data, Token: token, Change: uint64(change), Revs: uint64(revs)}, nil
}

func dmKey(dm, id string) []byte { return []byte(dm + "\x00" + id) }

// saveRecord stores a new or changed object and moves it in every index it
// belongs to. prev is the stored state before the write (nil on create).
func saveRecord(tx emulators.Tx, c collection, r *record, prev *record) error {
	seq, err := emulators.NextSeq(tx, Name, string(c)+".changes")
	if err != nil {
		return err
	}
	classes := []string{r.mode(), "all"}
	if prev != nil {
		for _, class := range []string{prev.mode(), "all"} {
			if err := tx.Delete(c.byModified(class), dmKey(prev.modified(), prev.id())); err != nil {
				return err
			}
			if err := tx.Delete(c.byChange(class), emulators.SeqKey(prev.Change)); err != nil {
				return err
			}
		}
	}
	r.Change = seq
	for _, class := range classes {
		if err := tx.Put(c.byModified(class), dmKey(r.modified(), r.id()), []byte(r.id())); err != nil {
			return err
		}
		if err := tx.Put(c.byChange(class), emulators.SeqKey(seq), dmKey(r.modified(), r.id())); err != nil {
			return err
		}
	}
	return tx.Put(c.objects(), []byte(r.id()), encodeRecord(r))
}

// nextModified is the write's dateModified. Writes that read the same clock
// instant as the previous write of the collection (a frozen clock) get 1 µs
// after that write's stamp, so a burst of writes keeps distinct, increasing
// values (§5.11). A clock that was moved (set, advanced, rewound) stamps exactly
// what it reads: PZ-16 needs exact times after a rewind, and PL-1 needs the
// first write after the scenario stamped at the tenant's "now" — the scenario's
// own objects therefore never count as a previous write (see Seed).
func (s *service) nextModified(tx emulators.Tx, c collection) (time.Time, error) {
	now := tx.Now().In(s.kyiv).Truncate(time.Microsecond)
	stamp := now
	metaKey := []byte(string(c) + ".lastModified")
	var last struct {
		Now   time.Time `json:"now"`
		Stamp time.Time `json:"stamp"`
	}
	if raw := tx.Get(metaBucket, metaKey); raw != nil && json.Unmarshal(raw, &last) == nil && now.Equal(last.Now) {
		stamp = last.Stamp.Add(time.Microsecond).In(s.kyiv)
	}
	last.Now, last.Stamp = now, stamp
	raw, _ := json.Marshal(last)
	return stamp, tx.Put(metaBucket, metaKey, raw)
}

var metaBucket = store.Bucket{Service: Name, Kind: "meta"}

// viewBase stands for {origin}{P} in stored views: document URLs depend on the
// request, everything else of a view does not.
const viewBase = "\x01sandbox-base\x01"

// viewBaseJSON is viewBase as pyJSON writes it inside a string.
var viewBaseJSON = []byte(`\u0001sandbox-base\u0001`)

// savePlan stores a plan and its public view pre-rendered, so that a GET is a
// key lookup and a copy rather than a decode and a render.
func (s *service) savePlan(tx emulators.Tx, rec, prev *record) error {
	if err := saveRecord(tx, plansColl, rec, prev); err != nil {
		return err
	}
	return tx.Put(plansColl.views(), []byte(rec.id()), pyJSON(s.planViewAt(viewBase, rec), 0))
}

func (c collection) views() store.Bucket {
	return store.Bucket{Service: Name, Kind: string(c) + ".view"}
}

// renderView turns a stored view into the body for this request.
func renderView(view []byte, base string) []byte {
	if !bytes.Contains(view, viewBaseJSON) {
		return view
	}
	var b bytes.Buffer
	writePyString(&b, base)
	quoted := b.Bytes()
	return bytes.ReplaceAll(view, viewBaseJSON, quoted[1:len(quoted)-1])
}
