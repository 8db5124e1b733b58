package emulators

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Tenant is the request's tenant as the platform resolved it.
type Tenant interface {
	Name() string
	// Now reads the tenant clock.
	Now() time.Time
	// Seq is the request's journal sequence number (for trace ids).
	Seq() uint64
}

type ctxKey int

const (
	tenantKey ctxKey = iota
	prefixKey
)

// WithTenant attaches the resolved tenant to a request context.
func WithTenant(ctx context.Context, t Tenant) context.Context {
	return context.WithValue(ctx, tenantKey, t)
}

// TenantOf returns the request's tenant; the platform always sets one before a
// service handler runs.
func TenantOf(r *http.Request) Tenant {
	t, _ := r.Context().Value(tenantKey).(Tenant)
	return t
}

// WithPrefix records the path prefix the request came in with ("/prozorro" on
// the main listener, "" on a per-service listener).
func WithPrefix(ctx context.Context, prefix string) context.Context {
	return context.WithValue(ctx, prefixKey, prefix)
}

// Prefix returns the service prefix of the request.
func Prefix(r *http.Request) string {
	p, _ := r.Context().Value(prefixKey).(string)
	return p
}

// Origin is scheme://host as the client addressed us, so that URLs we emit work
// behind a proxy (X-Forwarded-Proto) and on either listener.
func Origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme = strings.ToLower(strings.TrimSpace(strings.Split(p, ",")[0]))
	}
	return scheme + "://" + r.Host
}

// ServicePath is the request path below the service prefix ("/api/2.3/plans"):
// the platform strips the prefix before a service sees the request.
func ServicePath(r *http.Request) string {
	return r.URL.Path
}

// Update runs fn in a write transaction of the request's tenant at its clock.
func (e *Env) Update(r *http.Request, fn func(tx Tx) error) error {
	t := TenantOf(r)
	return e.Store.Update(t.Name(), t.Now(), fn)
}

// View runs fn in a read transaction of the request's tenant at its clock.
func (e *Env) View(r *http.Request, fn func(tx Tx) error) error {
	t := TenantOf(r)
	return e.Store.View(t.Name(), t.Now(), fn)
}
