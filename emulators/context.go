package emulators

import (
	"context"
	"errors"
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
// An error from fn rolls back, except one made by CommitAnyway: then what fn
// wrote commits and the wrapped error is returned as the request's answer.
func (e *Env) Update(r *http.Request, fn func(tx Tx) error) error {
	t := TenantOf(r)
	var answer error
	err := e.Store.Update(t.Name(), t.Now(), func(tx Tx) error {
		answer = nil
		err := fn(tx)
		var c committed
		if errors.As(err, &c) {
			answer = c.err
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	return answer
}

// committed is an answer whose transaction must still commit.
type committed struct{ err error }

func (c committed) Error() string { return c.err.Error() }
func (c committed) Unwrap() error { return c.err }

// CommitAnyway marks a refusal that must keep what the transaction wrote so far:
// a forced outcome consumed by a request that the outcome itself refuses
// ("the next upload fails") stays consumed while nothing else is stored. fn
// must not have written anything else before returning it.
func CommitAnyway(err error) error { return committed{err} }

// View runs fn in a read transaction of the request's tenant at its clock.
func (e *Env) View(r *http.Request, fn func(tx Tx) error) error {
	t := TenantOf(r)
	return e.Store.View(t.Name(), t.Now(), fn)
}
