// Package scenarios holds the named worlds a tenant can start from, as embedded
// data files (data/index.json plus data/<name>/<service>.json).
package scenarios

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"time"
)

//go:embed data
var files embed.FS

// Scenario is one named world.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Start pins the tenant clock (RFC 3339); nil = wall-clock now.
	Start *time.Time `json:"start,omitempty"`
	// Frozen: a pinned clock begins frozen (CONVENTIONS.md, Time).
	Frozen bool `json:"frozen"`
	// Generated worlds are built by the emulators, not read from files.
	Generated bool `json:"generated"`
	data      map[string]json.RawMessage
}

// Data returns a service's section (nil if the scenario has none).
func (s *Scenario) Data(service string) json.RawMessage { return s.data[service] }

// Catalog is the set of embedded scenarios.
type Catalog struct {
	byName map[string]*Scenario
	names  []string
}

type indexEntry struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Generated   bool   `json:"generated"`
	Clock       *struct {
		Start  time.Time `json:"start"`
		Frozen bool      `json:"frozen"`
	} `json:"clock"`
}

// Load reads the embedded catalog.
func Load() (*Catalog, error) {
	raw, err := files.ReadFile("data/index.json")
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	var index []indexEntry
	if err := json.Unmarshal(raw, &index); err != nil {
		return nil, fmt.Errorf("scenarios: index.json: %w", err)
	}
	c := &Catalog{byName: map[string]*Scenario{}}
	for _, e := range index {
		sc := &Scenario{Name: e.Name, Description: e.Description, Generated: e.Generated, data: map[string]json.RawMessage{}}
		if e.Clock != nil {
			start := e.Clock.Start
			sc.Start, sc.Frozen = &start, e.Clock.Frozen
		}
		entries, err := fs.ReadDir(files, "data/"+e.Name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("scenarios: %s: %w", e.Name, err)
		}
		for _, f := range entries {
			b, err := files.ReadFile("data/" + e.Name + "/" + f.Name())
			if err != nil {
				return nil, err
			}
			if !json.Valid(b) {
				return nil, fmt.Errorf("scenarios: %s/%s is not JSON", e.Name, f.Name())
			}
			sc.data[f.Name()[:len(f.Name())-len(".json")]] = b
		}
		c.byName[e.Name] = sc
		c.names = append(c.names, e.Name)
	}
	sort.Strings(c.names)
	return c, nil
}

// Get returns a scenario by name.
func (c *Catalog) Get(name string) (*Scenario, bool) {
	s, ok := c.byName[name]
	return s, ok
}

// List returns every scenario, sorted by name.
func (c *Catalog) List() []*Scenario {
	out := make([]*Scenario, len(c.names))
	for i, n := range c.names {
		out[i] = c.byName[n]
	}
	return out
}
