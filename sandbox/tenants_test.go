package sandbox_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// PZ-17: state is namespaced by X-Sandbox-Tenant; a reset of one tenant leaves
// the others alone and reloads that tenant's scenario.
func TestServer_TenantIsolation(t *testing.T) {
	e := newEnv(t)
	idA, tokenA, _ := e.createPlan("a")
	idB, _, _ := e.createPlan("b")

	require.Equal(t, http.StatusOK, e.in("a", http.MethodGet, plansPath+"/"+idA, nil).StatusCode)
	require.ElementsMatch(t, []string{p1ID, idA}, listIDs(t, e.in("a", http.MethodGet, plansPath, nil)))

	t.Run("invisible elsewhere", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			get  func(path string) int
			list func() []string
		}{
			{"tenant b",
				func(p string) int { return e.in("b", http.MethodGet, p, nil).StatusCode },
				func() []string { return listIDs(t, e.in("b", http.MethodGet, plansPath, nil)) }},
			{"default tenant",
				func(p string) int { return e.bare(http.MethodGet, p, nil).StatusCode },
				func() []string { return listIDs(t, e.bare(http.MethodGet, plansPath, nil)) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				require.Equal(t, http.StatusNotFound, tc.get(plansPath+"/"+idA))
				require.NotContains(t, tc.list(), idA)
			})
		}
		require.Equal(t, http.StatusNotFound, e.bare(http.MethodGet, plansPath+"/"+idB, nil).StatusCode)
	})

	t.Run("token does nothing in another tenant", func(t *testing.T) {
		resp := e.in("b", http.MethodPatch, plansPath+"/"+idA+"?acc_token="+tokenA,
			map[string]any{"data": map[string]any{"budget": map[string]any{"description": "x"}}}, "Authorization", brokerAuth)
		requireProzorroError(t, resp, http.StatusNotFound, "url", "plan_id", "Not Found")
	})

	t.Run("reset empties only its tenant and reloads the scenario", func(t *testing.T) {
		// Change P1 in both tenants: the reset of a must restore a's P1 only.
		for _, tenant := range []string{"a", "b"} {
			patch := e.in(tenant, http.MethodPatch, plansPath+"/"+p1ID+"?acc_token="+p1Token,
				map[string]any{"data": map[string]any{"budget": map[string]any{"description": "changed"}}}, "Authorization", brokerAuth)
			require.Equal(t, http.StatusOK, patch.StatusCode, string(patch.Body))
		}
		budget := func(tenant string) any {
			resp := e.in(tenant, http.MethodGet, plansPath+"/"+p1ID, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			return resp.Object()["data"].(map[string]any)["budget"].(map[string]any)["description"]
		}

		resp := e.in("a", http.MethodPost, "/_sandbox/reset", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
		require.Equal(t, "a", resp.Object()["tenant"])
		require.Equal(t, "ci-minimal", resp.Object()["scenario"])

		require.Equal(t, []string{p1ID}, listIDs(t, e.in("a", http.MethodGet, plansPath, nil)))
		require.Equal(t, http.StatusNotFound, e.in("a", http.MethodGet, plansPath+"/"+idA, nil).StatusCode)
		require.Equal(t, "budget_description", budget("a"), "P1 is back as the scenario has it")
		require.Equal(t, "changed", budget("b"), "b is untouched")
		require.Equal(t, http.StatusOK, e.in("b", http.MethodGet, plansPath+"/"+idB, nil).StatusCode)
		require.ElementsMatch(t, []string{p1ID, idB}, listIDs(t, e.in("b", http.MethodGet, plansPath, nil)))
	})

	t.Run("reset reloads the tenant's current scenario", func(t *testing.T) {
		// Load another world into a, then reset: the tenant's scenario is now
		// empty, so reset keeps it empty; loading ci-minimal brings P1 back.
		e.in("a", http.MethodPost, "/_sandbox/scenarios/empty", nil)
		require.Empty(t, listIDs(t, e.in("a", http.MethodGet, plansPath, nil)))
		e.in("a", http.MethodPost, "/_sandbox/reset", nil)
		require.Empty(t, listIDs(t, e.in("a", http.MethodGet, plansPath, nil)))
		e.in("a", http.MethodPost, "/_sandbox/scenarios/ci-minimal", nil)
		require.Equal(t, []string{p1ID}, listIDs(t, e.in("a", http.MethodGet, plansPath, nil)))
	})
}

// F3 (prozorro.md §7.3) and CONVENTIONS Tenants: a malformed tenant header is
// refused in the format of wherever the request went.
func TestServer_InvalidTenantHeader(t *testing.T) {
	e := newEnv(t)
	long := make([]byte, 65)
	for i := range long {
		long[i] = 'a'
	}
	for _, name := range []string{"bad tenant/..", "..%2f", "a/b", "ümlaut", string(long)} {
		t.Run("prozorro "+name, func(t *testing.T) {
			resp := e.in(name, http.MethodGet, plansPath, nil)
			requireProzorroError(t, resp, http.StatusBadRequest, "header", "X-Sandbox-Tenant", "Invalid tenant name")
		})
	}
	for _, name := range []string{"bad tenant/..", string(long)} {
		for _, tc := range []struct{ method, path string }{
			{http.MethodGet, "/_sandbox/clock"},
			{http.MethodPost, "/_sandbox/reset"},
			{http.MethodGet, "/_sandbox/journal"},
			{http.MethodGet, "/_sandbox/faults"},
			{http.MethodGet, "/_sandbox/prozorro/settings"},
			{http.MethodPost, "/_sandbox/import"},
		} {
			t.Run("control "+tc.method+" "+tc.path, func(t *testing.T) {
				requireProblem(t, e.in(name, tc.method, tc.path, nil), http.StatusBadRequest)
			})
		}
	}
	// 64 characters is still a valid name.
	require.Equal(t, http.StatusOK, e.in(string(long[:64]), http.MethodGet, plansPath, nil).StatusCode)
}

// CONVENTIONS Tenants: X-Sandbox-Scenario on a tenant's first request picks the
// world it is created from; later requests keep it.
func TestServer_ScenarioHeader(t *testing.T) {
	e := newEnv(t) // default scenario of new tenants: ci-minimal

	resp := e.in("fresh-empty", http.MethodGet, plansPath, nil, "X-Sandbox-Scenario", "empty")
	require.Empty(t, listIDs(t, resp))
	// The header only matters on first use.
	resp = e.in("fresh-empty", http.MethodGet, plansPath, nil, "X-Sandbox-Scenario", "ci-minimal")
	require.Empty(t, listIDs(t, resp))
	// Reset reloads the tenant's own scenario.
	reset := e.in("fresh-empty", http.MethodPost, "/_sandbox/reset", nil)
	require.Equal(t, "empty", reset.Object()["scenario"])

	require.Equal(t, []string{p1ID}, listIDs(t, e.in("fresh-default", http.MethodGet, plansPath, nil)))

	// First use through the control plane works the same way.
	clock := e.in("fresh-ctl", http.MethodGet, "/_sandbox/clock", nil, "X-Sandbox-Scenario", "empty")
	require.Equal(t, http.StatusOK, clock.StatusCode)
	require.Equal(t, false, clock.Object()["frozen"], "empty starts at wall-clock now, running")
	require.Empty(t, listIDs(t, e.in("fresh-ctl", http.MethodGet, plansPath, nil)))

	t.Run("unknown scenario", func(t *testing.T) {
		resp := e.in("fresh-unknown", http.MethodGet, plansPath, nil, "X-Sandbox-Scenario", "nosuch")
		requireProzorroError(t, resp, http.StatusBadRequest, "header", "X-Sandbox-Scenario", "Unknown scenario")
		requireProblem(t, e.in("fresh-unknown", http.MethodGet, "/_sandbox/clock", nil, "X-Sandbox-Scenario", "nosuch"), http.StatusBadRequest)
		// The refused request created nothing: without the header the tenant
		// starts from the default scenario.
		require.Equal(t, []string{p1ID}, listIDs(t, e.in("fresh-unknown", http.MethodGet, plansPath, nil)))
	})
}
