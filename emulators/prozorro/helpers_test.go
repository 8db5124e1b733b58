package prozorro_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/sandboxtest"
)

const (
	P1       = "c1000000000040008000000000000001"
	P1Token  = "c1000000000040008000000000000f01"
	plansURL = "/prozorro/api/2.3/plans"
	uuid4RE  = `^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$`
)

func basic(key string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"))
}

// seedPlan returns the create body of the plans tutorial (the seed transcript).
func seedPlan(t testing.TB) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("testdata/prozorro-plans-tutorial.txt")
	require.NoError(t, err)
	txt := string(raw)
	start := strings.Index(txt, "{\n  \"data\"")
	end := strings.Index(txt, "Response: 201")
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(txt[start:end]), &body))
	return body
}

// seedData is the "data" member of the seed body, for editing.
func seedData(t testing.TB) (map[string]any, map[string]any) {
	body := seedPlan(t)
	return body, body["data"].(map[string]any)
}

type env struct {
	*sandboxtest.Sandbox
	t *testing.T
}

func newEnv(t *testing.T, opts ...sandboxtest.Option) *env {
	return &env{Sandbox: sandboxtest.New(t, opts...), t: t}
}

// as sends a request as the broker key ("" = anonymous).
func (e *env) as(key, method, path string, body any, headers ...string) *sandboxtest.Response {
	e.t.Helper()
	if key != "" {
		headers = append(headers, "Authorization", basic(key))
	}
	return e.Do(method, path, body, headers...)
}

// create posts a plan as key and requires 201; it returns id and token.
func (e *env) create(key string, body map[string]any) (string, string, *sandboxtest.Response) {
	e.t.Helper()
	resp := e.as(key, http.MethodPost, plansURL, body)
	require.Equal(e.t, http.StatusCreated, resp.StatusCode, string(resp.Body))
	obj := resp.Object()
	return obj["data"].(map[string]any)["id"].(string), obj["access"].(map[string]any)["token"].(string), resp
}

func (e *env) get(path string) map[string]any {
	e.t.Helper()
	resp := e.Do(http.MethodGet, path, nil)
	require.Equal(e.t, http.StatusOK, resp.StatusCode, string(resp.Body))
	return resp.Object()
}

func (e *env) plan(id string) map[string]any {
	e.t.Helper()
	return e.get(plansURL + "/" + id)["data"].(map[string]any)
}

// requireError checks the envelope of an error answer.
func requireError(t *testing.T, resp *sandboxtest.Response, status int, location, name string, description any) {
	t.Helper()
	require.Equal(t, status, resp.StatusCode, string(resp.Body))
	require.Equal(t, "application/json; charset=UTF-8", resp.Header.Get("Content-Type"))
	var body struct {
		Status string `json:"status"`
		Errors []struct {
			Description any    `json:"description"`
			Location    string `json:"location"`
			Name        string `json:"name"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(resp.Body, &body), string(resp.Body))
	require.Equal(t, "error", body.Status)
	for _, e := range body.Errors {
		if e.Location == location && e.Name == name {
			if description != nil {
				want, _ := json.Marshal(description)
				got, _ := json.Marshal(e.Description)
				require.JSONEq(t, string(want), string(got), "description of %s/%s", location, name)
			}
			return
		}
	}
	t.Fatalf("no error %s/%s in %s", location, name, resp.Body)
}

// listIDs returns the ids of a plans listing.
func listIDs(t *testing.T, obj map[string]any) []string {
	t.Helper()
	var out []string
	for _, it := range obj["data"].([]any) {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

func firstID(listing []byte) string {
	var v struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	_ = json.Unmarshal(listing, &v)
	if len(v.Data) == 0 {
		return ""
	}
	return v.Data[0].ID
}
