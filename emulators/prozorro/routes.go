package prozorro

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/upstream-sandbox/sandbox/emulators"
)

// Routes implements emulators.Emulator: every upstream path of the service, in
// one place. HEAD is answered wherever GET is (§4.0); paths not listed here are
// the platform's 404/405, rendered by Fail in the upstream's plain text.
func (e *Emulator) Routes(r *mux.Router, env *emulators.Env) {
	s := e.svc
	s.bind(env)
	get := []string{http.MethodGet, http.MethodHead}

	r.HandleFunc("/api/2.3/spore", s.spore).Methods(get...)

	r.HandleFunc("/api/2.3/plans", s.listPlans).Methods(get...)
	r.HandleFunc("/api/2.3/plans", s.createPlan).Methods(http.MethodPost)
	r.HandleFunc("/api/2.3/plans/{id}", s.getPlan).Methods(get...)
	r.HandleFunc("/api/2.3/plans/{id}", s.patchPlan).Methods(http.MethodPatch)
	r.HandleFunc("/api/2.3/plans/{id}/revisions", s.getRevisions).Methods(get...)
	r.HandleFunc("/api/2.3/plans/{id}/documents", s.listDocuments).Methods(get...)
	r.HandleFunc("/api/2.3/plans/{id}/documents", s.postDocument).Methods(http.MethodPost)
	r.HandleFunc("/api/2.3/plans/{id}/documents/{doc}", s.getDocument).Methods(get...)
	r.HandleFunc("/api/2.3/plans/{id}/documents/{doc}", s.putDocument).Methods(http.MethodPut)
	r.HandleFunc("/api/2.3/plans/{id}/documents/{doc}", s.patchDocument).Methods(http.MethodPatch)

	r.HandleFunc("/docservice/register", s.dsRegister).Methods(http.MethodPost)
	r.HandleFunc("/docservice/upload", s.dsUpload).Methods(http.MethodPost)
	r.HandleFunc("/docservice/upload/{key}", s.dsUpload).Methods(http.MethodPost)
	r.HandleFunc("/docservice/get/{key}", s.dsGet).Methods(get...)
}

// Control implements emulators.Emulator: the service-specific controls of §9
// (progression, settings and outcomes are the platform's).
func (e *Emulator) Control(r *mux.Router, env *emulators.Env) {
	s := e.svc
	const small = 1 << 20 // identity bodies; a raw edit may carry a whole plan
	r.HandleFunc("/brokers", emulators.ControlHandler(env.Store, false, small, s.ctlListBrokers)).Methods(http.MethodGet)
	r.HandleFunc("/brokers/{key}", emulators.ControlHandler(env.Store, true, small, s.ctlPutBroker)).Methods(http.MethodPut)
	r.HandleFunc("/brokers/{key}", emulators.ControlHandler(env.Store, true, small, s.ctlDeleteBroker)).Methods(http.MethodDelete)
	r.HandleFunc("/plans/{id}/access", emulators.ControlHandler(env.Store, false, small, s.ctlPlanAccess)).Methods(http.MethodGet)
	r.HandleFunc("/plans/{id}", emulators.ControlHandler(env.Store, true, emulators.DefaultBodyLimit, s.ctlEditPlan)).Methods(http.MethodPatch)
	r.HandleFunc("/docservice/key", s.ctlDocserviceKey).Methods(http.MethodGet)
}

// spore: GET /api/2.3/spore — a minimal SPORE description (DESIGN); clients
// only HEAD it at start-up.
func (s *service) spore(w http.ResponseWriter, r *http.Request) {
	c, ok := s.begin(w, r)
	if !ok {
		return
	}
	s.render(c, http.StatusOK, ordered{
		{"name", "openprocurement"}, {"version", "2.3"},
		{"base_url", location(r, "/api/2.3")}, {"methods", map[string]any{}},
	})
}

// listPlans: GET /api/2.3/plans (§8).
func (s *service) listPlans(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, listing{coll: plansColl, path: "/api/2.3/plans"})
}
