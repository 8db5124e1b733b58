package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/store"
)

// serviceControls mounts the controls every service shares (CONVENTIONS.md,
// Service controls): progression, settings, forced outcomes.
func (s *Server) serviceControls(r *mux.Router, e emulators.Emulator) {
	name, spec := e.Name(), e.Spec()
	r.HandleFunc("/progression", s.controlTx(false, func(tx store.Tx, _ *http.Request, _ []byte) (any, int, error) {
		p, err := emulators.LoadProgression(tx, name, spec.Progression)
		return p, http.StatusOK, err
	})).Methods(http.MethodGet)
	r.HandleFunc("/progression", s.controlTx(true, func(tx store.Tx, _ *http.Request, body []byte) (any, int, error) {
		p, err := emulators.PutProgression(tx, name, spec.Progression, body)
		return p, http.StatusOK, err
	})).Methods(http.MethodPut)
	r.HandleFunc("/settings", s.controlTx(false, func(tx store.Tx, _ *http.Request, _ []byte) (any, int, error) {
		v, err := emulators.LoadSettings(tx, name, spec.Settings)
		return v, http.StatusOK, err
	})).Methods(http.MethodGet)
	r.HandleFunc("/settings", s.controlTx(true, func(tx store.Tx, _ *http.Request, body []byte) (any, int, error) {
		v, err := emulators.MergeSettings(tx, name, spec.Settings, body)
		return v, http.StatusOK, err
	})).Methods(http.MethodPut)
	r.HandleFunc("/outcomes", s.controlTx(false, func(tx store.Tx, _ *http.Request, _ []byte) (any, int, error) {
		list, err := emulators.ListOutcomes(tx, name)
		return map[string]any{"items": list}, http.StatusOK, err
	})).Methods(http.MethodGet)
	r.HandleFunc("/outcomes", s.controlTx(true, func(tx store.Tx, _ *http.Request, body []byte) (any, int, error) {
		if spec.Outcomes == nil {
			return nil, 0, errors.Join(emulators.ErrBadControl, errors.New(name+" has no forced outcomes"))
		}
		list, array, err := emulators.ParseOutcomes(body, spec.Outcomes)
		if err != nil {
			return nil, 0, err
		}
		env := s.envs[name]
		newID := func(seq uint64) string {
			if spec.OutcomeID != nil {
				return spec.OutcomeID(env, tx.Tenant(), seq)
			}
			return env.IDs.UUID(tx.Tenant(), name, "outcome", strconv.FormatUint(seq, 10))
		}
		stored, err := emulators.QueueOutcomes(tx, name, list, newID)
		if err != nil {
			return nil, 0, err
		}
		if array {
			return map[string]any{"items": stored}, http.StatusCreated, nil
		}
		return stored[0], http.StatusCreated, nil
	})).Methods(http.MethodPost)
	r.HandleFunc("/outcomes", s.controlTx(true, func(tx store.Tx, _ *http.Request, _ []byte) (any, int, error) {
		return nil, http.StatusNoContent, emulators.ClearOutcomes(tx, name)
	})).Methods(http.MethodDelete)
	r.HandleFunc("/outcomes/{id}", s.controlTx(true, func(tx store.Tx, r *http.Request, _ []byte) (any, int, error) {
		ok, err := emulators.DeleteOutcome(tx, name, mux.Vars(r)["id"])
		if err == nil && !ok {
			return nil, http.StatusNotFound, nil
		}
		return nil, http.StatusNoContent, err
	})).Methods(http.MethodDelete)
}

// controlTx adapts a transactional control handler: it reads the body, runs fn in
// the tenant's transaction and writes JSON, or a problem (400 for ErrBadControl;
// nothing is stored then).
func (s *Server) controlTx(write bool, fn func(tx store.Tx, r *http.Request, body []byte) (any, int, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := emulators.ReadBody(r, 1<<20)
		if err != nil {
			emulators.Problem(w, http.StatusBadRequest, err.Error())
			return
		}
		t := emulators.TenantOf(r)
		var out any
		var status int
		run := s.store.View
		if write {
			run = s.store.Update
		}
		err = run(t.Name(), t.Now(), func(tx store.Tx) error {
			var err error
			out, status, err = fn(tx, r, body)
			return err
		})
		switch {
		case err != nil:
			emulators.ProblemFor(w, err)
		case status == http.StatusNotFound:
			emulators.Problem(w, status, "not found")
		case status == http.StatusNoContent:
			w.WriteHeader(status)
		default:
			raw, _ := json.Marshal(out)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(append(raw, '\n'))
		}
	}
}
