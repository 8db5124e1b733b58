package emulators

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/upstream-sandbox/sandbox/store"
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

// ProblemFor maps an error of a control handler: a ProblemError to its status,
// ErrBadControl → 400, anything else → 500.
func ProblemFor(w http.ResponseWriter, err error) {
	var pe *ProblemError
	if errors.As(err, &pe) {
		Problem(w, pe.Status, pe.Detail)
		return
	}
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

// ProblemError is a control-plane refusal that names its status (404 unknown
// id, 409 refused step, …); ProblemFor renders it.
type ProblemError struct {
	Status int
	Detail string
}

func (e *ProblemError) Error() string { return e.Detail }

// Problemf builds a ProblemError.
func Problemf(status int, format string, args ...any) error {
	return &ProblemError{Status: status, Detail: fmt.Sprintf(format, args...)}
}

// ControlFunc is a transactional control handler: it gets the request body
// (already read) and answers a body and a status, or an error (a ProblemError,
// ErrBadControl → 400, anything else → 500). An error rolls the transaction back.
type ControlFunc func(tx Tx, r *http.Request, body []byte) (any, int, error)

// ControlHandler runs fn in a transaction of the request's tenant and writes its
// JSON (204: no body) or its problem. Every control route of the platform and
// of the services goes through it.
func ControlHandler(st store.Store, write bool, limit int64, fn ControlFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := ReadBody(r, limit)
		if err != nil {
			Problem(w, http.StatusBadRequest, err.Error())
			return
		}
		t := TenantOf(r)
		run := st.View
		if write {
			run = st.Update
		}
		var out any
		var status int
		err = run(t.Name(), t.Now(), func(tx Tx) error {
			var err error
			out, status, err = fn(tx, r, body)
			return err
		})
		switch {
		case err != nil:
			ProblemFor(w, err)
		case status == http.StatusNoContent:
			w.WriteHeader(status)
		default:
			WriteJSON(w, status, out)
		}
	}
}

// DecodeStrict decodes a control body: exactly one JSON value, no unknown
// members (a second value would otherwise be ignored while the first applies).
func DecodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New("body must be a JSON object with known members: " + err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("body must hold exactly one JSON object")
	}
	return nil
}
