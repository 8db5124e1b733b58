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
