// Package prozorro emulates Prozorro / openprocurement API 2.3: the plans
// registry with plan documents, a built-in document service and (in a later
// issue) dgfFinancialAssets auctions. The wire format follows the upstream's
// Python 2 service byte for byte where clients can tell (see pyjson.go).
package prozorro

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/upstream-sandbox/sandbox/emulators"
)

// Name is the service name and path prefix.
const Name = "prozorro"

// Emulator is the prozorro service.
type Emulator struct {
	svc *service
}

// Settings are the tenant switches of §9.6.
type Settings struct {
	Generation       string `json:"generation"`
	PlanPatch        string `json:"planPatch"`
	NoopPatchBody    string `json:"noopPatchBody"`
	Docservice       string `json:"docservice"`
	SandboxMode      bool   `json:"sandboxMode"`
	AuctionModuleURL string `json:"auctionModuleUrl"`
}

func defaultSettings() any {
	return &Settings{Generation: "2017", PlanPatch: "owner", NoopPatchBody: "null", Docservice: "lenient",
		SandboxMode: true, AuctionModuleURL: "http://auction-sandbox.openprocurement.org"}
}

func validateSettings(v any) error {
	s := v.(*Settings)
	check := func(name, got string, allowed ...string) error {
		if !contains(allowed, got) {
			return fmt.Errorf("%s must be one of %q, got %q", name, allowed, got)
		}
		return nil
	}
	for _, err := range []error{
		check("generation", s.Generation, "2017", "2018"),
		check("planPatch", s.PlanPatch, "owner", "anyBroker"),
		check("noopPatchBody", s.NoopPatchBody, "null", "object"),
		check("docservice", s.Docservice, "lenient", "strict"),
	} {
		if err != nil {
			return err
		}
	}
	u, err := url.Parse(s.AuctionModuleURL)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("auctionModuleUrl must be an absolute URL")
	}
	return nil
}

var settingsSpec = emulators.SettingsSpec{Defaults: defaultSettings, Validate: validateSettings}

// New builds the emulator; it fails only if the embedded data is broken.
func New() (*Emulator, error) {
	c, err := loadConstants()
	if err != nil {
		return nil, err
	}
	kyiv := loadKyiv()
	s := &service{
		c:        c,
		kyiv:     kyiv,
		models:   newPlanModels(c),
		builtIns: builtInIdentities(),
		conv:     &convCtx{kyiv: kyiv},
	}
	return &Emulator{svc: s}, nil
}

// Name implements emulators.Emulator.
func (e *Emulator) Name() string { return Name }

// Spec implements emulators.Emulator.
func (e *Emulator) Spec() emulators.Spec {
	return emulators.Spec{
		BodyLimit:     emulators.DefaultBodyLimit,
		Settings:      settingsSpec,
		Outcomes:      validateOutcome,
		CORSHeaders:   []string{"Authorization", "Content-Type", "X-Access-Token", "X-Sandbox-Tenant", "X-Sandbox-Scenario"},
		ExposeHeaders: []string{"Location", "Allow"},
	}
}

// service holds what the handlers share; it is built once per emulator.
type service struct {
	env      *emulators.Env
	c        *constants
	kyiv     *time.Location
	models   *planModels
	builtIns []identity
	conv     *convCtx
	signKey  ed25519.PrivateKey
	keyID    string
}

// bind gives the service its environment and derives the docservice key pair
// from the seed (§4.12.5 DESIGN), so URLs are stable across restarts.
func (s *service) bind(env *emulators.Env) {
	s.env = env
	seed := sha256.Sum256([]byte("prozorro-docservice:" + strconv.FormatUint(env.IDs.Seed, 10)))
	s.signKey = ed25519.NewKeyFromSeed(seed[:])
	pub := s.signKey.Public().(ed25519.PublicKey)
	s.keyID = hex.EncodeToString(pub)[:8]
}

func (s *service) valCtx() *valCtx { return &valCtx{} }

// newID is the §5.11 derivation of an object id or token.
func (s *service) newID(tenant, kind, key string) string {
	return emulators.UUID4Hex(s.env.IDs.Sum(tenant, kind, key))
}

func (s *service) settings(tx emulators.Tx) (*Settings, error) {
	return emulators.Settings[Settings](tx, Name, settingsSpec)
}
