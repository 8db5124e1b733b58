package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/sandboxtest"
)

type journalEntry struct {
	Seq          uint64   `json:"seq"`
	Tenant       string   `json:"tenant"`
	Service      string   `json:"service"`
	Method       string   `json:"method"`
	Path         string   `json:"path"`
	Query        string   `json:"query"`
	Status       int      `json:"status"`
	DurationMs   *float64 `json:"durationMs"`
	RequestBody  string   `json:"requestBody"`
	ResponseBody string   `json:"responseBody"`
}

func (e *env) journal(tenant, query string) []journalEntry {
	e.t.Helper()
	resp := e.in(tenant, http.MethodGet, "/_sandbox/journal"+query, nil)
	require.Equal(e.t, http.StatusOK, resp.StatusCode, string(resp.Body))
	var out struct {
		Items []journalEntry `json:"items"`
	}
	require.NoError(e.t, json.Unmarshal(resp.Body, &out))
	require.NotNil(e.t, out.Items, "items is a list, never null")
	return out.Items
}

// CONVENTIONS Control plane: the journal holds the tenant's recent upstream
// requests, newest first, filterable by service, path and status.
func TestServer_Journal(t *testing.T) {
	e := newEnv(t)
	id, _, _ := e.createPlan("a")
	e.in("a", http.MethodGet, plansPath+"/"+p1ID, nil)
	e.in("a", http.MethodGet, plansPath+"/nosuch", nil)
	e.in("a", http.MethodGet, "/prozorro/api/2.3/complaints", nil)
	e.in("b", http.MethodGet, plansPath+"/"+p1ID+"?from=b", nil)
	e.in("a", http.MethodGet, "/_sandbox/clock", nil) // control requests are not journaled

	all := e.journal("a", "")
	require.Len(t, all, 4)
	newest := all[0]
	require.Equal(t, "a", newest.Tenant)
	require.Equal(t, "prozorro", newest.Service)
	require.Equal(t, http.MethodGet, newest.Method)
	require.Equal(t, "/prozorro/api/2.3/complaints", newest.Path)
	require.Equal(t, http.StatusNotFound, newest.Status)
	require.NotNil(t, newest.DurationMs)
	require.GreaterOrEqual(t, *newest.DurationMs, 0.0)

	oldest := all[3]
	require.Equal(t, http.MethodPost, oldest.Method)
	require.Equal(t, plansPath, oldest.Path)
	require.Equal(t, http.StatusCreated, oldest.Status)
	require.Contains(t, oldest.RequestBody, `"data"`)
	require.Contains(t, oldest.ResponseBody, id)
	for i := 1; i < len(all); i++ {
		require.Greater(t, all[i-1].Seq, all[i].Seq, "newest first")
	}

	paths := func(items []journalEntry) []string {
		out := []string{}
		for _, it := range items {
			out = append(out, it.Method+" "+it.Path+" "+strconv.Itoa(it.Status))
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"?service=prozorro", paths(all)},
		{"?service=astral", []string{}},
		{"?status=404", []string{"GET /prozorro/api/2.3/complaints 404", "GET " + plansPath + "/nosuch 404"}},
		{"?status=4xx", []string{"GET /prozorro/api/2.3/complaints 404", "GET " + plansPath + "/nosuch 404"}},
		{"?status=2xx", []string{"GET " + plansPath + "/" + p1ID + " 200", "POST " + plansPath + " 201"}},
		{"?status=201", []string{"POST " + plansPath + " 201"}},
		{"?status=5xx", []string{}},
		{"?path=" + plansPath + "/", []string{"GET " + plansPath + "/nosuch 404", "GET " + plansPath + "/" + p1ID + " 200"}},
		{"?path=/prozorro/api/2.3/complaints", []string{"GET /prozorro/api/2.3/complaints 404"}},
		{"?limit=2", []string{"GET /prozorro/api/2.3/complaints 404", "GET " + plansPath + "/nosuch 404"}},
		{"?limit=1&status=2xx", []string{"GET " + plansPath + "/" + p1ID + " 200"}},
		{"?service=prozorro&status=4xx&path=" + plansPath, []string{"GET " + plansPath + "/nosuch 404"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			require.Equal(t, tc.want, paths(e.journal("a", tc.query)))
		})
	}

	t.Run("only the requesting tenant", func(t *testing.T) {
		b := e.journal("b", "")
		require.Len(t, b, 1)
		require.Equal(t, "b", b[0].Tenant)
		require.Equal(t, "from=b", b[0].Query)
		require.Empty(t, e.journal("c", ""))
	})

	t.Run("bad filters", func(t *testing.T) {
		for _, q := range []string{"?limit=0", "?limit=-1", "?limit=x", "?status=4", "?status=4xxx", "?status=abc", "?status=6xx"} {
			requireProblem(t, e.in("a", http.MethodGet, "/_sandbox/journal"+q, nil), http.StatusBadRequest)
		}
	})
}

// The journal is a bounded ring: it never holds more than --journal-size
// entries, and it keeps the latest.
func TestServer_JournalIsBounded(t *testing.T) {
	e := newEnv(t, sandboxtest.WithJournalSize(5))
	for i := range 20 {
		e.in("a", http.MethodGet, fmt.Sprintf("%s/%s?n=%d", plansPath, p1ID, i), nil)
	}
	items := e.journal("a", "?limit=100")
	require.Len(t, items, 5)
	for i, it := range items {
		require.Equal(t, fmt.Sprintf("n=%d", 19-i), it.Query)
	}
	metrics := e.Do(http.MethodGet, "/_sandbox/metrics", nil)
	require.Contains(t, string(metrics.Body), "\nsandbox_journal_entries 5\n")
}
