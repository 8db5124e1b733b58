package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bolt is the durable backend: one bbolt file, a root bucket per tenant
// ("t:<name>"), inside it a bucket per service and in that a bucket per kind.
// Commits are fsync'd, so a write acknowledged with 2xx survives a crash.
//
// Writes go through one committer goroutine (group commit): a lone write
// commits at once, and the writes that arrive while a commit (and its fsync) is
// running share the next one. bbolt's own Batch waits a fixed delay instead,
// which costs a lone writer latency and still commits small batches.
type Bolt struct {
	db     *bolt.DB
	writes chan *write
	done   chan struct{}
	mu     sync.RWMutex // closed is read by writers, set by Close
	closed bool
}

// write is one Update waiting for the committer.
type write struct {
	tenant string
	now    time.Time
	fn     func(Tx) error
	result chan error
}

// maxGroup bounds how many writes share one commit.
const maxGroup = 256

const tenantPrefix = "t:"

// OpenBolt opens (creating if needed) the data file at path.
func OpenBolt(path string) (*Bolt, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: create data dir: %w", err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Bolt{db: db, writes: make(chan *write), done: make(chan struct{})}
	go s.commit()
	return s, nil
}

// commit is the committer loop: take one write, add whatever else is waiting,
// run them in one transaction.
func (s *Bolt) commit() {
	defer close(s.done)
	for first := range s.writes {
		group := []*write{first}
	more:
		for len(group) < maxGroup {
			select {
			case w, ok := <-s.writes:
				if !ok {
					break more
				}
				group = append(group, w)
			default:
				break more
			}
		}
		s.runGroup(group)
	}
}

// runGroup commits a group. A write that fails rolls the transaction back; it
// is then run alone for its own answer (its failure may have depended on the
// others' writes) and the rest are committed without it.
func (s *Bolt) runGroup(group []*write) {
	for len(group) > 0 {
		failed := -1
		err := s.db.Update(func(btx *bolt.Tx) error {
			for i, w := range group {
				if err := w.run(btx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, w := range group {
				w.result <- err
			}
			return
		}
		w := group[failed]
		w.result <- s.db.Update(w.run)
		group = append(group[:failed], group[failed+1:]...)
	}
}

// panicked carries a panic of a write function back to its caller's goroutine.
type panicked struct{ value any }

func (p panicked) Error() string { return fmt.Sprintf("panic in store transaction: %v", p.value) }

func (w *write) run(btx *bolt.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked{v}
		}
	}()
	key, _ := tenantKey(w.tenant)
	return w.fn(&boltTx{btx: btx, rootKey: key, root: btx.Bucket(key), tenant: w.tenant, now: w.now, writable: true})
}

func tenantKey(name string) ([]byte, error) {
	if !ValidTenant(name) {
		return nil, fmt.Errorf("%w: %q", ErrBadTenant, name)
	}
	return []byte(tenantPrefix + name), nil
}

// View implements Store.
func (s *Bolt) View(tenant string, now time.Time, fn func(Tx) error) error {
	key, err := tenantKey(tenant)
	if err != nil {
		return err
	}
	return s.db.View(func(btx *bolt.Tx) error {
		return fn(&boltTx{btx: btx, root: btx.Bucket(key), tenant: tenant, now: now})
	})
}

// Update implements Store. Concurrent updates share commits (see Bolt); a panic
// in fn rolls back and is re-raised in the caller's goroutine.
func (s *Bolt) Update(tenant string, now time.Time, fn func(Tx) error) error {
	if _, err := tenantKey(tenant); err != nil {
		return err
	}
	w := &write{tenant: tenant, now: now, fn: fn, result: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return errors.New("store: closed")
	}
	s.writes <- w
	s.mu.RUnlock()
	err := <-w.result
	var p panicked
	if errors.As(err, &p) {
		panic(p.value)
	}
	return err
}

// HasTenant implements Store.
func (s *Bolt) HasTenant(tenant string) (bool, error) {
	key, err := tenantKey(tenant)
	if err != nil {
		return false, err
	}
	has := false
	err = s.db.View(func(btx *bolt.Tx) error {
		has = btx.Bucket(key) != nil
		return nil
	})
	return has, err
}

// Tenants implements Store.
func (s *Bolt) Tenants() ([]string, error) {
	var out []string
	err := s.db.View(func(btx *bolt.Tx) error {
		return btx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if n, ok := strings.CutPrefix(string(name), tenantPrefix); ok {
				out = append(out, n)
			}
			return nil
		})
	})
	sort.Strings(out)
	return out, err
}

// DropTenant implements Store.
func (s *Bolt) DropTenant(tenant string) error {
	key, err := tenantKey(tenant)
	if err != nil {
		return err
	}
	return s.db.Update(func(btx *bolt.Tx) error {
		if err := btx.DeleteBucket(key); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return fmt.Errorf("store: drop %s: %w", tenant, err)
		}
		return nil
	})
}

// Export implements Store.
func (s *Bolt) Export(tenant string, w io.Writer) error {
	buckets := map[Bucket][][2][]byte{}
	err := s.View(tenant, time.Time{}, func(tx Tx) error {
		root := tx.(*boltTx).root
		if root == nil {
			return nil
		}
		return root.ForEachBucket(func(svc []byte) error {
			sb := root.Bucket(svc)
			return sb.ForEachBucket(func(kind []byte) error {
				b := Bucket{string(svc), string(kind)}
				return sb.Bucket(kind).ForEach(func(k, v []byte) error {
					buckets[b] = append(buckets[b], [2][]byte{append([]byte(nil), k...), append([]byte(nil), v...)})
					return nil
				})
			})
		})
	})
	if err != nil {
		return err
	}
	return writeDump(w, tenant, buckets)
}

// Import implements Store: the tenant is replaced in one transaction.
func (s *Bolt) Import(tenant string, r io.Reader) error {
	type kv struct {
		b    Bucket
		k, v []byte
	}
	var items []kv
	if err := readDump(r, func(b Bucket, k, v []byte) error {
		items = append(items, kv{b, k, v})
		return nil
	}); err != nil {
		return err
	}
	key, err := tenantKey(tenant)
	if err != nil {
		return err
	}
	return s.db.Update(func(btx *bolt.Tx) error {
		if err := btx.DeleteBucket(key); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return err
		}
		t := &boltTx{btx: btx, rootKey: key, tenant: tenant, writable: true}
		for _, it := range items {
			if err := t.Put(it.b, it.k, it.v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close implements Store: pending writes finish, later ones are refused.
func (s *Bolt) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.writes)
	s.mu.Unlock()
	<-s.done
	return s.db.Close()
}

type boltTx struct {
	btx      *bolt.Tx
	rootKey  []byte
	root     *bolt.Bucket
	tenant   string
	now      time.Time
	writable bool
}

func (tx *boltTx) Tenant() string { return tx.tenant }
func (tx *boltTx) Now() time.Time { return tx.now }
func (tx *boltTx) Writable() bool { return tx.writable }

func (tx *boltTx) bucket(b Bucket) *bolt.Bucket {
	if tx.root == nil {
		return nil
	}
	sb := tx.root.Bucket([]byte(b.Service))
	if sb == nil {
		return nil
	}
	return sb.Bucket([]byte(b.Kind))
}

func (tx *boltTx) createBucket(b Bucket) (*bolt.Bucket, error) {
	if tx.root == nil {
		root, err := tx.btx.CreateBucketIfNotExists(tx.rootKey)
		if err != nil {
			return nil, fmt.Errorf("store: create tenant bucket: %w", err)
		}
		tx.root = root
	}
	sb, err := tx.root.CreateBucketIfNotExists([]byte(b.Service))
	if err != nil {
		return nil, fmt.Errorf("store: create bucket %s: %w", b.Service, err)
	}
	kb, err := sb.CreateBucketIfNotExists([]byte(b.Kind))
	if err != nil {
		return nil, fmt.Errorf("store: create bucket %s/%s: %w", b.Service, b.Kind, err)
	}
	return kb, nil
}

func (tx *boltTx) Get(b Bucket, key []byte) []byte {
	bk := tx.bucket(b)
	if bk == nil {
		return nil
	}
	return bk.Get(key)
}

func (tx *boltTx) Put(b Bucket, key, value []byte) error {
	if !tx.writable {
		return ErrReadOnly
	}
	bk, err := tx.createBucket(b)
	if err != nil {
		return err
	}
	if value == nil {
		value = []byte{}
	}
	if err := bk.Put(key, value); err != nil {
		return fmt.Errorf("store: put %s/%s: %w", b.Service, b.Kind, err)
	}
	return nil
}

func (tx *boltTx) Delete(b Bucket, key []byte) error {
	if !tx.writable {
		return ErrReadOnly
	}
	bk := tx.bucket(b)
	if bk == nil {
		return nil
	}
	if err := bk.Delete(key); err != nil {
		return fmt.Errorf("store: delete %s/%s: %w", b.Service, b.Kind, err)
	}
	return nil
}

func (tx *boltTx) DeleteBucket(b Bucket) error {
	if !tx.writable {
		return ErrReadOnly
	}
	if tx.root == nil {
		return nil
	}
	sb := tx.root.Bucket([]byte(b.Service))
	if sb == nil {
		return nil
	}
	if err := sb.DeleteBucket([]byte(b.Kind)); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
		return fmt.Errorf("store: delete bucket %s/%s: %w", b.Service, b.Kind, err)
	}
	return nil
}

func (tx *boltTx) DeleteAll() error {
	if !tx.writable {
		return ErrReadOnly
	}
	if tx.root == nil {
		return nil
	}
	if err := tx.btx.DeleteBucket(tx.rootKey); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
		return fmt.Errorf("store: empty tenant %s: %w", tx.tenant, err)
	}
	tx.root = nil
	return nil
}

func (tx *boltTx) Cursor(b Bucket) Cursor {
	bk := tx.bucket(b)
	if bk == nil {
		return nilCursor{}
	}
	return boltCursor{bk.Cursor()}
}

type boltCursor struct{ c *bolt.Cursor }

func (c boltCursor) First() ([]byte, []byte)        { return c.c.First() }
func (c boltCursor) Last() ([]byte, []byte)         { return c.c.Last() }
func (c boltCursor) Seek(k []byte) ([]byte, []byte) { return c.c.Seek(k) }
func (c boltCursor) Next() ([]byte, []byte)         { return c.c.Next() }
func (c boltCursor) Prev() ([]byte, []byte)         { return c.c.Prev() }

type nilCursor struct{}

func (nilCursor) First() ([]byte, []byte)      { return nil, nil }
func (nilCursor) Last() ([]byte, []byte)       { return nil, nil }
func (nilCursor) Seek([]byte) ([]byte, []byte) { return nil, nil }
func (nilCursor) Next() ([]byte, []byte)       { return nil, nil }
func (nilCursor) Prev() ([]byte, []byte)       { return nil, nil }
