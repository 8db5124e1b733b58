package prozorro

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/upstream-sandbox/sandbox/emulators"
)

// apiError is an answer in the upstream's envelope (FACT cornice json_error):
// {"status": "error", "errors": [{"description", "location", "name"}, …]}.
type apiError struct {
	status int
	items  []errItem
	// allow is set on 405 answers (plain text, not the JSON envelope).
	plain string
	allow string
}

type errItem struct {
	location, name string
	description    any
}

func (e *apiError) Error() string {
	var parts []string
	for _, it := range e.items {
		parts = append(parts, fmt.Sprintf("%s/%s: %v", it.location, it.name, it.description))
	}
	return fmt.Sprintf("%d %s", e.status, strings.Join(parts, "; "))
}

func newErr(status int, location, name string, description any) *apiError {
	return &apiError{status: status, items: []errItem{{location, name, description}}}
}

// The catalogue of §7.3, one constructor per code.
func errForbidden() *apiError { return newErr(403, "url", "permission", "Forbidden") }

func errNotFound(name string) *apiError { return newErr(404, "url", name, "Not Found") }

func errContentType() *apiError {
	return newErr(415, "header", "Content-Type", "Content-Type header should be one of ['application/json']")
}

func errNoJSON(generation string) *apiError {
	if generation == "2018" {
		return newErr(422, "body", "data", "Expecting value: line 1 column 1 (char 0)")
	}
	return newErr(422, "body", "data", "No JSON object could be decoded")
}

func errNoData() *apiError { return newErr(422, "body", "data", "Data not available") }

func errParams() *apiError { return newErr(422, "body", "data", "could not decode params") }

func errTooLarge() *apiError { return newErr(413, "body", "data", "Request entity too large") }

func errConflict() *apiError {
	return newErr(409, "body", "data", "(u'conflict', u'Document update conflict.')")
}

func errOffset(generation string) *apiError {
	loc := "params"
	if generation == "2018" {
		loc = "querystring"
	}
	return newErr(404, loc, "offset", "Offset expired/invalid")
}

// errFields is a 422 listing every field error of a body (E10/E11), in the
// model's field order.
func errFields(errs map[string]any, order []string) *apiError {
	e := &apiError{status: 422}
	seen := map[string]bool{}
	for _, k := range order {
		if d, ok := errs[k]; ok {
			e.items = append(e.items, errItem{"body", k, d})
			seen[k] = true
		}
	}
	var rest []string
	for k := range errs {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		e.items = append(e.items, errItem{"body", k, errs[k]})
	}
	return e
}

func fieldOrder(m *model) []string {
	out := make([]string, len(m.fields))
	for i, f := range m.fields {
		out[i] = f.name
	}
	return out
}

// writeError renders an error: compact, never pretty or JSONP (FACT).
func writeError(w http.ResponseWriter, e *apiError) {
	if e.plain != "" {
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		if e.allow != "" {
			w.Header().Set("Allow", e.allow)
		}
		w.WriteHeader(e.status)
		_, _ = w.Write([]byte(e.plain))
		return
	}
	items := make([]any, len(e.items))
	for i, it := range e.items {
		item := ordered{{"description", it.description}}
		if it.location != "" {
			item = append(item, kv{"location", it.location}, kv{"name", it.name})
		}
		items[i] = item
	}
	body := pyJSON(ordered{{"status", "error"}, {"errors", items}}, 0)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

// fail writes err: an *apiError as is, anything else as the 500 of F2 (logged;
// it must never be caused by input).
func (s *service) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *apiError
	if errors.As(err, &e) {
		writeError(w, e)
		return
	}
	s.env.Log.Error("prozorro: internal error", slog.String("path", r.URL.Path), slog.Any("err", err))
	writeError(w, newErr(500, "body", "data", "Internal Server Error"))
}

func notFoundPlain() *apiError {
	return &apiError{status: 404, plain: "404 Not Found\n\nThe resource could not be found.\n\n\n"}
}

func methodNotAllowed(method string, allow []string) *apiError {
	return &apiError{
		status: 405,
		plain:  fmt.Sprintf("405 Method Not Allowed\n\nThe method %s is not allowed for this resource. \n\n\n", method),
		allow:  strings.Join(allow, ", "),
	}
}

// Fail implements emulators.Emulator: platform failures in the Prozorro envelope.
func (e *Emulator) Fail(w http.ResponseWriter, r *http.Request, f emulators.Failure) {
	switch f.Kind {
	case emulators.FailInvalidTenant:
		writeError(w, newErr(400, "header", "X-Sandbox-Tenant", "Invalid tenant name"))
	case emulators.FailBadScenario:
		writeError(w, newErr(400, "header", "X-Sandbox-Scenario", "Unknown scenario"))
	case emulators.FailTooLarge:
		writeError(w, errTooLarge())
	case emulators.FailNotFound:
		writeError(w, notFoundPlain())
	case emulators.FailMethod:
		writeError(w, methodNotAllowed(r.Method, f.Allow))
	case emulators.FailValidation:
		writeError(w, newErr(422, "body", "data", "could not decode params"))
	case emulators.FailPanic:
		writeError(w, newErr(500, "body", "data", "Internal Server Error"))
	default:
		status := f.Status
		if status == 0 {
			status = 500
		}
		writeError(w, newErr(status, "body", "data", http.StatusText(status)))
	}
}

// validate runs both schematics phases on a body and maps the outcome to the
// envelope: 422 body/data for an aborting error, else one item per field.
func (s *service) validate(m *model, raw map[string]any) (map[string]any, *apiError) {
	data, errs, fatal := checkModel(s.conv, s.valCtx(), m, raw)
	if fatal != nil {
		return nil, newErr(422, "body", "data", fatal.Error())
	}
	if errs != nil {
		return nil, errFields(errs, fieldOrder(m))
	}
	return data, nil
}
