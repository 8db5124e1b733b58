package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/store"
)

// recorder captures what the journal, the metrics and the access log need.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	if room := journalSnippet - r.body.Len(); room > 0 {
		r.body.Write(b[:min(room, len(b))])
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// teeBody keeps the first bytes of a request body for the journal.
type teeBody struct {
	io.ReadCloser
	buf *bytes.Buffer
}

func (t teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if room := journalSnippet - t.buf.Len(); room > 0 && n > 0 {
		t.buf.Write(p[:min(room, n)])
	}
	return n, err
}

type seqKey struct{}

// observe journals the request, counts it and writes the access log.
func (s *Server) observe(service string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		seq := s.seq.Add(1)
		var reqBody bytes.Buffer
		if r.Body != nil {
			r.Body = teeBody{r.Body, &reqBody}
		}
		rec := &recorder{ResponseWriter: w}
		r = r.WithContext(contextWithSeq(r.Context(), seq))
		defer func() {
			d := time.Since(start)
			status := rec.status
			if !rec.wrote {
				status = 0 // dropped by a fault (or the client went away)
			}
			tenant := r.Header.Get("X-Sandbox-Tenant")
			if tenant == "" {
				tenant = "default"
			}
			s.journal.add(JournalEntry{
				Seq: seq, Time: start.UTC(), Tenant: tenant, Service: service, Method: r.Method,
				Path: r.URL.Path, Query: r.URL.RawQuery, Status: status,
				DurationMs:  float64(d.Microseconds()) / 1000,
				RequestBody: reqBody.String(), ResponseBody: rec.body.String(),
				Truncated: reqBody.Len() >= journalSnippet || rec.body.Len() >= journalSnippet,
			})
			s.metrics.observe(service, r.Method, status, d)
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("service", service), slog.String("tenant", tenant), slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.Int("status", status), slog.Duration("duration", d))
		}()
		next.ServeHTTP(rec, r)
	})
}

// observeControl counts control-plane requests (they are not journaled: the
// journal is about upstream traffic).
func (s *Server) observeControl(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		defer func() {
			s.metrics.observe("_sandbox", r.Method, rec.status, time.Since(start))
		}()
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("control plane panic", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				emulators.Problem(rec, http.StatusInternalServerError, "internal error")
			}
		}()
		r.Body = http.MaxBytesReader(rec, r.Body, controlBodyLimit)
		next.ServeHTTP(rec, r)
	})
}

// controlBodyLimit bounds control-plane bodies (a tenant import can be large).
const controlBodyLimit = 512 << 20

// withPrefix records the prefix the request came in with (for the URLs the
// service emits) and strips it, so services route and match paths relative to
// their root whichever listener served them.
func withPrefix(prefix string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.WithContext(emulators.WithPrefix(r.Context(), prefix))
		if prefix != "" {
			u := *r.URL
			u.Path = strings.TrimPrefix(u.Path, prefix)
			if u.Path == "" {
				u.Path = "/"
			}
			u.RawPath = ""
			r2.URL = &u
		}
		next.ServeHTTP(w, r2)
	})
}

// recoverPanics turns a handler panic into the service's 500 (F2 for Prozorro),
// logged with its stack; the request's transaction has been rolled back.
func (s *Server) recoverPanics(e emulators.Emulator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic in handler", slog.String("service", e.Name()), slog.String("path", r.URL.Path),
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			e.Fail(w, r, emulators.Failure{Kind: emulators.FailPanic, Status: http.StatusInternalServerError, Err: fmt.Errorf("panic: %v", v)})
		}()
		next.ServeHTTP(w, r)
	})
}

// tenantName reads X-Sandbox-Tenant ("" → default); ok=false if malformed.
func tenantName(r *http.Request) (string, bool) {
	name := r.Header.Get("X-Sandbox-Tenant")
	if name == "" {
		return "default", true
	}
	return name, store.ValidTenant(name)
}

// resolveTenant attaches the request's tenant, creating it on first use.
func (s *Server) resolveTenant(e emulators.Emulator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := tenantName(r)
		if !ok {
			e.Fail(w, r, emulators.Failure{Kind: emulators.FailInvalidTenant, Status: http.StatusBadRequest})
			return
		}
		t, err := s.tenants.get(name, r.Header.Get("X-Sandbox-Scenario"))
		if err != nil {
			if strings.Contains(err.Error(), errUnknownScenario.Error()) {
				e.Fail(w, r, emulators.Failure{Kind: emulators.FailBadScenario, Status: http.StatusBadRequest, Err: err})
				return
			}
			s.log.Error("tenant", slog.String("tenant", name), slog.Any("err", err))
			e.Fail(w, r, emulators.Failure{Kind: emulators.FailPanic, Status: http.StatusInternalServerError, Err: err})
			return
		}
		rt := requestTenant{t: t, wall: s.wall, seq: seqFrom(r)}
		next.ServeHTTP(w, r.WithContext(emulators.WithTenant(r.Context(), rt)))
	})
}

// injectFaults applies the tenant's fault rules (after tenant resolution, before
// the handler): latency, then a dropped connection or an error status rendered
// in the service's own format.
func (s *Server) injectFaults(e emulators.Emulator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := emulators.TenantOf(r).(requestTenant)
		rule := rt.t.faults.match(e.Name(), r.Method, emulators.ServicePath(r))
		if rule == nil {
			next.ServeHTTP(w, r)
			return
		}
		if rule.latency > 0 {
			select {
			case <-time.After(rule.latency):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case rule.Drop:
			panic(http.ErrAbortHandler) // net/http closes the connection without a response
		case rule.Status != 0:
			e.Fail(w, r, emulators.Failure{Kind: emulators.FailFault, Status: rule.Status})
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// limitBody refuses bodies over the service's limit: early by Content-Length,
// and through MaxBytesReader for chunked bodies (handlers read with
// emulators.ReadBody, which reports ErrTooLarge).
func (s *Server) limitBody(e emulators.Emulator, next http.Handler) http.Handler {
	limit := e.Spec().BodyLimit
	if limit <= 0 {
		limit = emulators.DefaultBodyLimit
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			e.Fail(w, r, emulators.Failure{Kind: emulators.FailTooLarge, Status: http.StatusRequestEntityTooLarge})
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// cors answers preflights and marks responses readable by any origin (DESIGN:
// frontends develop against the sandbox from their own dev servers).
func (s *Server) cors(next http.Handler) http.Handler {
	if !s.cfg.CORS {
		return next
	}
	expose := []string{"Location", "Allow", "WWW-Authenticate", "Content-Disposition", "Retry-After"}
	allow := []string{"Authorization", "Content-Type", "X-Sandbox-Tenant", "X-Sandbox-Scenario"}
	for _, e := range s.cfg.Emulators {
		expose = append(expose, e.Spec().ExposeHeaders...)
		allow = append(allow, e.Spec().CORSHeaders...)
	}
	exposed := strings.Join(dedupe(expose), ", ")
	allowed := strings.Join(dedupe(allow), ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
			// Echo what the browser asks for (any header is fine for a sandbox);
			// without a list, name the headers the services use.
			allowHeaders := r.Header.Get("Access-Control-Request-Headers")
			if allowHeaders == "" {
				allowHeaders = allowed
			}
			h.Set("Access-Control-Allow-Headers", allowHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", exposed)
		next.ServeHTTP(w, r)
	})
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		k := strings.ToLower(s)
		if !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}
