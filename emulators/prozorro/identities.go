package prozorro

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/store"
)

// identity is a caller resolved from Authorization (FACT api-2017 auth.py: the
// Basic user name or the Bearer value is the key; unknown keys are anonymous).
type identity struct {
	Key     string   `json:"key"`
	Owner   string   `json:"owner"`
	Group   string   `json:"group"`
	Levels  string   `json:"levels"`
	Deny    []string `json:"deny"`
	BuiltIn bool     `json:"builtIn"`
}

func (id identity) anonymous() bool { return id.Key == "" }
func (id identity) broker() bool    { return id.Group == "brokers" }

// level reports whether the identity holds accreditation digit d, and whether
// only in test mode ("1t").
func (id identity) level(d byte) (has, testOnly bool) {
	i := strings.IndexByte(id.Levels, d)
	if i < 0 {
		return false, false
	}
	return true, strings.HasSuffix(id.Levels, "t")
}

// builtInIdentities are the keys every tenant has (§3.2).
func builtInIdentities() []identity {
	b := func(key, levels string, deny ...string) identity {
		return identity{Key: key, Owner: key, Group: "brokers", Levels: levels, Deny: deny, BuiltIn: true}
	}
	return []identity{
		b("broker", "1234"), b("broker1", "1"), b("broker2", "2"), b("broker3", "3"), b("broker4", "4"),
		b("broker1t", "1t"), b("broker2t", "2t"),
		b("broker05", "1234", "auction", "bid", "question"),
		{Key: "auction", Owner: "auction", Group: "auction", BuiltIn: true},
		{Key: "chronograph", Owner: "chronograph", Group: "chronograph", BuiltIn: true},
	}
}

var brokersBucket = store.Bucket{Service: "prozorro", Kind: "brokers"}

// callerKey extracts the key from an Authorization header; "" = anonymous.
func callerKey(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, value, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		return ""
	}
	value = strings.TrimSpace(value)
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return ""
		}
		user, _, ok := strings.Cut(string(raw), ":")
		if !ok {
			return ""
		}
		return user
	case "bearer":
		return value
	}
	return ""
}

// resolve finds the identity of a key: built-ins first, then the tenant's own.
func (s *service) resolve(tx emulators.Tx, key string) identity {
	if key == "" {
		return identity{}
	}
	for _, id := range s.builtIns {
		if id.Key == key {
			return id
		}
	}
	if raw := tx.Get(brokersBucket, []byte(key)); raw != nil {
		var id identity
		if json.Unmarshal(raw, &id) == nil {
			return id
		}
	}
	return identity{}
}

// token returns the owner token the request carries (FACT auth.py channels,
// first non-empty wins: acc_token, X-Access-Token, body access.token for JSON
// writes).
func (c *call) token() string {
	if t := c.query.get("acc_token"); t != "" {
		return t
	}
	if t := c.r.Header.Get("X-Access-Token"); t != "" {
		return t
	}
	switch c.r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return ""
	}
	if mt, _ := emulators.MediaType(c.r); mt != "application/json" {
		return ""
	}
	obj, _ := c.json().(map[string]any)
	access, _ := obj["access"].(map[string]any)
	t, _ := access["token"].(string)
	return t
}

// owns reports whether the caller holds the principal {owner}_{token}.
func (c *call) owns(owner, token string) bool {
	if c.who.anonymous() || token == "" {
		return false
	}
	return c.who.Owner == owner && c.token() == token
}
