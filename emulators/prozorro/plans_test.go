package prozorro_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// PL-1
func TestPlans_CreateSeedPlan(t *testing.T) {
	e := newEnv(t)
	e.SetClock("2026-11-25T10:00:00+02:00")
	id, token, resp := e.create("broker", seedPlan(t))
	require.True(t, strings.HasSuffix(resp.Header.Get("Location"), "/prozorro/api/2.3/plans/"+id))
	require.Regexp(t, uuid4RE, id)
	require.Regexp(t, uuid4RE, token)
	data := resp.Object()["data"].(map[string]any)
	require.Equal(t, "UA-P-2026-11-25-000001", data["planID"])
	require.Equal(t, "broker", data["owner"])
	require.Equal(t, "2026-11-25T10:00:00+02:00", data["datePublished"])
	require.Equal(t, data["datePublished"], data["dateModified"])
	items := data["items"].([]any)
	require.Len(t, items, 3)
	for _, it := range items {
		require.Regexp(t, uuid4RE, it.(map[string]any)["id"])
	}
	budget := data["budget"].(map[string]any)
	require.Contains(t, string(resp.Body), `"amount": 10000.0`)
	require.Equal(t, "UAH", budget["currency"])
	for _, k := range []string{"tender", "classification", "additionalClassifications", "procuringEntity"} {
		require.Contains(t, data, k)
	}
	for _, k := range []string{"documents", "revisions", "mode"} {
		require.NotContains(t, data, k)
	}
	require.Equal(t, data, e.plan(id))
}
