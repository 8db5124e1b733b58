// Package sandboxtest starts an in-process Upstream Sandbox for Go tests: a real
// HTTP server (httptest) over an in-memory store, a fresh tenant, and a client
// that sends the tenant header and checks every response against the service's
// OpenAPI document. Everything is cleaned up with t.Cleanup.
package sandboxtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upstream-sandbox/sandbox/openapi"
	"github.com/upstream-sandbox/sandbox/openapi/openapitest"
	"github.com/upstream-sandbox/sandbox/sandbox"
	"github.com/upstream-sandbox/sandbox/store"
)

// Sandbox is a running server with a tenant of its own.
type Sandbox struct {
	// URL is the base of the main listener, e.g. http://127.0.0.1:43123.
	URL string
	// Tenant is the tenant every request of Client uses.
	Tenant string
	// Client sends X-Sandbox-Tenant (unless a request sets its own) and fails the
	// test when a response does not match the service's OpenAPI document.
	Client *http.Client
	// Server is the in-process sandbox (for per-service handlers).
	Server *sandbox.Server
	// Store is the server's store.
	Store store.Store
	t     testing.TB
}

// Option changes how New builds the sandbox.
type Option func(*config)

type config struct {
	scenario string
	seed     uint64
	clock    *time.Time
	journal  int
	wall     func() time.Time
	store    store.Store
}

// WithScenario sets the scenario of the tenant (default "ci-minimal": literal
// ids, clock frozen at 2026-11-24T12:00:00+03:00).
func WithScenario(name string) Option { return func(c *config) { c.scenario = name } }

// WithSeed sets the server seed (default 1).
func WithSeed(seed uint64) Option { return func(c *config) { c.seed = seed } }

// WithClock pins the start of tenants whose scenario does not pin one.
func WithClock(t time.Time) Option { return func(c *config) { c.clock = &t } }

// WithJournalSize sets the journal bound (default 1000).
func WithJournalSize(n int) Option { return func(c *config) { c.journal = n } }

// WithWall injects the real clock the server reads.
func WithWall(wall func() time.Time) Option { return func(c *config) { c.wall = wall } }

// WithStore uses a given store (e.g. a bbolt file) instead of memory.
func WithStore(s store.Store) Option { return func(c *config) { c.store = s } }

var tenantSeq atomic.Uint64

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// New starts a sandbox for one test.
func New(t testing.TB, opts ...Option) *Sandbox {
	t.Helper()
	cfg := &config{scenario: "ci-minimal", seed: 1, journal: 1000}
	for _, o := range opts {
		o(cfg)
	}
	st := cfg.store
	if st == nil {
		st = store.NewMemory()
	}
	emus, err := sandbox.DefaultEmulators()
	if err != nil {
		t.Fatalf("sandboxtest: %v", err)
	}
	srv, err := sandbox.NewServer(sandbox.Config{
		Store: st, Emulators: emus, Scenario: cfg.scenario, Seed: cfg.seed, Clock: cfg.clock,
		Wall: cfg.wall, CORS: true, JournalSize: cfg.journal, Version: "test",
	})
	if err != nil {
		t.Fatalf("sandboxtest: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = st.Close()
	})
	name := unsafeChars.ReplaceAllString(t.Name(), "-")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	tenant := fmt.Sprintf("%s-%d", strings.Trim(name, "-."), tenantSeq.Add(1))
	prefixes := map[string]string{}
	for _, svc := range openapi.Services() {
		prefixes["/"+svc] = svc
	}
	base := &tenantTransport{tenant: tenant, base: http.DefaultTransport}
	client := &http.Client{
		Transport: openapitest.Transport(t, base, prefixes),
		// Redirects are answers under test (302 downloads): never follow them.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	return &Sandbox{URL: hs.URL, Tenant: tenant, Client: client, Server: srv, Store: st, t: t}
}

type tenantTransport struct {
	tenant string
	base   http.RoundTripper
}

func (tt *tenantTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if _, ok := r.Header["X-Sandbox-Tenant"]; !ok {
		r = r.Clone(r.Context())
		r.Header.Set("X-Sandbox-Tenant", tt.tenant)
	}
	return tt.base.RoundTrip(r)
}

// Response is a finished exchange with its body read.
type Response struct {
	*http.Response
	Body []byte
}

// JSON decodes the body into a generic value (numbers as float64).
func (r *Response) JSON() any {
	var v any
	_ = json.Unmarshal(r.Body, &v)
	return v
}

// Object decodes the body as a JSON object (nil if it is not one).
func (r *Response) Object() map[string]any {
	m, _ := r.JSON().(map[string]any)
	return m
}

// Do sends a request to path (relative to URL). body may be nil, []byte, string
// or any value (sent as JSON). headers are "Name", "value" pairs.
func (s *Sandbox) Do(method, path string, body any, headers ...string) *Response {
	s.t.Helper()
	var rd io.Reader
	isJSON := false
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			s.t.Fatalf("sandboxtest: encode body: %v", err)
		}
		rd, isJSON = bytes.NewReader(raw), true
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatalf("sandboxtest: %v", err)
	}
	if isJSON {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		s.t.Fatalf("sandboxtest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("sandboxtest: read body: %v", err)
	}
	return &Response{Response: resp, Body: raw}
}

// Control calls the control plane and fails the test unless the status is want.
func (s *Sandbox) Control(method, path string, body any, want int) *Response {
	s.t.Helper()
	resp := s.Do(method, path, body)
	if resp.StatusCode != want {
		s.t.Fatalf("sandboxtest: %s %s → %d, want %d: %s", method, path, resp.StatusCode, want, resp.Body)
	}
	return resp
}

// AdvanceClock moves the tenant clock forward (a Go duration such as "48h").
func (s *Sandbox) AdvanceClock(d string) {
	s.t.Helper()
	s.Control(http.MethodPost, "/_sandbox/clock", map[string]any{"advance": d}, http.StatusOK)
}

// SetClock sets the tenant clock to an RFC 3339 instant.
func (s *Sandbox) SetClock(rfc3339 string) {
	s.t.Helper()
	s.Control(http.MethodPost, "/_sandbox/clock", map[string]any{"set": rfc3339}, http.StatusOK)
}
