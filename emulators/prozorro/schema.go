package prozorro

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/upstream-sandbox/sandbox/emulators"
)

// This file is a small re-implementation of schematics 1.1 as the upstream used
// it: a request body is first *converted* (types coerced, unknown keys refused as
// "Rogue field") and only if that succeeds *validated* (required fields, choices,
// lengths, model rules). Error descriptions keep schematics' shapes: a list of
// messages for a field, an object for a nested model, a list of objects (only
// the failing elements) for a list of models.

// errDesc is the JSON "description" of one error.
type errDesc = any

func msgs(m ...string) errDesc {
	out := make([]any, len(m))
	for i, s := range m {
		out[i] = s
	}
	return out
}

// fatalError aborts conversion with a single body/data error, like an uncaught
// Python ValueError inside schematics (e.g. a list given as {"name": …}).
type fatalError struct{ msg string }

func (e *fatalError) Error() string { return e.msg }

// typ is a field type.
type typ interface {
	// convert coerces a raw JSON value (never nil); a non-nil errDesc is a
	// conversion error. A *fatalError panics through convertModel.
	convert(c *convCtx, raw any) (any, errDesc)
	// validate checks a converted value.
	validate(c *valCtx, v any) errDesc
}

type field struct {
	name     string
	t        typ
	required bool
	def      func() any
	// validators run after the type's own checks (the ListType validators= of
	// the upstream models).
	validators []func(c *valCtx, v any) errDesc
}

// rule is a model-level validate_<field> method: it sees the whole model's data
// and runs only when the field itself passed.
type rule struct {
	field string
	fn    func(c *valCtx, data map[string]any, v any) errDesc
}

type model struct {
	class  string
	fields []*field
	byName map[string]*field
	rules  []rule
}

func newModel(class string, fields ...*field) *model {
	m := &model{class: class, fields: fields, byName: map[string]*field{}}
	for _, f := range fields {
		m.byName[f.name] = f
	}
	return m
}

func (m *model) with(rules ...rule) *model {
	m.rules = append(m.rules, rules...)
	return m
}

type convCtx struct {
	kyiv *time.Location
}

type valCtx struct {
	// parents holds the data of the enclosing models, innermost last.
	parents []map[string]any
	env     *validationEnv
}

// validationEnv carries what model rules need beyond the data.
type validationEnv struct {
	dk021           map[string]bool
	dk021Msg        string
	planSchemes     []string
	planSchemesRepr string
}

func (c *valCtx) parent(n int) map[string]any {
	if len(c.parents) < n {
		return nil
	}
	return c.parents[len(c.parents)-n]
}

// convertModel converts raw into the model's data; errs maps field names to
// descriptions (nil if none).
func convertModel(c *convCtx, m *model, raw map[string]any) (map[string]any, map[string]any) {
	data := map[string]any{}
	var errs map[string]any
	addErr := func(k string, d errDesc) {
		if errs == nil {
			errs = map[string]any{}
		}
		errs[k] = d
	}
	for k := range raw {
		if m.byName[k] == nil {
			addErr(k, "Rogue field")
		}
	}
	for _, f := range m.fields {
		v, ok := raw[f.name]
		if !ok || v == nil {
			if f.def != nil && !ok {
				data[f.name] = f.def()
			}
			continue
		}
		cv, e := f.t.convert(c, v)
		if e != nil {
			addErr(f.name, e)
			continue
		}
		data[f.name] = cv
	}
	return data, errs
}

// validateModel validates converted data; it returns the errors by field.
func validateModel(c *valCtx, m *model, data map[string]any) map[string]any {
	var errs map[string]any
	invalid := map[string]bool{}
	addErr := func(k string, d errDesc) {
		if errs == nil {
			errs = map[string]any{}
		}
		errs[k] = d
		invalid[k] = true
	}
	c.parents = append(c.parents, data)
	defer func() { c.parents = c.parents[:len(c.parents)-1] }()
	for _, f := range m.fields {
		v := data[f.name]
		if v == nil {
			if f.required {
				addErr(f.name, msgs("This field is required."))
			}
			continue
		}
		if e := f.t.validate(c, v); e != nil {
			addErr(f.name, e)
			continue
		}
		for _, fn := range f.validators {
			if e := fn(c, v); e != nil {
				addErr(f.name, e)
				break
			}
		}
	}
	for _, r := range m.rules {
		if invalid[r.field] {
			continue
		}
		if e := r.fn(c, data, data[r.field]); e != nil {
			addErr(r.field, e)
		}
	}
	return errs
}

// checkModel runs both phases: conversion errors, if any, are reported alone.
func checkModel(cc *convCtx, vc *valCtx, m *model, raw map[string]any) (data map[string]any, errs map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(*fatalError)
			if !ok {
				panic(r)
			}
			err = fe
		}
	}()
	data, errs = convertModel(cc, m, raw)
	if errs != nil {
		return nil, errs, nil
	}
	if errs = validateModel(vc, m, data); errs != nil {
		return nil, errs, nil
	}
	return data, nil, nil
}

// ---- python type names and coercions ----

func pyTypeName(v any) string {
	switch x := v.(type) {
	case string:
		return "unicode"
	case bool:
		return "bool"
	case json.Number:
		if isIntNumber(x) {
			if _, err := strconv.ParseInt(x.String(), 10, 64); err != nil {
				return "long"
			}
			return "int"
		}
		return "float"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	case float64:
		return "float"
	case int64, int:
		return "int"
	}
	return "NoneType"
}

func isIntNumber(n json.Number) bool { return !strings.ContainsAny(n.String(), ".eE") }

// pyStrip trims what Python's float()/int() ignore around a number.
func pyStrip(s string) string { return strings.TrimSpace(s) }

var pyIntRE = regexp.MustCompile(`^[+-]?[0-9]+$`)
var pyFloatRE = regexp.MustCompile(`^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)$`)

// toFloat is Python float(v).
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(x.String(), 64)
		if err != nil {
			return math.Inf(1), true // Python reads 1e400 as inf
		}
		return f, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		s := strings.ToLower(pyStrip(x))
		if !pyFloatRE.MatchString(s) {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
				return f, true
			}
			return 0, false
		}
		return f, true
	}
	return 0, false
}

// toInt is Python int(v): floats truncate, numeric strings must be integral.
func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if isIntNumber(x) {
			n, err := strconv.ParseInt(x.String(), 10, 64)
			return n, err == nil
		}
		f, err := strconv.ParseFloat(x.String(), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > math.MaxInt64 {
			return 0, false
		}
		return int64(f), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		s := pyStrip(x)
		if !pyIntRE.MatchString(s) {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// ---- field types ----

type strType struct {
	minLen, maxLen int
	regex          *regexp.Regexp
	choices        []string
	// choicesMsg overrides the rendered "Value must be one of …" text.
	choicesMsg string
}

func (t strType) convert(_ *convCtx, raw any) (any, errDesc) {
	switch x := raw.(type) {
	case string:
		return x, nil
	case bool:
		if x {
			return "True", nil
		}
		return "False", nil
	case json.Number:
		if isIntNumber(x) {
			if n, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
				return strconv.FormatInt(n, 10), nil
			}
		}
	}
	return nil, msgs(fmt.Sprintf("Couldn't interpret '%s' as string.", pyFormat(raw)))
}

func (t strType) validate(_ *valCtx, v any) errDesc {
	s, _ := v.(string)
	var out []string
	if t.choices != nil && !contains(t.choices, s) {
		out = append(out, t.choicesText())
	}
	n := len([]rune(s))
	if t.maxLen > 0 && n > t.maxLen {
		out = append(out, "String value is too long.")
	}
	if t.minLen > 0 && n < t.minLen {
		out = append(out, "String value is too short.")
	}
	if t.regex != nil && !t.regex.MatchString(s) {
		out = append(out, "String value did not match validation regex.")
	}
	if out == nil {
		return nil
	}
	return msgs(out...)
}

func (t strType) choicesText() string {
	if t.choicesMsg != "" {
		return t.choicesMsg
	}
	// Literal lists in the upstream's source print as plain 'x' (Python 2 str);
	// lists read from files set choicesMsg with their u'x' form.
	return "Value must be one of " + reprStrings(t.choices, false) + "."
}

// reprStrings prints a list of strings as Python 2 would: ASCII literals plain
// ('open') unless unicodeAll, where every item is u'…' (lists read from files).
func reprStrings(list []string, unicodeAll bool) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		r := pyUnicodeRepr(s)
		if !unicodeAll && isASCII(s) {
			r = r[1:]
		}
		b.WriteString(r)
	}
	b.WriteByte(']')
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type floatType struct {
	min *float64
}

func (t floatType) convert(_ *convCtx, raw any) (any, errDesc) {
	// NaN and ±inf are refused: Python stored them and then emitted JSON no
	// client can parse ("NaN", "Infinity").
	if f, ok := toFloat(raw); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return f, nil
	}
	return nil, msgs(fmt.Sprintf("Value '%s' is not float.", pyFormat(raw)))
}

func (t floatType) validate(_ *valCtx, v any) errDesc {
	f, _ := v.(float64)
	if t.min != nil && f < *t.min {
		return msgs(fmt.Sprintf("Float value should be greater than %s.", strconv.FormatFloat(*t.min, 'f', -1, 64)))
	}
	return nil
}

type intType struct {
	min, max *int64
	choices  []int64
}

func (t intType) convert(_ *convCtx, raw any) (any, errDesc) {
	if n, ok := toInt(raw); ok {
		return n, nil
	}
	return nil, msgs(fmt.Sprintf("Value '%s' is not int.", pyFormat(raw)))
}

func (t intType) validate(_ *valCtx, v any) errDesc {
	n, _ := v.(int64)
	if t.choices != nil {
		ok := false
		parts := make([]string, len(t.choices))
		for i, c := range t.choices {
			parts[i] = strconv.FormatInt(c, 10)
			ok = ok || c == n
		}
		if !ok {
			return msgs("Value must be one of [" + strings.Join(parts, ", ") + "].")
		}
	}
	if t.min != nil && n < *t.min {
		return msgs(fmt.Sprintf("Int value should be greater than %d.", *t.min))
	}
	if t.max != nil && n > *t.max {
		return msgs(fmt.Sprintf("Int value should be less than %d.", *t.max))
	}
	return nil
}

type boolType struct {
	choices []bool
}

func (t boolType) convert(_ *convCtx, raw any) (any, errDesc) {
	switch x := raw.(type) {
	case bool:
		return x, nil
	case string:
		switch x {
		case "True", "true", "1":
			return true, nil
		case "False", "false", "0":
			return false, nil
		}
	case json.Number:
		switch x.String() {
		case "1":
			return true, nil
		case "0":
			return false, nil
		}
	}
	return nil, msgs("Must be either true or false.")
}

func (t boolType) validate(_ *valCtx, v any) errDesc {
	if t.choices == nil {
		return nil
	}
	b, _ := v.(bool)
	for _, c := range t.choices {
		if c == b {
			return nil
		}
	}
	parts := make([]string, len(t.choices))
	for i, c := range t.choices {
		parts[i] = map[bool]string{true: "True", false: "False"}[c]
	}
	return msgs("Value must be one of [" + strings.Join(parts, ", ") + "].")
}

// dateTimeType is the upstream's IsoDateTimeType; values are kept as their
// isoformat() text, with the offset they were given.
type dateTimeType struct{}

func (dateTimeType) convert(c *convCtx, raw any) (any, errDesc) {
	s, ok := raw.(string)
	if !ok {
		return nil, msgs(fmt.Sprintf("Could not parse %s. Should be ISO8601.", pyFormat(raw)))
	}
	t, err := parseISO8601(s, c.kyiv)
	if err != nil {
		return nil, msgs(err.Error())
	}
	return isoformat(t), nil
}

func (dateTimeType) validate(*valCtx, any) errDesc { return nil }

// urlRE is schematics 1.1 URLType's pattern.
var urlRE = regexp.MustCompile(`(?i)^https?://(?:(?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+[A-Z]{2,6}\.?|localhost|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?::\d+)?(?:/?|[/?]\S+)$`)

type urlType struct{ strType }

func (t urlType) validate(c *valCtx, v any) errDesc {
	if s, _ := v.(string); !urlRE.MatchString(s) {
		return msgs("Not a well formed URL.")
	}
	return nil
}

// hashDigestHex are the hashlib algorithms and their hex lengths.
var hashDigestHex = map[string]int{"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}

var hexRE = regexp.MustCompile(`^[0-9a-fA-F]+$`)

// hashType is the upstream HashType: its checks run during conversion.
type hashType struct{ strType }

func (t hashType) convert(c *convCtx, raw any) (any, errDesc) {
	v, e := t.strType.convert(c, raw)
	if e != nil {
		return nil, e
	}
	s := v.(string)
	alg, val, ok := strings.Cut(s, ":")
	n, known := hashDigestHex[alg]
	switch {
	case !ok || !known:
		return nil, msgs("Hash type is not supported.")
	case len(val) != n:
		return nil, msgs("Hash value is wrong length.")
	case !hexRE.MatchString(val):
		return nil, msgs("Hash value is not hexadecimal.")
	}
	return s, nil
}

// anyType accepts any JSON value (schematics BaseType).
type anyType struct{}

func (anyType) convert(_ *convCtx, raw any) (any, errDesc) { return normalizeNumbers(raw), nil }
func (anyType) validate(*valCtx, any) errDesc              { return nil }

// normalizeNumbers turns json.Number into int64/float64 as Python would hold them.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if isIntNumber(x) {
			if n, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
				return n
			}
		}
		f, _ := toFloat(x)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return x // keep "1e999" as written: Infinity is not JSON
		}
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeNumbers(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeNumbers(e)
		}
		return out
	}
	return v
}

type modelType struct{ m *model }

func (t modelType) convert(c *convCtx, raw any) (any, errDesc) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, msgs(fmt.Sprintf("Please use a mapping for this field or %s instance instead of %s.", t.m.class, pyTypeName(raw)))
	}
	data, errs := convertModel(c, t.m, obj)
	if errs != nil {
		return nil, errs
	}
	return data, nil
}

func (t modelType) validate(c *valCtx, v any) errDesc {
	data, _ := v.(map[string]any)
	if errs := validateModel(c, t.m, data); errs != nil {
		return errs
	}
	return nil
}

type listType struct {
	elem             typ
	minSize, maxSize int
}

// forceList is schematics' _force_list: a dict is read as {index: item}, a
// scalar becomes a one-element list.
func forceList(raw any) []any {
	switch x := raw.(type) {
	case []any:
		return x
	case map[string]any:
		idx := make([]int, 0, len(x))
		byIdx := map[int]any{}
		for _, k := range emulators.SortedKeys(x) {
			n, err := strconv.Atoi(strings.TrimSpace(k))
			if err != nil {
				panic(&fatalError{msg: fmt.Sprintf("invalid literal for int() with base 10: '%s'", k)})
			}
			idx = append(idx, n)
			byIdx[n] = x[k]
		}
		sort.Ints(idx)
		out := make([]any, 0, len(idx))
		for _, n := range idx {
			out = append(out, byIdx[n])
		}
		return out
	}
	return []any{raw}
}

func (t listType) convert(c *convCtx, raw any) (any, errDesc) {
	items := forceList(raw)
	out := make([]any, 0, len(items))
	for _, it := range items {
		if it == nil {
			continue
		}
		v, e := t.elem.convert(c, it)
		if e != nil {
			return nil, e
		}
		out = append(out, v)
	}
	return out, nil
}

func (t listType) validate(c *valCtx, v any) errDesc {
	items, _ := v.([]any)
	var out []any
	for _, it := range items {
		if e := t.elem.validate(c, it); e != nil {
			if l, ok := e.([]any); ok && !isModelElem(t.elem) {
				out = append(out, l...)
			} else {
				out = append(out, e)
			}
		}
	}
	if t.minSize > 0 && len(items) < t.minSize {
		out = append(out, fmt.Sprintf("Please provide at least %d item%s.", t.minSize, plural(t.minSize)))
	}
	if t.maxSize > 0 && len(items) > t.maxSize {
		out = append(out, fmt.Sprintf("Please provide no more than %d item%s.", t.maxSize, plural(t.maxSize)))
	}
	if out == nil {
		return nil
	}
	return out
}

func isModelElem(t typ) bool {
	_, ok := t.(modelType)
	return ok
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
