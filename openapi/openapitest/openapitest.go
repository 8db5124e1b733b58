// Package openapitest validates every response a test receives against the
// service's OpenAPI document, through an http.RoundTripper.
package openapitest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/upstream-sandbox/sandbox/openapi"
)

// Transport wraps base (nil = http.DefaultTransport) so that every response to a
// request under one of prefixes ("/prozorro" → document "prozorro") is checked
// against its document; a mismatch fails the test. Paths the documents do not
// cover (the control plane, unknown paths) pass unchecked unless they are under
// a service prefix, where the document must describe them.
func Transport(t testing.TB, base http.RoundTripper, prefixes map[string]string) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	docs := map[string]*openapi.Doc{}
	for prefix, service := range prefixes {
		d, err := openapi.Load(service)
		if err != nil {
			t.Fatalf("openapitest: %v", err)
		}
		docs[prefix] = d
	}
	return &transport{t: t, base: base, docs: docs}
}

type transport struct {
	t    testing.TB
	base http.RoundTripper
	docs map[string]*openapi.Doc
}

// Skip marks a request whose response must not be validated (a test that
// provokes an undocumented answer on purpose, e.g. a dropped connection).
const Skip = "X-Openapitest-Skip"

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	skip := req.Header.Get(Skip) != ""
	if skip {
		req = req.Clone(req.Context())
		req.Header.Del(Skip)
	}
	resp, err := tr.base.RoundTrip(req)
	if err != nil || skip {
		return resp, err
	}
	for prefix, doc := range tr.docs {
		path, ok := strings.CutPrefix(req.URL.Path, prefix)
		if !ok || (path != "" && path[0] != '/' && prefix != "") {
			continue
		}
		body, rerr := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if rerr != nil {
			return nil, rerr
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if verr := doc.ValidateResponse(req.Method, path, req.URL.RawQuery, resp.StatusCode, resp.Header, body); verr != nil {
			tr.t.Errorf("response does not match the OpenAPI document: %v\nbody: %.2000s", verr, body)
		}
		break
	}
	return resp, nil
}
