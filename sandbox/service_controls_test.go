package sandbox_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	progressionPath = "/_sandbox/prozorro/progression"
	settingsPath    = "/_sandbox/prozorro/settings"
	outcomesPath    = "/_sandbox/prozorro/outcomes"
	defaultSettings = `{"generation":"2017","planPatch":"owner","noopPatchBody":"null","docservice":"lenient",
		"sandboxMode":true,"auctionModuleUrl":"http://auction-sandbox.openprocurement.org"}`
)

// CONVENTIONS Service controls, Progression: PUT stores a mode and answers it;
// anything else is refused and changes nothing; reset restores the default.
func TestServer_Progression(t *testing.T) {
	e := newEnv(t)
	jsonEq(t, `{"mode":"timed"}`, e.in("a", http.MethodGet, progressionPath, nil))

	for _, mode := range []string{"immediate", "manual", "timed", "after_polls:1", "after_polls:3"} {
		resp := e.in("a", http.MethodPut, progressionPath, map[string]any{"mode": mode})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
		jsonEq(t, `{"mode":"`+mode+`"}`, resp)
		jsonEq(t, `{"mode":"`+mode+`"}`, e.in("a", http.MethodGet, progressionPath, nil))
	}
	jsonEq(t, `{"mode":"timed"}`, e.in("b", http.MethodGet, progressionPath, nil), "per tenant")

	for _, body := range []string{
		``, `not json`, `[]`, `{}`, `{"mode":1}`, `{"mode":"sometimes"}`, `{"mode":"after_polls"}`,
		`{"mode":"after_polls:0"}`, `{"mode":"after_polls:-1"}`, `{"mode":"after_polls:03"}`, `{"mode":"after_polls:x"}`,
		`{"mode":"TIMED"}`, `{"mode":"timed","speed":2}`,
	} {
		t.Run(body, func(t *testing.T) {
			requireProblem(t, e.in("a", http.MethodPut, progressionPath, body, "Content-Type", "application/json"), http.StatusBadRequest)
			jsonEq(t, `{"mode":"after_polls:3"}`, e.in("a", http.MethodGet, progressionPath, nil))
		})
	}

	e.in("a", http.MethodPost, "/_sandbox/reset", nil)
	jsonEq(t, `{"mode":"timed"}`, e.in("a", http.MethodGet, progressionPath, nil))
}

// CONVENTIONS Service controls, Settings: PUT merges and answers every key; an
// unknown key or a bad value refuses the whole PUT; reset restores defaults.
func TestServer_Settings(t *testing.T) {
	e := newEnv(t)
	jsonEq(t, defaultSettings, e.in("a", http.MethodGet, settingsPath, nil))

	resp := e.in("a", http.MethodPut, settingsPath, map[string]any{"planPatch": "anyBroker"})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	merged := `{"generation":"2017","planPatch":"anyBroker","noopPatchBody":"null","docservice":"lenient",
		"sandboxMode":true,"auctionModuleUrl":"http://auction-sandbox.openprocurement.org"}`
	jsonEq(t, merged, resp)
	resp = e.in("a", http.MethodPut, settingsPath, map[string]any{"generation": "2018", "sandboxMode": false})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	merged = `{"generation":"2018","planPatch":"anyBroker","noopPatchBody":"null","docservice":"lenient",
		"sandboxMode":false,"auctionModuleUrl":"http://auction-sandbox.openprocurement.org"}`
	jsonEq(t, merged, resp)
	jsonEq(t, merged, e.in("a", http.MethodGet, settingsPath, nil))
	jsonEq(t, defaultSettings, e.in("b", http.MethodGet, settingsPath, nil), "per tenant")

	for _, body := range []string{
		``, `not json`, `[]`, `null`, `"x"`,
		`{"nosuch":1}`,
		`{"generation":"2019"}`, `{"generation":2017}`, `{"generation":null}`,
		`{"sandboxMode":"yes"}`, `{"auctionModuleUrl":"not a url"}`, `{"docservice":"strict","planPatch":"everyone"}`,
		`{"generation":"2017","nosuch":true}`,
	} {
		t.Run(body, func(t *testing.T) {
			requireProblem(t, e.in("a", http.MethodPut, settingsPath, body, "Content-Type", "application/json"), http.StatusBadRequest)
			jsonEq(t, merged, e.in("a", http.MethodGet, settingsPath, nil))
		})
	}

	e.in("a", http.MethodPost, "/_sandbox/reset", nil)
	jsonEq(t, defaultSettings, e.in("a", http.MethodGet, settingsPath, nil))
}

type outcome struct {
	ID        string         `json:"id"`
	Outcome   string         `json:"outcome"`
	Match     map[string]any `json:"match"`
	Count     int            `json:"count"`
	Remaining int            `json:"remaining"`
	Bids      []any          `json:"bids"`
}

func (e *env) outcomes(tenant string) []outcome {
	e.t.Helper()
	resp := e.in(tenant, http.MethodGet, outcomesPath, nil)
	require.Equal(e.t, http.StatusOK, resp.StatusCode, string(resp.Body))
	var out struct {
		Items []outcome `json:"items"`
	}
	require.NoError(e.t, json.Unmarshal(resp.Body, &out))
	require.NotNil(e.t, out.Items)
	return out.Items
}

// CONVENTIONS Service controls, Forced outcomes: the shared queue shape.
func TestServer_Outcomes(t *testing.T) {
	e := newEnv(t)
	require.Empty(t, e.outcomes("a"))

	resp := e.in("a", http.MethodPost, outcomesPath,
		map[string]any{"outcome": "conflict", "match": map[string]any{"method": "PATCH", "path": "/api/2.3/plans/*"}, "count": 2})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(resp.Body))
	var single outcome
	require.NoError(t, json.Unmarshal(resp.Body, &single))
	require.NotEmpty(t, single.ID)
	require.Equal(t, outcome{ID: single.ID, Outcome: "conflict", Match: map[string]any{"method": "PATCH", "path": "/api/2.3/plans/*"}, Count: 2, Remaining: 2}, single)

	resp = e.in("a", http.MethodPost, outcomesPath, []any{
		map[string]any{"outcome": "docservice.failure"},
		map[string]any{"outcome": "auction.results", "match": map[string]any{"auction": "c2000000000040008000000000000001"},
			"bids": []any{map[string]any{"id": "b", "value": map[string]any{"amount": 520.0}}}},
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(resp.Body))
	var array struct {
		Items []outcome `json:"items"`
	}
	require.NoError(t, json.Unmarshal(resp.Body, &array))
	require.Len(t, array.Items, 2)
	require.Equal(t, "docservice.failure", array.Items[0].Outcome)
	require.Equal(t, map[string]any{}, array.Items[0].Match, "absent match = any")
	require.Equal(t, 1, array.Items[0].Count, "count defaults to 1")
	require.Equal(t, 1, array.Items[0].Remaining)
	require.Equal(t, "auction.results", array.Items[1].Outcome)
	require.Len(t, array.Items[1].Bids, 1, "service members are kept")

	queue := e.outcomes("a")
	require.Equal(t, []outcome{single, array.Items[0], array.Items[1]}, queue, "queue order")
	require.Empty(t, e.outcomes("b"), "per tenant")
	ids := map[string]bool{}
	for _, o := range queue {
		ids[o.ID] = true
	}
	require.Len(t, ids, 3, "ids are distinct")

	t.Run("a matching write consumes the oldest", func(t *testing.T) {
		body := map[string]any{"data": map[string]any{"budget": map[string]any{"description": "x"}}}
		patch := e.in("a", http.MethodPatch, plansPath+"/"+p1ID+"?acc_token="+p1Token, body, "Authorization", brokerAuth)
		requireProzorroError(t, patch, http.StatusConflict, "body", "data", "(u'conflict', u'Document update conflict.')")
		require.Equal(t, 1, e.outcomes("a")[0].Remaining)
	})

	t.Run("bad bodies queue nothing", func(t *testing.T) {
		before := e.outcomes("a")
		for _, body := range []string{
			``, `not json`, `[]`, `null`, `"conflict"`, `{}`,
			`{"outcome":""}`, `{"outcome":"nosuch"}`, `{"outcome":1}`,
			`{"outcome":"conflict","count":0}`, `{"outcome":"conflict","count":1001}`, `{"outcome":"conflict","count":"1"}`,
			`{"outcome":"conflict","match":"PATCH"}`, `{"outcome":"conflict","match":{"auction":"x"}}`,
			`{"outcome":"conflict","match":{"method":1}}`, `{"outcome":"conflict","colour":"red"}`,
			`{"outcome":"conflict","id":"mine"}`, `{"outcome":"conflict","remaining":3}`,
			`{"outcome":"docservice.failure","match":{"method":"POST"}}`,
			`{"outcome":"auction.results"}`, `{"outcome":"auction.results","match":{"auction":""}}`,
			`[{"outcome":"conflict"},{"outcome":"nosuch"}]`,
		} {
			t.Run(body, func(t *testing.T) {
				requireProblem(t, e.in("a", http.MethodPost, outcomesPath, body, "Content-Type", "application/json"), http.StatusBadRequest)
				require.Equal(t, before, e.outcomes("a"))
			})
		}
	})

	t.Run("delete one, then all", func(t *testing.T) {
		first := e.outcomes("a")[0].ID
		del := e.in("a", http.MethodDelete, outcomesPath+"/"+first, nil)
		require.Equal(t, http.StatusNoContent, del.StatusCode, string(del.Body))
		require.Empty(t, del.Body)
		require.Len(t, e.outcomes("a"), 2)
		requireProblem(t, e.in("a", http.MethodDelete, outcomesPath+"/"+first, nil), http.StatusNotFound)
		requireProblem(t, e.in("b", http.MethodDelete, outcomesPath+"/"+e.outcomes("a")[0].ID, nil), http.StatusNotFound)

		del = e.in("a", http.MethodDelete, outcomesPath, nil)
		require.Equal(t, http.StatusNoContent, del.StatusCode)
		require.Empty(t, del.Body)
		require.Empty(t, e.outcomes("a"))
		require.Equal(t, http.StatusNoContent, e.in("a", http.MethodDelete, outcomesPath, nil).StatusCode, "clearing an empty queue")
	})

	t.Run("reset drops queued outcomes", func(t *testing.T) {
		resp := e.in("a", http.MethodPost, outcomesPath, map[string]any{"outcome": "conflict"})
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		e.in("a", http.MethodPost, "/_sandbox/reset", nil)
		require.Empty(t, e.outcomes("a"))
	})
}
