package prozorro

import (
	"fmt"
	"regexp"
	"strings"
)

// Plan models (FACT planning models.py / api-plans models, as the sheet §5.2
// states them). Class names appear in "Please use a mapping …" messages.

func f(name string, t typ) *field { return &field{name: name, t: t} }

func req(name string, t typ) *field { return &field{name: name, t: t, required: true} }

func (fl *field) withDefault(v any) *field {
	fl.def = func() any { return v }
	return fl
}

func (fl *field) check(fns ...func(c *valCtx, v any) errDesc) *field {
	fl.validators = append(fl.validators, fns...)
	return fl
}

var str = strType{}

func i64(n int64) *int64 { return &n }

// planModels are the compiled models of one emulator instance.
type planModels struct {
	plan     *model
	document *model
}

func newPlanModels(c *constants) *planModels {
	period := newModel("Period",
		f("startDate", dateTimeType{}),
		f("endDate", dateTimeType{}),
	).with(rule{"startDate", func(_ *valCtx, data map[string]any, v any) errDesc {
		start, _ := v.(string)
		end, _ := data["endDate"].(string)
		if start != "" && end != "" && isoAfter(start, end) {
			return msgs("period should begin before its end")
		}
		return nil
	}})
	identifier := newModel("Identifier",
		req("scheme", strType{choices: c.planSchemes, choicesMsg: c.planSchemesChoices}),
		req("id", anyType{}),
		f("legalName", str), f("legalName_en", str), f("legalName_ru", str),
		f("uri", urlType{}),
	)
	classification := newModel("Classification",
		req("scheme", str), req("id", str), req("description", str),
		f("description_en", str), f("description_ru", str), f("uri", urlType{}),
	)
	cpv := newModel("CPVClassification",
		req("scheme", strType{choices: []string{"CPV", "ДК021"}, choicesMsg: "Value must be one of " + reprStrings([]string{"CPV", "ДК021"}, true) + "."}).withDefault("CPV"),
		req("id", str), req("description", str),
		f("description_en", str), f("description_ru", str), f("uri", urlType{}),
	).with(
		rule{"scheme", func(_ *valCtx, _ map[string]any, v any) errDesc {
			if v != "ДК021" {
				return msgs("Value must be one of " + reprStrings([]string{"ДК021"}, true) + ".")
			}
			return nil
		}},
		rule{"id", func(_ *valCtx, data map[string]any, v any) errDesc {
			code, _ := v.(string)
			if s := data["scheme"]; (s == "ДК021" || s == "CPV") && !c.dk021Set[code] {
				return msgs(c.dk021Msg)
			}
			return nil
		}},
	)
	value := newModel("Value",
		req("amount", floatType{min: new(float64)}),
		f("currency", strType{minLen: 3, maxLen: 3}).withDefault("UAH"),
		f("valueAddedTaxIncluded", boolType{}).withDefault(true),
	)
	unit := newModel("Unit",
		req("code", str), f("name", str), f("name_en", str), f("name_ru", str),
		f("value", modelType{value}),
	)
	item := newModel("PlanItem",
		f("id", strType{minLen: 1}),
		req("description", str), f("description_en", str), f("description_ru", str),
		req("classification", modelType{cpv}),
		f("additionalClassifications", listType{elem: modelType{classification}}),
		f("unit", modelType{unit}),
		f("quantity", intType{}),
		f("deliveryDate", modelType{period}),
	).with(
		rule{"classification", itemClassRule},
		rule{"additionalClassifications", additionalClassificationsRule(c)},
	)
	project := newModel("Project", req("id", str), req("name", str), f("name_en", str), f("name_ru", str))
	budget := newModel("Budget",
		req("id", str), req("description", str), f("description_en", str), f("description_ru", str),
		req("amount", floatType{}),
		f("currency", strType{minLen: 3, maxLen: 3}).withDefault("UAH"),
		f("amountNet", floatType{}),
		f("project", modelType{project}),
		f("year", intType{min: i64(2000)}),
		f("notes", str),
	)
	allTypes := []string{}
	for _, m := range c.planMethodOrder {
		allTypes = append(allTypes, c.PlanProcedures[m]...)
	}
	tender := newModel("PlanTender",
		f("procurementMethod", strType{choices: []string{"", "limited", "open"}, choicesMsg: c.PlanMethodChoices}).withDefault(""),
		f("procurementMethodType", strType{choices: allTypes, choicesMsg: "Value must be one of " + reprStrings(allTypes, false) + "."}).withDefault(""),
		req("tenderPeriod", modelType{period}),
	).with(rule{"procurementMethodType", func(_ *valCtx, data map[string]any, v any) errDesc {
		method, _ := data["procurementMethod"].(string)
		allowed, ok := c.PlanProcedures[method]
		if !ok {
			return nil // procurementMethod itself is refused
		}
		pmt, isStr := v.(string) // an explicit null skips the default and is refused
		if !isStr || !contains(allowed, pmt) {
			return msgs("Value must be one of " + reprTuple(allowed) + ".")
		}
		return nil
	}})
	org := newModel("PlanOrganization",
		req("name", str), f("name_en", str), f("name_ru", str),
		req("identifier", modelType{identifier}),
	)
	document := newModel("Document",
		f("id", anyType{}),
		f("hash", hashType{}),
		f("documentType", strType{choices: c.DocumentTypes.Plan}),
		req("title", str), f("title_en", str), f("title_ru", str),
		f("description", str), f("description_en", str), f("description_ru", str),
		req("format", strType{regex: regexp.MustCompile(`^[-\w]+/[-\.\w\+]+$`)}),
		req("url", str),
		f("datePublished", dateTimeType{}),
		f("dateModified", dateTimeType{}),
		f("language", str),
		f("documentOf", str),
		f("relatedItem", str),
		f("author", str),
	)
	plan := newModel("Plan",
		f("id", anyType{}),
		req("procuringEntity", modelType{org}),
		req("tender", modelType{tender}),
		req("budget", modelType{budget}),
		req("classification", modelType{cpv}),
		f("additionalClassifications", listType{elem: modelType{classification}}),
		f("documents", anyType{}),
		f("planID", str),
		f("mode", strType{choices: []string{"test"}}),
		f("items", listType{elem: modelType{item}}).check(itemsClassRule, itemsUniqRule),
		f("dateModified", dateTimeType{}),
		f("datePublished", dateTimeType{}),
		f("owner", str),
		f("procurementMethodType", str),
		f("revisions", anyType{}),
	)
	return &planModels{plan: plan, document: document}
}

// reprTuple prints a Python tuple of strings: ('a', 'b') and (”,) for one item.
func reprTuple(list []string) string {
	parts := make([]string, len(list))
	for i, s := range list {
		parts[i] = pyUnicodeRepr(s)[1:]
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func classID(v any) string {
	m, _ := v.(map[string]any)
	id, _ := m["id"].(string)
	return id
}

// rootClass returns the plan's classification id, "" when it is missing or
// failed validation (the item rules then do not run).
func rootClass(c *valCtx) string {
	plan := c.parent(2) // parents: … plan, item
	if plan == nil {
		return ""
	}
	return classID(plan["classification"])
}

func prefix(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

// itemClassRule: VP7 / VP8 — an item's class (group for 336…) must be the plan's.
func itemClassRule(c *valCtx, _ map[string]any, v any) errDesc {
	root := rootClass(c)
	if root == "" {
		return nil
	}
	id := classID(v)
	if prefix(root, 3) == "336" {
		if prefix(root, 3) != prefix(id, 3) {
			return msgs("CPV group of items be identical to root cpv")
		}
		return nil
	}
	if prefix(root, 4) != prefix(id, 4) {
		return msgs("CPV class of items should be identical to root cpv")
	}
	return nil
}

// additionalClassificationsRule: VP10 — "99999999-9" items need an
// additional classification from the 2017 schemes.
func additionalClassificationsRule(c *constants) func(*valCtx, map[string]any, any) errDesc {
	return func(_ *valCtx, data map[string]any, v any) errDesc {
		if classID(data["classification"]) != "99999999-9" {
			return nil
		}
		list, _ := v.([]any)
		if len(list) == 0 {
			return msgs("This field is required.")
		}
		for _, e := range list {
			if contains(c.AdditionalSchemes, fmt.Sprint(e.(map[string]any)["scheme"])) {
				return nil
			}
		}
		return msgs("One of additional classifications should be one of [" + strings.Join(c.AdditionalSchemes, ", ") + "].")
	}
}

// itemsClassRule: VP9 — items must share a class (a group under 336).
func itemsClassRule(_ *valCtx, v any) errDesc {
	items, _ := v.([]any)
	if len(items) == 0 {
		return nil
	}
	first := classID(items[0].(map[string]any)["classification"])
	n, msg := 4, "CPV class of items should be identical"
	if prefix(first, 3) == "336" {
		n, msg = 3, "CPV group of items be identical"
	}
	for _, it := range items[1:] {
		if prefix(classID(it.(map[string]any)["classification"]), n) != prefix(first, n) {
			return msgs(msg)
		}
	}
	return nil
}

// itemsUniqRule: VP11.
func itemsUniqRule(_ *valCtx, v any) errDesc {
	items, _ := v.([]any)
	seen := map[string]bool{}
	for _, it := range items {
		id, _ := it.(map[string]any)["id"].(string)
		if id == "" {
			continue
		}
		if seen[id] {
			return msgs("Item id should be uniq for all items")
		}
		seen[id] = true
	}
	return nil
}
