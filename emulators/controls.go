package emulators

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/upstream-sandbox/sandbox/store"
)

// ErrBadControl marks a control-plane body the service refuses (→ 400 problem).
var ErrBadControl = errors.New("bad control request")

func badf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadControl, fmt.Sprintf(format, args...))
}

// controlBucket holds a service's per-tenant control state (settings, progression).
func controlBucket(service string) store.Bucket {
	return store.Bucket{Service: service, Kind: "_controls"}
}

// ---- settings ----

// SettingsSpec describes a service's switches: Defaults returns a pointer to a
// struct with json tags holding the default values; Validate checks a merged value.
type SettingsSpec struct {
	Defaults func() any
	Validate func(v any) error
}

// LoadSettings decodes the tenant's settings of a service over its defaults into
// the struct Defaults returns.
func LoadSettings(tx Tx, service string, spec SettingsSpec) (any, error) {
	if spec.Defaults == nil {
		return map[string]any{}, nil
	}
	v := spec.Defaults()
	if raw := tx.Get(controlBucket(service), []byte("settings")); raw != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			return nil, fmt.Errorf("settings of %s: %w", service, err)
		}
	}
	return v, nil
}

// Settings is LoadSettings for handlers: it returns the typed struct.
func Settings[T any](tx Tx, service string, spec SettingsSpec) (*T, error) {
	v, err := LoadSettings(tx, service, spec)
	if err != nil {
		return nil, err
	}
	t, ok := v.(*T)
	if !ok {
		return nil, fmt.Errorf("settings of %s are %T", service, v)
	}
	return t, nil
}

// MergeSettings applies a PUT body: only known keys, each of the right type, then
// Validate on the whole; on any error nothing is stored.
func MergeSettings(tx Tx, service string, spec SettingsSpec, body []byte) (any, error) {
	cur, err := LoadSettings(tx, service, spec)
	if err != nil {
		return nil, err
	}
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(body, &patch); err != nil || patch == nil {
		return nil, badf("settings must be a JSON object")
	}
	known := jsonKeys(cur)
	names := make([]string, 0, len(patch))
	for k := range patch {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !known[k] {
			return nil, badf("unknown setting %q", k)
		}
		one, _ := json.Marshal(map[string]json.RawMessage{k: patch[k]})
		dec := json.NewDecoder(bytes.NewReader(one))
		dec.DisallowUnknownFields()
		if err := dec.Decode(cur); err != nil {
			return nil, badf("setting %q: %v", k, err)
		}
		if string(bytes.TrimSpace(patch[k])) == "null" && !nullable(cur, k) {
			return nil, badf("setting %q may not be null", k)
		}
	}
	if spec.Validate != nil {
		if err := spec.Validate(cur); err != nil {
			return nil, badf("%v", err)
		}
	}
	return cur, StoreSettings(tx, service, cur)
}

// StoreSettings writes the whole settings value (used by scenarios and PUT).
func StoreSettings(tx Tx, service string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(controlBucket(service), []byte("settings"), raw)
}

func jsonKeys(v any) map[string]bool {
	raw, _ := json.Marshal(v)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// nullable reports whether the struct field behind json key k may hold null
// (a pointer, map, slice or interface).
func nullable(v any, k string) bool {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if strings.Split(f.Tag.Get("json"), ",")[0] == k {
			switch f.Type.Kind() {
			case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
				return true
			}
			return false
		}
	}
	return false
}

// ---- progression ----

// Mode is a progression mode (CONVENTIONS.md, Asynchronous work).
type Mode string

// The four modes.
const (
	Timed      Mode = "timed"
	Immediate  Mode = "immediate"
	AfterPolls Mode = "after_polls"
	Manual     Mode = "manual"
)

// Progression is a tenant's setting for one service: the mode, N for
// after_polls, and the service's extra members.
type Progression struct {
	Mode   Mode
	Polls  int
	Extras map[string]json.RawMessage
}

// String renders the mode as it is written on the wire: "after_polls:3".
func (p Progression) String() string {
	if p.Mode == AfterPolls {
		return string(AfterPolls) + ":" + strconv.Itoa(p.Polls)
	}
	return string(p.Mode)
}

// MarshalJSON renders {"mode": "...", extras...}.
func (p Progression) MarshalJSON() ([]byte, error) {
	m := map[string]any{"mode": p.String()}
	for k, v := range p.Extras {
		m[k] = v
	}
	return json.Marshal(m)
}

// ProgressionSpec limits a service's progression setting.
type ProgressionSpec struct {
	// MaxPolls bounds N of after_polls (0 = no bound).
	MaxPolls int
	// Extras returns the default extra members (e.g. SIOI's queuedSec), or nil.
	Extras func() map[string]any
	// ValidateExtra checks one extra member.
	ValidateExtra func(name string, raw json.RawMessage) error
}

// ParseMode reads "timed" | "immediate" | "manual" | "after_polls:N".
func ParseMode(s string, maxPolls int) (Mode, int, error) {
	switch Mode(s) {
	case Timed, Immediate, Manual:
		return Mode(s), 0, nil
	}
	if n, ok := strings.CutPrefix(s, string(AfterPolls)+":"); ok {
		polls, err := strconv.Atoi(n)
		if err != nil || polls < 1 || (maxPolls > 0 && polls > maxPolls) || strconv.Itoa(polls) != n {
			limit := "≥ 1"
			if maxPolls > 0 {
				limit = fmt.Sprintf("1…%d", maxPolls)
			}
			return "", 0, badf("after_polls needs N %s, got %q", limit, n)
		}
		return AfterPolls, polls, nil
	}
	return "", 0, badf(`mode must be "timed", "immediate", "after_polls:N" or "manual", got %q`, s)
}

// LoadProgression returns the tenant's progression for a service (default timed).
func LoadProgression(tx Tx, service string, spec ProgressionSpec) (Progression, error) {
	p := Progression{Mode: Timed, Extras: map[string]json.RawMessage{}}
	if spec.Extras != nil {
		for k, v := range spec.Extras() {
			raw, _ := json.Marshal(v)
			p.Extras[k] = raw
		}
	}
	raw := tx.Get(controlBucket(service), []byte("progression"))
	if raw == nil {
		return p, nil
	}
	var stored map[string]json.RawMessage
	if err := json.Unmarshal(raw, &stored); err != nil {
		return p, fmt.Errorf("progression of %s: %w", service, err)
	}
	var mode string
	_ = json.Unmarshal(stored["mode"], &mode)
	m, n, err := ParseMode(mode, 0)
	if err != nil {
		return p, err
	}
	p.Mode, p.Polls = m, n
	for k, v := range stored {
		if k != "mode" {
			p.Extras[k] = v
		}
	}
	return p, nil
}

// PutProgression applies a PUT body: mode required, extras merged over the
// current ones; anything unknown or invalid → ErrBadControl, nothing stored.
func PutProgression(tx Tx, service string, spec ProgressionSpec, body []byte) (Progression, error) {
	cur, err := LoadProgression(tx, service, spec)
	if err != nil {
		return cur, err
	}
	var in map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil || in == nil {
		return cur, badf("progression must be a JSON object")
	}
	var mode string
	if err := json.Unmarshal(in["mode"], &mode); err != nil {
		return cur, badf(`"mode" must be a string`)
	}
	m, n, err := ParseMode(mode, spec.MaxPolls)
	if err != nil {
		return cur, err
	}
	cur.Mode, cur.Polls = m, n
	for k, v := range in {
		if k == "mode" {
			continue
		}
		if _, ok := cur.Extras[k]; !ok || spec.ValidateExtra == nil {
			return cur, badf("unknown progression member %q", k)
		}
		if err := spec.ValidateExtra(k, v); err != nil {
			return cur, badf("%s: %v", k, err)
		}
		cur.Extras[k] = v
	}
	raw, err := json.Marshal(cur)
	if err != nil {
		return cur, err
	}
	return cur, tx.Put(controlBucket(service), []byte("progression"), raw)
}
