package prozorro_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/sandboxtest"
)

// createSpaced creates n plans 1 s apart and returns their ids, oldest first.
func (e *env) createSpaced(n int) []string {
	e.t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		e.AdvanceClock("1s")
		id, _, _ := e.create("broker", seedPlan(e.t))
		ids = append(ids, id)
	}
	return ids
}

func follow(e *env, page map[string]any) map[string]any {
	e.t.Helper()
	return e.get(page["path"].(string))
}

// PZ-19
func TestListing_EmptyExact(t *testing.T) {
	e := newEnv(t, sandboxtest.WithScenario("empty"))
	resp := e.Do(http.MethodGet, plansURL, nil)
	host := strings.TrimPrefix(e.URL, "http://")
	require.Equal(t, `{"next_page": {"offset": "", "path": "/prozorro/api/2.3/plans?offset=", "uri": "http://`+host+`/prozorro/api/2.3/plans?offset="}, "data": []}`, string(resp.Body))
	require.NotContains(t, resp.Object(), "prev_page")
}

// PZ-20
func TestListing_AscendingPaging(t *testing.T) {
	e := newEnv(t, sandboxtest.WithScenario("empty"))
	ids := e.createSpaced(3)
	first := e.get(plansURL + "?limit=2")
	require.Equal(t, ids[:2], listIDs(t, first))
	next := first["next_page"].(map[string]any)
	second := first["data"].([]any)[1].(map[string]any)["dateModified"].(string)
	require.Equal(t, second, next["offset"])
	require.Equal(t, "/prozorro/api/2.3/plans?limit=2&offset="+url.QueryEscape(second), next["path"])
	require.Contains(t, next["path"], "%3A")
	require.Contains(t, next["path"], "%2B")
	require.NotContains(t, first, "prev_page")
	page2 := follow(e, next)
	require.Equal(t, ids[2:], listIDs(t, page2))
	require.Equal(t, second, page2["prev_page"].(map[string]any)["offset"])
	require.Contains(t, page2["prev_page"].(map[string]any)["path"], "descending=1")
	page3 := follow(e, page2["next_page"].(map[string]any))
	require.Empty(t, page3["data"])
	require.Equal(t, page2["next_page"].(map[string]any)["offset"], page3["next_page"].(map[string]any)["offset"])
	// any string is a start key
	require.Empty(t, e.get(plansURL + "?offset=zzz")["data"])
	require.Len(t, e.get(plansURL + "?offset=2000")["data"], 3)
}

// PZ-21
func TestListing_Descending(t *testing.T) {
	e := newEnv(t, sandboxtest.WithScenario("empty"))
	ids := e.createSpaced(3)
	for _, d := range []string{"1", "0", "false"} {
		page := e.get(plansURL + "?limit=2&descending=" + d)
		require.Equal(t, []string{ids[2], ids[1]}, listIDs(t, page))
		require.Contains(t, page["next_page"].(map[string]any)["path"], "descending=1")
		require.NotContains(t, page["prev_page"].(map[string]any)["path"], "descending")
		rest := follow(e, page["next_page"].(map[string]any))
		require.Equal(t, []string{ids[0]}, listIDs(t, rest))
		back := follow(e, rest["prev_page"].(map[string]any))
		// prev_page runs ascending from the page's first key, which (as upstream)
		// is then dropped: only what lies after it shows
		require.Equal(t, []string{ids[2]}, listIDs(t, back))
	}
}

// PZ-22 (plans part)
func TestListing_LimitEdges(t *testing.T) {
	e := newEnv(t, sandboxtest.WithScenario("empty"))
	for i := 0; i < 150; i++ {
		e.create("broker", seedPlan(t))
	}
	page := e.get(plansURL + "?limit=abc")
	require.Len(t, page["data"], 100)
	require.Contains(t, page["next_page"].(map[string]any)["path"], "limit=abc")
	require.Len(t, e.get(plansURL + "?limit=150")["data"], 150)
	require.Len(t, e.get(plansURL + "?limit=0")["data"], 100)
	require.Len(t, e.get(plansURL + "?limit=-5")["data"], 100)
	require.Len(t, e.get(plansURL + "?limit=7")["data"], 7)
}

// PZ-23 (plans part)
func TestListing_OptFields(t *testing.T) {
	e := newEnv(t)
	page := e.get(plansURL + "?opt_fields=planID")
	item := page["data"].([]any)[0].(map[string]any)
	require.Equal(t, map[string]any{"id": P1, "dateModified": item["dateModified"], "planID": "UA-P-2026-11-24-000001"}, item)
	require.Contains(t, page["next_page"].(map[string]any)["path"], "opt_fields=planID")
	page = e.get(plansURL + "?opt_fields=planID,budget,nosuch")
	item = page["data"].([]any)[0].(map[string]any)
	require.Contains(t, item, "budget")
	require.NotContains(t, item, "nosuch")
	require.Contains(t, page["next_page"].(map[string]any)["path"], "opt_fields=planID%2Cbudget%2Cnosuch")
}

// PZ-24 (plans part)
func TestListing_Mode(t *testing.T) {
	e := newEnv(t, sandboxtest.WithScenario("empty"))
	real, _, _ := e.create("broker", seedPlan(t))
	body, data := seedData(t)
	data["mode"] = "test"
	test, _, _ := e.create("broker", body)
	require.Equal(t, []string{real}, listIDs(t, e.get(plansURL)))
	page := e.get(plansURL + "?mode=test")
	require.Equal(t, []string{test}, listIDs(t, page))
	require.Contains(t, page["next_page"].(map[string]any)["path"], "mode=test")
	require.ElementsMatch(t, []string{real, test}, listIDs(t, e.get(plansURL+"?mode=_all_")))
	page = e.get(plansURL + "?mode=all")
	require.Equal(t, []string{real}, listIDs(t, page))
	require.NotContains(t, page["next_page"].(map[string]any)["path"], "mode")
	require.Equal(t, []string{test}, listIDs(t, e.get(plansURL+"?mode=test&feed=changes")))
}

// PZ-25 (plans part)
func TestListing_ChangesFeed(t *testing.T) {
	e := newEnv(t, sandboxtest.WithScenario("empty"))
	ids := e.createSpaced(3)
	page := e.get(plansURL + "?feed=changes&limit=1")
	require.Equal(t, ids[:1], listIDs(t, page))
	next := page["next_page"].(map[string]any)
	require.Regexp(t, `^[0-9a-f]{32}$`, next["offset"])
	require.Contains(t, next["path"], "feed=changes")
	require.Equal(t, []string{ids[1]}, listIDs(t, follow(e, next)))
	// PATCH the oldest: it moves to the end of the changes feed
	tok := e.Control(http.MethodGet, "/_sandbox/prozorro/plans/"+ids[0]+"/access", nil, 200).Object()["token"].(string)
	e.AdvanceClock("1s")
	resp := e.as("broker", http.MethodPatch, plansURL+"/"+ids[0]+"?acc_token="+tok, map[string]any{"data": map[string]any{"budget": map[string]any{"notes": "moved"}}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, []string{ids[1], ids[2], ids[0]}, listIDs(t, e.get(plansURL+"?feed=changes")))
	require.Equal(t, []string{ids[0], ids[2], ids[1]}, listIDs(t, e.get(plansURL+"?feed=changes&descending=1")))
	// a document upload is a change too
	e.upload(http.MethodPost, plansURL+"/"+ids[1]+"/documents?acc_token="+e.Control(http.MethodGet, "/_sandbox/prozorro/plans/"+ids[1]+"/access", nil, 200).Object()["token"].(string), "a.doc", "x")
	require.Equal(t, []string{ids[2], ids[0], ids[1]}, listIDs(t, e.get(plansURL+"?feed=changes")))
	requireError(t, e.Do(http.MethodGet, plansURL+"?feed=changes&offset=0", nil), 404, "params", "offset", "Offset expired/invalid")
	forged := next["offset"].(string)[:16] + strings.Repeat("0", 16)
	requireError(t, e.Do(http.MethodGet, plansURL+"?feed=changes&offset="+forged, nil), 404, "params", "offset", "Offset expired/invalid")
	e.Control(http.MethodPut, "/_sandbox/prozorro/settings", map[string]any{"generation": "2018"}, 200)
	requireError(t, e.Do(http.MethodGet, plansURL+"?feed=changes&offset=0", nil), 404, "querystring", "offset", "Offset expired/invalid")
	other := newEnv(t, sandboxtest.WithScenario("empty"))
	requireError(t, other.Do(http.MethodGet, plansURL+"?feed=changes&offset="+next["offset"].(string), nil), 404, "params", "offset", "Offset expired/invalid")
}

// PZ-26
func TestListing_AlwaysUpToDate(t *testing.T) {
	e := newEnv(t, sandboxtest.WithScenario("empty"))
	id, token, _ := e.create("broker", seedPlan(t))
	page := e.get(plansURL)
	require.Equal(t, []string{id}, listIDs(t, page))
	e.AdvanceClock("1s")
	resp := e.as("broker", http.MethodPatch, plansURL+"/"+id+"?acc_token="+token, map[string]any{"data": map[string]any{"budget": map[string]any{"notes": "x"}}})
	dm := resp.Object()["data"].(map[string]any)["dateModified"]
	require.Equal(t, dm, e.get(plansURL)["data"].([]any)[0].(map[string]any)["dateModified"])
}

// §5.11: writes at one frozen instant keep strictly increasing dateModified
// values, so paging never meets ties.
func TestListing_FrozenClockBurst(t *testing.T) {
	e := newEnv(t, sandboxtest.WithScenario("empty"), sandboxtest.WithClock(mustTime("2026-11-24T12:00:00+03:00")))
	var stamps []string
	for i := 0; i < 5; i++ {
		_, _, resp := e.create("broker", seedPlan(t))
		stamps = append(stamps, resp.Object()["data"].(map[string]any)["dateModified"].(string))
	}
	require.Equal(t, "2026-11-24T11:00:00+02:00", stamps[0])
	require.Equal(t, "2026-11-24T11:00:00.000004+02:00", stamps[4])
	var seen []string
	page := e.get(plansURL + "?limit=2")
	for len(page["data"].([]any)) > 0 {
		seen = append(seen, listIDs(t, page)...)
		page = follow(e, page["next_page"].(map[string]any))
	}
	require.Len(t, seen, 5)
}
