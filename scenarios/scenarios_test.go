package scenarios_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/scenarios"
)

func TestCatalog(t *testing.T) {
	cat, err := scenarios.Load()
	require.NoError(t, err)
	var names []string
	for _, sc := range cat.List() {
		names = append(names, sc.Name)
		require.NotEmpty(t, sc.Description, sc.Name)
	}
	require.Equal(t, []string{"ci-minimal", "demo", "empty", "load-100k"}, names)

	ci, ok := cat.Get("ci-minimal")
	require.True(t, ok)
	require.NotNil(t, ci.Start)
	require.True(t, ci.Frozen)
	require.True(t, ci.Start.Equal(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)))
	var pz struct {
		Plans []struct {
			ID, Token string
		} `json:"plans"`
	}
	require.NoError(t, json.Unmarshal(ci.Data("prozorro"), &pz))
	require.Equal(t, "c1000000000040008000000000000001", pz.Plans[0].ID)

	empty, _ := cat.Get("empty")
	require.Nil(t, empty.Start)
	require.Nil(t, empty.Data("prozorro"))
	load, _ := cat.Get("load-100k")
	require.True(t, load.Generated)
	_, ok = cat.Get("nosuch")
	require.False(t, ok)
}
