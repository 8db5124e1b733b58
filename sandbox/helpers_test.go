package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/sandbox"
	"github.com/upstream-sandbox/sandbox/sandboxtest"
	"github.com/upstream-sandbox/sandbox/scenarios"
)

// The ci-minimal plan P1 (prozorro.md §10.2): literal id and owner token.
const (
	p1ID       = "c1000000000040008000000000000001"
	p1Token    = "c1000000000040008000000000000f01"
	plansPath  = "/prozorro/api/2.3/plans"
	brokerAuth = "Basic YnJva2VyOg==" // base64("broker:")
	t0         = "2026-11-24T12:00:00+03:00"
)

// env is a sandbox with the helpers these tests share. Its requests go through
// sandboxtest's client, so every Prozorro answer is also checked against the
// OpenAPI document.
type env struct {
	*sandboxtest.Sandbox
	t *testing.T
}

func newEnv(t *testing.T, opts ...sandboxtest.Option) *env {
	t.Helper()
	return &env{Sandbox: sandboxtest.New(t, opts...), t: t}
}

// in sends a request as tenant name.
func (e *env) in(tenant, method, path string, body any, headers ...string) *sandboxtest.Response {
	e.t.Helper()
	return e.Do(method, path, body, append(headers, "X-Sandbox-Tenant", tenant)...)
}

// bare sends a request without any X-Sandbox-Tenant header (the default
// tenant) through a plain client: sandboxtest's client would add its tenant.
func (e *env) bare(method, path string, body any, headers ...string) *sandboxtest.Response {
	e.t.Helper()
	return rawDo(e.t, http.DefaultClient, method, e.URL+path, body, headers...)
}

// rawDo sends one request with client and reads the whole answer; body is nil,
// a string, []byte or a value sent as JSON.
func rawDo(t testing.TB, client *http.Client, method, url string, body any, headers ...string) *sandboxtest.Response {
	t.Helper()
	var rd io.Reader
	isJSON := false
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		rd, isJSON = bytes.NewReader(raw), true
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if isJSON {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return &sandboxtest.Response{Response: resp, Body: raw}
}

// planBody is a valid create body: ci-minimal's P1 as it is seeded (the
// tutorial's create body), read from the embedded scenario, not from a file.
func planBody(t testing.TB) map[string]any {
	t.Helper()
	cat, err := scenarios.Load()
	require.NoError(t, err)
	sc, ok := cat.Get("ci-minimal")
	require.True(t, ok)
	var world struct {
		Plans []struct {
			Data map[string]any `json:"data"`
		} `json:"plans"`
	}
	require.NoError(t, json.Unmarshal(sc.Data("prozorro"), &world))
	require.NotEmpty(t, world.Plans)
	return map[string]any{"data": world.Plans[0].Data}
}

// createPlan posts a plan as broker in tenant and requires 201.
func (e *env) createPlan(tenant string) (id, token string, resp *sandboxtest.Response) {
	e.t.Helper()
	resp = e.in(tenant, http.MethodPost, plansPath, planBody(e.t), "Authorization", brokerAuth)
	require.Equal(e.t, http.StatusCreated, resp.StatusCode, string(resp.Body))
	return planID(e.t, resp), planToken(e.t, resp), resp
}

func planID(t testing.TB, resp *sandboxtest.Response) string {
	t.Helper()
	data, ok := resp.Object()["data"].(map[string]any)
	require.True(t, ok, string(resp.Body))
	return data["id"].(string)
}

func planToken(t testing.TB, resp *sandboxtest.Response) string {
	t.Helper()
	access, ok := resp.Object()["access"].(map[string]any)
	require.True(t, ok, string(resp.Body))
	return access["token"].(string)
}

// dateModified parses data.dateModified of a plan answer.
func dateModified(t testing.TB, resp *sandboxtest.Response) time.Time {
	t.Helper()
	data, ok := resp.Object()["data"].(map[string]any)
	require.True(t, ok, string(resp.Body))
	at, err := time.Parse(time.RFC3339Nano, data["dateModified"].(string))
	require.NoError(t, err)
	return at
}

// listIDs returns the ids of a plans listing answer.
func listIDs(t testing.TB, resp *sandboxtest.Response) []string {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	items, ok := resp.Object()["data"].([]any)
	require.True(t, ok, string(resp.Body))
	out := []string{}
	for _, it := range items {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

// requireProblem checks an RFC 9457 control-plane error.
func requireProblem(t testing.TB, resp *sandboxtest.Response, status int) {
	t.Helper()
	require.Equal(t, status, resp.StatusCode, string(resp.Body))
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"), string(resp.Body))
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	require.NoError(t, json.Unmarshal(resp.Body, &p), string(resp.Body))
	require.Equal(t, status, p.Status)
	require.Equal(t, http.StatusText(status), p.Title)
	require.NotEmpty(t, p.Type)
	require.NotEmpty(t, p.Detail)
}

// requireProzorroError checks an answer in the Prozorro envelope byte for byte
// (prozorro.md §7.1: compact, Python separators).
func requireProzorroError(t testing.TB, resp *sandboxtest.Response, status int, location, name, description string) {
	t.Helper()
	require.Equal(t, status, resp.StatusCode, string(resp.Body))
	require.Equal(t, "application/json; charset=UTF-8", resp.Header.Get("Content-Type"))
	want := `{"status": "error", "errors": [{"description": "` + description + `", "location": "` + location + `", "name": "` + name + `"}]}`
	require.Equal(t, want, string(resp.Body))
}

// jsonEq compares a JSON answer with the expected JSON text.
func jsonEq(t testing.TB, want string, resp *sandboxtest.Response, msgAndArgs ...any) {
	t.Helper()
	require.JSONEq(t, want, string(resp.Body), msgAndArgs...)
}

func mustEmulators(t testing.TB) []emulators.Emulator {
	t.Helper()
	emus, err := sandbox.DefaultEmulators()
	require.NoError(t, err)
	return emus
}
