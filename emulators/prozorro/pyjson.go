package prozorro

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The upstream is a Python 2 service: its JSON comes from json.dumps with the
// separators ", " and ": ", every non-ASCII character escaped as \uXXXX, floats
// rendered by repr(). Clients that compare bytes (or parse floats strictly) see
// the difference, so the sandbox renders the same text.

// keyRank orders object keys. Key order is not significant upstream (Python 2
// dict hashing); the sandbox uses this stable order, that of the sheet's tables.
var keyRank = func() map[string]int {
	order := []string{
		"id", "planID", "auctionID", "owner", "status", "date", "datePublished", "dateModified",
		"title", "title_en", "title_ru", "description", "description_en", "description_ru",
		"procuringEntity", "name", "name_en", "name_ru", "identifier", "scheme", "legalName", "legalName_en", "legalName_ru", "uri",
		"tender", "procurementMethod", "procurementMethodType", "tenderPeriod", "startDate", "endDate",
		"budget", "amount", "currency", "amountNet", "valueAddedTaxIncluded", "project", "year", "notes",
		"classification", "additionalClassifications", "items", "unit", "code", "value", "quantity", "deliveryDate",
		"documents", "format", "url", "hash", "documentType", "documentOf", "relatedItem", "index", "language", "accessDetails", "author",
		"previousVersions", "mode",
	}
	m := make(map[string]int, len(order))
	for i, k := range order {
		m[k] = i
	}
	return m
}()

func sortKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, iok := keyRank[keys[i]]
		rj, jok := keyRank[keys[j]]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		}
		return keys[i] < keys[j]
	})
	return keys
}

// pyJSON renders v like Python 2 json.dumps; indent > 0 pretty-prints like
// json.dumps(indent=4), which keeps the ", " separator (a trailing space on
// every line that ends an element).
func pyJSON(v any, indent int) []byte {
	var b bytes.Buffer
	writePy(&b, v, indent, 0)
	return b.Bytes()
}

func writePy(b *bytes.Buffer, v any, indent, level int) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		writePyString(b, x)
	case float64:
		b.WriteString(pyFloat(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case json.Number:
		b.WriteString(x.String())
	case []any:
		writePyList(b, x, indent, level)
	case map[string]any:
		writePyObject(b, x, indent, level)
	case ordered:
		writeOrdered(b, x, indent, level)
	case json.RawMessage:
		var decoded any
		dec := json.NewDecoder(bytes.NewReader(x))
		dec.UseNumber()
		if dec.Decode(&decoded) == nil {
			writePy(b, decoded, indent, level)
		} else {
			b.WriteString("null")
		}
	default:
		raw, _ := json.Marshal(x)
		writePy(b, json.RawMessage(raw), indent, level)
	}
}

func newline(b *bytes.Buffer, indent, level int) {
	b.WriteByte('\n')
	b.WriteString(strings.Repeat(" ", indent*level))
}

func writePyList(b *bytes.Buffer, x []any, indent, level int) {
	if len(x) == 0 {
		b.WriteString("[]")
		return
	}
	b.WriteByte('[')
	for i, e := range x {
		if i > 0 {
			b.WriteString(", ")
		}
		if indent > 0 {
			newline(b, indent, level+1)
		}
		writePy(b, e, indent, level+1)
	}
	if indent > 0 {
		newline(b, indent, level)
	}
	b.WriteByte(']')
}

func writePyObject(b *bytes.Buffer, x map[string]any, indent, level int) {
	writeOrdered(b, orderedOf(x), indent, level)
}

// orderedOf lists a map's members in the stable key order.
func orderedOf(m map[string]any) ordered {
	out := make(ordered, 0, len(m))
	for _, k := range sortKeys(m) {
		out = append(out, kv{k, m[k]})
	}
	return out
}

// ordered is an object whose keys keep the given order (error items, listings).
type ordered []kv

type kv struct {
	k string
	v any
}

func writeOrdered(b *bytes.Buffer, x ordered, indent, level int) {
	if len(x) == 0 {
		b.WriteString("{}")
		return
	}
	b.WriteByte('{')
	for i, e := range x {
		if i > 0 {
			b.WriteString(", ")
		}
		if indent > 0 {
			newline(b, indent, level+1)
		}
		writePyString(b, e.k)
		b.WriteString(": ")
		writePy(b, e.v, indent, level+1)
	}
	if indent > 0 {
		newline(b, indent, level)
	}
	b.WriteByte('}')
}

const hexDigits = "0123456789abcdef"

func writeU(b *bytes.Buffer, r rune) {
	b.WriteString(`\u`)
	b.WriteByte(hexDigits[r>>12&0xf])
	b.WriteByte(hexDigits[r>>8&0xf])
	b.WriteByte(hexDigits[r>>4&0xf])
	b.WriteByte(hexDigits[r&0xf])
}

func writePyString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			default:
				if c < 0x20 {
					writeU(b, rune(c))
				} else {
					b.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r > 0xffff {
			r -= 0x10000
			writeU(b, 0xd800+(r>>10))
			writeU(b, 0xdc00+(r&0x3ff))
		} else {
			writeU(b, r)
		}
		i += size
	}
	b.WriteByte('"')
}

// pyFloat renders a float like Python 2.7 repr(): the shortest digits that
// round-trip, ".0" on integral values, exponent form below 1e-4 and from 1e16.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return mant + "e" + sign + pad2(exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// pyRepr renders a decoded JSON value the way Python 2 prints it inside a
// message: u'…' strings with non-ASCII as \uXXXX, True/False/None, lists and
// dicts (keys sorted: Python 2's order was arbitrary).
func pyRepr(v any) string {
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

func writeRepr(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case string:
		b.WriteString(pyUnicodeRepr(x))
	case json.Number:
		b.WriteString(pyNumberText(x))
	case float64:
		b.WriteString(pyFloat(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyUnicodeRepr(k))
			b.WriteString(": ")
			writeRepr(b, x[k])
		}
		b.WriteByte('}')
	default:
		b.WriteString("?")
	}
}

// pyNumberText is how Python prints a JSON number it decoded: ints as written,
// floats by repr().
func pyNumberText(n json.Number) string {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return strconv.FormatInt(i, 10)
		}
		return strings.TrimPrefix(s, "+")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "inf"
	}
	return pyFloat(f)
}

// pyUnicodeRepr is Python 2 repr() of a unicode string: u'…' (u"…" when the
// text holds a single quote and no double quote).
func pyUnicodeRepr(s string) string {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteString("u")
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hexDigits[r>>4])
			b.WriteByte(hexDigits[r&0xf])
		case r < 0x80:
			b.WriteRune(r)
		case r <= 0xff:
			b.WriteString(`\x`)
			b.WriteByte(hexDigits[r>>4])
			b.WriteByte(hexDigits[r&0xf])
		case r <= 0xffff:
			var u bytes.Buffer
			writeU(&u, r)
			b.WriteString(u.String())
		default:
			b.WriteString(`\U`)
			b.WriteString(strings.Repeat("0", 8-len(strconv.FormatInt(int64(r), 16))))
			b.WriteString(strconv.FormatInt(int64(r), 16))
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// pyFormat is Python's '{0}'.format(v) for a decoded JSON value: text as is,
// numbers and containers as Python prints them.
func pyFormat(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}
