package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/openapi/openapitest"
	"github.com/upstream-sandbox/sandbox/sandbox"
	"github.com/upstream-sandbox/sandbox/store"
)

func TestServer_Health(t *testing.T) {
	e := newEnv(t)
	resp := e.bare(http.MethodGet, "/_sandbox/health", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Equal(t, "ok", resp.Object()["status"])
	require.Equal(t, []any{"prozorro"}, resp.Object()["services"])
	require.Equal(t, http.StatusOK, e.bare(http.MethodHead, "/_sandbox/health", nil).StatusCode)
}

func TestServer_Scenarios(t *testing.T) {
	e := newEnv(t)
	resp := e.Do(http.MethodGet, "/_sandbox/scenarios", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var list struct {
		Items []struct {
			Name    string `json:"name"`
			Default bool   `json:"default"`
			Clock   *struct {
				Start  string `json:"start"`
				Frozen bool   `json:"frozen"`
			} `json:"clock"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(resp.Body, &list))
	var names []string
	for _, it := range list.Items {
		names = append(names, it.Name)
		require.Equal(t, it.Name == "ci-minimal", it.Default, it.Name)
		if it.Name == "ci-minimal" {
			require.NotNil(t, it.Clock)
			require.Equal(t, t0, it.Clock.Start)
			require.True(t, it.Clock.Frozen)
		}
	}
	require.Equal(t, []string{"ci-minimal", "demo", "empty", "load-100k"}, names)

	t.Run("load", func(t *testing.T) {
		id, _, _ := e.createPlan("a")
		resp := e.in("a", http.MethodPost, "/_sandbox/scenarios/empty", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
		require.Equal(t, "empty", resp.Object()["scenario"])
		require.Empty(t, listIDs(t, e.in("a", http.MethodGet, plansPath, nil)))
		require.Equal(t, http.StatusNotFound, e.in("a", http.MethodGet, plansPath+"/"+id, nil).StatusCode)

		resp = e.in("a", http.MethodPost, "/_sandbox/scenarios/ci-minimal", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, t0, resp.Object()["now"])
		require.Equal(t, []string{p1ID}, listIDs(t, e.in("a", http.MethodGet, plansPath, nil)))

		resp = e.in("a", http.MethodPost, "/_sandbox/scenarios/demo", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NotEmpty(t, listIDs(t, e.in("a", http.MethodGet, plansPath+"?mode=_all_", nil)))
	})

	t.Run("unknown", func(t *testing.T) {
		before := listIDs(t, e.in("a", http.MethodGet, plansPath, nil))
		requireProblem(t, e.in("a", http.MethodPost, "/_sandbox/scenarios/nosuch", nil), http.StatusNotFound)
		require.Equal(t, before, listIDs(t, e.in("a", http.MethodGet, plansPath, nil)), "nothing changed")
	})
}

func TestServer_State(t *testing.T) {
	e := newEnv(t)
	id, token, _ := e.createPlan("a")
	resp := e.in("a", http.MethodGet, "/_sandbox/state/prozorro", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var state struct {
		Plans []struct {
			Data       map[string]any `json:"data"`
			OwnerToken string         `json:"owner_token"`
		} `json:"plans"`
		Settings    map[string]any `json:"settings"`
		Progression string         `json:"progression"`
	}
	require.NoError(t, json.Unmarshal(resp.Body, &state), string(resp.Body))
	tokens := map[string]string{}
	for _, p := range state.Plans {
		tokens[p.Data["id"].(string)] = p.OwnerToken
	}
	require.Equal(t, map[string]string{p1ID: p1Token, id: token}, tokens)
	require.Equal(t, "timed", state.Progression)
	require.Equal(t, "2017", state.Settings["generation"])

	requireProblem(t, e.in("a", http.MethodGet, "/_sandbox/state/nosuch", nil), http.StatusNotFound)
}

func TestServer_OpenAPI(t *testing.T) {
	e := newEnv(t)
	resp := e.Do(http.MethodGet, "/_sandbox/openapi/prozorro.yaml", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/yaml", resp.Header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(string(resp.Body), "openapi: "), "%.40s", resp.Body)
	require.Contains(t, string(resp.Body), "/api/2.3/plans:")

	requireProblem(t, e.Do(http.MethodGet, "/_sandbox/openapi/nosuch.yaml", nil), http.StatusNotFound)
}

func TestServer_Metrics(t *testing.T) {
	e := newEnv(t)
	count := func() int {
		resp := e.Do(http.MethodGet, "/_sandbox/metrics", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4"))
		body := string(resp.Body)
		require.Contains(t, body, "# TYPE sandbox_requests_total counter\n")
		require.Contains(t, body, "# TYPE sandbox_request_duration_seconds histogram\n")
		m := regexp.MustCompile(`(?m)^sandbox_requests_total\{service="prozorro",method="GET",status="200"\} (\d+)$`).FindStringSubmatch(body)
		if m == nil {
			return 0
		}
		n, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		return n
	}
	e.Do(http.MethodGet, plansPath, nil)
	first := count()
	require.GreaterOrEqual(t, first, 1)
	e.Do(http.MethodGet, plansPath+"/"+p1ID, nil)
	e.Do(http.MethodGet, plansPath, nil)
	require.Equal(t, first+2, count())

	body := string(e.Do(http.MethodGet, "/_sandbox/metrics", nil).Body)
	require.Regexp(t, `(?m)^sandbox_requests_total\{service="_sandbox",method="GET",status="200"\} \d+$`, body)
	require.Regexp(t, `(?m)^sandbox_request_duration_seconds_count\{service="prozorro"\} \d+$`, body)
}

// A tenant exported and imported elsewhere is the same world, clock included.
func TestServer_ExportImport(t *testing.T) {
	e := newEnv(t)
	id, token, _ := e.createPlan("a")
	e.postClock("a", map[string]any{"advance": "5h"})
	clockA, _ := e.clock("a")
	_, _, _ = e.createPlan("c") // c exists (and is loaded) before the import replaces it

	resp := e.in("a", http.MethodGet, "/_sandbox/export", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), `filename="a.json"`)
	dump := resp.Body

	imp := e.in("c", http.MethodPost, "/_sandbox/import", dump, "Content-Type", "application/json")
	require.Equal(t, http.StatusOK, imp.StatusCode, string(imp.Body))
	require.Equal(t, "c", imp.Object()["tenant"])

	require.ElementsMatch(t, []string{p1ID, id}, listIDs(t, e.in("c", http.MethodGet, plansPath, nil)))
	got := e.in("c", http.MethodGet, plansPath+"/"+id, nil)
	require.Equal(t, http.StatusOK, got.StatusCode)
	want := e.in("a", http.MethodGet, plansPath+"/"+id, nil)
	require.JSONEq(t, string(want.Body), string(got.Body))
	clockC, _ := e.clock("c")
	require.Equal(t, clockA, clockC, "the clock travels with the tenant")
	// The owner token works in the copy.
	patch := e.in("c", http.MethodPatch, plansPath+"/"+id+"?acc_token="+token,
		map[string]any{"data": map[string]any{"budget": map[string]any{"description": "copy"}}}, "Authorization", brokerAuth)
	require.Equal(t, http.StatusOK, patch.StatusCode, string(patch.Body))

	t.Run("bad dump changes nothing", func(t *testing.T) {
		for _, body := range []string{``, `not json`, `{"tenant":"x"}`, `[]`} {
			requireProblem(t, e.in("c", http.MethodPost, "/_sandbox/import", body, "Content-Type", "application/json"), http.StatusBadRequest)
			require.ElementsMatch(t, []string{p1ID, id}, listIDs(t, e.in("c", http.MethodGet, plansPath, nil)))
		}
	})

	t.Run("tenants list", func(t *testing.T) {
		resp := e.Do(http.MethodGet, "/_sandbox/tenants", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var list struct {
			Items []struct {
				Tenant   string `json:"tenant"`
				Scenario string `json:"scenario"`
			} `json:"items"`
		}
		require.NoError(t, json.Unmarshal(resp.Body, &list))
		names := map[string]string{}
		for _, it := range list.Items {
			names[it.Tenant] = it.Scenario
		}
		require.Equal(t, "ci-minimal", names["a"])
		require.Equal(t, "ci-minimal", names["c"])
	})
}

func TestServer_CORS(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{plansPath, "/_sandbox/clock", "/_sandbox/prozorro/settings"} {
		t.Run("preflight "+path, func(t *testing.T) {
			resp := e.Do(http.MethodOptions, path, nil,
				"Origin", "http://localhost:3000", "Access-Control-Request-Method", "PATCH",
				"Access-Control-Request-Headers", "authorization, x-sandbox-tenant", openapitest.Skip, "1")
			require.Equal(t, http.StatusNoContent, resp.StatusCode)
			h := resp.Header
			require.Equal(t, "http://localhost:3000", h.Get("Access-Control-Allow-Origin"))
			require.Contains(t, h.Get("Access-Control-Allow-Methods"), "PATCH")
			require.Equal(t, "authorization, x-sandbox-tenant", h.Get("Access-Control-Allow-Headers"))
			require.NotEmpty(t, h.Get("Access-Control-Max-Age"))
			require.Contains(t, h.Values("Vary"), "Origin")
			require.Empty(t, resp.Body)
		})
	}

	resp := e.Do(http.MethodOptions, plansPath, nil, "Origin", "http://x", "Access-Control-Request-Method", "POST", openapitest.Skip, "1")
	require.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "X-Sandbox-Tenant", "a default list when none is requested")

	resp = e.Do(http.MethodGet, plansPath, nil, "Origin", "http://localhost:3000")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "http://localhost:3000", resp.Header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, resp.Header.Get("Access-Control-Expose-Headers"), "Location")

	resp = e.Do(http.MethodGet, "/_sandbox/clock", nil, "Origin", "http://localhost:3000")
	require.Equal(t, "http://localhost:3000", resp.Header.Get("Access-Control-Allow-Origin"))

	resp = e.Do(http.MethodGet, plansPath, nil)
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "no Origin, no CORS headers")

	t.Run("off", func(t *testing.T) {
		srv, err := sandbox.NewServer(sandbox.Config{Store: store.NewMemory(), Emulators: mustEmulators(t), Scenario: "empty"})
		require.NoError(t, err)
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		resp := rawDo(t, http.DefaultClient, http.MethodGet, hs.URL+plansPath, nil, "Origin", "http://x")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	})
}

func TestServer_UnknownPaths(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, "/_sandbox/nosuch", http.StatusNotFound, ""},
		{http.MethodGet, "/_sandbox/", http.StatusNotFound, ""},
		{http.MethodGet, "/_sandbox", http.StatusNotFound, ""},
		{http.MethodGet, "/_sandbox/prozorro/nosuch", http.StatusNotFound, ""},
		{http.MethodGet, "/_sandbox/astral/progression", http.StatusNotFound, ""},
		{http.MethodDelete, "/_sandbox/health", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodPost, "/_sandbox/journal", http.StatusMethodNotAllowed, "GET"},
		{http.MethodPost, "/_sandbox/faults", http.StatusMethodNotAllowed, "GET, PUT, DELETE"},
		{http.MethodDelete, "/_sandbox/prozorro/progression", http.StatusMethodNotAllowed, "GET, PUT"},
		{http.MethodPut, "/_sandbox/prozorro/outcomes/x", http.StatusMethodNotAllowed, "DELETE"},
		{http.MethodPost, "/_sandbox/prozorro/brokers", http.StatusMethodNotAllowed, "GET"},
		{http.MethodGet, "/", http.StatusNotFound, ""},
		{http.MethodGet, "/nosuch", http.StatusNotFound, ""},
		{http.MethodGet, "/astral/api/v1/abonents", http.StatusNotFound, ""},
		{http.MethodGet, "/_sandboxes", http.StatusNotFound, ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp := e.Do(tc.method, tc.path, nil)
			requireProblem(t, resp, tc.status)
			require.Equal(t, tc.allow, resp.Header.Get("Allow"))
		})
	}

	// Under a service prefix the service's own fallbacks answer (§4.14).
	resp := e.Do(http.MethodGet, "/prozorro/api/2.3/complaints", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.True(t, strings.HasPrefix(string(resp.Body), "404 Not Found"))
	resp = e.Do(http.MethodDelete, plansPath+"/"+p1ID, nil)
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	for _, m := range []string{"GET", "HEAD", "PATCH"} {
		require.Contains(t, resp.Header.Get("Allow"), m)
	}
}
