package sandbox

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/openapi"
	"github.com/upstream-sandbox/sandbox/store"
)

func contextWithSeq(ctx context.Context, seq uint64) context.Context {
	return context.WithValue(ctx, seqKey{}, seq)
}

func seqFrom(r *http.Request) uint64 {
	n, _ := r.Context().Value(seqKey{}).(uint64)
	return n
}

// controlRouter is the control plane of CONVENTIONS.md under /_sandbox/.
func (s *Server) controlRouter() http.Handler {
	r := mux.NewRouter()
	// One fallback decides between 404 and 405 by asking the routes themselves
	// at request time (allowedMethods): mux's own 405 detection is lost across
	// subrouters.
	noRoute := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if allow := allowedMethods(r, req); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			emulators.Problem(w, http.StatusMethodNotAllowed, req.Method+" is not allowed on "+req.URL.Path)
			return
		}
		emulators.Problem(w, http.StatusNotFound, "no control endpoint "+req.URL.Path)
	})
	c := r.PathPrefix("/_sandbox").Subrouter()
	c.HandleFunc("/health", s.health).Methods(http.MethodGet, http.MethodHead)
	c.HandleFunc("/reset", s.withTenant(s.reset)).Methods(http.MethodPost)
	c.HandleFunc("/scenarios", s.listScenarios).Methods(http.MethodGet)
	c.HandleFunc("/scenarios/{name}", s.withTenant(s.loadScenario)).Methods(http.MethodPost)
	c.HandleFunc("/clock", s.withTenant(s.getClock)).Methods(http.MethodGet)
	c.HandleFunc("/clock", s.withTenant(s.setClock)).Methods(http.MethodPost)
	c.HandleFunc("/journal", s.getJournal).Methods(http.MethodGet)
	c.HandleFunc("/faults", s.withTenant(s.getFaults)).Methods(http.MethodGet)
	c.HandleFunc("/faults", s.withTenant(s.putFaults)).Methods(http.MethodPut)
	c.HandleFunc("/faults", s.withTenant(s.deleteFaults)).Methods(http.MethodDelete)
	c.HandleFunc("/state/{service}", s.withTenant(s.getState)).Methods(http.MethodGet)
	c.HandleFunc("/openapi/{service}.yaml", s.getOpenAPI).Methods(http.MethodGet)
	c.HandleFunc("/metrics", s.getMetrics).Methods(http.MethodGet)
	c.HandleFunc("/tenants", s.listTenants).Methods(http.MethodGet)
	c.HandleFunc("/export", s.withTenant(s.exportTenant)).Methods(http.MethodGet)
	c.HandleFunc("/import", s.importTenant).Methods(http.MethodPost)
	for _, e := range s.cfg.Emulators {
		svc := c.PathPrefix("/" + e.Name()).Subrouter()
		svc.Use(func(next http.Handler) http.Handler { return s.withTenant(next.ServeHTTP) })
		s.serviceControls(svc, e)
		e.Control(svc, s.envs[e.Name()])
		svc.NotFoundHandler = noRoute
		svc.MethodNotAllowedHandler = noRoute
	}
	r.NotFoundHandler, r.MethodNotAllowedHandler = noRoute, noRoute
	c.NotFoundHandler, c.MethodNotAllowedHandler = noRoute, noRoute
	return r
}

// withTenant resolves the tenant of a control request (400 problem if the header
// is malformed) and attaches it like the service pipeline does.
func (s *Server) withTenant(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, ok := tenantName(r)
		if !ok {
			emulators.Problem(w, http.StatusBadRequest, "invalid X-Sandbox-Tenant: use 1–64 of [A-Za-z0-9._-]")
			return
		}
		t, err := s.tenants.get(name, r.Header.Get("X-Sandbox-Scenario"))
		if err != nil {
			if errors.Is(err, errUnknownScenario) {
				emulators.Problem(w, http.StatusBadRequest, err.Error())
				return
			}
			emulators.Problem(w, http.StatusInternalServerError, err.Error())
			return
		}
		h(w, r.WithContext(emulators.WithTenant(r.Context(), requestTenant{t: t, wall: s.wall})))
	}
}

func (s *Server) tenantOf(r *http.Request) *tenant {
	return emulators.TenantOf(r).(requestTenant).t
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	emulators.WriteJSON(w, http.StatusOK, map[string]any{"status": "ok", "version": s.cfg.Version, "services": s.Services()})
}

// tenantInfo is what reset, scenario loading and the tenant list answer.
func (s *Server) tenantInfo(t *tenant) map[string]any {
	t.mu.Lock()
	defer t.mu.Unlock()
	return map[string]any{"tenant": t.name, "scenario": t.meta.Scenario,
		"now": t.meta.Clock.now(s.wall()).Format(time.RFC3339Nano), "frozen": t.meta.Clock.Frozen}
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	t := s.tenantOf(r)
	t.mu.Lock()
	scenario := t.meta.Scenario
	t.mu.Unlock()
	if err := s.seedTenant(t, scenario); err != nil {
		emulators.Problem(w, http.StatusInternalServerError, err.Error())
		return
	}
	emulators.WriteJSON(w, http.StatusOK, s.tenantInfo(t))
}

func (s *Server) listScenarios(w http.ResponseWriter, r *http.Request) {
	items := []any{}
	for _, sc := range s.scenarios.List() {
		item := map[string]any{"name": sc.Name, "description": sc.Description, "generated": sc.Generated, "default": sc.Name == s.cfg.Scenario}
		if sc.Start != nil {
			item["clock"] = map[string]any{"start": sc.Start.Format(time.RFC3339Nano), "frozen": sc.Frozen}
		}
		items = append(items, item)
	}
	emulators.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) loadScenario(w http.ResponseWriter, r *http.Request) {
	name := mux.Vars(r)["name"]
	if _, ok := s.scenarios.Get(name); !ok {
		emulators.Problem(w, http.StatusNotFound, "unknown scenario "+strconv.Quote(name))
		return
	}
	t := s.tenantOf(r)
	if err := s.seedTenant(t, name); err != nil {
		emulators.Problem(w, http.StatusInternalServerError, err.Error())
		return
	}
	emulators.WriteJSON(w, http.StatusOK, s.tenantInfo(t))
}

func clockBody(c clockState, wall time.Time) map[string]any {
	return map[string]any{"now": c.now(wall).Format(time.RFC3339Nano), "frozen": c.Frozen}
}

func (s *Server) getClock(w http.ResponseWriter, r *http.Request) {
	t := s.tenantOf(r)
	t.mu.Lock()
	c := t.meta.Clock
	t.mu.Unlock()
	emulators.WriteJSON(w, http.StatusOK, clockBody(c, s.wall()))
}

// setClock: {"advance":"2h"}, {"set":RFC3339}, {"freeze":bool}, or several
// (applied as set, advance, freeze).
func (s *Server) setClock(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Advance *string `json:"advance"`
		Set     *string `json:"set"`
		Freeze  *bool   `json:"freeze"`
	}
	body, err := emulators.ReadBody(r, 1<<20)
	if err == nil {
		err = emulators.DecodeStrict(body, &in)
	}
	if err != nil {
		emulators.Problem(w, http.StatusBadRequest, err.Error())
		return
	}
	if in.Advance == nil && in.Set == nil && in.Freeze == nil {
		emulators.Problem(w, http.StatusBadRequest, `give "advance" (a Go duration), "set" (RFC 3339) or "freeze" (bool)`)
		return
	}
	var advance time.Duration
	var set time.Time
	if in.Advance != nil {
		if advance, err = time.ParseDuration(*in.Advance); err != nil {
			emulators.Problem(w, http.StatusBadRequest, `"advance" must be a Go duration such as "2h" or "90s"`)
			return
		}
	}
	if in.Set != nil {
		if set, err = time.Parse(time.RFC3339Nano, *in.Set); err != nil {
			emulators.Problem(w, http.StatusBadRequest, `"set" must be an RFC 3339 instant such as "2026-03-01T10:00:00+02:00"`)
			return
		}
	}
	c, err := s.updateClock(s.tenantOf(r), func(c *clockState, wall time.Time) error {
		if in.Set != nil {
			c.set(set, wall)
		}
		if in.Advance != nil {
			c.set(c.now(wall).Add(advance), wall)
		}
		if in.Freeze != nil {
			c.freeze(*in.Freeze, wall)
		}
		return nil
	})
	if err != nil {
		emulators.Problem(w, http.StatusInternalServerError, err.Error())
		return
	}
	emulators.WriteJSON(w, http.StatusOK, clockBody(c, s.wall()))
}

// getJournal: ?service=&status=(404 or 4xx)&path=(prefix)&limit=, for the
// request's tenant, newest first.
func (s *Server) getJournal(w http.ResponseWriter, r *http.Request) {
	name, ok := tenantName(r)
	if !ok {
		emulators.Problem(w, http.StatusBadRequest, "invalid X-Sandbox-Tenant")
		return
	}
	q := r.URL.Query()
	limit := 100
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			emulators.Problem(w, http.StatusBadRequest, "limit must be a positive integer")
			return
		}
		limit = n
	}
	service, status, path := q.Get("service"), q.Get("status"), q.Get("path")
	if status != "" && !validStatusFilter(status) {
		emulators.Problem(w, http.StatusBadRequest, `status must be a code ("404") or a class ("4xx")`)
		return
	}
	items := s.journal.latest(limit, func(e *JournalEntry) bool {
		return e.Tenant == name && (service == "" || e.Service == service) &&
			(status == "" || statusMatches(status, e.Status)) && (path == "" || strings.HasPrefix(e.Path, path))
	})
	emulators.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func validStatusFilter(f string) bool {
	if len(f) != 3 {
		return false
	}
	if strings.HasSuffix(f, "xx") {
		return f[0] >= '1' && f[0] <= '5'
	}
	_, err := strconv.Atoi(f)
	return err == nil
}

func statusMatches(filter string, status int) bool {
	if strings.HasSuffix(filter, "xx") {
		return strconv.Itoa(status)[0] == filter[0]
	}
	return filter == strconv.Itoa(status)
}

func (s *Server) serviceNames() map[string]bool {
	out := map[string]bool{}
	for name := range s.emus {
		out[name] = true
	}
	return out
}

func (s *Server) getFaults(w http.ResponseWriter, r *http.Request) {
	emulators.WriteJSON(w, http.StatusOK, map[string]any{"items": s.tenantOf(r).faults.list()})
}

func (s *Server) putFaults(w http.ResponseWriter, r *http.Request) {
	body, err := emulators.ReadBody(r, 1<<20)
	if err != nil {
		emulators.Problem(w, http.StatusBadRequest, err.Error())
		return
	}
	rules, err := parseFaults(body, s.serviceNames())
	if err != nil {
		emulators.Problem(w, http.StatusBadRequest, err.Error())
		return
	}
	t := s.tenantOf(r)
	t.faults.replace(rules)
	emulators.WriteJSON(w, http.StatusOK, map[string]any{"items": t.faults.list()})
}

func (s *Server) deleteFaults(w http.ResponseWriter, r *http.Request) {
	s.tenantOf(r).faults.clear()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getState(w http.ResponseWriter, r *http.Request) {
	e, ok := s.emus[mux.Vars(r)["service"]]
	if !ok {
		emulators.Problem(w, http.StatusNotFound, "unknown service "+strconv.Quote(mux.Vars(r)["service"]))
		return
	}
	t := emulators.TenantOf(r)
	var state any
	err := s.store.View(t.Name(), t.Now(), func(tx store.Tx) error {
		var err error
		state, err = e.State(tx, s.envs[e.Name()])
		return err
	})
	if err != nil {
		emulators.Problem(w, http.StatusInternalServerError, err.Error())
		return
	}
	emulators.WriteJSON(w, http.StatusOK, state)
}

func (s *Server) getOpenAPI(w http.ResponseWriter, r *http.Request) {
	name := mux.Vars(r)["service"]
	src, err := openapi.Source(name)
	if _, mounted := s.emus[name]; err != nil || !mounted {
		emulators.Problem(w, http.StatusNotFound, "no OpenAPI document for "+strconv.Quote(name))
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(src)
}

func (s *Server) getMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w, s.tenants.loaded.Load(), s.journal.len())
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) {
	names, err := s.store.Tenants()
	if err != nil {
		emulators.Problem(w, http.StatusInternalServerError, err.Error())
		return
	}
	items := []any{}
	for _, n := range names {
		t, err := s.tenants.get(n, "")
		if err != nil {
			continue
		}
		items = append(items, s.tenantInfo(t))
	}
	emulators.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) exportTenant(w http.ResponseWriter, r *http.Request) {
	t := s.tenantOf(r)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+t.name+`.json"`)
	if err := s.store.Export(t.name, w); err != nil {
		s.log.Error("export", "tenant", t.name, "err", err)
	}
}

// importTenant replaces the request's tenant with a dump (GET /_sandbox/export).
func (s *Server) importTenant(w http.ResponseWriter, r *http.Request) {
	name, ok := tenantName(r)
	if !ok {
		emulators.Problem(w, http.StatusBadRequest, "invalid X-Sandbox-Tenant")
		return
	}
	if err := s.store.Import(name, r.Body); err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, store.ErrBadDump) {
			status = http.StatusBadRequest
		}
		emulators.Problem(w, status, err.Error())
		return
	}
	s.tenants.forget(name)
	t, err := s.tenants.get(name, "")
	if err != nil {
		emulators.Problem(w, http.StatusInternalServerError, err.Error())
		return
	}
	emulators.WriteJSON(w, http.StatusOK, s.tenantInfo(t))
}
