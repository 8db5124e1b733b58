package prozorro_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/sandboxtest"
)

func forbidden(t *testing.T, resp *sandboxtest.Response) {
	t.Helper()
	require.Equal(t, http.StatusForbidden, resp.StatusCode, string(resp.Body))
	require.JSONEq(t, `{"status": "error", "errors": [{"description": "Forbidden", "location": "url", "name": "permission"}]}`, string(resp.Body))
}

func (e *env) planCount() int {
	e.t.Helper()
	return len(e.get(plansURL + "?mode=_all_&limit=1000")["data"].([]any))
}

// PZ-1
func TestCommon_UnknownKeyIsAnonymous(t *testing.T) {
	e := newEnv(t)
	resp := e.as("nosuch", http.MethodGet, plansURL, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	before := e.planCount()
	forbidden(t, e.as("nosuch", http.MethodPost, plansURL, seedPlan(t)))
	forbidden(t, e.Do(http.MethodPost, plansURL, seedPlan(t), "Authorization", "Basic %%%not-base64"))
	forbidden(t, e.Do(http.MethodPost, plansURL, seedPlan(t)))
	require.Equal(t, before, e.planCount(), "nothing stored")
	resp = e.Do(http.MethodPost, plansURL, seedPlan(t), "Authorization", "Bearer broker")
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(resp.Body))
	require.Equal(t, "broker", resp.Object()["data"].(map[string]any)["owner"])
}

// PZ-2
func TestCommon_TokenChannels(t *testing.T) {
	e := newEnv(t)
	id, token, _ := e.create("broker", seedPlan(t))
	patch := map[string]any{"data": map[string]any{"budget": map[string]any{"notes": "1"}}}
	resp := e.as("broker", http.MethodPatch, plansURL+"/"+id+"?acc_token="+token, patch)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	resp = e.as("broker", http.MethodPatch, plansURL+"/"+id, map[string]any{"data": map[string]any{"budget": map[string]any{"notes": "2"}}}, "X-Access-Token", token)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	body := map[string]any{"access": map[string]any{"token": token}, "data": map[string]any{"budget": map[string]any{"notes": "3"}}}
	resp = e.as("broker", http.MethodPatch, plansURL+"/"+id, body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	require.Equal(t, "3", e.plan(id)["budget"].(map[string]any)["notes"])
	forbidden(t, e.as("broker", http.MethodPatch, plansURL+"/"+id+"?acc_token=wrong", patch, "X-Access-Token", token))
}

// PZ-3
func TestCommon_TokenBoundToIdentity(t *testing.T) {
	e := newEnv(t)
	id, token, _ := e.create("broker", seedPlan(t))
	before := e.plan(id)["dateModified"]
	patch := map[string]any{"data": map[string]any{"budget": map[string]any{"notes": "x"}}}
	forbidden(t, e.as("broker1", http.MethodPatch, plansURL+"/"+id+"?acc_token="+token, patch))
	forbidden(t, e.as("", http.MethodPatch, plansURL+"/"+id+"?acc_token="+token, patch))
	require.Equal(t, before, e.plan(id)["dateModified"])
}

// PZ-4
func TestCommon_TokensNeverLeak(t *testing.T) {
	e := newEnv(t)
	id, token, _ := e.create("broker", seedPlan(t))
	require.Regexp(t, uuid4RE, token)
	patch := e.as("broker", http.MethodPatch, plansURL+"/"+id+"?acc_token="+token, map[string]any{"data": map[string]any{"budget": map[string]any{"notes": "x"}}})
	for _, resp := range []*sandboxtest.Response{
		patch,
		e.Do(http.MethodGet, plansURL+"/"+id, nil),
		e.as("broker", http.MethodGet, plansURL+"/"+id+"?acc_token="+token, nil),
		e.Do(http.MethodGet, plansURL+"?opt_fields=planID,owner,budget", nil),
		e.Do(http.MethodGet, plansURL+"?feed=changes&opt_fields=planID", nil),
		e.Do(http.MethodGet, plansURL+"/"+id+"/revisions", nil),
	} {
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NotContains(t, string(resp.Body), token)
	}
}

// PZ-5 (plans part)
func TestCommon_NotFoundEnvelope(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/nosuch", "/nosuch/revisions", "/nosuch/documents", "/nosuch/documents/x"} {
		resp := e.Do(http.MethodGet, plansURL+path, nil)
		require.JSONEq(t, `{"status": "error", "errors": [{"description": "Not Found", "location": "url", "name": "plan_id"}]}`, string(resp.Body))
		requireError(t, resp, 404, "url", "plan_id", "Not Found")
	}
	requireError(t, e.Do(http.MethodGet, plansURL+"/"+P1+"/documents/nosuch", nil), 404, "url", "document_id", "Not Found")
	requireError(t, e.as("broker", http.MethodPatch, plansURL+"/nosuch", "garbage"), 404, "url", "plan_id", "Not Found")
}

// PZ-6
func TestCommon_PlainTextFallbacks(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/prozorro/api/2.3/complaints", "/prozorro/api/0/plans", "/prozorro/api/2.3/plans/" + P1 + "/nosuch"} {
		resp := e.Do(http.MethodGet, path, nil)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		require.Equal(t, "text/plain; charset=UTF-8", resp.Header.Get("Content-Type"))
		require.Equal(t, "404 Not Found\n\nThe resource could not be found.\n\n\n", string(resp.Body))
	}
	resp := e.Do(http.MethodDelete, plansURL+"/"+P1, nil)
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	require.Equal(t, "text/plain; charset=UTF-8", resp.Header.Get("Content-Type"))
	allow := resp.Header.Get("Allow")
	for _, m := range []string{"GET", "HEAD", "PATCH"} {
		require.Contains(t, allow, m)
	}
	require.True(t, strings.HasPrefix(string(resp.Body), "405 Method Not Allowed\n\nThe method DELETE is not allowed for this resource."))
}

// PZ-7 (plans part)
func TestCommon_UnsupportedMediaType(t *testing.T) {
	e := newEnv(t)
	before := e.planCount()
	want := `{"status": "error", "errors": [{"description": "Content-Type header should be one of ['application/json']", "location": "header", "name": "Content-Type"}]}`
	resp := e.as("broker", http.MethodPost, plansURL, "hello", "Content-Type", "text/plain")
	require.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	require.JSONEq(t, want, string(resp.Body))
	resp = e.as("broker", http.MethodPatch, plansURL+"/"+P1+"?acc_token="+P1Token, "a=b", "Content-Type", "application/x-www-form-urlencoded")
	require.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	require.JSONEq(t, want, string(resp.Body))
	require.Equal(t, before, e.planCount())
}

// PZ-8
func TestCommon_BodyShapeErrors(t *testing.T) {
	e := newEnv(t)
	before := e.planCount()
	post := func(body string) *sandboxtest.Response {
		return e.as("broker", http.MethodPost, plansURL, body, "Content-Type", "application/json")
	}
	requireError(t, post("data"), 422, "body", "data", "No JSON object could be decoded")
	requireError(t, post(""), 422, "body", "data", "No JSON object could be decoded")
	requireError(t, post("\"\xff\""), 422, "body", "data", "No JSON object could be decoded")
	requireError(t, post(strings.Repeat("[", 100)+strings.Repeat("]", 100)), 422, "body", "data", "No JSON object could be decoded")
	for _, body := range []string{`"data"`, `{"not_data":{}}`, `{"data":[]}`, `{"data":null}`} {
		requireError(t, post(body), 422, "body", "data", "Data not available")
	}
	requireError(t, e.Do(http.MethodGet, plansURL+"?offset=%FF", nil), 422, "body", "data", "could not decode params")
	e.Control(http.MethodPut, "/_sandbox/prozorro/settings", map[string]any{"generation": "2018"}, 200)
	requireError(t, post("data"), 422, "body", "data", "Expecting value: line 1 column 1 (char 0)")
	require.Equal(t, before, e.planCount())
}

// PZ-9 (plans part)
func TestCommon_RogueField(t *testing.T) {
	e := newEnv(t)
	before := e.planCount()
	body, data := seedData(t)
	data["invalid_field"] = "x"
	resp := e.as("broker", http.MethodPost, plansURL, body)
	require.JSONEq(t, `{"status": "error", "errors": [{"description": "Rogue field", "location": "body", "name": "invalid_field"}]}`, string(resp.Body))
	delete(data, "invalid_field")
	data["budget"].(map[string]any)["foo"] = 1
	requireError(t, e.as("broker", http.MethodPost, plansURL, body), 422, "body", "budget", map[string]any{"foo": "Rogue field"})
	require.Equal(t, before, e.planCount())
}

// PZ-10
func TestCommon_OversizedBody(t *testing.T) {
	e := newEnv(t)
	before := e.planCount()
	big := `{"data": {"x": "` + strings.Repeat("a", 11<<20) + `"}}`
	resp := e.as("broker", http.MethodPost, plansURL, big, "Content-Type", "application/json")
	requireError(t, resp, 413, "body", "data", "Request entity too large")
	// Chunked (no Content-Length): the limit holds while reading.
	req, _ := http.NewRequest(http.MethodPost, e.URL+plansURL, struct{ *strings.Reader }{strings.NewReader(big)})
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", basic("broker"))
	req.ContentLength = -1
	r2, err := e.Client.Do(req)
	require.NoError(t, err)
	defer r2.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, r2.StatusCode)
	require.Equal(t, before, e.planCount())
}

// PZ-11
func TestCommon_PrettyOutput(t *testing.T) {
	e := newEnv(t)
	plain := e.Do(http.MethodGet, plansURL+"/"+P1, nil)
	pretty := e.Do(http.MethodGet, plansURL+"/"+P1+"?opt_pretty=1", nil)
	require.JSONEq(t, string(plain.Body), string(pretty.Body))
	require.Contains(t, string(pretty.Body), "{\n    \"data\": {\n        \"id\": ")
	require.Contains(t, string(pretty.Body), "\", \n")
	body := seedPlan(t)
	body["options"] = map[string]any{"pretty": true}
	resp := e.as("broker", http.MethodPost, plansURL, body)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Contains(t, string(resp.Body), "\n    \"")
	nf := e.Do(http.MethodGet, plansURL+"/nosuch?opt_pretty=1", nil)
	require.NotContains(t, string(nf.Body), "\n")
}

// PZ-12
func TestCommon_JSONP(t *testing.T) {
	e := newEnv(t)
	plain := e.Do(http.MethodGet, plansURL+"/"+P1, nil)
	resp := e.Do(http.MethodGet, plansURL+"/"+P1+"?opt_jsonp=cb", nil)
	require.Equal(t, "application/javascript; charset=UTF-8", resp.Header.Get("Content-Type"))
	body := string(resp.Body)
	require.True(t, strings.HasPrefix(body, "/**/cb(") && strings.HasSuffix(body, ");"), body)
	require.JSONEq(t, string(plain.Body), body[len("/**/cb("):len(body)-2])
	pretty := string(e.Do(http.MethodGet, plansURL+"/"+P1+"?opt_jsonp=cb&opt_pretty=1", nil).Body)
	require.True(t, strings.HasPrefix(pretty, "/**/cb({\n    "))
	nf := e.Do(http.MethodGet, plansURL+"/nosuch?opt_jsonp=cb", nil)
	require.Equal(t, "application/json; charset=UTF-8", nf.Header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(string(nf.Body), `{"status": "error"`))
}

// PZ-13
func TestCommon_JSONText(t *testing.T) {
	e := newEnv(t)
	body := string(e.Do(http.MethodGet, plansURL+"/"+P1, nil).Body)
	require.Contains(t, body, `"\u0414\u0423\u0421"`)
	for _, b := range []byte(body) {
		require.Less(t, b, byte(0x80), "no raw non-ASCII bytes")
	}
	require.Contains(t, body, `", "`)
	require.Contains(t, body, `": `)
	req, data := seedData(t)
	data["budget"].(map[string]any)["description"] = "<&> a/b"
	id, _, _ := e.create("broker", req)
	require.Contains(t, string(e.Do(http.MethodGet, plansURL+"/"+id, nil).Body), `"<&> a/b"`)
}

// PZ-14
func TestCommon_URLsFollowListener(t *testing.T) {
	e := newEnv(t)
	resp := e.as("broker", http.MethodPost, plansURL+"?acc_token=x", seedPlan(t))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	id := resp.Object()["data"].(map[string]any)["id"].(string)
	host := strings.TrimPrefix(e.URL, "http://")
	require.Equal(t, "http://"+host+"/prozorro/api/2.3/plans/"+id, resp.Header.Get("Location"))
	next := e.get(plansURL)["next_page"].(map[string]any)
	require.True(t, strings.HasPrefix(next["path"].(string), "/prozorro/api/2.3/plans?"))

	h, ok := e.Server.ServiceHandler("prozorro")
	require.True(t, ok)
	root := httptest.NewServer(h)
	defer root.Close()
	raw, _ := json.Marshal(seedPlan(t))
	req, _ := http.NewRequest(http.MethodPost, root.URL+"/api/2.3/plans?acc_token=x", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", basic("broker"))
	req.Header.Set("X-Sandbox-Tenant", e.Tenant)
	r2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	r2.Body.Close()
	require.Equal(t, http.StatusCreated, r2.StatusCode)
	require.Regexp(t, `^`+root.URL+`/api/2\.3/plans/[0-9a-f]{32}$`, r2.Header.Get("Location"))
	lr, err := http.Get(root.URL + "/api/2.3/plans")
	require.NoError(t, err)
	var listing map[string]any
	require.NoError(t, json.NewDecoder(lr.Body).Decode(&listing))
	lr.Body.Close()
	np := listing["next_page"].(map[string]any)
	require.True(t, strings.HasPrefix(np["path"].(string), "/api/2.3/plans?"), np["path"])
	require.True(t, strings.HasPrefix(np["uri"].(string), root.URL+"/api/2.3/plans?"), np["uri"])
}

// PZ-15 (plans part)
func TestCommon_Numbers(t *testing.T) {
	e := newEnv(t)
	req, data := seedData(t)
	data["budget"].(map[string]any)["amountNet"] = "12222"
	data["items"].([]any)[1].(map[string]any)["quantity"] = 5.7
	id, _, _ := e.create("broker", req)
	body := string(e.Do(http.MethodGet, plansURL+"/"+id, nil).Body)
	require.Contains(t, body, `"amount": 10000.0`)
	require.Contains(t, body, `"amountNet": 12222.0`)
	require.Contains(t, body, `"quantity": 1000,`)
	require.Contains(t, body, `"quantity": 5,`)
	req, data = seedData(t)
	data["budget"].(map[string]any)["amount"] = 1e16
	id, _, _ = e.create("broker", req)
	require.Contains(t, string(e.Do(http.MethodGet, plansURL+"/"+id, nil).Body), `"amount": 1e+16`)
}

// PZ-16
func TestCommon_KyivTime(t *testing.T) {
	e := newEnv(t)
	e.SetClock("2026-07-01T12:00:00.5+03:00")
	id, _, _ := e.create("broker", seedPlan(t))
	plan := e.plan(id)
	require.Equal(t, "2026-07-01T12:00:00.500000+03:00", plan["dateModified"])
	require.Equal(t, "2017-07-06T17:41:39.677983+03:00", plan["items"].([]any)[0].(map[string]any)["deliveryDate"].(map[string]any)["endDate"])
	e.SetClock("2026-01-15T12:00:00Z")
	req, data := seedData(t)
	data["tender"].(map[string]any)["tenderPeriod"] = map[string]any{"startDate": "2026-02-01T10:00:00+00:00"}
	id, _, _ = e.create("broker", req)
	plan = e.plan(id)
	require.Equal(t, "2026-01-15T14:00:00+02:00", plan["dateModified"])
	require.Equal(t, "2026-02-01T10:00:00+00:00", plan["tender"].(map[string]any)["tenderPeriod"].(map[string]any)["startDate"])
}

// PZ-17 (plans part)
func TestCommon_TenantIsolation(t *testing.T) {
	e := newEnv(t)
	id, token, _ := e.create("broker", seedPlan(t))
	for _, tenant := range []string{"other-" + e.Tenant, ""} {
		h := []string{"X-Sandbox-Tenant", tenant}
		if tenant == "" {
			h = []string{"X-Sandbox-Tenant", "default"}
		}
		requireError(t, e.Do(http.MethodGet, plansURL+"/"+id, nil, h...), 404, "url", "plan_id", "Not Found")
		list := e.Do(http.MethodGet, plansURL+"?mode=_all_", nil, h...)
		require.NotContains(t, string(list.Body), id)
		changes := e.Do(http.MethodGet, plansURL+"?feed=changes&mode=_all_", nil, h...)
		require.NotContains(t, string(changes.Body), id)
		patch := e.Do(http.MethodPatch, plansURL+"/"+id+"?acc_token="+token, map[string]any{"data": map[string]any{}}, append(h, "Authorization", basic("broker"))...)
		requireError(t, patch, 404, "url", "plan_id", "Not Found")
	}
	e.Control(http.MethodPost, "/_sandbox/reset", nil, 200)
	requireError(t, e.Do(http.MethodGet, plansURL+"/"+id, nil), 404, "url", "plan_id", "Not Found")
	require.Equal(t, "UA-P-2026-11-24-000001", e.plan(P1)["planID"], "the scenario is back")
}

// PZ-18 (plans part)
func TestCommon_Determinism(t *testing.T) {
	e := newEnv(t)
	run := func() []string {
		id, token, resp := e.create("broker", seedPlan(t))
		data := resp.Object()["data"].(map[string]any)
		out := []string{id, token, data["planID"].(string)}
		for _, it := range data["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		id2, token2, _ := e.create("broker3", seedPlan(t))
		return append(out, id2, token2)
	}
	first := run()
	e.Control(http.MethodPost, "/_sandbox/reset", nil, 200)
	require.Equal(t, first, run())
	for _, v := range first {
		if strings.HasPrefix(v, "UA-") {
			continue
		}
		require.Regexp(t, uuid4RE, v)
	}
	other := newEnv(t, sandboxtest.WithSeed(2))
	id, _, _ := other.create("broker", seedPlan(t))
	require.NotEqual(t, first[0], id, "the seed changes ids")
}

// PZ-27 (plans part)
func TestCommon_IdentitiesViaControlPlane(t *testing.T) {
	e := newEnv(t)
	resp := e.Control(http.MethodPut, "/_sandbox/prozorro/brokers/acme", map[string]any{"levels": "2"}, 200)
	require.Equal(t, "acme", resp.Object()["owner"])
	requireError(t, e.as("acme", http.MethodPost, plansURL, seedPlan(t)), 403, "plan", "accreditation", "Broker Accreditation level does not permit plan creation")
	e.Control(http.MethodPut, "/_sandbox/prozorro/brokers/acme3", map[string]any{"levels": "3", "owner": "acme-owner"}, 200)
	_, _, created := e.create("acme3", seedPlan(t))
	require.Equal(t, "acme-owner", created.Object()["data"].(map[string]any)["owner"])
	e.Control(http.MethodDelete, "/_sandbox/prozorro/brokers/broker", nil, 409)
	e.Control(http.MethodPut, "/_sandbox/prozorro/brokers/broker", map[string]any{}, 409)
	e.Control(http.MethodPut, "/_sandbox/prozorro/brokers/x", map[string]any{"levels": "9"}, 400)
	e.Control(http.MethodPut, "/_sandbox/prozorro/brokers/x", map[string]any{"deny": []string{"plans"}}, 400)
	list := e.Control(http.MethodGet, "/_sandbox/prozorro/brokers", nil, 200)
	require.Contains(t, string(list.Body), `"acme3"`)
	e.Control(http.MethodDelete, "/_sandbox/prozorro/brokers/acme3", nil, 204)
	forbidden(t, e.as("acme3", http.MethodPost, plansURL, seedPlan(t)))
	access := e.Control(http.MethodGet, "/_sandbox/prozorro/plans/"+P1+"/access", nil, 200)
	require.JSONEq(t, `{"owner":"broker","token":"`+P1Token+`"}`, string(access.Body))
	e.Control(http.MethodGet, "/_sandbox/prozorro/plans/nosuch/access", nil, 404)
}

// PZ-29
func TestCommon_Spore(t *testing.T) {
	e := newEnv(t)
	resp := e.Do(http.MethodHead, "/prozorro/api/2.3/spore", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, resp.Body)
	require.Empty(t, resp.Header.Get("Set-Cookie"))
	spore := e.get("/prozorro/api/2.3/spore")
	require.True(t, strings.HasSuffix(spore["base_url"].(string), "/prozorro/api/2.3"))
}

// PZ-30
func TestCommon_ForcedConflict(t *testing.T) {
	e := newEnv(t)
	e.Control(http.MethodPost, "/_sandbox/prozorro/outcomes", map[string]any{
		"outcome": "conflict", "match": map[string]any{"method": "PATCH", "path": "/api/2.3/plans/*"}, "count": 1}, 201)
	before := e.plan(P1)
	patch := map[string]any{"data": map[string]any{"budget": map[string]any{"notes": "x"}}}
	// a request refused before the save consumes nothing
	forbidden(t, e.as("broker1", http.MethodPatch, plansURL+"/"+P1, patch))
	resp := e.as("broker", http.MethodPatch, plansURL+"/"+P1+"?acc_token="+P1Token, patch)
	require.JSONEq(t, `{"status": "error", "errors": [{"description": "(u'conflict', u'Document update conflict.')", "location": "body", "name": "data"}]}`, string(resp.Body))
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Equal(t, before, e.plan(P1))
	resp = e.as("broker", http.MethodPatch, plansURL+"/"+P1+"?acc_token="+P1Token, patch)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, `{"items":[]}`, strings.TrimSpace(string(e.Control(http.MethodGet, "/_sandbox/prozorro/outcomes", nil, 200).Body)))
}

// PZ-31
func TestCommon_PlatformErrorsInEnvelope(t *testing.T) {
	e := newEnv(t)
	e.Control(http.MethodPut, "/_sandbox/faults", map[string]any{"service": "prozorro", "method": "GET", "path": "/api/2.3/plans/*", "status": 503, "count": 1}, 200)
	resp := e.Do(http.MethodGet, plansURL+"/"+P1, nil)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.JSONEq(t, `{"status": "error", "errors": [{"description": "Service Unavailable", "location": "body", "name": "data"}]}`, string(resp.Body))
	require.Equal(t, http.StatusOK, e.Do(http.MethodGet, plansURL+"/"+P1, nil).StatusCode)
	resp = e.Do(http.MethodGet, plansURL, nil, "X-Sandbox-Tenant", "bad tenant/..")
	require.JSONEq(t, `{"status": "error", "errors": [{"description": "Invalid tenant name", "location": "header", "name": "X-Sandbox-Tenant"}]}`, string(resp.Body))
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

// §4.0: HEAD is answered wherever GET is, with the same status and headers and
// no body.
func TestCommon_HeadLikeGet(t *testing.T) {
	e := newEnv(t)
	e.upload(http.MethodPost, owner(docsURL(P1)), "a.doc", "x")
	for _, path := range []string{plansURL, plansURL + "/" + P1, plansURL + "/" + P1 + "/revisions", docsURL(P1), plansURL + "/nosuch", "/prozorro/api/2.3/spore"} {
		get := e.Do(http.MethodGet, path, nil)
		head := e.Do(http.MethodHead, path, nil)
		require.Equal(t, get.StatusCode, head.StatusCode, path)
		require.Equal(t, get.Header.Get("Content-Type"), head.Header.Get("Content-Type"), path)
		require.Empty(t, head.Body, path)
	}
}
