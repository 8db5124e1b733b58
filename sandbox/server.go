package sandbox

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/openapi"
	"github.com/upstream-sandbox/sandbox/scenarios"
	"github.com/upstream-sandbox/sandbox/store"
)

// Server is the sandbox: every emulator behind the shared pipeline, plus the
// control plane.
type Server struct {
	cfg       Config
	store     store.Store
	scenarios *scenarios.Catalog
	emus      map[string]emulators.Emulator
	envs      map[string]*emulators.Env
	docs      map[string]*openapi.Doc
	tenants   *tenants
	journal   *journal
	metrics   *metrics
	log       *slog.Logger
	seq       atomic.Uint64
	main      http.Handler
	services  map[string]http.Handler
}

// NewServer builds a server over an open store. It is ready (health 200) as soon
// as it returns: the store is open and the scenarios are loaded.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("sandbox: no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Wall == nil {
		cfg.Wall = time.Now
	}
	if cfg.Scenario == "" {
		cfg.Scenario = "demo"
	}
	cat, err := scenarios.Load()
	if err != nil {
		return nil, err
	}
	if _, ok := cat.Get(cfg.Scenario); !ok {
		return nil, fmt.Errorf("sandbox: unknown scenario %q", cfg.Scenario)
	}
	s := &Server{
		cfg: cfg, store: cfg.Store, scenarios: cat, log: cfg.Logger,
		emus: map[string]emulators.Emulator{}, envs: map[string]*emulators.Env{}, docs: map[string]*openapi.Doc{},
		journal: newJournal(cfg.JournalSize), metrics: newMetrics(), services: map[string]http.Handler{},
	}
	s.tenants = newTenants(s)
	for _, e := range cfg.Emulators {
		name := e.Name()
		s.emus[name] = e
		s.envs[name] = &emulators.Env{
			Service: name, Store: cfg.Store, IDs: emulators.IDs{Seed: cfg.Seed},
			Log: cfg.Logger.With(slog.String("service", name)), TenantNow: s.tenantNow,
		}
		if src, err := openapi.Source(name); err == nil {
			doc, err := openapi.Parse(name, src)
			if err != nil {
				return nil, err
			}
			s.docs[name] = doc
		}
	}
	s.main = s.buildMain()
	for _, e := range cfg.Emulators {
		s.services[e.Name()] = s.buildService(e, "")
	}
	return s, nil
}

func (s *Server) wall() time.Time { return s.cfg.Wall() }

// Handler serves the main listener: every service under /{name}, the control
// plane under /_sandbox/.
func (s *Server) Handler() http.Handler { return s.main }

// ServiceHandler serves one service at the root path, for --listen SERVICE=ADDR.
func (s *Server) ServiceHandler(name string) (http.Handler, bool) {
	h, ok := s.services[name]
	return h, ok
}

// Services lists the mounted services.
func (s *Server) Services() []string {
	out := make([]string, 0, len(s.cfg.Emulators))
	for _, e := range s.cfg.Emulators {
		out = append(out, e.Name())
	}
	return out
}

// tenantNow reads any tenant's clock (emulators.Env.TenantNow).
func (s *Server) tenantNow(name string) (time.Time, error) {
	t, err := s.tenants.get(name, "")
	if err != nil {
		return time.Time{}, err
	}
	return t.now(s.wall()), nil
}

func (s *Server) buildMain() http.Handler {
	byPrefix := map[string]http.Handler{}
	for _, e := range s.cfg.Emulators {
		byPrefix["/"+e.Name()] = s.buildService(e, "/"+e.Name())
	}
	control := s.cors(s.observeControl(s.controlRouter()))
	notFound := s.cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emulators.Problem(w, http.StatusNotFound, "no such path; services live under /{service}/, the control plane under /_sandbox/")
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The first path segment picks the handler. A request target may have no
		// path at all (absolute-form "http://host", CONNECT), so never index it.
		seg, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		first := "/" + seg
		switch {
		case first == "/_sandbox":
			control.ServeHTTP(w, r)
		case byPrefix[first] != nil:
			byPrefix[first].ServeHTTP(w, r)
		default:
			notFound.ServeHTTP(w, r)
		}
	})
}

// buildService is the request pipeline of one service at a prefix.
func (s *Server) buildService(e emulators.Emulator, prefix string) http.Handler {
	env := s.envs[e.Name()]
	// Routes are registered at the service root; withPrefix strips the prefix
	// before routing (gorilla/mux subrouters lose 405s to their 404 handler).
	root := mux.NewRouter()
	e.Routes(root, env)
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.Fail(w, r, emulators.Failure{Kind: emulators.FailNotFound, Status: http.StatusNotFound})
	})
	methodNA := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.Fail(w, r, emulators.Failure{Kind: emulators.FailMethod, Status: http.StatusMethodNotAllowed, Allow: allowedMethods(root, r)})
	})
	root.NotFoundHandler = notFound
	root.MethodNotAllowedHandler = methodNA

	if doc := s.docs[e.Name()]; doc != nil {
		opts := openapi.RequestOptions{SkipBody: !e.Spec().ValidateRequestBodies}
		root.Use(doc.RouteMiddleware(opts, func(w http.ResponseWriter, r *http.Request, err error) {
			e.Fail(w, r, emulators.Failure{Kind: emulators.FailValidation, Status: http.StatusBadRequest, Err: err})
		}))
	}
	var h http.Handler = root
	h = s.limitBody(e, h)
	h = s.injectFaults(e, h)
	h = s.resolveTenant(e, h)
	h = s.recoverPanics(e, h)
	h = withPrefix(prefix, h)
	h = s.observe(e.Name(), h)
	return s.cors(h)
}

// allowedMethods lists the methods a path answers (for 405 Allow headers). It
// asks each leaf route rather than the router: gorilla/mux's Router.Match
// forgets a method mismatch when a later route shares a parent's path prefix,
// which would turn a 405 into a 404 under subrouters.
func allowedMethods(router *mux.Router, r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		err := router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
			var match mux.RouteMatch
			if route.GetHandler() != nil && route.Match(probe, &match) && match.MatchErr == nil {
				return errRouteFound
			}
			return nil
		})
		if err == errRouteFound {
			out = append(out, m)
		}
	}
	return out
}

// errRouteFound stops the walk of allowedMethods at the first matching route.
var errRouteFound = errors.New("route found")
