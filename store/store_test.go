package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/store"
	"github.com/upstream-sandbox/sandbox/store/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return store.NewMemory() })
}

func TestBolt(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.OpenBolt(filepath.Join(t.TempDir(), "sandbox.db"))
		require.NoError(t, err)
		return s
	})
}

func TestBolt_SurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.db")
	s, err := store.OpenBolt(path)
	require.NoError(t, err)
	b := store.Bucket{Service: "prozorro", Kind: "plans"}
	require.NoError(t, s.Update("a", time.Time{}, func(tx store.Tx) error { return tx.Put(b, []byte("k"), []byte("v")) }))
	require.NoError(t, s.Close())
	s, err = store.OpenBolt(path)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.View("a", time.Time{}, func(tx store.Tx) error {
		require.Equal(t, "v", string(tx.Get(b, []byte("k"))))
		return nil
	}))
}

// A memory cursor standing on a key deleted under it moves on to the next live
// key (the node is marked removed; no per-step lookup).
func TestMemory_NextAfterDelete(t *testing.T) {
	s := store.NewMemory()
	b := store.Bucket{Service: "s", Kind: "k"}
	require.NoError(t, s.Update("a", time.Time{}, func(tx store.Tx) error {
		for _, k := range []string{"a", "b", "c"} {
			require.NoError(t, tx.Put(b, []byte(k), nil))
		}
		c := tx.Cursor(b)
		k, _ := c.Seek([]byte("b"))
		require.Equal(t, "b", string(k))
		require.NoError(t, tx.Delete(b, []byte("b")))
		k, _ = c.Next()
		require.Equal(t, "c", string(k))
		k, _ = c.Next()
		require.Nil(t, k)
		return nil
	}))
}
