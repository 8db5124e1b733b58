package prozorro

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/store"
)

// A collection ("plans", later "auctions") keeps each object as its public view,
// pre-rendered (a GET is a lookup and a copy), what never leaves the store
// beside it, and per feed one ordered index per mode class (real, test), so a
// listing filtered by mode is O(page); "_all_" merges the two.
//
//	{coll}                 id → public view (pyJSON; document URLs under viewBase)
//	{coll}.meta            id → {"token", "change", "revs"}
//	{coll}.dm.{class}      dateModified + 0x00 + id → id
//	{coll}.ch.{class}      8-byte change sequence → dateModified + 0x00 + id
//	{coll}.rev             id + 8-byte revision number → revision
type collection string

const plansColl collection = "plans"

func (c collection) objects() store.Bucket { return store.Bucket{Service: Name, Kind: string(c)} }

func (c collection) metas() store.Bucket {
	return store.Bucket{Service: Name, Kind: string(c) + ".meta"}
}

func (c collection) byModified(class string) store.Bucket {
	return store.Bucket{Service: Name, Kind: string(c) + ".dm." + class}
}

func (c collection) byChange(class string) store.Bucket {
	return store.Bucket{Service: Name, Kind: string(c) + ".ch." + class}
}

func (c collection) revisions() store.Bucket {
	return store.Bucket{Service: Name, Kind: string(c) + ".rev"}
}

// modeClasses maps a "mode" query value to the index classes it lists; echo is
// false for values the upstream ignores (listed as the default, not echoed).
func modeClasses(mode string) (classes []string, echo bool) {
	switch mode {
	case "test":
		return []string{"test"}, true
	case "_all_":
		return []string{"real", "test"}, true
	}
	return []string{"real"}, false
}

// record is a stored object: its data (documents carry their docservice key in
// keyField) plus what never leaves the store.
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

type recordMeta struct {
	Token  string `json:"token"`
	Change uint64 `json:"change"`
	Revs   uint64 `json:"revs"`
}

// viewBase stands for {origin}{P} in stored views: document URLs depend on the
// request, everything else of a view does not.
const viewBase = "\x01sandbox-base\x01"

// viewBaseJSON is viewBase as pyJSON writes it inside a string.
var viewBaseJSON = []byte(`\u0001sandbox-base\u0001`)

const docURLPrefix = viewBase + "/docservice/get/"

func loadRecord(tx emulators.Tx, c collection, id string) (*record, error) {
	raw := tx.Get(c.objects(), []byte(id))
	if raw == nil {
		return nil, nil
	}
	v, err := decodeStored(raw)
	if err != nil {
		return nil, fmt.Errorf("prozorro: decode %s %s: %w", c, id, err)
	}
	data, _ := v.(map[string]any)
	// Documents' rendered URLs under viewBase go back to docservice keys.
	for _, d := range docs(data) {
		doc := d.(map[string]any)
		if u, ok := doc["url"].(string); ok && strings.HasPrefix(u, docURLPrefix) {
			key, _, _ := strings.Cut(strings.TrimPrefix(u, docURLPrefix), "?")
			doc[keyField] = key
			delete(doc, "url")
		}
	}
	var meta recordMeta
	if err := json.Unmarshal(tx.Get(c.metas(), []byte(id)), &meta); err != nil {
		return nil, fmt.Errorf("prozorro: meta of %s %s: %w", c, id, err)
	}
	return &record{Data: data, Token: meta.Token, Change: meta.Change, Revs: meta.Revs}, nil
}

func dmKey(dm, id string) []byte { return []byte(dm + "\x00" + id) }

// saveRecord stores a new or changed object with its public view and moves it
// in its indexes. prev is the stored state before the write (nil on create).
func saveRecord(tx emulators.Tx, c collection, r, prev *record, view []byte) error {
	seq, err := emulators.NextSeq(tx, Name, string(c)+".changes")
	if err != nil {
		return err
	}
	if prev != nil {
		if err := tx.Delete(c.byModified(prev.mode()), dmKey(prev.modified(), prev.id())); err != nil {
			return err
		}
		if err := tx.Delete(c.byChange(prev.mode()), emulators.SeqKey(prev.Change)); err != nil {
			return err
		}
	}
	r.Change = seq
	class := r.mode()
	if err := tx.Put(c.byModified(class), dmKey(r.modified(), r.id()), []byte(r.id())); err != nil {
		return err
	}
	if err := tx.Put(c.byChange(class), emulators.SeqKey(seq), dmKey(r.modified(), r.id())); err != nil {
		return err
	}
	meta, _ := json.Marshal(recordMeta{Token: r.Token, Change: r.Change, Revs: r.Revs})
	if err := tx.Put(c.metas(), []byte(r.id()), meta); err != nil {
		return err
	}
	return tx.Put(c.objects(), []byte(r.id()), view)
}

// savePlan stores a plan; its view is rendered once, here.
func (s *service) savePlan(tx emulators.Tx, rec, prev *record) error {
	return saveRecord(tx, plansColl, rec, prev, pyJSON(s.planViewAt(viewBase, rec), 0))
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
