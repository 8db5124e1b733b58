package prozorro_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/emulators/prozorro"
)

// Platform failures (recovered panics, injected faults, bad tenants, oversized
// bodies, unknown routes) are answered in the Prozorro envelope (§7.3 F1–F3).
func TestErrors_PlatformFailures(t *testing.T) {
	e, err := prozorro.New()
	require.NoError(t, err)
	cases := []struct {
		f      emulators.Failure
		status int
		ctype  string
		body   string
	}{
		{emulators.Failure{Kind: emulators.FailPanic, Status: 500, Err: errors.New("boom")}, 500, "application/json; charset=UTF-8",
			`{"status": "error", "errors": [{"description": "Internal Server Error", "location": "body", "name": "data"}]}`},
		{emulators.Failure{Kind: emulators.FailFault, Status: 503}, 503, "application/json; charset=UTF-8",
			`{"status": "error", "errors": [{"description": "Service Unavailable", "location": "body", "name": "data"}]}`},
		{emulators.Failure{Kind: emulators.FailFault, Status: 429}, 429, "application/json; charset=UTF-8",
			`{"status": "error", "errors": [{"description": "Too Many Requests", "location": "body", "name": "data"}]}`},
		{emulators.Failure{Kind: emulators.FailInvalidTenant, Status: 400}, 400, "application/json; charset=UTF-8",
			`{"status": "error", "errors": [{"description": "Invalid tenant name", "location": "header", "name": "X-Sandbox-Tenant"}]}`},
		{emulators.Failure{Kind: emulators.FailBadScenario, Status: 400}, 400, "application/json; charset=UTF-8",
			`{"status": "error", "errors": [{"description": "Unknown scenario", "location": "header", "name": "X-Sandbox-Scenario"}]}`},
		{emulators.Failure{Kind: emulators.FailTooLarge, Status: 413}, 413, "application/json; charset=UTF-8",
			`{"status": "error", "errors": [{"description": "Request entity too large", "location": "body", "name": "data"}]}`},
		{emulators.Failure{Kind: emulators.FailNotFound, Status: 404}, 404, "text/plain; charset=UTF-8",
			"404 Not Found\n\nThe resource could not be found.\n\n\n"},
		{emulators.Failure{Kind: emulators.FailMethod, Status: 405, Allow: []string{"GET", "HEAD"}}, 405, "text/plain; charset=UTF-8",
			"405 Method Not Allowed\n\nThe method PUT is not allowed for this resource. \n\n\n"},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		e.Fail(rec, httptest.NewRequest(http.MethodPut, "/api/2.3/plans/x", nil), c.f)
		require.Equal(t, c.status, rec.Code)
		require.Equal(t, c.ctype, rec.Header().Get("Content-Type"))
		require.Equal(t, c.body, rec.Body.String())
		if c.f.Kind == emulators.FailMethod {
			require.Equal(t, "GET, HEAD", rec.Header().Get("Allow"))
		}
	}
}

// §9.3: the raw edit of a plan bypasses permissions but not types.
func TestControls_RawPlanEdit(t *testing.T) {
	e := newEnv(t)
	before := e.plan(P1)
	e.AdvanceClock("1s")
	resp := e.Control(http.MethodPatch, "/_sandbox/prozorro/plans/"+P1, map[string]any{"data": map[string]any{"owner": "broker3", "budget": map[string]any{"notes": "raw"}}}, 200)
	got := resp.Object()["data"].(map[string]any)
	require.Equal(t, "broker3", got["owner"])
	require.Equal(t, "raw", got["budget"].(map[string]any)["notes"])
	require.NotEqual(t, before["dateModified"], got["dateModified"])
	require.Equal(t, got, e.plan(P1))
	e.Control(http.MethodPatch, "/_sandbox/prozorro/plans/"+P1, map[string]any{"data": map[string]any{"nosuch": 1}}, 400)
	e.Control(http.MethodPatch, "/_sandbox/prozorro/plans/"+P1, map[string]any{"data": map[string]any{"budget": map[string]any{"amount": "lots"}}}, 422)
	e.Control(http.MethodPatch, "/_sandbox/prozorro/plans/"+P1, "not json", 400)
	e.Control(http.MethodPatch, "/_sandbox/prozorro/plans/nosuch", map[string]any{"data": map[string]any{}}, 404)
	require.Equal(t, got, e.plan(P1), "refused edits change nothing")
	// the owner changed: the old owner's principal no longer patches
	forbidden(t, e.as("broker", http.MethodPatch, plansURL+"/"+P1+"?acc_token="+P1Token, map[string]any{"data": map[string]any{}}))
}
