package sandbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/sandboxtest"
)

type faultRule struct {
	ID          string   `json:"id"`
	Service     string   `json:"service"`
	Method      string   `json:"method"`
	Path        string   `json:"path"`
	Status      int      `json:"status"`
	Latency     string   `json:"latency"`
	Drop        bool     `json:"drop"`
	Probability *float64 `json:"probability"`
	Count       *int     `json:"count"`
	Remaining   *int     `json:"remaining"`
}

func (e *env) faults(tenant string) []faultRule {
	e.t.Helper()
	resp := e.in(tenant, http.MethodGet, "/_sandbox/faults", nil)
	require.Equal(e.t, http.StatusOK, resp.StatusCode, string(resp.Body))
	var out struct {
		Items []faultRule `json:"items"`
	}
	require.NoError(e.t, json.Unmarshal(resp.Body, &out))
	require.NotNil(e.t, out.Items)
	return out.Items
}

func (e *env) putFaults(tenant string, body any) {
	e.t.Helper()
	resp := e.in(tenant, http.MethodPut, "/_sandbox/faults", body)
	require.Equal(e.t, http.StatusOK, resp.StatusCode, string(resp.Body))
}

// PZ-31, F1: a counted status rule fails exactly the matching requests it
// counts, in the Prozorro envelope; the rest pass untouched.
func TestServer_FaultStatus(t *testing.T) {
	e := newEnv(t)
	e.putFaults("a", map[string]any{"service": "prozorro", "method": "GET", "path": "/api/2.3/plans/*", "status": 503, "count": 1})

	rules := e.faults("a")
	require.Len(t, rules, 1)
	require.NotEmpty(t, rules[0].ID)
	require.Equal(t, 503, rules[0].Status)
	require.Equal(t, 1, *rules[0].Count)
	require.Equal(t, 1, *rules[0].Remaining)

	// Requests the rule does not match neither fail nor use up its count.
	require.Equal(t, http.StatusOK, e.in("a", http.MethodGet, plansPath, nil).StatusCode, "path: the listing is not /plans/*")
	require.Equal(t, http.StatusOK, e.in("a", http.MethodGet, plansPath+"/"+p1ID+"/revisions", nil).StatusCode, "path: * stays in one segment")
	patch := e.in("a", http.MethodPatch, plansPath+"/"+p1ID+"?acc_token="+p1Token,
		map[string]any{"data": map[string]any{"budget": map[string]any{"description": "x"}}}, "Authorization", brokerAuth)
	require.Equal(t, http.StatusOK, patch.StatusCode, "method: PATCH is not GET")
	require.Equal(t, http.StatusOK, e.in("b", http.MethodGet, plansPath+"/"+p1ID, nil).StatusCode, "faults are per tenant")
	require.Equal(t, 1, *e.faults("a")[0].Remaining)
	require.Empty(t, e.faults("b"))

	resp := e.in("a", http.MethodGet, plansPath+"/"+p1ID, nil)
	requireProzorroError(t, resp, http.StatusServiceUnavailable, "body", "data", "Service Unavailable")
	require.Equal(t, 0, *e.faults("a")[0].Remaining)
	require.Equal(t, http.StatusOK, e.in("a", http.MethodGet, plansPath+"/"+p1ID, nil).StatusCode, "count 1 hits once")

	t.Run("uncounted rule hits every match until deleted", func(t *testing.T) {
		e.putFaults("a", map[string]any{"service": "prozorro", "path": "/api/2.3/plans", "status": 429})
		for range 3 {
			requireProzorroError(t, e.in("a", http.MethodGet, plansPath, nil), http.StatusTooManyRequests, "body", "data", "Too Many Requests")
		}
		del := e.in("a", http.MethodDelete, "/_sandbox/faults", nil)
		require.Equal(t, http.StatusNoContent, del.StatusCode)
		require.Empty(t, del.Body)
		require.Empty(t, e.faults("a"))
		require.Equal(t, http.StatusOK, e.in("a", http.MethodGet, plansPath, nil).StatusCode)
	})

	t.Run("PUT replaces the rule set; several rules at once", func(t *testing.T) {
		e.putFaults("a", []any{
			map[string]any{"path": "/api/2.3/plans", "status": 500, "count": 2},
			map[string]any{"path": "/api/2.3/plans/*", "status": 502},
		})
		require.Len(t, e.faults("a"), 2)
		e.putFaults("a", map[string]any{"rules": []any{map[string]any{"path": "/api/2.3/spore", "status": 500}}})
		rules := e.faults("a")
		require.Len(t, rules, 1)
		require.Equal(t, "/api/2.3/spore", rules[0].Path)
		require.Equal(t, http.StatusOK, e.in("a", http.MethodGet, plansPath, nil).StatusCode)
	})

	t.Run("reset clears the tenant's faults", func(t *testing.T) {
		e.putFaults("a", map[string]any{"status": 500})
		e.in("a", http.MethodPost, "/_sandbox/reset", nil)
		require.Empty(t, e.faults("a"))
		require.Equal(t, http.StatusOK, e.in("a", http.MethodGet, plansPath, nil).StatusCode)
	})
}

// Latency rules delay the answer and then let the request through.
func TestServer_FaultLatency(t *testing.T) {
	e := newEnv(t)
	e.putFaults("a", map[string]any{"service": "prozorro", "method": "GET", "path": "/api/2.3/plans", "latency": "50ms", "count": 1})
	start := time.Now()
	resp := e.in("a", http.MethodGet, plansPath, nil)
	require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Latency combines with a status.
	e.putFaults("a", map[string]any{"latency": "50ms", "status": 504, "count": 1})
	start = time.Now()
	resp = e.in("a", http.MethodGet, plansPath, nil)
	require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	requireProzorroError(t, resp, http.StatusGatewayTimeout, "body", "data", "Gateway Timeout")
}

// Drop rules close the connection without an answer.
func TestServer_FaultDrop(t *testing.T) {
	e := newEnv(t)
	e.putFaults("a", map[string]any{"service": "prozorro", "path": "/api/2.3/plans/*", "drop": true, "count": 1})

	// A fresh connection: Go's transport silently retries an idempotent
	// request whose reused keep-alive connection closes, which would hide the drop.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequest(http.MethodGet, e.URL+plansPath+"/"+p1ID, nil)
	require.NoError(t, err)
	req.Header.Set("X-Sandbox-Tenant", "a")
	resp, err := client.Do(req)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	require.Error(t, err, "the connection is closed without a response")

	require.Equal(t, http.StatusOK, e.in("a", http.MethodGet, plansPath+"/"+p1ID, nil).StatusCode, "count 1 drops once")
	// The journal keeps the dropped request, with no status.
	items := e.journal("a", "?limit=2")
	require.Len(t, items, 2)
	require.Equal(t, 0, items[1].Status)
}

// Probability rules roll dice seeded by the server seed and the tenant, so a
// run is reproducible.
func TestServer_FaultProbabilityIsDeterministic(t *testing.T) {
	pattern := func(seed uint64) []int {
		e := newEnv(t, sandboxtest.WithSeed(seed))
		e.putFaults("dice", map[string]any{"path": "/api/2.3/plans/*", "status": 500, "probability": 0.5})
		out := make([]int, 0, 40)
		for range 40 {
			out = append(out, e.in("dice", http.MethodGet, plansPath+"/"+p1ID, nil).StatusCode)
		}
		return out
	}
	first := pattern(7)
	require.Contains(t, first, http.StatusOK)
	require.Contains(t, first, http.StatusInternalServerError)
	require.Equal(t, first, pattern(7), "same seed, same tenant, same requests → same failures")
	require.NotEqual(t, first, pattern(8), "another seed rolls other dice")
}

func TestServer_FaultBadRules(t *testing.T) {
	e := newEnv(t)
	e.putFaults("a", map[string]any{"path": "/api/2.3/spore", "status": 500})
	for _, body := range []string{
		``, `not json`, `"x"`, `[1]`, `{}`,
		`{"status":200}`, `{"status":600}`, `{"status":"500"}`,
		`{"latency":"soon"}`, `{"latency":"-1s"}`, `{"latency":"2m"}`,
		`{"drop":true,"status":500}`,
		`{"status":500,"probability":0}`, `{"status":500,"probability":1.5}`,
		`{"status":500,"count":0}`, `{"status":500,"count":-1}`,
		`{"status":500,"service":"nosuch"}`, `{"status":500,"colour":"red"}`,
		`{"status":500,"id":"1"}`, `{"status":500,"remaining":1}`,
		`[{"status":500},{"status":99}]`,
	} {
		t.Run(body, func(t *testing.T) {
			requireProblem(t, e.in("a", http.MethodPut, "/_sandbox/faults", body, "Content-Type", "application/json"), http.StatusBadRequest)
			rules := e.faults("a")
			require.Len(t, rules, 1, "a refused PUT keeps the rules")
			require.Equal(t, "/api/2.3/spore", rules[0].Path)
		})
	}
}
