package prozorro

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/store"
)

// listing serves GET /plans (and later /auctions): the dateModified feed and
// the changes feed of §8, O(page) over the collection's indexes.
type listing struct {
	coll     collection
	path     string // "/api/2.3/plans"
	maxLimit int    // 0 = no cap (plans)
}

type row struct {
	key  []byte
	id   string
	item any
}

func (s *service) list(w http.ResponseWriter, r *http.Request, l listing) {
	c, ok := s.begin(w, r)
	if !ok {
		return
	}
	var out any
	err := s.env.View(r, func(tx emulators.Tx) error {
		set, err := s.settings(tx)
		if err != nil {
			return err
		}
		out, err = s.page(tx, c, l, set)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(c, http.StatusOK, out)
}

func (s *service) page(tx emulators.Tx, c *call, l listing, set *Settings) (any, error) {
	q := c.query
	next, prev := linkParams{}, linkParams{}
	var fields []string
	if of := q.get("opt_fields"); of != "" {
		next.set("opt_fields", of)
		prev.set("opt_fields", of)
		fields = strings.Split(of, ",")
	}
	rawLimit := q.get("limit")
	if rawLimit != "" {
		next.set("limit", rawLimit)
		prev.set("limit", rawLimit)
	}
	limit := parseLimit(rawLimit, l.maxLimit, len(fields) > 0)
	descending := q.get("descending") != ""
	if descending {
		next.set("descending", "1")
	} else {
		prev.set("descending", "1")
	}
	offset := q.get("offset")
	feed := q.get("feed")
	changes := feed == "changes"
	if feed == "changes" || feed == "dateModified" {
		next.set("feed", feed)
		prev.set("feed", feed)
	}
	mode := q.get("mode")
	classes, echo := modeClasses(mode)
	if echo {
		next.set("mode", mode)
		prev.set("mode", mode)
	}
	viewLimit := limit
	if offset != "" {
		viewLimit = limit + 1
	}
	var from []byte
	index := l.coll.byModified
	if changes {
		index = l.coll.byChange
		if offset != "" {
			seq, ok := s.decodeChangesOffset(tx.Tenant(), string(l.coll), offset)
			if !ok {
				return nil, errOffset(set.Generation)
			}
			from = emulators.SeqKey(seq)
		}
	} else if offset != "" {
		from = []byte(offset)
		if descending {
			from = append([]byte(offset), 0x01) // past every "offset\x00id" key
		}
	}
	cursors := make([]store.Cursor, len(classes))
	for i, class := range classes {
		cursors[i] = tx.Cursor(index(class))
	}
	rows, err := s.readRows(tx, c, l, cursors, from, descending, viewLimit, changes, fields)
	if err != nil {
		return nil, err
	}
	nextOff, prevOff := offset, offset
	if len(rows) > 0 {
		keyOf := func(rw row) string {
			if changes {
				return s.encodeChangesOffset(tx.Tenant(), string(l.coll), binary.BigEndian.Uint64(rw.key))
			}
			return rowModified(rw.key)
		}
		firstKey := rows[0].key
		nextOff, prevOff = keyOf(rows[len(rows)-1]), keyOf(rows[0])
		switch {
		case offset != "" && sameStart(firstKey, from, changes, offset):
			rows = rows[1:]
		case offset != "":
			if len(rows) > limit {
				rows = rows[:limit]
			}
			nextOff, prevOff = keyOf(rows[len(rows)-1]), offset
		}
	}
	items := make([]any, len(rows))
	for i, rw := range rows {
		items[i] = rw.item
	}
	next.set("offset", nextOff)
	prev.set("offset", prevOff)
	out := ordered{{"next_page", s.link(c.r, l.path, nextOff, next)}, {"data", items}}
	if descending || offset != "" {
		out = append(out, kv{"prev_page", s.link(c.r, l.path, prevOff, prev)})
	}
	return out, nil
}

// sameStart reports whether the first row read is the one the offset names (the
// upstream drops it: the previous page already showed it).
func sameStart(first, from []byte, changes bool, offset string) bool {
	if changes {
		return string(first) == string(from)
	}
	return rowModified(first) == offset
}

func rowModified(key []byte) string {
	dm, _, _ := strings.Cut(string(key), "\x00")
	return dm
}

// parseLimit: the raw string must be all digits and in range, else 100 (FACT:
// `int(limit) if limit.isdigit() and …`).
func parseLimit(raw string, max int, withFields bool) int {
	n, err := strconv.Atoi(raw)
	if err != nil || n <= 0 || strings.TrimLeft(raw, "0123456789") != "" {
		return 100
	}
	if withFields && max > 0 && n > 100 {
		return 100
	}
	if max > 0 && n > max {
		return 100
	}
	return n
}

func (s *service) readRows(tx emulators.Tx, c *call, l listing, cursors []store.Cursor, from []byte, desc bool, n int, changes bool, fields []string) ([]row, error) {
	var rows []row
	var err error
	emulators.WalkMerged(cursors, from, desc, n, func(k, v []byte) bool {
		// both indexes hold dateModified and id: {dm 0x00 id} as key or value
		entry := k
		if changes {
			entry = v
		}
		dm, id, _ := strings.Cut(string(entry), "\x00")
		rw := row{key: append([]byte(nil), k...), id: id}
		if len(fields) == 0 {
			rw.item = ordered{{"id", id}, {"dateModified", dm}}
			rows = append(rows, rw)
			return true
		}
		raw := tx.Get(l.coll.objects(), []byte(id))
		if raw == nil {
			err = fmt.Errorf("prozorro: %s %s has no view", l.coll, id)
			return false
		}
		view, derr := decodeStored(renderView(raw, baseURL(c.r)))
		if derr != nil {
			err = derr
			return false
		}
		rw.item = pickFields(view.(map[string]any), fields)
		rows = append(rows, rw)
		return true
	})
	return rows, err
}

// pickFields keeps the requested fields (that are present) plus id and dateModified.
func pickFields(view map[string]any, fields []string) map[string]any {
	out := map[string]any{"id": view["id"], "dateModified": view["dateModified"]}
	for _, f := range fields {
		if v, ok := view[f]; ok {
			out[f] = v
		}
	}
	return out
}

// linkParams are the query parameters of next_page/prev_page, rendered in the
// sheet's DESIGN order with Python's quote_plus.
type linkParams map[string]string

func (p linkParams) set(k, v string) { p[k] = v }

var linkOrder = []string{"feed", "descending", "limit", "mode", "offset", "opt_fields"}

func (p linkParams) encode() string {
	var parts []string
	for _, k := range linkOrder {
		if v, ok := p[k]; ok {
			parts = append(parts, k+"="+quotePlus(v))
		}
	}
	return strings.Join(parts, "&")
}

// quotePlus is Python's urllib.quote_plus: letters, digits and "_.-" stay.
func quotePlus(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '-':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}

func (s *service) link(r *http.Request, path, offset string, p linkParams) ordered {
	full := emulators.Prefix(r) + path + "?" + p.encode()
	return ordered{{"offset", offset}, {"path", full}, {"uri", emulators.Origin(r) + full}}
}

// Changes-feed offsets (§8 DESIGN): 16 hex of the big-endian sequence, then 16
// hex of an HMAC over it keyed by seed, tenant and collection, so that a client
// cannot forge or mistype one into a valid position.
func (s *service) changesMAC(tenant, coll string, seq []byte) string {
	key := s.env.IDs.Sum(tenant, "changes", coll)
	m := hmac.New(sha256.New, key[:])
	m.Write(seq)
	return hex.EncodeToString(m.Sum(nil))[:16]
}

func (s *service) encodeChangesOffset(tenant, coll string, seq uint64) string {
	b := emulators.SeqKey(seq)
	return hex.EncodeToString(b) + s.changesMAC(tenant, coll, b)
}

func (s *service) decodeChangesOffset(tenant, coll, token string) (uint64, bool) {
	if len(token) != 32 || strings.ToLower(token) != token {
		return 0, false
	}
	b, err := hex.DecodeString(token[:16])
	if err != nil {
		return 0, false
	}
	if !hmac.Equal([]byte(token[16:]), []byte(s.changesMAC(tenant, coll, b))) {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}
