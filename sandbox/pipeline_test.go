package sandbox_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/openapi/openapitest"
	"github.com/upstream-sandbox/sandbox/sandbox"
	"github.com/upstream-sandbox/sandbox/store"
)

// fakeEmulator is a minimal service that lets these tests reach the platform's
// failure paths (panics, body limits, 404/405) without touching a real one.
// Its envelope is {"fake": "<failure kind>", "status": N}.
type fakeEmulator struct {
	bodyLimit int64
}

const fakeLimit = 16

func (f *fakeEmulator) Name() string { return "fake" }

func (f *fakeEmulator) Spec() emulators.Spec { return emulators.Spec{BodyLimit: f.bodyLimit} }

func (f *fakeEmulator) Routes(r *mux.Router, _ *emulators.Env) {
	r.HandleFunc("/boom", func(http.ResponseWriter, *http.Request) { panic("boom") }).Methods(http.MethodGet)
	r.HandleFunc("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeFake(w, http.StatusOK, map[string]any{
			"id": mux.Vars(r)["id"], "tenant": emulators.TenantOf(r).Name(),
			"prefix": emulators.Prefix(r), "path": emulators.ServicePath(r),
		})
	}).Methods(http.MethodGet, http.MethodPut)
	r.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		body, err := emulators.ReadBody(r, f.bodyLimit)
		if errors.Is(err, emulators.ErrTooLarge) {
			f.Fail(w, r, emulators.Failure{Kind: emulators.FailTooLarge, Status: http.StatusRequestEntityTooLarge})
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeFake(w, http.StatusOK, map[string]any{"size": len(body)})
	}).Methods(http.MethodPost)
}

func (f *fakeEmulator) Control(r *mux.Router, _ *emulators.Env) {
	r.HandleFunc("/boom", func(http.ResponseWriter, *http.Request) { panic("control boom") }).Methods(http.MethodPost)
}

func (f *fakeEmulator) Seed(store.Tx, *emulators.Env, emulators.Scenario) error { return nil }

func (f *fakeEmulator) State(store.Tx, *emulators.Env) (any, error) {
	return map[string]any{"fake": true}, nil
}

var fakeKinds = map[emulators.FailureKind]string{
	emulators.FailInvalidTenant: "invalidTenant", emulators.FailFault: "fault", emulators.FailPanic: "panic",
	emulators.FailTooLarge: "tooLarge", emulators.FailNotFound: "notFound", emulators.FailMethod: "method",
	emulators.FailValidation: "validation", emulators.FailBadScenario: "badScenario",
}

func (f *fakeEmulator) Fail(w http.ResponseWriter, r *http.Request, fl emulators.Failure) {
	if fl.Kind == emulators.FailMethod {
		w.Header().Set("Allow", strings.Join(fl.Allow, ", "))
	}
	writeFake(w, fl.Status, map[string]any{"fake": fakeKinds[fl.Kind], "status": fl.Status})
}

func writeFake(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/vnd.fake+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fakeServer runs a sandbox whose only service is the fake.
func fakeServer(t *testing.T) (*sandbox.Server, *httptest.Server) {
	t.Helper()
	srv, err := sandbox.NewServer(sandbox.Config{
		Store: store.NewMemory(), Emulators: []emulators.Emulator{&fakeEmulator{bodyLimit: fakeLimit}},
		Scenario: "empty", JournalSize: 100,
	})
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return srv, hs
}

// fakeFailure sends a request to the fake and decodes its envelope: the kind
// of failure Fail rendered ("" for a handler's own answer).
func fakeFailure(t *testing.T, hs *httptest.Server, method, path string, body any, headers ...string) (int, string, http.Header) {
	t.Helper()
	resp := rawDo(t, http.DefaultClient, method, hs.URL+path, body, headers...)
	var out struct {
		Fake   string `json:"fake"`
		Status int    `json:"status"`
	}
	require.Equal(t, "application/vnd.fake+json", resp.Header.Get("Content-Type"), "%d %s", resp.StatusCode, resp.Body)
	require.NoError(t, json.Unmarshal(resp.Body, &out), string(resp.Body))
	if out.Fake != "" {
		require.Equal(t, resp.StatusCode, out.Status)
	}
	return resp.StatusCode, out.Fake, resp.Header
}

// F2: a panic in a handler is answered in the service's own format, and the
// server goes on serving.
func TestServer_RecoverPanics(t *testing.T) {
	_, hs := fakeServer(t)
	for range 3 {
		status, kind, _ := fakeFailure(t, hs, http.MethodGet, "/fake/boom", nil)
		require.Equal(t, http.StatusInternalServerError, status)
		require.Equal(t, "panic", kind)
		status, kind, _ = fakeFailure(t, hs, http.MethodGet, "/fake/items/1", nil)
		require.Equal(t, http.StatusOK, status)
		require.Empty(t, kind)
	}

	// The journal records the 500.
	resp := rawDo(t, http.DefaultClient, http.MethodGet, hs.URL+"/_sandbox/journal?path=/fake/boom&limit=1", nil)
	require.Contains(t, string(resp.Body), `"status":500`)

	// A panic in a control route is a 500 problem.
	resp = rawDo(t, http.DefaultClient, http.MethodPost, hs.URL+"/_sandbox/fake/boom", nil)
	requireProblem(t, resp, http.StatusInternalServerError)
	require.NotContains(t, string(resp.Body), "control boom", "no Go panic text leaks")
	require.Equal(t, http.StatusOK, rawDo(t, http.DefaultClient, http.MethodGet, hs.URL+"/_sandbox/health", nil).StatusCode)
}

// Bodies over Spec.BodyLimit are refused before the handler (by
// Content-Length) or while it reads (chunked), in the service's format.
func TestServer_BodyLimit(t *testing.T) {
	_, hs := fakeServer(t)
	within := strings.Repeat("x", fakeLimit)
	over := strings.Repeat("x", fakeLimit+1)

	status, kind, _ := fakeFailure(t, hs, http.MethodPost, "/fake/upload", within)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, kind)

	status, kind, _ = fakeFailure(t, hs, http.MethodPost, "/fake/upload", over)
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	require.Equal(t, "tooLarge", kind)

	// Content-Length over the limit is refused even on a path that never reads
	// the body.
	status, kind, _ = fakeFailure(t, hs, http.MethodPut, "/fake/items/1", over)
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	require.Equal(t, "tooLarge", kind)

	// A chunked body has no Content-Length: the limit applies as it is read.
	req, err := http.NewRequest(http.MethodPost, hs.URL+"/fake/upload", io.MultiReader(strings.NewReader(over)))
	require.NoError(t, err)
	require.Equal(t, int64(0), req.ContentLength, "sent chunked")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
}

// Unknown paths and methods under a service reach its Fail (404, 405 with
// Allow), never a platform or foreign format.
func TestServer_ServiceFallbacks(t *testing.T) {
	srv, hs := fakeServer(t)
	for _, tc := range []struct {
		method, path string
		status       int
		kind, allow  string
	}{
		{http.MethodGet, "/fake/nosuch", http.StatusNotFound, "notFound", ""},
		{http.MethodGet, "/fake", http.StatusNotFound, "notFound", ""},
		{http.MethodGet, "/fake/", http.StatusNotFound, "notFound", ""},
		{http.MethodGet, "/fake/items", http.StatusNotFound, "notFound", ""},
		{http.MethodDelete, "/fake/items/1", http.StatusMethodNotAllowed, "method", "GET, PUT"},
		{http.MethodPost, "/fake/boom", http.StatusMethodNotAllowed, "method", "GET"},
		{http.MethodGet, "/fake/upload", http.StatusMethodNotAllowed, "method", "POST"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			status, kind, h := fakeFailure(t, hs, tc.method, tc.path, nil)
			require.Equal(t, tc.status, status)
			require.Equal(t, tc.kind, kind)
			require.Equal(t, tc.allow, h.Get("Allow"))
		})
	}

	t.Run("platform failures in the service's format", func(t *testing.T) {
		status, kind, _ := fakeFailure(t, hs, http.MethodGet, "/fake/items/1", nil, "X-Sandbox-Tenant", "bad tenant/..")
		require.Equal(t, http.StatusBadRequest, status)
		require.Equal(t, "invalidTenant", kind)
		status, kind, _ = fakeFailure(t, hs, http.MethodGet, "/fake/items/1", nil, "X-Sandbox-Tenant", "new", "X-Sandbox-Scenario", "nosuch")
		require.Equal(t, http.StatusBadRequest, status)
		require.Equal(t, "badScenario", kind)

		resp := rawDo(t, http.DefaultClient, http.MethodPut, hs.URL+"/_sandbox/faults", map[string]any{"service": "fake", "path": "/items/*", "status": 429, "count": 1})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
		status, kind, _ = fakeFailure(t, hs, http.MethodGet, "/fake/items/1", nil)
		require.Equal(t, http.StatusTooManyRequests, status)
		require.Equal(t, "fault", kind)
	})

	t.Run("the service sees paths relative to its root", func(t *testing.T) {
		resp := rawDo(t, http.DefaultClient, http.MethodGet, hs.URL+"/fake/items/7", nil, "X-Sandbox-Tenant", "t1")
		require.JSONEq(t, `{"id":"7","tenant":"t1","prefix":"/fake","path":"/items/7"}`, string(resp.Body))
		h, ok := srv.ServiceHandler("fake")
		require.True(t, ok)
		root := httptest.NewServer(h)
		defer root.Close()
		resp = rawDo(t, http.DefaultClient, http.MethodGet, root.URL+"/items/7", nil)
		require.JSONEq(t, `{"id":"7","tenant":"default","prefix":"","path":"/items/7"}`, string(resp.Body))
		status, kind, _ := fakeFailure(t, root, http.MethodGet, "/boom", nil)
		require.Equal(t, http.StatusInternalServerError, status)
		require.Equal(t, "panic", kind)
	})

	t.Run("state of the fake", func(t *testing.T) {
		resp := rawDo(t, http.DefaultClient, http.MethodGet, hs.URL+"/_sandbox/state/fake", nil)
		require.JSONEq(t, `{"fake":true}`, string(resp.Body))
	})
}

// Whatever a client sends on the wire, the main listener answers: request
// targets without a path (absolute-form without a slash, CONNECT, OPTIONS *)
// must not panic the router.
func TestServer_OddRequestTargets(t *testing.T) {
	e := newEnv(t)
	addr := strings.TrimPrefix(e.URL, "http://")
	for _, tc := range []struct {
		line   string
		status int
	}{
		{"GET http://" + addr + " HTTP/1.1", http.StatusNotFound},
		{"CONNECT " + addr + " HTTP/1.1", http.StatusNotFound},
		{"GET /%2e%2e/_sandbox/health HTTP/1.1", http.StatusNotFound},
		{"GET http://" + addr + "/_sandbox/health HTTP/1.1", http.StatusOK},
		{"OPTIONS * HTTP/1.1", http.StatusOK}, // net/http answers this one itself
	} {
		t.Run(tc.line, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
			_, err = fmt.Fprintf(conn, "%s\r\nHost: %s\r\nConnection: close\r\n\r\n", tc.line, addr)
			require.NoError(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err, "the server must answer, not drop the connection")
			resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode)
		})
	}
	require.Equal(t, http.StatusOK, e.bare(http.MethodGet, "/_sandbox/health", nil).StatusCode)
}

// PZ-14: URLs follow the listener — on a --listen listener the service lives
// at the root, on the main one under /prozorro; Location never carries the
// request's query.
func TestServer_PerServiceListener(t *testing.T) {
	e := newEnv(t)
	h, ok := e.Server.ServiceHandler("prozorro")
	require.True(t, ok)
	_, ok = e.Server.ServiceHandler("nosuch")
	require.False(t, ok)
	root := httptest.NewServer(h)
	defer root.Close()
	client := &http.Client{Transport: openapitest.Transport(t, nil, map[string]string{"": "prozorro"})}

	resp := rawDo(t, client, http.MethodPost, root.URL+"/api/2.3/plans?acc_token=x", planBody(t),
		"Authorization", brokerAuth, "X-Sandbox-Tenant", e.Tenant)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(resp.Body))
	id := planID(t, resp)
	require.Equal(t, root.URL+"/api/2.3/plans/"+id, resp.Header.Get("Location"))

	// Same state behind both listeners.
	require.Equal(t, http.StatusOK, e.Do(http.MethodGet, plansPath+"/"+id, nil).StatusCode)
	got := rawDo(t, client, http.MethodGet, root.URL+"/api/2.3/plans/"+id, nil, "X-Sandbox-Tenant", e.Tenant)
	require.Equal(t, http.StatusOK, got.StatusCode)
	list := rawDo(t, client, http.MethodGet, root.URL+"/api/2.3/plans?limit=1", nil, "X-Sandbox-Tenant", e.Tenant)
	next := list.Object()["next_page"].(map[string]any)
	require.True(t, strings.HasPrefix(next["path"].(string), "/api/2.3/plans?"), next["path"])
	require.True(t, strings.HasPrefix(next["uri"].(string), root.URL+"/api/2.3/plans?"), next["uri"])

	main := e.Do(http.MethodPost, plansPath+"?acc_token=x", planBody(t), "Authorization", brokerAuth)
	require.Equal(t, http.StatusCreated, main.StatusCode, string(main.Body))
	require.Equal(t, e.URL+plansPath+"/"+planID(t, main), main.Header.Get("Location"))

	// The per-service listener serves the service only: no control plane, and
	// the prefix is not a path there.
	resp = rawDo(t, http.DefaultClient, http.MethodGet, root.URL+"/_sandbox/health", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.True(t, strings.HasPrefix(string(resp.Body), "404 Not Found"), string(resp.Body))
	resp = rawDo(t, http.DefaultClient, http.MethodGet, root.URL+plansPath, nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}
