package prozorro_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/sandboxtest"
)

// exchange is one request/response pair of a docs transcript.
type exchange struct {
	method, path string
	headers      map[string]string
	body         []byte
	status       int
	respHeaders  map[string]string
	respBody     []byte
}

var requestLine = regexp.MustCompile(`(?m)^(GET|POST|PATCH|PUT|DELETE|HEAD) (\S+) HTTP/1\.[01]$`)

// parseTranscript splits an upstream docs transcript into exchanges.
func parseTranscript(t *testing.T, text string) []exchange {
	t.Helper()
	locs := requestLine.FindAllStringSubmatchIndex(text, -1)
	var out []exchange
	for i, loc := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		section := text[loc[1]:end]
		ex := exchange{method: text[loc[2]:loc[3]], path: text[loc[4]:loc[5]], headers: map[string]string{}, respHeaders: map[string]string{}}
		respAt := strings.Index(section, "Response: ")
		require.Positive(t, respAt, "no response for %s %s", ex.method, ex.path)
		req, resp := section[:respAt], section[respAt:]
		lines := strings.Split(strings.TrimLeft(req, "\n"), "\n")
		j := 0
		for ; j < len(lines) && strings.Contains(lines[j], ": "); j++ {
			k, v, _ := strings.Cut(lines[j], ": ")
			ex.headers[k] = v
		}
		ex.body = []byte(strings.TrimSpace(strings.Join(lines[j:], "\n")))
		first, rest, _ := strings.Cut(resp, "\n")
		require.NoError(t, json.Unmarshal([]byte(strings.Fields(first)[1]), &ex.status))
		rl := strings.Split(rest, "\n")
		k := 0
		for ; k < len(rl) && strings.Contains(rl[k], ": ") && !strings.HasPrefix(rl[k], "{"); k++ {
			name, v, _ := strings.Cut(rl[k], ": ")
			ex.respHeaders[name] = v
		}
		dec := json.NewDecoder(strings.NewReader(strings.Join(rl[k:], "\n")))
		var raw json.RawMessage
		if dec.Decode(&raw) == nil {
			ex.respBody = raw
		}
		out = append(out, ex)
	}
	return out
}

// shape reduces a JSON document to its structure: keys, and for leaves the
// kind of value (ints and floats kept apart, as clients see them).
func shape(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v), string(raw))
	return shapeOf(v)
}

func shapeOf(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = shapeOf(e)
		}
		return out
	case []any:
		kinds := map[string]any{}
		for _, e := range x {
			b, _ := json.Marshal(shapeOf(e))
			kinds[string(b)] = shapeOf(e)
		}
		keys := make([]string, 0, len(kinds))
		for k := range kinds {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := []any{}
		for _, k := range keys {
			out = append(out, kinds[k])
		}
		return out
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return "float"
		}
		return "int"
	case string:
		switch {
		case regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?[+-]\d{2}:\d{2}$`).MatchString(x):
			return "datetime"
		case regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(x):
			return "hex32"
		}
		return "string"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return "?"
}

// PL-21: the plans seed transcript, replayed request by request with the
// generated ids, tokens, dates and host substituted, gives the seed's statuses
// and body shapes; the two listings differ only as §11 #3 says (the sandbox is
// never stale).
func TestReplay_PlansSeed(t *testing.T) {
	raw, err := os.ReadFile("testdata/prozorro-plans-tutorial.txt")
	require.NoError(t, err)
	exchanges := parseTranscript(t, string(raw))
	require.Len(t, exchanges, 4)
	e := newEnv(t, sandboxtest.WithScenario("empty"))
	subst := map[string]string{}
	var statuses []int
	for i, ex := range exchanges {
		path := ex.path
		for from, to := range subst {
			path = strings.ReplaceAll(path, from, to)
		}
		body := ex.body
		if len(body) == 0 {
			body = nil
		}
		var headers []string
		for k, v := range ex.headers {
			if k == "Host" || k == "Content-Length" {
				continue
			}
			headers = append(headers, k, v)
		}
		var payload any
		if body != nil {
			payload = body
		}
		e.AdvanceClock("1s")
		resp := e.Do(ex.method, "/prozorro"+path, payload, headers...)
		statuses = append(statuses, resp.StatusCode)
		require.Equal(t, ex.status, resp.StatusCode, "%s %s: %s", ex.method, path, resp.Body)
		if ex.method == http.MethodPost {
			var seed, got map[string]any
			require.NoError(t, json.Unmarshal(ex.respBody, &seed))
			require.NoError(t, json.Unmarshal(resp.Body, &got))
			subst[seed["data"].(map[string]any)["id"].(string)] = got["data"].(map[string]any)["id"].(string)
			subst[seed["access"].(map[string]any)["token"].(string)] = got["access"].(map[string]any)["token"].(string)
			require.Regexp(t, `^`+e.URL+`/prozorro/api/2\.3/plans/[0-9a-f]{32}$`, resp.Header.Get("Location"))
		}
		require.Equal(t, strings.Split(ex.respHeaders["Content-Type"], ";")[0], strings.Split(resp.Header.Get("Content-Type"), ";")[0])
		if ex.method == http.MethodGet && strings.HasPrefix(ex.path, "/api/2.3/plans") && !strings.Contains(ex.path, "/plans/") {
			// §11 #3: the seed's listings lag behind; ours contain the plan with
			// its current dateModified.
			listing := resp.Object()
			require.Len(t, listing["data"], 1, "listing %d", i)
			var plan map[string]any
			for _, v := range subst {
				if r := e.Do(http.MethodGet, plansURL+"/"+v, nil); r.StatusCode == http.StatusOK {
					plan = r.Object()["data"].(map[string]any)
				}
			}
			item := listing["data"].([]any)[0].(map[string]any)
			require.Equal(t, plan["dateModified"], item["dateModified"])
			seedNext := shape(t, ex.respBody).(map[string]any)["next_page"].(map[string]any)
			gotNext := shape(t, resp.Body).(map[string]any)["next_page"].(map[string]any)
			require.ElementsMatch(t, keysOf(seedNext), keysOf(gotNext))
			continue
		}
		require.Equal(t, shape(t, ex.respBody), shape(t, resp.Body), "%s %s", ex.method, path)
	}
	require.Equal(t, []int{201, 200, 200, 200}, statuses)
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
