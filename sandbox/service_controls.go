package sandbox

import (
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
	ctl := func(write bool, fn emulators.ControlFunc) http.HandlerFunc {
		return emulators.ControlHandler(s.store, write, 1<<20, fn)
	}
	r.HandleFunc("/progression", ctl(false, func(tx store.Tx, _ *http.Request, _ []byte) (any, int, error) {
		p, err := emulators.LoadProgression(tx, name, spec.Progression)
		return p, http.StatusOK, err
	})).Methods(http.MethodGet)
	r.HandleFunc("/progression", ctl(true, func(tx store.Tx, _ *http.Request, body []byte) (any, int, error) {
		p, err := emulators.PutProgression(tx, name, spec.Progression, body)
		return p, http.StatusOK, err
	})).Methods(http.MethodPut)
	r.HandleFunc("/settings", ctl(false, func(tx store.Tx, _ *http.Request, _ []byte) (any, int, error) {
		v, err := emulators.LoadSettings(tx, name, spec.Settings)
		return v, http.StatusOK, err
	})).Methods(http.MethodGet)
	r.HandleFunc("/settings", ctl(true, func(tx store.Tx, _ *http.Request, body []byte) (any, int, error) {
		v, err := emulators.MergeSettings(tx, name, spec.Settings, body)
		return v, http.StatusOK, err
	})).Methods(http.MethodPut)
	r.HandleFunc("/outcomes", ctl(false, func(tx store.Tx, _ *http.Request, _ []byte) (any, int, error) {
		list, err := emulators.ListOutcomes(tx, name)
		return map[string]any{"items": list}, http.StatusOK, err
	})).Methods(http.MethodGet)
	r.HandleFunc("/outcomes", ctl(true, func(tx store.Tx, _ *http.Request, body []byte) (any, int, error) {
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
	r.HandleFunc("/outcomes", ctl(true, func(tx store.Tx, _ *http.Request, _ []byte) (any, int, error) {
		return nil, http.StatusNoContent, emulators.ClearOutcomes(tx, name)
	})).Methods(http.MethodDelete)
	r.HandleFunc("/outcomes/{id}", ctl(true, func(tx store.Tx, r *http.Request, _ []byte) (any, int, error) {
		ok, err := emulators.DeleteOutcome(tx, name, mux.Vars(r)["id"])
		if err == nil && !ok {
			return nil, 0, emulators.Problemf(http.StatusNotFound, "no pending outcome %q", mux.Vars(r)["id"])
		}
		return nil, http.StatusNoContent, err
	})).Methods(http.MethodDelete)
}
