package store

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// Memory is the in-memory backend: the same semantics as Bolt without a file.
// Writers of one tenant are serialised and see their own writes; readers never
// see a transaction that has not finished (per-tenant RWMutex); a failed Update
// is undone from its undo log.
type Memory struct {
	mu      sync.Mutex
	tenants map[string]*memTenant
	closed  bool
}

type memTenant struct {
	mu      sync.RWMutex
	buckets map[Bucket]*skiplist
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{tenants: map[string]*memTenant{}} }

func (m *Memory) tenant(name string, create bool) (*memTenant, error) {
	if !ValidTenant(name) {
		return nil, fmt.Errorf("%w: %q", ErrBadTenant, name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, fmt.Errorf("store: closed")
	}
	t := m.tenants[name]
	if t == nil && create {
		t = &memTenant{buckets: map[Bucket]*skiplist{}}
		m.tenants[name] = t
	}
	return t, nil
}

// View implements Store.
func (m *Memory) View(tenant string, now time.Time, fn func(Tx) error) error {
	t, err := m.tenant(tenant, true)
	if err != nil {
		return err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return fn(&memTx{t: t, tenant: tenant, now: now})
}

// Update implements Store.
func (m *Memory) Update(tenant string, now time.Time, fn func(Tx) error) (err error) {
	t, err := m.tenant(tenant, true)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	tx := &memTx{t: t, tenant: tenant, now: now, writable: true}
	committed := false
	defer func() {
		if !committed {
			tx.rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	return nil
}

// HasTenant implements Store.
func (m *Memory) HasTenant(tenant string) (bool, error) {
	t, err := m.tenant(tenant, false)
	if err != nil || t == nil {
		return false, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, sl := range t.buckets {
		if sl.n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// Tenants implements Store.
func (m *Memory) Tenants() ([]string, error) {
	m.mu.Lock()
	names := make([]string, 0, len(m.tenants))
	for n := range m.tenants {
		names = append(names, n)
	}
	m.mu.Unlock()
	out := names[:0]
	for _, n := range names {
		if has, _ := m.HasTenant(n); has {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// DropTenant implements Store. It swaps the tenant's maps out under its lock, so
// it is O(1) whatever the tenant holds.
func (m *Memory) DropTenant(tenant string) error {
	t, err := m.tenant(tenant, false)
	if err != nil || t == nil {
		return err
	}
	t.mu.Lock()
	t.buckets = map[Bucket]*skiplist{}
	t.mu.Unlock()
	return nil
}

// Export implements Store.
func (m *Memory) Export(tenant string, w io.Writer) error {
	buckets := map[Bucket][][2][]byte{}
	err := m.View(tenant, time.Time{}, func(tx Tx) error {
		for b, sl := range tx.(*memTx).t.buckets {
			for n := sl.first(); n != nil; n = n.next[0] {
				buckets[b] = append(buckets[b], [2][]byte{n.key, n.value})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return writeDump(w, tenant, buckets)
}

// Import implements Store.
func (m *Memory) Import(tenant string, r io.Reader) error {
	fresh := &memTenant{buckets: map[Bucket]*skiplist{}}
	err := readDump(r, func(b Bucket, k, v []byte) error {
		sl := fresh.buckets[b]
		if sl == nil {
			sl = newSkiplist()
			fresh.buckets[b] = sl
		}
		sl.put(k, v)
		return nil
	})
	if err != nil {
		return err
	}
	t, err := m.tenant(tenant, true)
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.buckets = fresh.buckets
	t.mu.Unlock()
	return nil
}

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

type undo struct {
	b       Bucket
	key     []byte
	old     []byte
	existed bool
	list    *skiplist // set for a dropped bucket
	dropped bool
	created bool // the bucket did not exist before this transaction
}

type memTx struct {
	t        *memTenant
	tenant   string
	now      time.Time
	writable bool
	log      []undo
	// fresh are buckets this transaction created: their writes need no undo
	// entries (a rollback drops the whole bucket), which keeps loading a large
	// scenario into a fresh tenant from holding an undo log as big as the data.
	fresh map[Bucket]bool
}

func (tx *memTx) Tenant() string { return tx.tenant }
func (tx *memTx) Now() time.Time { return tx.now }
func (tx *memTx) Writable() bool { return tx.writable }

func (tx *memTx) Get(b Bucket, key []byte) []byte {
	sl := tx.t.buckets[b]
	if sl == nil {
		return nil
	}
	if n, ok := sl.get(key); ok {
		return n.value
	}
	return nil
}

func (tx *memTx) Put(b Bucket, key, value []byte) error {
	if !tx.writable {
		return ErrReadOnly
	}
	if len(key) == 0 {
		return fmt.Errorf("store: empty key")
	}
	sl := tx.t.buckets[b]
	if sl == nil {
		sl = newSkiplist()
		tx.t.buckets[b] = sl
		if tx.fresh == nil {
			tx.fresh = map[Bucket]bool{}
		}
		tx.fresh[b] = true
		tx.log = append(tx.log, undo{b: b, created: true})
	}
	// key and value share one allocation
	kv := make([]byte, len(key)+len(value))
	copy(kv, key)
	copy(kv[len(key):], value)
	k, v := kv[:len(key):len(key)], kv[len(key):]
	old, existed := sl.put(k, v)
	if !tx.fresh[b] {
		tx.log = append(tx.log, undo{b: b, key: k, old: old, existed: existed})
	}
	return nil
}

func (tx *memTx) Delete(b Bucket, key []byte) error {
	if !tx.writable {
		return ErrReadOnly
	}
	sl := tx.t.buckets[b]
	if sl == nil {
		return nil
	}
	if old, ok := sl.remove(key); ok && !tx.fresh[b] {
		tx.log = append(tx.log, undo{b: b, key: bytes.Clone(key), old: old, existed: true})
	}
	return nil
}

func (tx *memTx) DeleteBucket(b Bucket) error {
	if !tx.writable {
		return ErrReadOnly
	}
	if sl := tx.t.buckets[b]; sl != nil {
		delete(tx.t.buckets, b)
		if tx.fresh[b] {
			delete(tx.fresh, b) // the "created" entry already undoes it
			return nil
		}
		tx.log = append(tx.log, undo{b: b, list: sl, dropped: true})
	}
	return nil
}

func (tx *memTx) DeleteAll() error {
	if !tx.writable {
		return ErrReadOnly
	}
	for b, sl := range tx.t.buckets {
		delete(tx.t.buckets, b)
		if !tx.fresh[b] {
			tx.log = append(tx.log, undo{b: b, list: sl, dropped: true})
		}
	}
	tx.fresh = nil
	return nil
}

func (tx *memTx) rollback() {
	for i := len(tx.log) - 1; i >= 0; i-- {
		u := tx.log[i]
		switch {
		case u.created:
			delete(tx.t.buckets, u.b)
			continue
		case u.dropped:
			tx.t.buckets[u.b] = u.list
			continue
		}
		sl := tx.t.buckets[u.b]
		if sl == nil {
			sl = newSkiplist()
			tx.t.buckets[u.b] = sl
		}
		if u.existed {
			sl.put(u.key, u.old)
		} else {
			sl.remove(u.key)
		}
	}
	tx.log = nil
}

func (tx *memTx) Cursor(b Bucket) Cursor { return &memCursor{tx: tx, b: b} }

// memCursor re-resolves its bucket on every move so that it keeps working after
// the bucket is created or replaced inside the same transaction.
type memCursor struct {
	tx  *memTx
	b   Bucket
	cur *slNode
}

func (c *memCursor) list() *skiplist { return c.tx.t.buckets[c.b] }

func (c *memCursor) at(n *slNode) ([]byte, []byte) {
	c.cur = n
	if n == nil {
		return nil, nil
	}
	return n.key, n.value
}

func (c *memCursor) First() ([]byte, []byte) {
	sl := c.list()
	if sl == nil {
		return c.at(nil)
	}
	return c.at(sl.first())
}

func (c *memCursor) Last() ([]byte, []byte) {
	sl := c.list()
	if sl == nil {
		return c.at(nil)
	}
	return c.at(sl.tail)
}

func (c *memCursor) Seek(k []byte) ([]byte, []byte) {
	sl := c.list()
	if sl == nil {
		return c.at(nil)
	}
	return c.at(sl.seek(k))
}

func (c *memCursor) Next() ([]byte, []byte) {
	if c.cur == nil {
		return nil, nil
	}
	// A node removed since the cursor reached it has no live successor link;
	// re-seek past its key instead.
	if c.cur.removed {
		if sl := c.list(); sl != nil {
			return c.at(sl.seek(c.cur.key))
		}
		return c.at(nil)
	}
	return c.at(c.cur.next[0])
}

func (c *memCursor) Prev() ([]byte, []byte) {
	if c.cur == nil {
		return nil, nil
	}
	return c.at(c.cur.prev)
}
