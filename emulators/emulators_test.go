package emulators_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/store"
)

func TestMatchGlob(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"/api/2.3/plans/*", "/api/2.3/plans/abc", true},
		{"/api/2.3/plans/*", "/api/2.3/plans/abc/documents", false},
		{"/api/2.3/plans/*", "/api/2.3/plans", false},
		{"/api/2.3/plans/**", "/api/2.3/plans/abc/documents", true},
		{"/api/2.3/*/x", "/api/2.3/plans/x", true},
		{"/a?c", "/abc", true},
		{"/a?c", "/a/c", false},
		{"*", "", true},
		{"/exact", "/exact", true},
		{"/exact", "/exactly", false},
	}
	for _, c := range cases {
		require.Equal(t, c.want, emulators.MatchGlob(c.pattern, c.path), "%s ~ %s", c.pattern, c.path)
	}
}

func TestCheckJSON(t *testing.T) {
	require.NoError(t, emulators.CheckJSON([]byte(`{"a":[1,{"b":"[{"}]}`), 64))
	require.ErrorIs(t, emulators.CheckJSON([]byte("\"\xff\""), 64), emulators.ErrInvalidUTF8)
	require.ErrorIs(t, emulators.CheckJSON([]byte(strings.Repeat("[", 65)+strings.Repeat("]", 65)), 64), emulators.ErrTooDeep)
	require.NoError(t, emulators.CheckJSON([]byte(strings.Repeat("[", 64)+strings.Repeat("]", 64)), 64))
	require.ErrorIs(t, emulators.CheckJSON([]byte(`{"a":1} {}`), 64), emulators.ErrNotJSON)
	require.ErrorIs(t, emulators.CheckJSON([]byte(``), 64), emulators.ErrNotJSON)
}

func TestIDs_Deterministic(t *testing.T) {
	ids := emulators.IDs{Seed: 1}
	a := emulators.UUID4Hex(ids.Sum("t", "plan", "1"))
	require.Equal(t, a, emulators.UUID4Hex(ids.Sum("t", "plan", "1")))
	require.NotEqual(t, a, emulators.UUID4Hex(ids.Sum("t", "plan", "2")))
	require.NotEqual(t, a, emulators.UUID4Hex(emulators.IDs{Seed: 2}.Sum("t", "plan", "1")))
	require.Regexp(t, `^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$`, a)
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, ids.UUID("t", "mos", "x", "1"))
}

type testSettings struct {
	Mode  string  `json:"mode"`
	Limit int     `json:"limit"`
	Opt   *string `json:"opt"`
}

func TestSettings_Merge(t *testing.T) {
	spec := emulators.SettingsSpec{
		Defaults: func() any { return &testSettings{Mode: "a", Limit: 10} },
		Validate: func(v any) error {
			if s := v.(*testSettings); s.Mode != "a" && s.Mode != "b" {
				return emulators.ErrBadControl
			}
			return nil
		},
	}
	s := store.NewMemory()
	err := s.Update("t", time.Time{}, func(tx store.Tx) error {
		got, err := emulators.MergeSettings(tx, "svc", spec, []byte(`{"mode":"b"}`))
		require.NoError(t, err)
		require.Equal(t, &testSettings{Mode: "b", Limit: 10}, got)
		for _, bad := range []string{`{"nosuch":1}`, `{"mode":"c"}`, `{"limit":"x"}`, `[]`, `{"limit":null}`} {
			_, err := emulators.MergeSettings(tx, "svc", spec, []byte(bad))
			require.ErrorIs(t, err, emulators.ErrBadControl, bad)
		}
		_, err = emulators.MergeSettings(tx, "svc", spec, []byte(`{"opt":null}`))
		require.NoError(t, err)
		cur, err := emulators.Settings[testSettings](tx, "svc", spec)
		require.NoError(t, err)
		require.Equal(t, "b", cur.Mode, "refused PUTs change nothing")
		return nil
	})
	require.NoError(t, err)
}

func TestProgression(t *testing.T) {
	spec := emulators.ProgressionSpec{MaxPolls: 100,
		Extras: func() map[string]any { return map[string]any{"queuedSec": 2} },
		ValidateExtra: func(name string, raw json.RawMessage) error {
			var n int
			return json.Unmarshal(raw, &n)
		}}
	s := store.NewMemory()
	require.NoError(t, s.Update("t", time.Time{}, func(tx store.Tx) error {
		p, err := emulators.LoadProgression(tx, "svc", spec)
		require.NoError(t, err)
		require.Equal(t, "timed", p.String())
		p, err = emulators.PutProgression(tx, "svc", spec, []byte(`{"mode":"after_polls:3","queuedSec":5}`))
		require.NoError(t, err)
		raw, _ := json.Marshal(p)
		require.JSONEq(t, `{"mode":"after_polls:3","queuedSec":5}`, string(raw))
		for _, bad := range []string{`{"mode":"after_polls:0"}`, `{"mode":"after_polls:101"}`, `{"mode":"later"}`, `{"mode":"timed","x":1}`, `{}`, `{"mode":"timed","queuedSec":"x"}`} {
			_, err := emulators.PutProgression(tx, "svc", spec, []byte(bad))
			require.ErrorIs(t, err, emulators.ErrBadControl, bad)
		}
		p, err = emulators.LoadProgression(tx, "svc", spec)
		require.NoError(t, err)
		require.Equal(t, 3, p.Polls)
		return nil
	}))
}

func TestOutcomes_QueueAndTake(t *testing.T) {
	s := store.NewMemory()
	require.NoError(t, s.Update("t", time.Time{}, func(tx store.Tx) error {
		list, array, err := emulators.ParseOutcomes([]byte(`[{"outcome":"x","count":2,"extra":[1]},{"outcome":"y","match":{"k":"v"}}]`), nil)
		require.NoError(t, err)
		require.True(t, array)
		_, err = emulators.QueueOutcomes(tx, "svc", list, func(seq uint64) string { return "o" + string(rune('0'+seq)) })
		require.NoError(t, err)
		o, err := emulators.TakeOutcome(tx, "svc", func(o *emulators.Outcome) bool { return o.MatchString("k") == "v" })
		require.NoError(t, err)
		require.Equal(t, "y", o.Outcome)
		o, err = emulators.TakeOutcome(tx, "svc", func(*emulators.Outcome) bool { return true })
		require.NoError(t, err)
		require.Equal(t, 1, o.Remaining)
		require.JSONEq(t, `[1]`, string(o.Members["extra"]))
		pending, err := emulators.ListOutcomes(tx, "svc")
		require.NoError(t, err)
		require.Len(t, pending, 1)
		_, err = emulators.TakeOutcome(tx, "svc", func(*emulators.Outcome) bool { return true })
		require.NoError(t, err)
		o, err = emulators.TakeOutcome(tx, "svc", func(*emulators.Outcome) bool { return true })
		require.NoError(t, err)
		require.Nil(t, o)
		for _, bad := range []string{`{}`, `{"outcome":""}`, `{"outcome":"x","count":0}`, `{"outcome":"x","count":1001}`, `{"outcome":"x","match":[]}`, `[]`, `"x"`, `{"outcome":"x","id":"1"}`} {
			_, _, err := emulators.ParseOutcomes([]byte(bad), nil)
			require.ErrorIs(t, err, emulators.ErrBadControl, bad)
		}
		return nil
	}))
}

func TestWalk(t *testing.T) {
	s := store.NewMemory()
	b := store.Bucket{Service: "s", Kind: "k"}
	require.NoError(t, s.Update("t", time.Time{}, func(tx store.Tx) error {
		for _, k := range []string{"b", "d", "f"} {
			require.NoError(t, tx.Put(b, []byte(k), nil))
		}
		collect := func(from []byte, desc bool, n int) string {
			var out string
			emulators.Walk(tx.Cursor(b), from, desc, n, func(k, _ []byte) bool { out += string(k); return true })
			return out
		}
		require.Equal(t, "bdf", collect(nil, false, 10))
		require.Equal(t, "fd", collect(nil, true, 2))
		require.Equal(t, "df", collect([]byte("c"), false, 10))
		require.Equal(t, "db", collect([]byte("d"), true, 10))
		require.Equal(t, "b", collect([]byte("c"), true, 10))
		require.Equal(t, "fdb", collect([]byte("z"), true, 10))
		require.Equal(t, "", collect([]byte("a"), true, 10))
		other := store.Bucket{Service: "s", Kind: "k2"}
		for _, k := range []string{"a", "c", "e"} {
			require.NoError(t, tx.Put(other, []byte(k), nil))
		}
		merged := func(from []byte, desc bool, n int) string {
			var out string
			emulators.WalkMerged([]store.Cursor{tx.Cursor(b), tx.Cursor(other)}, from, desc, n, func(k, _ []byte) bool { out += string(k); return true })
			return out
		}
		require.Equal(t, "abcdef", merged(nil, false, 10))
		require.Equal(t, "fedc", merged(nil, true, 4))
		require.Equal(t, "cdef", merged([]byte("c"), false, 10))
		require.Equal(t, "dcba", merged([]byte("d"), true, 10))
		return nil
	}))
}

type fixedTenant struct{}

func (fixedTenant) Name() string   { return "t" }
func (fixedTenant) Now() time.Time { return time.Time{} }
func (fixedTenant) Seq() uint64    { return 0 }

// Env.Update rolls back on an error, but keeps what was written before a
// CommitAnyway refusal (a consumed forced outcome) and answers its error.
func TestEnv_UpdateCommitAnyway(t *testing.T) {
	s := store.NewMemory()
	env := &emulators.Env{Store: s}
	b := store.Bucket{Service: "s", Kind: "k"}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r = r.WithContext(emulators.WithTenant(r.Context(), fixedTenant{}))
	refused := errors.New("refused")
	err := env.Update(r, func(tx store.Tx) error {
		require.NoError(t, tx.Put(b, []byte("rolled-back"), nil))
		return refused
	})
	require.ErrorIs(t, err, refused)
	err = env.Update(r, func(tx store.Tx) error {
		require.NoError(t, tx.Put(b, []byte("consumed"), nil))
		return emulators.CommitAnyway(refused)
	})
	require.ErrorIs(t, err, refused)
	require.NoError(t, s.View("t", time.Time{}, func(tx store.Tx) error {
		require.Nil(t, tx.Get(b, []byte("rolled-back")))
		require.NotNil(t, tx.Get(b, []byte("consumed")))
		return nil
	}))
}
