package emulators

import (
	"bytes"

	"github.com/upstream-sandbox/sandbox/store"
)

// Walk visits at most limit entries of a bucket starting at the first key >= from
// (ascending) or the last key <= from (descending); a nil from starts at the
// beginning or the end. It costs O(limit), not O(bucket), which is what keeps a
// listing page equally fast at 100 and at 100,000 entities.
func Walk(c store.Cursor, from []byte, descending bool, limit int, fn func(k, v []byte) bool) {
	WalkMerged([]store.Cursor{c}, from, descending, limit, fn)
}

// WalkMerged is Walk over the union of several buckets (e.g. one index per
// class, listed together), in key order across all of them.
func WalkMerged(cs []store.Cursor, from []byte, descending bool, limit int, fn func(k, v []byte) bool) {
	if limit <= 0 {
		return
	}
	type head struct{ k, v []byte }
	heads := make([]head, len(cs))
	for i, c := range cs {
		heads[i].k, heads[i].v = position(c, from, descending)
	}
	for n := 0; n < limit; n++ {
		best := -1
		for i, h := range heads {
			if h.k == nil {
				continue
			}
			if best < 0 {
				best = i
				continue
			}
			cmp := bytes.Compare(h.k, heads[best].k)
			if (!descending && cmp < 0) || (descending && cmp > 0) {
				best = i
			}
		}
		if best < 0 || !fn(heads[best].k, heads[best].v) {
			return
		}
		if descending {
			heads[best].k, heads[best].v = cs[best].Prev()
		} else {
			heads[best].k, heads[best].v = cs[best].Next()
		}
	}
}

func position(c store.Cursor, from []byte, descending bool) ([]byte, []byte) {
	switch {
	case from == nil && !descending:
		return c.First()
	case from == nil:
		return c.Last()
	case !descending:
		return c.Seek(from)
	}
	k, v := c.Seek(from)
	if k == nil {
		return c.Last()
	}
	if !bytes.Equal(k, from) {
		return c.Prev()
	}
	return k, v
}
