package sandbox_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/sandboxtest"
)

// fakeWall is an injectable real clock, so running tenant clocks can be tested
// without sleeping.
type fakeWall struct {
	mu  sync.Mutex
	now time.Time
}

func (w *fakeWall) Now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *fakeWall) Add(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func (e *env) clock(tenant string) (string, bool) {
	e.t.Helper()
	resp := e.in(tenant, http.MethodGet, "/_sandbox/clock", nil)
	require.Equal(e.t, http.StatusOK, resp.StatusCode, string(resp.Body))
	obj := resp.Object()
	require.Len(e.t, obj, 2, string(resp.Body))
	return obj["now"].(string), obj["frozen"].(bool)
}

func (e *env) postClock(tenant string, body any) *sandboxtest.Response {
	e.t.Helper()
	return e.in(tenant, http.MethodPost, "/_sandbox/clock", body)
}

// CONVENTIONS Time: ci-minimal pins the clock, frozen; advance/set/freeze move
// it per tenant, and reset puts it back.
func TestServer_ClockControls(t *testing.T) {
	wall := &fakeWall{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := newEnv(t, sandboxtest.WithWall(wall.Now))

	now, frozen := e.clock("a")
	require.Equal(t, t0, now)
	require.True(t, frozen)

	// A frozen clock ignores the wall.
	wall.Add(time.Hour)
	now, _ = e.clock("a")
	require.Equal(t, t0, now)

	resp := e.postClock("a", map[string]any{"advance": "48h"})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	jsonEq(t, `{"now":"2026-11-26T12:00:00+03:00","frozen":true}`, resp)
	now, frozen = e.clock("a")
	require.Equal(t, "2026-11-26T12:00:00+03:00", now)
	require.True(t, frozen, "advance keeps the clock frozen")
	now, _ = e.clock("b")
	require.Equal(t, t0, now, "another tenant's clock does not move")

	resp = e.postClock("a", map[string]any{"set": "2026-03-01T10:00:00+02:00"})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	jsonEq(t, `{"now":"2026-03-01T10:00:00+02:00","frozen":true}`, resp)

	t.Run("running", func(t *testing.T) {
		resp := e.postClock("a", map[string]any{"freeze": false})
		jsonEq(t, `{"now":"2026-03-01T10:00:00+02:00","frozen":false}`, resp)
		wall.Add(90 * time.Second)
		now, frozen := e.clock("a")
		require.False(t, frozen)
		require.Equal(t, "2026-03-01T10:01:30+02:00", now)

		// set and advance keep a running clock running.
		jsonEq(t, `{"now":"2026-03-01T11:01:30+02:00","frozen":false}`, e.postClock("a", map[string]any{"advance": "1h"}))
		wall.Add(30 * time.Second)
		now, _ = e.clock("a")
		require.Equal(t, "2026-03-01T11:02:00+02:00", now)
		jsonEq(t, `{"now":"2026-05-01T00:00:00Z","frozen":false}`, e.postClock("a", map[string]any{"set": "2026-05-01T00:00:00Z"}))
		wall.Add(time.Second)
		now, _ = e.clock("a")
		require.Equal(t, "2026-05-01T00:00:01Z", now)

		// Freezing stops it where it is.
		jsonEq(t, `{"now":"2026-05-01T00:00:01Z","frozen":true}`, e.postClock("a", map[string]any{"freeze": true}))
		wall.Add(time.Hour)
		now, frozen = e.clock("a")
		require.True(t, frozen)
		require.Equal(t, "2026-05-01T00:00:01Z", now)
	})

	t.Run("bad bodies change nothing", func(t *testing.T) {
		before, _ := e.clock("a")
		for _, body := range []string{
			``, `{}`, `[]`, `null`, `not json`,
			`{"advance":"soon"}`, `{"advance":48}`, `{"set":"yesterday"}`, `{"set":"2026-03-01"}`,
			`{"freeze":"yes"}`, `{"nope":true}`, `{"advance":"1h","nope":1}`,
			`{"advance":"1h"} {"advance":"2h"}`,
		} {
			t.Run(body, func(t *testing.T) {
				requireProblem(t, e.in("a", http.MethodPost, "/_sandbox/clock", body, "Content-Type", "application/json"), http.StatusBadRequest)
				after, _ := e.clock("a")
				require.Equal(t, before, after)
			})
		}
	})

	t.Run("reset puts the clock back", func(t *testing.T) {
		resp := e.in("a", http.MethodPost, "/_sandbox/reset", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, t0, resp.Object()["now"])
		require.Equal(t, true, resp.Object()["frozen"])
		now, frozen := e.clock("a")
		require.Equal(t, t0, now)
		require.True(t, frozen)
	})
}

// CONVENTIONS Time: every timestamp comes from the tenant clock — advancing one
// tenant moves that tenant's next write, and only that tenant's.
func TestServer_ClockDrivesTimestamps(t *testing.T) {
	e := newEnv(t)
	start, err := time.Parse(time.RFC3339, t0)
	require.NoError(t, err)

	_, _, before := e.createPlan("a")
	require.WithinDuration(t, start, dateModified(t, before), time.Millisecond)

	e.postClock("a", map[string]any{"advance": "48h"})
	idA, tokenA, after := e.createPlan("a")
	require.WithinDuration(t, start.Add(48*time.Hour), dateModified(t, after), time.Millisecond)

	_, _, other := e.createPlan("b")
	require.WithinDuration(t, start, dateModified(t, other), time.Millisecond, "tenant b's clock was not advanced")

	// A PATCH is a write too.
	e.postClock("a", map[string]any{"advance": "2h"})
	patched := e.in("a", http.MethodPatch, plansPath+"/"+idA+"?acc_token="+tokenA,
		map[string]any{"data": map[string]any{"budget": map[string]any{"description": "moved"}}}, "Authorization", brokerAuth)
	require.Equal(t, http.StatusOK, patched.StatusCode, string(patched.Body))
	require.WithinDuration(t, start.Add(50*time.Hour), dateModified(t, patched), time.Millisecond)
}

// CONVENTIONS Time: with --clock (Config.Clock) tenants whose scenario does not
// pin a start begin there, frozen; scenarios that pin one keep theirs.
func TestServer_ClockFlagPinsUnpinnedScenarios(t *testing.T) {
	pin := time.Date(2027, 2, 3, 4, 5, 6, 0, time.UTC)
	e := newEnv(t, sandboxtest.WithClock(pin), sandboxtest.WithScenario("empty"))
	now, frozen := e.clock("a")
	require.Equal(t, "2027-02-03T04:05:06Z", now)
	require.True(t, frozen)

	resp := e.in("pinned", http.MethodGet, "/_sandbox/clock", nil, "X-Sandbox-Scenario", "ci-minimal")
	require.Equal(t, t0, resp.Object()["now"])
}
