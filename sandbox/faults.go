package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/upstream-sandbox/sandbox/emulators"
)

// FaultRule injects latency, an error status or a dropped connection into the
// requests of one tenant that match service, method and path (a glob relative
// to the service root, emulators.MatchGlob). Count limits how many requests it
// hits; Probability makes it hit only a share of them (dice seeded by the
// server seed and tenant, so a run is reproducible).
type FaultRule struct {
	ID          string   `json:"id"`
	Service     string   `json:"service,omitempty"`
	Method      string   `json:"method,omitempty"`
	Path        string   `json:"path,omitempty"`
	Status      int      `json:"status,omitempty"`
	Latency     string   `json:"latency,omitempty"`
	Drop        bool     `json:"drop,omitempty"`
	Probability *float64 `json:"probability,omitempty"`
	Count       *int     `json:"count,omitempty"`
	Remaining   *int     `json:"remaining,omitempty"`
	latency     time.Duration
}

type faultSet struct {
	mu    sync.Mutex
	rules []*FaultRule
	dice  *rand.Rand
	next  int
}

func newFaultSet(seed uint64, tenant string) *faultSet {
	h := fnv.New64a()
	h.Write([]byte(tenant))
	return &faultSet{dice: rand.New(rand.NewPCG(seed, h.Sum64()))}
}

func (f *faultSet) clear() {
	f.mu.Lock()
	f.rules = nil
	f.mu.Unlock()
}

func (f *faultSet) list() []FaultRule {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FaultRule, 0, len(f.rules))
	for _, r := range f.rules {
		out = append(out, *r)
	}
	return out
}

func (f *faultSet) replace(rules []*FaultRule) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rules {
		f.next++
		r.ID = strconv.Itoa(f.next)
	}
	f.rules = rules
}

// match returns the first rule that hits this request, consuming one count.
func (f *faultSet) match(service, method, path string) *FaultRule {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rules {
		if r.Remaining != nil && *r.Remaining <= 0 {
			continue
		}
		if r.Service != "" && r.Service != service {
			continue
		}
		if r.Method != "" && !strings.EqualFold(r.Method, method) {
			continue
		}
		if r.Path != "" && !emulators.MatchGlob(r.Path, path) {
			continue
		}
		if r.Probability != nil && f.dice.Float64() >= *r.Probability {
			continue
		}
		if r.Remaining != nil {
			*r.Remaining--
		}
		hit := *r
		return &hit
	}
	return nil
}

// parseFaults reads a PUT body: one rule, an array, or {"rules": [...]}.
func parseFaults(body []byte, services map[string]bool) ([]*FaultRule, error) {
	body = bytes.TrimSpace(body)
	var raws []json.RawMessage
	switch {
	case len(body) > 0 && body[0] == '[':
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, fmt.Errorf("faults must be a rule, an array of rules or {\"rules\": [...]}")
		}
	default:
		var wrapper struct {
			Rules []json.RawMessage `json:"rules"`
		}
		if err := json.Unmarshal(body, &wrapper); err == nil && wrapper.Rules != nil {
			raws = wrapper.Rules
		} else {
			raws = []json.RawMessage{body}
		}
	}
	out := make([]*FaultRule, 0, len(raws))
	for i, raw := range raws {
		r, err := parseFault(raw, services)
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseFault(raw json.RawMessage, services map[string]bool) (*FaultRule, error) {
	var r FaultRule
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("bad rule: %w", err)
	}
	if r.ID != "" || r.Remaining != nil {
		return nil, fmt.Errorf("id and remaining are set by the sandbox")
	}
	if r.Service != "" && !services[r.Service] {
		return nil, fmt.Errorf("unknown service %q", r.Service)
	}
	if r.Status != 0 && (r.Status < 400 || r.Status > 599) {
		return nil, fmt.Errorf("status must be 400–599")
	}
	if r.Latency != "" {
		d, err := time.ParseDuration(r.Latency)
		if err != nil || d < 0 || d > time.Minute {
			return nil, fmt.Errorf("latency must be a Go duration up to 1m")
		}
		r.latency = d
	}
	if r.Status == 0 && r.latency == 0 && !r.Drop {
		return nil, fmt.Errorf("a rule needs status, latency or drop")
	}
	if r.Drop && r.Status != 0 {
		return nil, fmt.Errorf("drop and status exclude each other")
	}
	if r.Probability != nil && (*r.Probability <= 0 || *r.Probability > 1) {
		return nil, fmt.Errorf("probability must be in (0, 1]")
	}
	if r.Count != nil {
		if *r.Count < 1 {
			return nil, fmt.Errorf("count must be ≥ 1")
		}
		n := *r.Count
		r.Remaining = &n
	}
	return &r, nil
}
