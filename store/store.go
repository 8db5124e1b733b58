// Package store holds the sandbox's state: one namespace per tenant, inside it one
// bucket per (service, kind), each an ordered key/value map.
//
// Two backends implement the same contract: bbolt (durable, fsync on commit) and
// memory (for CI and tests). Both run one shared test suite (storetest), so an
// emulator can never depend on a behaviour only one of them has.
//
// Every transaction carries one fixed "now", read once by the caller from the tenant
// clock, so that every timestamp a request writes is the same instant.
package store

import (
	"errors"
	"io"
	"time"
)

// Bucket names one ordered collection of a service inside a tenant, e.g.
// {"prozorro", "plans"} or the index {"prozorro", "plans.byModified"}.
type Bucket struct {
	Service string
	Kind    string
}

// Store is a tenant-namespaced transactional key/value store.
type Store interface {
	// View runs fn in a read-only transaction of the tenant.
	View(tenant string, now time.Time, fn func(Tx) error) error
	// Update runs fn in a read-write transaction of the tenant. If fn returns an
	// error nothing it wrote is kept. fn may be called more than once (bbolt
	// batches concurrent writers), so it must only act through tx.
	Update(tenant string, now time.Time, fn func(Tx) error) error
	// HasTenant tells whether the tenant holds any state.
	HasTenant(tenant string) (bool, error)
	// Tenants lists the tenants that hold state, sorted.
	Tenants() ([]string, error)
	// DropTenant removes every bucket of the tenant.
	DropTenant(tenant string) error
	// Export writes every bucket of the tenant to w (see Dump).
	Export(tenant string, w io.Writer) error
	// Import replaces the tenant's state with a dump read from r.
	Import(tenant string, r io.Reader) error
	Close() error
}

// Tx is one transaction inside one tenant. Byte slices returned by Get and by
// cursors are valid only until the transaction ends and must not be modified.
type Tx interface {
	Tenant() string
	Now() time.Time
	Writable() bool
	Get(b Bucket, key []byte) []byte
	Put(b Bucket, key, value []byte) error
	Delete(b Bucket, key []byte) error
	// DeleteBucket removes a whole bucket (no error if it does not exist).
	DeleteBucket(b Bucket) error
	// DeleteAll empties the tenant inside the transaction, so that a reset can
	// drop and reload a tenant atomically.
	DeleteAll() error
	// Cursor iterates a bucket in key order; on a missing bucket every move
	// returns nil.
	Cursor(b Bucket) Cursor
}

// Cursor walks a bucket in byte order of its keys. A nil key means "no more".
type Cursor interface {
	First() (key, value []byte)
	Last() (key, value []byte)
	// Seek moves to the first key >= k.
	Seek(k []byte) (key, value []byte)
	Next() (key, value []byte)
	Prev() (key, value []byte)
}

// ErrReadOnly is returned by writes inside View.
var ErrReadOnly = errors.New("store: write in a read-only transaction")

// ErrBadDump is returned by Import for input that is not a tenant dump.
var ErrBadDump = errors.New("store: not a tenant dump")

// ValidTenant reports whether name is usable as a tenant namespace: 1–64 of
// [A-Za-z0-9._-] (CONVENTIONS.md). The store refuses anything else so that a
// bad name can never escape its namespace.
func ValidTenant(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// ErrBadTenant is returned for a tenant name that ValidTenant refuses.
var ErrBadTenant = errors.New("store: invalid tenant name")

// ForEach calls fn for every key/value of b in order until fn returns false.
func ForEach(tx Tx, b Bucket, fn func(k, v []byte) bool) {
	c := tx.Cursor(b)
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if !fn(k, v) {
			return
		}
	}
}
