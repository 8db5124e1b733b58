// Package emulators holds what every emulated upstream shares: the Emulator
// interface the composition root mounts, the Env each service receives, and the
// mechanics the four services would otherwise each write again — deterministic
// ids, sequences, body reading with limits, JSON checks, cursor paging,
// progression modes, settings and forced outcomes.
//
// An emulator never imports another emulator nor the composition root; it gets
// the tenant, its clock and the store through Env and the request context.
package emulators

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/upstream-sandbox/sandbox/store"
)

// Emulator is one upstream service.
type Emulator interface {
	// Name is the service name and its path prefix: "prozorro" → /prozorro.
	Name() string
	// Spec describes what the platform needs to know about the service.
	Spec() Spec
	// Routes registers every upstream path, relative to the service root.
	Routes(r *mux.Router, env *Env)
	// Control registers service-specific /_sandbox/{name}/... routes; the shared
	// progression, settings and outcomes routes are mounted by the platform.
	Control(r *mux.Router, env *Env)
	// Seed loads this service's part of a scenario into a fresh tenant; tx.Now()
	// is the tenant's start instant T0.
	Seed(tx store.Tx, env *Env, sc Scenario) error
	// State dumps the tenant's entities for GET /_sandbox/state/{name}.
	State(tx store.Tx, env *Env) (any, error)
	// Fail answers a platform-level failure in the upstream's own error format.
	Fail(w http.ResponseWriter, r *http.Request, f Failure)
}

// Spec is the static description of a service.
type Spec struct {
	// BodyLimit caps request bodies (CONVENTIONS: 10 MiB unless the sheet says more).
	BodyLimit int64
	// Settings: the switches between upstream variants (GET/PUT …/settings).
	Settings SettingsSpec
	// Progression: limits and extra members of …/progression.
	Progression ProgressionSpec
	// Outcomes validates a forced outcome before it is queued; nil means the
	// service has none.
	Outcomes func(o *Outcome) error
	// OutcomeID names a newly queued outcome; nil → a deterministic UUID.
	OutcomeID func(env *Env, tenant string, seq uint64) string
	// CORSHeaders are request headers browsers must be allowed to send.
	CORSHeaders []string
	// ExposeHeaders are response headers browsers may read.
	ExposeHeaders []string
	// ValidateRequestBodies lets the OpenAPI validator check request bodies;
	// off when the upstream's own decode errors must win (Prozorro).
	ValidateRequestBodies bool
}

// DefaultBodyLimit is the platform's request body cap.
const DefaultBodyLimit = 10 << 20

// Env is what the platform gives an emulator: the store, the id source and a
// logger. Per-request things (tenant, clock, prefix) travel in the request context.
type Env struct {
	Service string
	Store   store.Store
	IDs     IDs
	Log     *slog.Logger
	// TenantNow reads another tenant's clock (for objects that are addressed
	// without a tenant header, e.g. Prozorro docservice URLs).
	TenantNow func(tenant string) (time.Time, error)
}

// Scenario is one service's part of a named world.
type Scenario struct {
	Name   string
	Tenant string
	// Data is the service's section of the scenario, nil if it has none.
	Data json.RawMessage
	// Generated asks for the generated load world (e.g. load-100k) instead of Data.
	Generated string
}

// FailureKind says what went wrong before or around a handler.
type FailureKind int

// The platform failures every emulator renders in its own envelope.
const (
	FailInvalidTenant FailureKind = iota + 1 // X-Sandbox-Tenant malformed (400)
	FailFault                                // a fault rule injected Status
	FailPanic                                // a recovered panic (500)
	FailTooLarge                             // body over Spec.BodyLimit (413)
	FailNotFound                             // unknown path under the service (404)
	FailMethod                               // known path, method not served (405)
	FailValidation                           // the OpenAPI request validator refused the request
	FailBadScenario                          // X-Sandbox-Scenario names no scenario (400)
)

// Failure is a platform-level problem for Emulator.Fail.
type Failure struct {
	Kind   FailureKind
	Status int
	// Allow lists the methods of the path for FailMethod.
	Allow []string
	// Err carries details (validation errors, the panic value).
	Err error
}
