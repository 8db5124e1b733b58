package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/store"
)

// metaBucket holds the platform's own per-tenant state (scenario, clock).
var metaBucket = store.Bucket{Service: "_sandbox", Kind: "meta"}

// tenantMeta is persisted with the tenant.
type tenantMeta struct {
	Scenario string     `json:"scenario"`
	Clock    clockState `json:"clock"`
	// Start is where a reset puts the clock (the scenario's pin or the flag);
	// nil = wall-clock now.
	Start  *time.Time `json:"start,omitempty"`
	Frozen bool       `json:"startFrozen"`
}

// tenant is the in-memory handle of one tenant: its clock (cached from the
// store), its fault rules and its deterministic fault dice.
type tenant struct {
	name   string
	mu     sync.Mutex
	meta   tenantMeta
	faults *faultSet
	// seeding serialises resets and scenario loads of the tenant: two running
	// at once could both drop the tenant and then both seed it, loading the
	// scenario's counters twice. It is not mu, which seeding emulators need
	// for the clock.
	seeding sync.Mutex
}

type tenants struct {
	srv *Server
	mu  sync.Mutex
	m   map[string]*tenant
	// creating serialises the first use of each tenant name.
	creating map[string]*sync.Mutex
	loaded   atomic.Int64
}

func newTenants(srv *Server) *tenants {
	return &tenants{srv: srv, m: map[string]*tenant{}, creating: map[string]*sync.Mutex{}}
}

var errUnknownScenario = errors.New("unknown scenario")

// get returns the tenant, creating it on first use from the scenario named by
// the request (or the default): from the store if it already holds the tenant
// (a restart with --data), else by seeding the scenario.
func (ts *tenants) get(name, scenario string) (*tenant, error) {
	ts.mu.Lock()
	if t := ts.m[name]; t != nil {
		ts.mu.Unlock()
		return t, nil
	}
	lock := ts.creating[name]
	if lock == nil {
		lock = &sync.Mutex{}
		ts.creating[name] = lock
	}
	ts.mu.Unlock()

	lock.Lock()
	defer lock.Unlock()
	ts.mu.Lock()
	t := ts.m[name]
	ts.mu.Unlock()
	if t != nil {
		return t, nil
	}
	t = &tenant{name: name, faults: newFaultSet(ts.srv.cfg.Seed, name)}
	meta, ok, err := ts.srv.loadMeta(name)
	if err != nil {
		return nil, err
	}
	if ok {
		t.meta = meta
	} else {
		if scenario == "" {
			scenario = ts.srv.cfg.Scenario
		}
		if err := ts.srv.seedTenant(t, scenario); err != nil {
			return nil, err
		}
	}
	ts.mu.Lock()
	ts.m[name] = t
	ts.mu.Unlock()
	ts.loaded.Add(1)
	return t, nil
}

func (s *Server) loadMeta(name string) (tenantMeta, bool, error) {
	var meta tenantMeta
	found := false
	err := s.store.View(name, time.Time{}, func(tx store.Tx) error {
		raw := tx.Get(metaBucket, []byte("tenant"))
		if raw == nil {
			return nil
		}
		found = true
		return json.Unmarshal(raw, &meta)
	})
	if err != nil {
		return meta, false, fmt.Errorf("sandbox: tenant %s: %w", name, err)
	}
	return meta, found, nil
}

// seedTenant (re)creates a tenant's state from a scenario in one transaction:
// the clock starts at the scenario's pin, else the --clock flag, else now.
func (s *Server) seedTenant(t *tenant, scenario string) error {
	sc, ok := s.scenarios.Get(scenario)
	if !ok {
		return fmt.Errorf("%w %q", errUnknownScenario, scenario)
	}
	wall := s.wall()
	meta := tenantMeta{Scenario: scenario}
	switch {
	case sc.Start != nil:
		start := *sc.Start
		meta.Start, meta.Frozen = &start, sc.Frozen
	case s.cfg.Clock != nil:
		start := *s.cfg.Clock
		meta.Start, meta.Frozen = &start, true
	}
	if meta.Start != nil {
		meta.Clock = clockState{Base: *meta.Start, WallBase: wall, Frozen: meta.Frozen}
	} else {
		meta.Clock = clockState{Base: wall, WallBase: wall}
	}
	t0 := meta.Clock.now(wall)
	t.seeding.Lock()
	defer t.seeding.Unlock()
	// One transaction empties and reloads the tenant: a request never sees it
	// half-reset, and a failed load keeps the old state.
	err := s.store.Update(t.name, t0, func(tx store.Tx) error {
		if err := tx.DeleteAll(); err != nil {
			return err
		}
		raw, _ := json.Marshal(meta)
		if err := tx.Put(metaBucket, []byte("tenant"), raw); err != nil {
			return err
		}
		for _, e := range s.cfg.Emulators {
			in := emulators.Scenario{Name: sc.Name, Tenant: t.name, Data: sc.Data(e.Name())}
			if sc.Generated {
				in.Generated = sc.Name
			}
			if err := e.Seed(tx, s.envs[e.Name()], in); err != nil {
				return fmt.Errorf("seed %s: %w", e.Name(), err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sandbox: load scenario %s into %s: %w", scenario, t.name, err)
	}
	t.mu.Lock()
	t.meta = meta
	t.mu.Unlock()
	t.faults.clear()
	if sc.Generated {
		// A generated world leaves its build garbage behind; hand it back to the
		// OS now rather than holding twice the world's size for minutes.
		debug.FreeOSMemory()
	}
	return nil
}

// now reads the tenant clock.
func (t *tenant) now(wall time.Time) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.meta.Clock.now(wall)
}

// updateClock changes the clock and persists it.
func (s *Server) updateClock(t *tenant, fn func(c *clockState, wall time.Time) error) (clockState, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	wall := s.wall()
	next := t.meta
	if err := fn(&next.Clock, wall); err != nil {
		return t.meta.Clock, err
	}
	raw, _ := json.Marshal(next)
	err := s.store.Update(t.name, next.Clock.now(wall), func(tx store.Tx) error {
		return tx.Put(metaBucket, []byte("tenant"), raw)
	})
	if err != nil {
		return t.meta.Clock, err
	}
	t.meta = next
	return next.Clock, nil
}

// requestTenant is the emulators.Tenant of one request.
type requestTenant struct {
	t    *tenant
	wall func() time.Time
	seq  uint64
}

func (rt requestTenant) Name() string   { return rt.t.name }
func (rt requestTenant) Now() time.Time { return rt.t.now(rt.wall()) }
func (rt requestTenant) Seq() uint64    { return rt.seq }

// forget drops the in-memory handle, so the next use reloads the tenant from the
// store (after an import).
func (ts *tenants) forget(name string) {
	ts.mu.Lock()
	delete(ts.m, name)
	ts.mu.Unlock()
}
