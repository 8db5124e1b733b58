// Package storetest is the one test suite every store backend must pass.
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/store"
)

var (
	plans = store.Bucket{Service: "prozorro", Kind: "plans"}
	index = store.Bucket{Service: "prozorro", Kind: "plans.byModified"}
	now   = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
)

// Run runs the suite against fresh stores made by open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := map[string]func(*testing.T, store.Store){
		"PutGetDelete":       testPutGetDelete,
		"FailedUpdateUndone": testFailedUpdateUndone,
		"PanicUndone":        testPanicUndone,
		"CursorOrder":        testCursorOrder,
		"TenantIsolation":    testTenantIsolation,
		"DropTenant":         testDropTenant,
		"ExportImport":       testExportImport,
		"Now":                testNow,
		"ReadOnly":           testReadOnly,
		"BadTenant":          testBadTenant,
		"ConcurrentWriters":  testConcurrentWriters,
		"DeleteBucket":       testDeleteBucket,
		"DeleteWhileIterate": testDeleteWhileIterate,
		"DeleteAll":          testDeleteAll,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			fn(t, s)
		})
	}
}

func put(t *testing.T, s store.Store, tenant string, b store.Bucket, kv ...string) {
	t.Helper()
	require.NoError(t, s.Update(tenant, now, func(tx store.Tx) error {
		for i := 0; i+1 < len(kv); i += 2 {
			if err := tx.Put(b, []byte(kv[i]), []byte(kv[i+1])); err != nil {
				return err
			}
		}
		return nil
	}))
}

func get(t *testing.T, s store.Store, tenant string, b store.Bucket, k string) (string, bool) {
	t.Helper()
	var v []byte
	require.NoError(t, s.View(tenant, now, func(tx store.Tx) error {
		if got := tx.Get(b, []byte(k)); got != nil {
			v = bytes.Clone(got)
		}
		return nil
	}))
	return string(v), v != nil
}

func keys(t *testing.T, s store.Store, tenant string, b store.Bucket) []string {
	t.Helper()
	var out []string
	require.NoError(t, s.View(tenant, now, func(tx store.Tx) error {
		store.ForEach(tx, b, func(k, _ []byte) bool {
			out = append(out, string(k))
			return true
		})
		return nil
	}))
	return out
}

func testPutGetDelete(t *testing.T, s store.Store) {
	put(t, s, "a", plans, "k1", "v1", "k2", "v2")
	v, ok := get(t, s, "a", plans, "k1")
	require.True(t, ok)
	require.Equal(t, "v1", v)
	put(t, s, "a", plans, "k1", "v1b")
	v, _ = get(t, s, "a", plans, "k1")
	require.Equal(t, "v1b", v)
	require.NoError(t, s.Update("a", now, func(tx store.Tx) error { return tx.Delete(plans, []byte("k1")) }))
	_, ok = get(t, s, "a", plans, "k1")
	require.False(t, ok)
	_, ok = get(t, s, "a", index, "k2")
	require.False(t, ok, "buckets are separate")
	require.NoError(t, s.Update("a", now, func(tx store.Tx) error { return tx.Delete(index, []byte("none")) }))
}

func testFailedUpdateUndone(t *testing.T, s store.Store) {
	put(t, s, "a", plans, "keep", "1", "change", "old")
	boom := errors.New("boom")
	err := s.Update("a", now, func(tx store.Tx) error {
		require.NoError(t, tx.Put(plans, []byte("new"), []byte("x")))
		require.NoError(t, tx.Put(plans, []byte("change"), []byte("new")))
		require.NoError(t, tx.Delete(plans, []byte("keep")))
		require.NoError(t, tx.Put(index, []byte("i"), []byte("x")))
		require.Equal(t, "new", string(tx.Get(plans, []byte("change"))), "a transaction sees its own writes")
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, []string{"change", "keep"}, keys(t, s, "a", plans))
	v, _ := get(t, s, "a", plans, "change")
	require.Equal(t, "old", v)
	require.Empty(t, keys(t, s, "a", index))
}

func testPanicUndone(t *testing.T, s store.Store) {
	put(t, s, "a", plans, "keep", "1")
	require.Panics(t, func() {
		_ = s.Update("a", now, func(tx store.Tx) error {
			_ = tx.Put(plans, []byte("new"), []byte("x"))
			panic("handler bug")
		})
	})
	require.Equal(t, []string{"keep"}, keys(t, s, "a", plans))
	put(t, s, "a", plans, "after", "1")
	require.Equal(t, []string{"after", "keep"}, keys(t, s, "a", plans))
}

func testCursorOrder(t *testing.T, s store.Store) {
	var kv []string
	for _, i := range []int{5, 1, 9, 3, 7, 2, 8, 4, 6, 0} {
		kv = append(kv, fmt.Sprintf("k%02d", i), fmt.Sprint(i))
	}
	put(t, s, "a", index, kv...)
	require.NoError(t, s.View("a", now, func(tx store.Tx) error {
		c := tx.Cursor(index)
		k, v := c.First()
		require.Equal(t, "k00", string(k))
		require.Equal(t, "0", string(v))
		k, _ = c.Last()
		require.Equal(t, "k09", string(k))
		k, _ = c.Prev()
		require.Equal(t, "k08", string(k))
		k, _ = c.Seek([]byte("k045"))
		require.Equal(t, "k05", string(k))
		k, _ = c.Next()
		require.Equal(t, "k06", string(k))
		k, _ = c.Seek([]byte("k03"))
		require.Equal(t, "k03", string(k))
		k, _ = c.Prev()
		require.Equal(t, "k02", string(k))
		k, _ = c.Seek([]byte("z"))
		require.Nil(t, k)
		k, _ = c.Last()
		k, _ = c.Next()
		require.Nil(t, k)
		k, _ = c.First()
		k, _ = c.Prev()
		require.Nil(t, k)
		m := tx.Cursor(store.Bucket{Service: "none", Kind: "none"})
		k, _ = m.First()
		require.Nil(t, k)
		k, _ = m.Seek([]byte("a"))
		require.Nil(t, k)
		return nil
	}))
	require.Len(t, keys(t, s, "a", index), 10)
}

func testTenantIsolation(t *testing.T, s store.Store) {
	put(t, s, "a", plans, "k", "a")
	put(t, s, "b", plans, "k", "b")
	va, _ := get(t, s, "a", plans, "k")
	vb, _ := get(t, s, "b", plans, "k")
	require.Equal(t, "a", va)
	require.Equal(t, "b", vb)
	_, ok := get(t, s, "default", plans, "k")
	require.False(t, ok)
	names, err := s.Tenants()
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, names)
}

func testDropTenant(t *testing.T, s store.Store) {
	for i := 0; i < 1000; i++ {
		put(t, s, "a", plans, fmt.Sprintf("k%04d", i), "v")
	}
	put(t, s, "b", plans, "k", "b")
	start := time.Now()
	require.NoError(t, s.DropTenant("a"))
	require.Less(t, time.Since(start), 2*time.Second)
	require.Empty(t, keys(t, s, "a", plans))
	has, err := s.HasTenant("a")
	require.NoError(t, err)
	require.False(t, has)
	has, err = s.HasTenant("b")
	require.NoError(t, err)
	require.True(t, has)
	require.NoError(t, s.DropTenant("never-used"))
	put(t, s, "a", plans, "again", "1")
	require.Equal(t, []string{"again"}, keys(t, s, "a", plans))
}

func testExportImport(t *testing.T, s store.Store) {
	put(t, s, "a", plans, "k1", "v1", "k2", "v2")
	require.NoError(t, s.Update("a", now, func(tx store.Tx) error {
		return tx.Put(index, []byte{0, 0, 0, 1}, []byte{0xff, 0})
	}))
	var buf bytes.Buffer
	require.NoError(t, s.Export("a", &buf))
	dump := buf.String()
	put(t, s, "c", plans, "stale", "x")
	require.NoError(t, s.Import("c", bytes.NewReader(buf.Bytes())))
	require.Equal(t, []string{"k1", "k2"}, keys(t, s, "c", plans))
	var bin []byte
	require.NoError(t, s.View("c", now, func(tx store.Tx) error {
		bin = bytes.Clone(tx.Get(index, []byte{0, 0, 0, 1}))
		return nil
	}))
	require.Equal(t, []byte{0xff, 0}, bin)
	var again bytes.Buffer
	require.NoError(t, s.Export("c", &again))
	require.JSONEq(t, dump[:0]+fixTenant(dump, "a", "c"), again.String())
	require.ErrorIs(t, s.Import("c", bytes.NewReader([]byte(`{"format":"other"}`))), store.ErrBadDump)
	require.ErrorIs(t, s.Import("c", bytes.NewReader([]byte(`not json`))), store.ErrBadDump)
	require.Equal(t, []string{"k1", "k2"}, keys(t, s, "c", plans), "a refused import changes nothing")
}

func fixTenant(dump, from, to string) string {
	return string(bytes.Replace([]byte(dump), []byte(`"tenant":"`+from+`"`), []byte(`"tenant":"`+to+`"`), 1))
}

func testNow(t *testing.T, s store.Store) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	require.NoError(t, s.Update("a", at, func(tx store.Tx) error {
		require.Equal(t, at, tx.Now())
		require.Equal(t, "a", tx.Tenant())
		require.True(t, tx.Writable())
		return nil
	}))
	require.NoError(t, s.View("a", at, func(tx store.Tx) error {
		require.Equal(t, at, tx.Now())
		require.False(t, tx.Writable())
		return nil
	}))
}

func testReadOnly(t *testing.T, s store.Store) {
	require.NoError(t, s.View("a", now, func(tx store.Tx) error {
		require.ErrorIs(t, tx.Put(plans, []byte("k"), []byte("v")), store.ErrReadOnly)
		require.ErrorIs(t, tx.Delete(plans, []byte("k")), store.ErrReadOnly)
		require.ErrorIs(t, tx.DeleteBucket(plans), store.ErrReadOnly)
		return nil
	}))
}

func testBadTenant(t *testing.T, s store.Store) {
	for _, name := range []string{"", "a/b", "bad tenant", string(make([]byte, 65))} {
		require.ErrorIs(t, s.Update(name, now, func(store.Tx) error { return nil }), store.ErrBadTenant, name)
		require.ErrorIs(t, s.DropTenant(name), store.ErrBadTenant)
	}
}

func testConcurrentWriters(t *testing.T, s store.Store) {
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				err := s.Update("a", now, func(tx store.Tx) error {
					// read-modify-write of a shared counter: lost updates would show.
					n := 0
					if v := tx.Get(index, []byte("counter")); v != nil {
						fmt.Sscan(string(v), &n)
					}
					if err := tx.Put(index, []byte("counter"), []byte(fmt.Sprint(n+1))); err != nil {
						return err
					}
					return tx.Put(plans, []byte(fmt.Sprintf("w%d-%03d", w, i)), []byte("v"))
				})
				if err != nil {
					t.Error(err)
				}
				_ = s.View("a", now, func(tx store.Tx) error { store.ForEach(tx, plans, func(_, _ []byte) bool { return true }); return nil })
			}
		}(w)
	}
	wg.Wait()
	require.Len(t, keys(t, s, "a", plans), workers*each)
	v, _ := get(t, s, "a", index, "counter")
	require.Equal(t, fmt.Sprint(workers*each), v)
}

func testDeleteBucket(t *testing.T, s store.Store) {
	put(t, s, "a", plans, "k", "v")
	put(t, s, "a", index, "i", "v")
	err := s.Update("a", now, func(tx store.Tx) error {
		require.NoError(t, tx.DeleteBucket(plans))
		require.Nil(t, tx.Get(plans, []byte("k")))
		return errors.New("undo")
	})
	require.Error(t, err)
	require.Equal(t, []string{"k"}, keys(t, s, "a", plans))
	require.NoError(t, s.Update("a", now, func(tx store.Tx) error { return tx.DeleteBucket(plans) }))
	require.Empty(t, keys(t, s, "a", plans))
	require.Equal(t, []string{"i"}, keys(t, s, "a", index))
}

func testDeleteWhileIterate(t *testing.T, s store.Store) {
	put(t, s, "a", plans, "a", "1", "b", "2", "c", "3", "d", "4")
	var seen []string
	require.NoError(t, s.Update("a", now, func(tx store.Tx) error {
		c := tx.Cursor(plans)
		for k, _ := c.First(); k != nil; {
			key := string(k)
			seen = append(seen, key)
			if key == "b" || key == "c" {
				if err := tx.Delete(plans, []byte(key)); err != nil {
					return err
				}
				k, _ = c.Seek([]byte(key))
				continue
			}
			k, _ = c.Next()
		}
		return nil
	}))
	require.Equal(t, []string{"a", "b", "c", "d"}, seen)
	require.Equal(t, []string{"a", "d"}, keys(t, s, "a", plans))
}

func testDeleteAll(t *testing.T, s store.Store) {
	put(t, s, "a", plans, "k", "v")
	put(t, s, "a", index, "i", "v")
	put(t, s, "b", plans, "k", "b")
	err := s.Update("a", now, func(tx store.Tx) error {
		require.NoError(t, tx.DeleteAll())
		require.Nil(t, tx.Get(plans, []byte("k")))
		require.NoError(t, tx.Put(plans, []byte("new"), []byte("x")))
		return errors.New("undo")
	})
	require.Error(t, err)
	require.Equal(t, []string{"k"}, keys(t, s, "a", plans), "a failed transaction keeps the tenant")
	require.Equal(t, []string{"i"}, keys(t, s, "a", index))
	require.NoError(t, s.Update("a", now, func(tx store.Tx) error {
		require.NoError(t, tx.DeleteAll())
		return tx.Put(plans, []byte("new"), []byte("x"))
	}))
	require.Equal(t, []string{"new"}, keys(t, s, "a", plans))
	require.Empty(t, keys(t, s, "a", index))
	require.Equal(t, []string{"k"}, keys(t, s, "b", plans), "other tenants untouched")
	require.NoError(t, s.View("a", now, func(tx store.Tx) error {
		require.ErrorIs(t, tx.DeleteAll(), store.ErrReadOnly)
		return nil
	}))
}
