package prozorro_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/sandbox"
	"github.com/upstream-sandbox/sandbox/store"
)

// hostileValues are put in place of every field of the seed plan, one at a time.
var hostileValues = []any{
	nil, true, 0, -1, 1.5, 1e308, "", "x", strings.Repeat("я", 1000), []any{}, []any{nil}, []any{1, "a"},
	map[string]any{}, map[string]any{"0": 1}, map[string]any{"x": map[string]any{"y": []any{}}},
	"2017-13-45", "\u0000", json.Number("123456789012345678901234567890"),
	"nan", "-Infinity", json.Number("1e999"),
}

// paths lists every JSON path of a decoded body, for mutation.
func paths(v any, prefix []any, out *[][]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := append(append([]any{}, prefix...), k)
			*out = append(*out, p)
			paths(e, p, out)
		}
	case []any:
		for i, e := range x {
			p := append(append([]any{}, prefix...), i)
			*out = append(*out, p)
			paths(e, p, out)
		}
	}
}

func setAt(v any, path []any, value any) any {
	if len(path) == 0 {
		return value
	}
	switch x := v.(type) {
	case map[string]any:
		x[path[0].(string)] = setAt(x[path[0].(string)], path[1:], value)
	case []any:
		x[path[0].(int)] = setAt(x[path[0].(int)], path[1:], value)
	}
	return v
}

func clone(t *testing.T, v any) any {
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&out))
	return out
}

// Bad input gets the upstream's error and changes nothing; the server never
// answers 500 on input. Every field of the seed plan, at every depth, is
// replaced by each hostile value, on create and on PATCH.
func TestHostile_EveryFieldEveryType(t *testing.T) {
	e := newEnv(t)
	base := seedPlan(t)
	var all [][]any
	paths(base, nil, &all)
	before := e.planCount()
	created := 0
	for _, p := range all {
		for _, hv := range hostileValues {
			body := setAt(clone(t, base), p, hv)
			resp := e.as("broker", http.MethodPost, plansURL, body)
			require.Contains(t, []int{201, 422}, resp.StatusCode, "POST %v=%v: %s", p, hv, resp.Body)
			if resp.StatusCode == 201 {
				created++
			} else {
				require.True(t, strings.HasPrefix(string(resp.Body), `{"status": "error", "errors": [`), string(resp.Body))
			}
			if p[0] == "data" && len(p) > 1 {
				patch := map[string]any{"data": setAt(clone(t, base["data"]), p[1:], hv)}
				resp = e.as("broker", http.MethodPatch, plansURL+"/"+P1+"?acc_token="+P1Token, patch)
				require.Contains(t, []int{200, 422}, resp.StatusCode, "PATCH %v=%v: %s", p, hv, resp.Body)
			}
		}
	}
	require.Equal(t, before+created, e.planCount(), "refused bodies stored nothing")
}

func hostileServer(t testing.TB) http.Handler {
	emus, err := sandbox.DefaultEmulators()
	require.NoError(t, err)
	srv, err := sandbox.NewServer(sandbox.Config{Store: store.NewMemory(), Emulators: emus, Scenario: "ci-minimal", Seed: 1, JournalSize: 10})
	require.NoError(t, err)
	return srv.Handler()
}

// FuzzEndpoints throws arbitrary bodies, content types and query strings at
// every write endpoint; nothing may answer 5xx. CI runs the seed corpus; run
// `go test ./emulators/prozorro/ -run '^$' -fuzz FuzzEndpoints -fuzztime 60s` to search.
func FuzzEndpoints(f *testing.F) {
	f.Add([]byte(`{"data": {}}`), "application/json", "acc_token="+P1Token)
	f.Add([]byte(`{"data": {"items": {"a": 1}}}`), "application/json", "")
	f.Add([]byte(`{"data": {"budget": {"amount": "1e999"}}}`), "application/json", "opt_pretty=1&opt_jsonp=x")
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"=?utf-8?q?x?=\"\r\n\r\nabc\r\n--b--\r\n"), "multipart/form-data; boundary=b", "acc_token="+P1Token)
	f.Add([]byte("\xff\xfe"), "text/plain", "offset=%FF")
	f.Add([]byte(`[[[[[[[[[[]]]]]]]]]]`), "application/json; charset=latin1", "limit=-1&feed=changes&offset=zz")
	f.Add([]byte(`{"data": {"hash": "md5:zz", "url": "http://x/get/k?KeyID=1&Signature=2", "title": "t", "format": "a/b"}}`), "application/json", "acc_token="+P1Token)
	h := hostileServer(f)
	targets := []struct{ method, path string }{
		{http.MethodPost, plansURL},
		{http.MethodPatch, plansURL + "/" + P1},
		{http.MethodPost, plansURL + "/" + P1 + "/documents"},
		{http.MethodGet, plansURL},
		{http.MethodPost, "/prozorro/docservice/register"},
		{http.MethodPost, "/prozorro/docservice/upload"},
		{http.MethodGet, "/prozorro/docservice/get/k"},
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype, query string) {
		for _, tg := range targets {
			req := httptest.NewRequest(tg.method, "http://sandbox"+tg.path, bytes.NewReader(body))
			req.URL.RawQuery = query
			req.Header.Set("Content-Type", ctype)
			req.Header.Set("Authorization", basic("broker"))
			rec := httptest.NewRecorder()
			done := make(chan struct{})
			go func() { h.ServeHTTP(rec, req); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Fatalf("%s %s?%s (%q, %q) hangs:\n%s", tg.method, tg.path, query, ctype, body, buf[:n])
			}
			if rec.Code >= 500 {
				t.Fatalf("%s %s?%s (%q, %q) → %d %s", tg.method, tg.path, query, ctype, body, rec.Code, rec.Body)
			}
		}
	})
}
