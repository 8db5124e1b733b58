package emulators

import "github.com/upstream-sandbox/sandbox/store"

// Walk visits at most limit entries of a bucket starting at the first key >= from
// (ascending) or the last key <= from (descending); a nil from starts at the
// beginning or the end. It costs O(limit), not O(bucket), which is what keeps a
// listing page equally fast at 100 and at 100,000 entities.
func Walk(c store.Cursor, from []byte, descending bool, limit int, fn func(k, v []byte) bool) {
	if limit <= 0 {
		return
	}
	var k, v []byte
	switch {
	case from == nil && !descending:
		k, v = c.First()
	case from == nil:
		k, v = c.Last()
	case !descending:
		k, v = c.Seek(from)
	default:
		k, v = c.Seek(from)
		if k == nil {
			k, v = c.Last()
		} else if string(k) != string(from) {
			k, v = c.Prev()
		}
	}
	for n := 0; k != nil && n < limit; n++ {
		if !fn(k, v) {
			return
		}
		if descending {
			k, v = c.Prev()
		} else {
			k, v = c.Next()
		}
	}
}
