package prozorro_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/upstream-sandbox/sandbox/sandboxtest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// PL-1
func TestPlans_CreateSeedPlan(t *testing.T) {
	e := newEnv(t)
	e.SetClock("2026-11-25T10:00:00+02:00")
	id, token, resp := e.create("broker", seedPlan(t))
	require.True(t, strings.HasSuffix(resp.Header.Get("Location"), "/prozorro/api/2.3/plans/"+id))
	require.Regexp(t, uuid4RE, id)
	require.Regexp(t, uuid4RE, token)
	data := resp.Object()["data"].(map[string]any)
	require.Equal(t, "UA-P-2026-11-25-000001", data["planID"])
	require.Equal(t, "broker", data["owner"])
	require.Equal(t, "2026-11-25T10:00:00+02:00", data["datePublished"])
	require.Equal(t, data["datePublished"], data["dateModified"])
	items := data["items"].([]any)
	require.Len(t, items, 3)
	for _, it := range items {
		require.Regexp(t, uuid4RE, it.(map[string]any)["id"])
	}
	budget := data["budget"].(map[string]any)
	require.Contains(t, string(resp.Body), `"amount": 10000.0`)
	require.Equal(t, "UAH", budget["currency"])
	for _, k := range []string{"tender", "classification", "additionalClassifications", "procuringEntity"} {
		require.Contains(t, data, k)
	}
	for _, k := range []string{"documents", "revisions", "mode"} {
		require.NotContains(t, data, k)
	}
	require.Equal(t, data, e.plan(id))
}

// PL-2
func TestPlans_PlanIDCounter(t *testing.T) {
	e := newEnv(t)
	_, _, r1 := e.create("broker", seedPlan(t))
	require.Equal(t, "UA-P-2026-11-24-000002", r1.Object()["data"].(map[string]any)["planID"], "P1 consumed 000001")
	e.SetClock("2026-11-25T09:00:00+02:00")
	_, _, r2 := e.create("broker", seedPlan(t))
	require.Equal(t, "UA-P-2026-11-25-000001", r2.Object()["data"].(map[string]any)["planID"])
	_, _, r3 := e.create("broker", seedPlan(t))
	require.Equal(t, "UA-P-2026-11-25-000002", r3.Object()["data"].(map[string]any)["planID"])
	e.AdvanceClock("24h")
	_, _, r4 := e.create("broker", seedPlan(t))
	require.Equal(t, "UA-P-2026-11-26-000001", r4.Object()["data"].(map[string]any)["planID"])
	other := newEnv(t, sandboxtest.WithScenario("empty"), sandboxtest.WithClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)))
	_, _, r5 := other.create("broker", seedPlan(t))
	require.Equal(t, "UA-P-2026-11-25-000001", r5.Object()["data"].(map[string]any)["planID"])
}

// PL-3
func TestPlans_RequiredFields(t *testing.T) {
	e := newEnv(t)
	resp := e.as("broker", http.MethodPost, plansURL, map[string]any{"data": map[string]any{"tender": map[string]any{"procurementMethod": "invalid_value"}}})
	for _, name := range []string{"procuringEntity", "classification", "budget"} {
		requireError(t, resp, 422, "body", name, []any{"This field is required."})
	}
	requireError(t, resp, 422, "body", "tender", map[string]any{
		"procurementMethod": []any{"Value must be one of ['', 'limited', 'open']."},
		"tenderPeriod":      []any{"This field is required."},
	})
}

func postVariant(e *env, mutate func(data map[string]any)) *sandboxtest.Response {
	e.t.Helper()
	body, data := seedData(e.t)
	mutate(data)
	return e.as("broker", http.MethodPost, plansURL, body)
}

// PL-4
func TestPlans_MethodTypePairs(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ method, typ, msg string }{
		{"open", "reporting", "Value must be one of ('belowThreshold', 'aboveThresholdUA', 'aboveThresholdEU', 'aboveThresholdUA.defense', 'competitiveDialogueUA', 'competitiveDialogueEU')."},
		{"limited", "belowThreshold", "Value must be one of ('reporting', 'negotiation', 'negotiation.quick')."},
		{"", "reporting", "Value must be one of ('',)."},
		{"open", "nosuch", "Value must be one of ['', 'reporting', 'negotiation', 'negotiation.quick', 'belowThreshold', 'aboveThresholdUA', 'aboveThresholdEU', 'aboveThresholdUA.defense', 'competitiveDialogueUA', 'competitiveDialogueEU']."},
	}
	for _, c := range cases {
		resp := postVariant(e, func(d map[string]any) {
			d["tender"].(map[string]any)["procurementMethod"] = c.method
			d["tender"].(map[string]any)["procurementMethodType"] = c.typ
		})
		requireError(t, resp, 422, "body", "tender", map[string]any{"procurementMethodType": []any{c.msg}})
	}
	for _, ok := range [][2]string{{"limited", "negotiation.quick"}, {"", ""}, {"open", "aboveThresholdEU"}} {
		resp := postVariant(e, func(d map[string]any) {
			d["tender"].(map[string]any)["procurementMethod"] = ok[0]
			d["tender"].(map[string]any)["procurementMethodType"] = ok[1]
		})
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(resp.Body))
	}
}

// PL-5
func TestPlans_Dates(t *testing.T) {
	e := newEnv(t)
	resp := postVariant(e, func(d map[string]any) {
		d["tender"].(map[string]any)["tenderPeriod"] = map[string]any{"startDate": "invalid_value"}
	})
	requireError(t, resp, 422, "body", "tender", map[string]any{"tenderPeriod": map[string]any{"startDate": []any{"Could not parse invalid_value. Should be ISO8601."}}})
	resp = postVariant(e, func(d map[string]any) {
		d["tender"].(map[string]any)["tenderPeriod"] = map[string]any{"startDate": "9999-12-31T23:59:59.999999"}
	})
	requireError(t, resp, 422, "body", "tender", map[string]any{"tenderPeriod": map[string]any{"startDate": []any{"date value out of range"}}})
	resp = postVariant(e, func(d map[string]any) {
		d["items"].([]any)[0].(map[string]any)["deliveryDate"] = map[string]any{"startDate": "2017-07-10T00:00:00", "endDate": "2017-07-06T17:41:39.677983"}
	})
	requireError(t, resp, 422, "body", "items", []any{map[string]any{"deliveryDate": map[string]any{"startDate": []any{"period should begin before its end"}}}})
	for _, ok := range []string{"2017", "2017-06", "2017-06-28", "20170628T174139", "2017-06-28T17:41:39Z", "2017-06-28 17:41"} {
		resp := postVariant(e, func(d map[string]any) {
			d["tender"].(map[string]any)["tenderPeriod"] = map[string]any{"startDate": ok}
		})
		require.Equal(t, http.StatusCreated, resp.StatusCode, ok+": "+string(resp.Body))
	}
	for _, bad := range []string{"201706", "2017-13-01", "2017-02-30", "2017-06-28T25:00", "yesterday"} {
		resp := postVariant(e, func(d map[string]any) {
			d["tender"].(map[string]any)["tenderPeriod"] = map[string]any{"startDate": bad}
		})
		requireError(t, resp, 422, "body", "tender", map[string]any{"tenderPeriod": map[string]any{"startDate": []any{"Could not parse " + bad + ". Should be ISO8601."}}})
	}
}

// PL-6
func TestPlans_Classification(t *testing.T) {
	e := newEnv(t)
	resp := postVariant(e, func(d map[string]any) { d["classification"].(map[string]any)["scheme"] = "CPV" })
	require.Contains(t, string(resp.Body), `{"scheme": ["Value must be one of [u'\\u0414\\u041a021']."]}`)
	requireError(t, resp, 422, "body", "classification", map[string]any{"scheme": []any{`Value must be one of [u'\u0414\u041a021'].`}})
	resp = postVariant(e, func(d map[string]any) { d["classification"].(map[string]any)["id"] = "00000000-0" })
	require.Equal(t, 422, resp.StatusCode)
	var body struct {
		Errors []struct {
			Name        string `json:"name"`
			Description any    `json:"description"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(resp.Body, &body))
	var msg string
	for _, er := range body.Errors {
		if er.Name == "classification" {
			msg = er.Description.(map[string]any)["id"].([]any)[0].(string)
		}
	}
	require.True(t, strings.HasPrefix(msg, "Value must be one of [u'03000000-1', u'03100000-2', "), msg[:80])
	require.Equal(t, 9458, strings.Count(msg, "u'"))
	resp = postVariant(e, func(d map[string]any) { d["classification"].(map[string]any)["scheme"] = "XX" })
	requireError(t, resp, 422, "body", "classification", map[string]any{"scheme": []any{`Value must be one of [u'CPV', u'\u0414\u041a021'].`}})
}

// PL-7
func TestPlans_ItemRules(t *testing.T) {
	e := newEnv(t)
	setClass := func(it any, id string) { it.(map[string]any)["classification"].(map[string]any)["id"] = id }
	resp := postVariant(e, func(d map[string]any) { setClass(d["items"].([]any)[1], "31519200-9") })
	requireError(t, resp, 422, "body", "items", []any{map[string]any{"classification": []any{"CPV class of items should be identical to root cpv"}}})

	resp = postVariant(e, func(d map[string]any) {
		d["classification"].(map[string]any)["id"] = "33600000-6"
		items := d["items"].([]any)[:2]
		setClass(items[0], "33610000-9")
		setClass(items[1], "33620000-2")
		d["items"] = items
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(resp.Body))

	resp = postVariant(e, func(d map[string]any) {
		d["classification"].(map[string]any)["id"] = "99999999-9"
		for _, it := range d["items"].([]any) {
			setClass(it, "99999999-9")
			delete(it.(map[string]any), "additionalClassifications")
		}
	})
	required := map[string]any{"additionalClassifications": []any{"This field is required."}}
	requireError(t, resp, 422, "body", "items", []any{required, required, required})

	resp = postVariant(e, func(d map[string]any) {
		d["classification"].(map[string]any)["id"] = "99999999-9"
		for _, it := range d["items"].([]any) {
			setClass(it, "99999999-9")
			it.(map[string]any)["additionalClassifications"] = []any{map[string]any{"scheme": "Не ДКПП", "id": "1", "description": "x"}}
		}
	})
	one := map[string]any{"additionalClassifications": []any{"One of additional classifications should be one of [ДК003, ДК015, ДК018, specialNorms]."}}
	requireError(t, resp, 422, "body", "items", []any{one, one, one})

	resp = postVariant(e, func(d map[string]any) {
		for _, it := range d["items"].([]any) {
			it.(map[string]any)["id"] = "same"
		}
	})
	requireError(t, resp, 422, "body", "items", []any{"Item id should be uniq for all items"})

	// VP9 shows when the root cannot be compared (here: missing).
	resp = postVariant(e, func(d map[string]any) {
		delete(d, "classification")
		setClass(d["items"].([]any)[1], "03200000-3")
	})
	requireError(t, resp, 422, "body", "items", []any{"CPV class of items should be identical"})
	requireError(t, resp, 422, "body", "classification", []any{"This field is required."})
}

// PL-8
func TestPlans_NestedAndTypedErrors(t *testing.T) {
	e := newEnv(t)
	before := e.planCount()
	cases := []struct {
		name   string
		mutate func(map[string]any)
		field  string
		desc   any
	}{
		{"no name", func(d map[string]any) { delete(d["procuringEntity"].(map[string]any), "name") }, "procuringEntity", map[string]any{"name": []any{"This field is required."}}},
		{"budget string", func(d map[string]any) { d["budget"] = "invalid_value" }, "budget", []any{"Please use a mapping for this field or Budget instance instead of unicode."}},
		{"amount lots", func(d map[string]any) { d["budget"].(map[string]any)["amount"] = "lots" }, "budget", map[string]any{"amount": []any{"Value 'lots' is not float."}}},
		{"currency long", func(d map[string]any) { d["budget"].(map[string]any)["currency"] = "UAHX" }, "budget", map[string]any{"currency": []any{"String value is too long."}}},
		{"year", func(d map[string]any) { d["budget"].(map[string]any)["year"] = 1999 }, "budget", map[string]any{"year": []any{"Int value should be greater than 2000."}}},
		{"quantity", func(d map[string]any) { d["items"].([]any)[0].(map[string]any)["quantity"] = "many" }, "items", map[string]any{"quantity": []any{"Value 'many' is not int."}}},
		{"string float", func(d map[string]any) { d["budget"].(map[string]any)["description"] = 5.5 }, "budget", map[string]any{"description": []any{"Couldn't interpret '5.5' as string."}}},
		{"string list", func(d map[string]any) { d["budget"].(map[string]any)["notes"] = []any{"a"} }, "budget", map[string]any{"notes": []any{"Couldn't interpret '[u'a']' as string."}}},
		{"tender list", func(d map[string]any) { d["tender"] = []any{} }, "tender", []any{"Please use a mapping for this field or PlanTender instance instead of list."}},
		{"uri", func(d map[string]any) {
			d["procuringEntity"].(map[string]any)["identifier"].(map[string]any)["uri"] = "not a url"
		}, "procuringEntity", map[string]any{"identifier": map[string]any{"uri": []any{"Not a well formed URL."}}}},
		{"mode", func(d map[string]any) { d["mode"] = "real" }, "mode", []any{"Value must be one of ['test']."}},
	}
	for _, c := range cases {
		requireError(t, postVariant(e, c.mutate), 422, "body", c.field, c.desc)
	}
	resp := postVariant(e, func(d map[string]any) { d["items"] = map[string]any{"name": "x"} })
	requireError(t, resp, 422, "body", "data", "invalid literal for int() with base 10: 'name'")
	resp = postVariant(e, func(d map[string]any) { d["budget"].(map[string]any)["description"] = 5 })
	require.Equal(t, http.StatusCreated, resp.StatusCode, "an int is a string upstream")
	require.Equal(t, "5", resp.Object()["data"].(map[string]any)["budget"].(map[string]any)["description"])
	require.Equal(t, before+1, e.planCount())
}

// PL-9
func TestPlans_Accreditation(t *testing.T) {
	e := newEnv(t)
	for _, key := range []string{"broker2", "broker4"} {
		requireError(t, e.as(key, http.MethodPost, plansURL, seedPlan(t)), 403, "plan", "accreditation", "Broker Accreditation level does not permit plan creation")
	}
	for _, key := range []string{"broker3", "broker05", "broker1"} {
		e.create(key, seedPlan(t))
	}
	forbidden(t, e.as("auction", http.MethodPost, plansURL, seedPlan(t)))
	forbidden(t, e.as("chronograph", http.MethodPost, plansURL, seedPlan(t)))
	requireError(t, e.as("broker1t", http.MethodPost, plansURL, seedPlan(t)), 403, "plan", "mode", "Broker Accreditation level does not permit plan creation")
	body, data := seedData(t)
	data["mode"] = "test"
	id, _, _ := e.create("broker1t", body)
	require.NotContains(t, listIDs(t, e.get(plansURL)), id)
	require.Contains(t, listIDs(t, e.get(plansURL+"?mode=test")), id)
}

func seedPatch(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("testdata/prozorro-plans-tutorial.txt")
	require.NoError(t, err)
	txt := string(raw)
	i := strings.Index(txt, "PATCH /api/2.3/plans/")
	start := i + strings.Index(txt[i:], "{\n  \"data\"")
	end := i + strings.Index(txt[i:], "Response: 200")
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(txt[start:end]), &body))
	return body
}

// PL-10
func TestPlans_SeedPatch(t *testing.T) {
	e := newEnv(t)
	id, token, created := e.create("broker", seedPlan(t))
	before := created.Object()["data"].(map[string]any)
	firstItem := before["items"].([]any)[0].(map[string]any)["id"]
	e.AdvanceClock("1s")
	resp := e.as("broker", http.MethodPatch, plansURL+"/"+id+"?acc_token="+token, seedPatch(t))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	after := resp.Object()["data"].(map[string]any)
	items := after["items"].([]any)
	require.Len(t, items, 1)
	item := items[0].(map[string]any)
	require.Equal(t, firstItem, item["id"])
	require.Equal(t, "Насіння овочевих культур", item["description"])
	require.Equal(t, float64(5000), item["quantity"])
	require.Equal(t, "2016-06-01T23:06:30.023018+03:00", item["deliveryDate"].(map[string]any)["endDate"])
	require.True(t, after["dateModified"].(string) > before["dateModified"].(string))
	require.Equal(t, before["datePublished"], after["datePublished"])
	for _, k := range []string{"budget", "tender", "procuringEntity", "classification", "planID", "owner"} {
		require.Equal(t, before[k], after[k], k)
	}
	require.Equal(t, after, e.plan(id))
}

// PL-11
func TestPlans_NoopAndIgnoredPatch(t *testing.T) {
	e := newEnv(t)
	before := e.plan(P1)
	for _, patch := range []map[string]any{
		{"planID": "x", "owner": "x", "datePublished": "2001-01-01T00:00:00", "mode": "test", "dateModified": "2001-01-01T00:00:00", "id": "x", "revisions": []any{}},
		{},
		{"budget": map[string]any{"amount": 10000}},
	} {
		resp := e.as("broker", http.MethodPatch, plansURL+"/"+P1+"?acc_token="+P1Token, map[string]any{"data": patch})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
		require.Equal(t, before, resp.Object()["data"])
	}
	require.Equal(t, before, e.plan(P1))
	revs := e.get(plansURL + "/" + P1 + "/revisions")["data"].(map[string]any)["revisions"].([]any)
	require.Len(t, revs, 1, "no-op PATCHes store nothing")
}

// PL-12
func TestPlans_ListMerge(t *testing.T) {
	e := newEnv(t)
	id, token, created := e.create("broker", seedPlan(t))
	ids := []any{}
	for _, it := range created.Object()["data"].(map[string]any)["items"].([]any) {
		ids = append(ids, it.(map[string]any)["id"])
	}
	resp := e.as("broker", http.MethodPatch, plansURL+"/"+id+"?acc_token="+token, map[string]any{"data": map[string]any{"items": []any{map[string]any{"quantity": 7}, map[string]any{}}}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	items := resp.Object()["data"].(map[string]any)["items"].([]any)
	require.Len(t, items, 2)
	require.Equal(t, ids[0], items[0].(map[string]any)["id"])
	require.Equal(t, ids[1], items[1].(map[string]any)["id"])
	require.Equal(t, float64(7), items[0].(map[string]any)["quantity"])
	resp = e.as("broker", http.MethodPatch, plansURL+"/"+id+"?acc_token="+token, map[string]any{"data": map[string]any{"items": []any{}}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	require.NotContains(t, resp.Object()["data"], "items")
	resp = e.as("broker", http.MethodPatch, plansURL+"/"+id+"?acc_token="+token, map[string]any{"data": map[string]any{"budget": map[string]any{"project": nil}}})
	require.NotContains(t, resp.Object()["data"].(map[string]any)["budget"], "project", "null removes an optional value")
	resp = e.as("broker", http.MethodPatch, plansURL+"/"+id+"?acc_token="+token, map[string]any{"data": map[string]any{"items": []any{map[string]any{
		"description": "new", "classification": map[string]any{"scheme": "ДК021", "id": "03111600-8", "description": "x"}}}}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	require.Regexp(t, uuid4RE, resp.Object()["data"].(map[string]any)["items"].([]any)[0].(map[string]any)["id"], "appended items get ids")
}

// PL-13
func TestPlans_PatchRights(t *testing.T) {
	e := newEnv(t)
	patch := map[string]any{"data": map[string]any{"budget": map[string]any{"notes": "x"}}}
	forbidden(t, e.as("broker", http.MethodPatch, plansURL+"/"+P1, patch))
	forbidden(t, e.as("broker1", http.MethodPatch, plansURL+"/"+P1+"?acc_token="+P1Token, patch))
	e.Control(http.MethodPut, "/_sandbox/prozorro/settings", map[string]any{"planPatch": "anyBroker"}, 200)
	resp := e.as("broker1", http.MethodPatch, plansURL+"/"+P1, patch)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	forbidden(t, e.as("", http.MethodPatch, plansURL+"/"+P1, patch))
}

// PL-14
func TestPlans_PatchValidation(t *testing.T) {
	e := newEnv(t)
	before := e.plan(P1)
	resp := e.as("broker", http.MethodPatch, plansURL+"/"+P1+"?acc_token="+P1Token, map[string]any{"data": map[string]any{"budget": map[string]any{"amount": "lots"}}})
	requireError(t, resp, 422, "body", "budget", map[string]any{"amount": []any{"Value 'lots' is not float."}})
	resp = e.as("broker", http.MethodPatch, plansURL+"/"+P1+"?acc_token="+P1Token, map[string]any{"data": map[string]any{"nosuch": 1}})
	requireError(t, resp, 422, "body", "nosuch", "Rogue field")
	resp = e.as("broker", http.MethodPatch, plansURL+"/"+P1+"?acc_token="+P1Token, map[string]any{"data": map[string]any{"procuringEntity": nil}})
	requireError(t, resp, 422, "body", "procuringEntity", []any{"This field is required."})
	require.Equal(t, before, e.plan(P1))
}

// PL-15
func TestPlans_Revisions(t *testing.T) {
	e := newEnv(t)
	id, token, _ := e.create("broker", seedPlan(t))
	e.AdvanceClock("1s")
	resp := e.as("broker", http.MethodPatch, plansURL+"/"+id+"?acc_token="+token, map[string]any{"data": map[string]any{"budget": map[string]any{"description": "new"}}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	revs := e.get(plansURL + "/" + id + "/revisions")["data"].(map[string]any)["revisions"].([]any)
	require.Len(t, revs, 2)
	r1, r2 := revs[0].(map[string]any), revs[1].(map[string]any)
	require.NotContains(t, r1, "rev")
	require.Regexp(t, `^1-[0-9a-f]{32}$`, r2["rev"])
	require.Equal(t, "broker", r2["author"])
	require.Contains(t, r2["changes"], map[string]any{"op": "replace", "path": "/budget/description", "value": "budget_description"})
	for _, ch := range r1["changes"].([]any) {
		require.Equal(t, "remove", ch.(map[string]any)["op"])
	}
	require.NotContains(t, e.plan(id), "revisions")
	require.Equal(t, resp.Object()["data"].(map[string]any)["dateModified"], r2["date"])
}

// Non-finite amounts are refused rather than stored and emitted as invalid JSON.
func TestPlans_NonFiniteFloats(t *testing.T) {
	e := newEnv(t)
	for _, v := range []any{"nan", "inf", "-Infinity", json.Number("1e999")} {
		resp := postVariant(e, func(d map[string]any) { d["budget"].(map[string]any)["amount"] = v })
		requireError(t, resp, 422, "body", "budget", map[string]any{"amount": []any{"Value '" + map[bool]string{true: "inf", false: fmt.Sprint(v)}[v == json.Number("1e999")] + "' is not float."}})
	}
}
