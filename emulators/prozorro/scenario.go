package prozorro

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/brianvoe/gofakeit/v6"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/fixtures"
)

// scenarioData is the prozorro section of a scenario file.
type scenarioData struct {
	Settings    json.RawMessage `json:"settings"`
	Progression string          `json:"progression"`
	Plans       []scenarioPlan  `json:"plans"`
}

// scenarioPlan is one plan of a world. Literal id/token (ci-minimal) or
// derived from the key (§5.11). Data is the create body; when absent the plan is
// generated from Org/Class/Items with gofakeit seeded by the key.
type scenarioPlan struct {
	Key       string           `json:"key"`
	ID        string           `json:"id"`
	Token     string           `json:"token"`
	Owner     string           `json:"owner"`
	At        string           `json:"at"`
	Data      map[string]any   `json:"data"`
	Mode      string           `json:"mode"`
	Org       int              `json:"org"`
	Method    string           `json:"method"`
	Type      string           `json:"type"`
	Class     [2]string        `json:"classification"`
	Items     [][3]string      `json:"items"`
	Documents []scenarioDoc    `json:"documents"`
	Patches   []scenarioChange `json:"patches"`
}

type scenarioDoc struct {
	Title    string           `json:"title"`
	Format   string           `json:"format"`
	Content  string           `json:"content"`
	Type     string           `json:"documentType"`
	At       string           `json:"at"`
	Versions []scenarioChange `json:"versions"`
}

type scenarioChange struct {
	At      string         `json:"at"`
	Data    map[string]any `json:"data"`
	Title   string         `json:"title"`
	Content string         `json:"content"`
}

// atTx moves a transaction's "now" to a scenario instant, so that scenario
// objects go through the same code paths as API writes.
type atTx struct {
	emulators.Tx
	now time.Time
}

func (t atTx) Now() time.Time { return t.now }

func at(t0 time.Time, rel string) (time.Time, error) {
	if rel == "" {
		return t0, nil
	}
	d, err := time.ParseDuration(rel)
	if err != nil {
		return t0, fmt.Errorf("prozorro scenario: bad offset %q: %w", rel, err)
	}
	return t0.Add(d), nil
}

// Seed implements emulators.Emulator.
func (e *Emulator) Seed(tx emulators.Tx, env *emulators.Env, sc emulators.Scenario) error {
	s := e.svc
	if sc.Generated == "load-100k" {
		return s.seedLoad(tx, 100000)
	}
	if len(sc.Data) == 0 {
		return nil
	}
	var data scenarioData
	if err := json.Unmarshal(sc.Data, &data); err != nil {
		return fmt.Errorf("prozorro scenario %s: %w", sc.Name, err)
	}
	if len(data.Settings) > 0 {
		if _, err := emulators.MergeSettings(tx, Name, settingsSpec, data.Settings); err != nil {
			return fmt.Errorf("prozorro scenario %s settings: %w", sc.Name, err)
		}
	}
	if data.Progression != "" {
		body, _ := json.Marshal(map[string]string{"mode": data.Progression})
		if _, err := emulators.PutProgression(tx, Name, emulators.ProgressionSpec{}, body); err != nil {
			return fmt.Errorf("prozorro scenario %s progression: %w", sc.Name, err)
		}
	}
	orgs, err := fixtures.UkrainianOrganisations()
	if err != nil {
		return err
	}
	for _, p := range data.Plans {
		if err := s.seedPlan(tx, p, orgs); err != nil {
			return fmt.Errorf("prozorro scenario %s plan %s: %w", sc.Name, p.Key, err)
		}
	}
	return forgetLastWrite(tx)
}

// forgetLastWrite makes the first API write after a scenario stamp exactly the
// tenant's now (see nextModified).
func forgetLastWrite(tx emulators.Tx) error {
	return tx.Delete(metaBucket, []byte(string(plansColl)+".lastModified"))
}

func (s *service) seedPlan(tx emulators.Tx, p scenarioPlan, orgs []fixtures.Organisation) error {
	t0 := tx.Now()
	when, err := at(t0, p.At)
	if err != nil {
		return err
	}
	body := p.Data
	if body == nil {
		body = s.demoPlanBody(tx.Tenant(), p, orgs)
	}
	raw, err := decodeAsBody(pyJSON(body, 0))
	if err != nil {
		return err
	}
	data, e := s.checkPlan(raw)
	if e != nil {
		return e
	}
	id, token := p.ID, p.Token
	if id == "" {
		id = s.newID(tx.Tenant(), "plan", p.Key)
		token = s.newID(tx.Tenant(), "plan.token", p.Key)
	}
	owner := s.resolve(tx, p.Owner)
	if owner.anonymous() {
		return fmt.Errorf("unknown owner %q", p.Owner)
	}
	rec, err := s.storeNewPlan(atTx{tx, when}, owner, id, token, normalizeNumbers(data).(map[string]any))
	if err != nil {
		return err
	}
	for i, d := range p.Documents {
		if err := s.seedDocument(tx, t0, rec, owner, d, i); err != nil {
			return err
		}
	}
	for _, ch := range p.Patches {
		when, err := at(t0, ch.At)
		if err != nil {
			return err
		}
		merged, e := s.mergePlan(rec, ch.Data)
		if e != nil {
			return e
		}
		if err := s.updatePlan(atTx{tx, when}, rec, merged, owner.Key); err != nil {
			return err
		}
	}
	return nil
}

func (s *service) seedDocument(tx emulators.Tx, t0 time.Time, rec *record, owner identity, d scenarioDoc, i int) error {
	put := func(rel, title, content string, prev []map[string]any) (map[string]any, error) {
		when, err := at(t0, rel)
		if err != nil {
			return nil, err
		}
		f := &upload{title: title, format: d.Format, data: []byte(content)}
		key, err := s.newBlobKey(tx)
		if err != nil {
			return nil, err
		}
		if err := putBlob(tx, key, f); err != nil {
			return nil, err
		}
		doc := map[string]any{"title": title, "format": d.Format, "hash": f.hash(), keyField: key}
		if d.Type != "" && len(prev) == 0 {
			doc["documentType"] = d.Type
		}
		return s.addVersion(atTx{tx, when}, rec, doc, prev, owner.Key)
	}
	first, err := put(d.At, d.Title, d.Content, nil)
	if err != nil {
		return err
	}
	for _, v := range d.Versions {
		if _, err := put(v.At, v.Title, v.Content, versions(rec.Data, docID(first))); err != nil {
			return err
		}
	}
	return nil
}

// demoPlanBody builds a realistic plan body; amounts and quantities come from a
// gofakeit instance seeded by (seed, tenant, key), so they never shift when
// another entity is added.
func (s *service) demoPlanBody(tenant string, p scenarioPlan, orgs []fixtures.Organisation) map[string]any {
	sum := s.env.IDs.Sum(tenant, "demo.plan", p.Key)
	fake := gofakeit.New(int64(beUint64(sum[:8]) >> 1))
	org := orgs[p.Org%len(orgs)]
	amount := float64(fake.IntRange(50, 5000)) * 1000
	items := []any{}
	for _, it := range p.Items {
		items = append(items, map[string]any{
			"description":    it[2],
			"classification": map[string]any{"scheme": "ДК021", "id": it[0], "description": it[1]},
			"unit":           map[string]any{"code": "H87", "name": "штука"},
			"quantity":       int64(fake.IntRange(1, 500)),
		})
	}
	body := map[string]any{
		"procuringEntity": map[string]any{
			"name":       org.Name,
			"identifier": map[string]any{"scheme": "UA-EDR", "id": org.Code(), "legalName": org.Name},
		},
		"tender": map[string]any{
			"procurementMethod":     p.Method,
			"procurementMethodType": p.Type,
			"tenderPeriod":          map[string]any{"startDate": "2026-12-01T09:00:00+02:00"},
		},
		"budget": map[string]any{
			"id":          fmt.Sprintf("%s-%s", org.Code(), strconv.Itoa(fake.IntRange(1000, 9999))),
			"description": p.Class[1],
			"amount":      amount,
			"amountNet":   amount / 1.2,
			"currency":    "UAH",
			"year":        int64(2026),
		},
		"classification": map[string]any{"scheme": "ДК021", "id": p.Class[0], "description": p.Class[1]},
		"items":          items,
	}
	if p.Mode != "" {
		body["mode"] = p.Mode
	}
	return body
}

func beUint64(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

// seedLoad generates the load world (§10.4, plans part): n plans owned by
// broker…broker3, ids per §5.11 with keys = ordinal, dateModified spread over
// the 90 days before T0, strictly increasing. API-created plans continue the
// ordinals after it.
func (s *service) seedLoad(tx emulators.Tx, n int) error {
	t0 := tx.Now()
	owners := []string{"broker", "broker1", "broker3"}
	step := 90 * 24 * time.Hour / time.Duration(n)
	template := map[string]any{
		"procuringEntity": map[string]any{"name": "ДУС", "identifier": map[string]any{"scheme": "UA-EDR", "id": "00011198"}},
		"tender":          map[string]any{"procurementMethod": "open", "procurementMethodType": "belowThreshold", "tenderPeriod": map[string]any{"startDate": "2026-12-01T09:00:00+02:00"}},
		"budget":          map[string]any{"id": "load", "description": "load world", "amount": 1000.0, "currency": "UAH"},
		"classification":  map[string]any{"scheme": "ДК021", "id": "03111000-2", "description": "Насіння"},
	}
	for i := 1; i <= n; i++ {
		key := strconv.Itoa(i)
		who := s.resolve(tx, owners[i%len(owners)])
		when := t0.Add(-90 * 24 * time.Hour).Add(time.Duration(i) * step)
		data := deepCopy(template).(map[string]any)
		data["budget"].(map[string]any)["amount"] = float64(1000 + i)
		if _, err := s.storeNewPlan(atTx{tx, when}, who, s.newID(tx.Tenant(), "plan", key), s.newID(tx.Tenant(), "plan.token", key), data); err != nil {
			return err
		}
	}
	if err := emulators.SetSeq(tx, Name, "plan", uint64(n)); err != nil {
		return err
	}
	return forgetLastWrite(tx)
}
