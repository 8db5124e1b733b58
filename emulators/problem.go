package emulators

import (
	"encoding/json"
	"errors"
	"net/http"
)

// Problem writes an RFC 9457 application/problem+json body: the format of every
// control-plane error (CONVENTIONS.md).
func Problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type":   "about:blank",
		"title":  http.StatusText(status),
		"status": status,
		"detail": detail,
	})
}

// ProblemFor maps an error of a control handler: ErrBadControl → 400, anything
// else → 500.
func ProblemFor(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrBadControl) {
		Problem(w, http.StatusBadRequest, err.Error())
		return
	}
	Problem(w, http.StatusInternalServerError, "internal error")
}

// WriteJSON writes a control-plane success body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
