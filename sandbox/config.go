// Package sandbox is the composition root: it mounts every emulator under its
// prefix (and on optional per-service listeners), resolves tenants, runs the
// shared request pipeline (CORS, journal, metrics, recover, faults, body limits,
// OpenAPI validation) and serves the control plane under /_sandbox/.
package sandbox

import (
	"log/slog"
	"time"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/store"
)

// Config is everything a Server needs; cmd/sandbox fills it from flags.
type Config struct {
	Store store.Store
	// Emulators are the services to mount.
	Emulators []emulators.Emulator
	// Scenario is the default scenario of new tenants.
	Scenario string
	Seed     uint64
	// Clock pins the start of tenants whose scenario does not (nil = wall clock).
	Clock *time.Time
	// Wall is the real clock (tests inject one); nil = time.Now.
	Wall        func() time.Time
	CORS        bool
	JournalSize int
	Logger      *slog.Logger
	Version     string
}
