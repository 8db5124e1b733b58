package emulators

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// ErrTooLarge is returned by ReadBody when the body exceeds its limit.
var ErrTooLarge = errors.New("request body too large")

// ReadBody reads the whole request body up to limit bytes. A longer body (by
// Content-Length or by what arrives) gives ErrTooLarge, so no handler ever
// buffers more than the service allows.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, ErrTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, ErrTooLarge
	case err != nil:
		return nil, fmt.Errorf("read body: %w", err)
	case int64(len(b)) > limit:
		return nil, ErrTooLarge
	}
	return b, nil
}

// MediaType returns the lower-cased media type of the request and its params;
// "" when absent or unparseable.
func MediaType(r *http.Request) (string, map[string]string) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "", nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		// A malformed parameter list still names its type.
		return strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0])), nil
	}
	return mt, params
}

// MaxJSONDepth is the nesting limit the sandbox enforces on JSON bodies
// (encoding/json has none).
const MaxJSONDepth = 64

// JSON problems CheckJSON reports.
var (
	ErrInvalidUTF8 = errors.New("body is not valid UTF-8")
	ErrTooDeep     = errors.New("JSON nesting too deep")
	ErrNotJSON     = errors.New("body is not JSON")
)

// CheckJSON verifies what encoding/json does not: the body is valid UTF-8, a
// single JSON value, and nested no deeper than maxDepth.
func CheckJSON(body []byte, maxDepth int) error {
	if !utf8.Valid(body) {
		return ErrInvalidUTF8
	}
	if !json.Valid(body) {
		return ErrNotJSON
	}
	depth, inString, escaped := 0, false, false
	for _, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > maxDepth {
				return ErrTooDeep
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// DecodeJSON checks body with CheckJSON and decodes it keeping numbers as
// json.Number, so handlers can apply their upstream's own coercion rules.
func DecodeJSON(body []byte) (any, error) {
	if err := CheckJSON(body, MaxJSONDepth); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	return v, nil
}
