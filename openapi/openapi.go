// Package openapi embeds each service's OpenAPI 3 document, validates incoming
// requests against it (letting the service render failures in its own error
// envelope) and validates responses in tests, so that the documents and the
// behaviour cannot drift apart.
package openapi

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gorilla/mux"
)

//go:embed *.yaml
var files embed.FS

// Services lists the services that have a document.
func Services() []string {
	entries, _ := fs.Glob(files, "*.yaml")
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e, ".yaml"))
	}
	sort.Strings(out)
	return out
}

// Source returns the embedded YAML of a service's document.
func Source(service string) ([]byte, error) {
	b, err := files.ReadFile(service + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("openapi: no document for %q: %w", service, err)
	}
	return b, nil
}

// Doc is a loaded, validated document with its router. Paths in the document are
// relative to the service root (what the upstream serves), so callers pass the
// service-relative path.
type Doc struct {
	Service string
	T       *openapi3.T
	router  routers.Router
	// byTemplate finds an operation from the route the service's own router
	// matched ("GET /api/2.3/plans/{id}"), without matching the path again.
	byTemplate map[string]*routers.Route
}

// Load parses and validates a service's document.
func Load(service string) (*Doc, error) {
	src, err := Source(service)
	if err != nil {
		return nil, err
	}
	return Parse(service, src)
}

// Parse loads a document from YAML or JSON.
func Parse(service string, src []byte) (*Doc, error) {
	loader := openapi3.NewLoader()
	t, err := loader.LoadFromData(src)
	if err != nil {
		return nil, fmt.Errorf("openapi: parse %s: %w", service, err)
	}
	if err := t.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi: invalid %s document: %w", service, err)
	}
	// Route against the bare service root whatever servers the document lists
	// for humans; the sandbox strips its own prefix before matching.
	t.Servers = openapi3.Servers{{URL: "/"}}
	r, err := gorillamux.NewRouter(t)
	if err != nil {
		return nil, fmt.Errorf("openapi: router for %s: %w", service, err)
	}
	d := &Doc{Service: service, T: t, router: r, byTemplate: map[string]*routers.Route{}}
	for path, item := range t.Paths.Map() {
		for method, op := range item.Operations() {
			d.byTemplate[method+" "+path] = &routers.Route{Spec: t, Path: path, PathItem: item, Method: method, Operation: op}
		}
	}
	return d, nil
}

// find matches a service-relative path; ok is false for paths the document does
// not describe (the service's own 404/405 handling answers those).
func (d *Doc) find(method, path, rawQuery string, header http.Header) (*routers.Route, map[string]string, *http.Request, bool) {
	req := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery}, Header: header, Host: "localhost"}
	if method == http.MethodHead {
		req.Method = http.MethodGet
	}
	route, params, err := d.router.FindRoute(req)
	if err != nil {
		return nil, nil, nil, false
	}
	return route, params, req, true
}

// RequestOptions tune request validation per service.
type RequestOptions struct {
	// SkipBody leaves request bodies to the handlers (Prozorro: the upstream's own
	// decode errors must win, in the upstream's check order).
	SkipBody bool
}

// RouteMiddleware validates each request against the operation of the route
// the service's router matched (a gorilla/mux middleware: it runs only for
// matched routes, so unknown paths keep the service's own 404/405). On a
// failure it calls fail instead of the handler.
func (d *Doc) RouteMiddleware(opts RequestOptions, fail func(http.ResponseWriter, *http.Request, error)) mux.MiddlewareFunc {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			method := r.Method
			if method == http.MethodHead {
				method = http.MethodGet
			}
			tpl, err := mux.CurrentRoute(r).GetPathTemplate()
			route := d.byTemplate[method+" "+tpl]
			if err != nil || route == nil {
				next.ServeHTTP(w, r)
				return
			}
			req := &http.Request{Method: method, URL: r.URL, Header: r.Header, Host: r.Host, Body: r.Body, ContentLength: r.ContentLength}
			params := mux.Vars(r)
			in := &openapi3filter.RequestValidationInput{
				Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{
					ExcludeRequestBody: opts.SkipBody,
					AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
					MultiError:         true,
				},
			}
			if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
				fail(w, r, err)
				return
			}
			if !opts.SkipBody && req.Body != nil {
				r.Body = req.Body // the validator re-wound it
			}
			next.ServeHTTP(w, r)
		})
	}
}

// ValidateResponse checks a response to a request for a service-relative path:
// the status must be declared, the media type declared for it, and JSON bodies
// must match their schema. JSONP and binary bodies are checked by media type.
func (d *Doc) ValidateResponse(method, path, rawQuery string, status int, header http.Header, body []byte) error {
	route, params, req, ok := d.find(method, path, rawQuery, http.Header{})
	if !ok {
		// Unknown paths and methods are the service's 404/405 fallbacks.
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return nil
		}
		return fmt.Errorf("openapi %s: %s %s is not in the document", d.Service, method, path)
	}
	if method == http.MethodHead {
		body = nil
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if method == http.MethodHead || !isJSONMedia(mt) {
		opts.ExcludeResponseBody = true
		if err := d.checkDeclaredMedia(route, status, mt, method == http.MethodHead || len(body) == 0); err != nil {
			return err
		}
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("openapi %s: %s %s → %d: %w", d.Service, method, path, status, err)
	}
	return nil
}

func isJSONMedia(mt string) bool {
	return mt == "application/json" || mt == "application/problem+json" || strings.HasSuffix(mt, "+json")
}

// checkDeclaredMedia: the status must be declared and, when a body is sent, its
// media type too (an empty body — HEAD, a redirect — may carry any type).
func (d *Doc) checkDeclaredMedia(route *routers.Route, status int, mt string, noBody bool) error {
	resp := route.Operation.Responses.Status(status)
	if resp == nil {
		resp = route.Operation.Responses.Default()
	}
	if resp == nil || resp.Value == nil {
		return fmt.Errorf("openapi %s: %s %s: status %d not declared", d.Service, route.Method, route.Path, status)
	}
	if noBody || resp.Value.Content.Get(mt) != nil {
		return nil
	}
	return fmt.Errorf("openapi %s: %s %s → %d: media type %q not declared", d.Service, route.Method, route.Path, status, mt)
}
