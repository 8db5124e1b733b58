package prozorro

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/upstream-sandbox/sandbox/emulators"
)

// call is one request as the handlers see it: the body read once (within the
// limit), the query decoded the upstream's tolerant way, the caller resolved.
type call struct {
	w     http.ResponseWriter
	r     *http.Request
	body  []byte
	query query
	who   identity
	// parsed caches the body's JSON (nil when it is not JSON).
	parsed    any
	parsedErr error
	parsedOK  bool
}

// begin runs the checks every endpoint shares, in the upstream's order (§7.2
// step 2): body size (E13), then query decoding (E12).
func (s *service) begin(w http.ResponseWriter, r *http.Request) (*call, bool) {
	body, err := emulators.ReadBody(r, emulators.DefaultBodyLimit)
	if err != nil {
		if errors.Is(err, emulators.ErrTooLarge) {
			writeError(w, errTooLarge())
		} else {
			writeError(w, errNoJSON("2017"))
		}
		return nil, false
	}
	q, ok := parseQuery(r.URL.RawQuery)
	if !ok {
		writeError(w, errParams())
		return nil, false
	}
	return &call{w: w, r: r, body: body, query: q}, true
}

// json decodes the body once (numbers kept as json.Number).
func (c *call) json() any {
	if !c.parsedOK {
		c.parsed, c.parsedErr = emulators.DecodeJSON(c.body)
		c.parsedOK = true
	}
	if c.parsedErr != nil {
		return nil
	}
	return c.parsed
}

// isJSON reports whether the request declares application/json.
func (c *call) isJSON() bool {
	mt, _ := emulators.MediaType(c.r)
	return mt == "application/json"
}

// data applies E8 and E9: the body must be JSON, an object, with an object "data".
func (c *call) data(generation string) (map[string]any, *apiError) {
	v := c.json()
	if c.parsedErr != nil {
		return nil, errNoJSON(generation)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errNoData()
	}
	data, ok := obj["data"].(map[string]any)
	if !ok {
		return nil, errNoData()
	}
	return data, nil
}

// query is a decoded query string; the first value of a name wins.
type query struct {
	vals  map[string]string
	given map[string]bool
}

func (q query) get(name string) string { return q.vals[name] }
func (q query) has(name string) bool   { return q.given[name] }

// parseQuery decodes like WebOb: '+' is a space, malformed escapes stay
// literal; a value that is not UTF-8 after decoding is E12 (§7.3).
func parseQuery(raw string) (query, bool) {
	q := query{vals: map[string]string{}, given: map[string]bool{}}
	for _, part := range strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' }) {
		k, v, _ := strings.Cut(part, "=")
		k, v = unquotePlus(k), unquotePlus(v)
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return q, false
		}
		if !q.given[k] {
			q.vals[k] = v
			q.given[k] = true
		}
	}
	return q, true
}

func unquotePlus(s string) string {
	s = strings.ReplaceAll(s, "+", " ")
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

var jsonpRE = regexp.MustCompile(`^[$A-Za-z_][$0-9A-Za-z_.\[\]]*$`)

// pretty: ?opt_pretty or body options.pretty (§4.0).
func (c *call) pretty() bool {
	if c.query.get("opt_pretty") != "" {
		return true
	}
	if len(c.body) == 0 {
		return false
	}
	if obj, ok := c.json().(map[string]any); ok {
		if opts, ok := obj["options"].(map[string]any); ok {
			if p, ok := opts["pretty"].(bool); ok && p {
				return true
			}
		}
	}
	return false
}

// render writes a success body with the renderer options of §4.0: pretty and
// JSONP (?opt_jsonp).
func (s *service) render(c *call, status int, v any) {
	indent := 0
	if c.pretty() {
		indent = 4
	}
	s.writeBody(c, status, pyJSON(v, indent))
}

// writeBody writes rendered JSON, wrapped for JSONP when asked.
func (s *service) writeBody(c *call, status int, body []byte) {
	h := c.w.Header()
	if cb := c.query.get("opt_jsonp"); cb != "" && jsonpRE.MatchString(cb) {
		var b bytes.Buffer
		b.WriteString("/**/" + cb + "(")
		b.Write(body)
		b.WriteString(");")
		body = b.Bytes()
		h.Set("Content-Type", "application/javascript; charset=UTF-8")
	} else {
		h.Set("Content-Type", "application/json; charset=UTF-8")
	}
	c.w.WriteHeader(status)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(body)
	}
}

// renderRaw writes {"<key>": view} where view is already pyJSON text; pretty
// output re-renders it.
func (s *service) renderRaw(c *call, status int, key string, view []byte) {
	if c.pretty() {
		v, err := decodeStored(view)
		if err != nil {
			s.fail(c.w, c.r, err)
			return
		}
		s.render(c, status, ordered{{key, v}})
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"`)
	b.WriteString(key)
	b.WriteString(`": `)
	b.Write(view)
	b.WriteByte('}')
	s.writeBody(c, status, b.Bytes())
}

// location builds an absolute URL under the service for the Location header and
// links: {origin}{P}/api/2.3/…
func location(r *http.Request, path string) string {
	return emulators.Origin(r) + emulators.Prefix(r) + path
}

// decodeStored reads a value the service wrote with pyJSON: ints stay ints,
// floats (always written with "." or an exponent) stay floats.
func decodeStored(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return normalizeNumbers(v), nil
}
