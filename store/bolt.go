package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bolt is the durable backend: one bbolt file, a root bucket per tenant
// ("t:<name>"), inside it a bucket per service and in that a bucket per kind.
// Commits are fsync'd, so a write acknowledged with 2xx survives a crash.
type Bolt struct {
	db *bolt.DB
}

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
	// Concurrent writers share one commit (and one fsync); a short delay keeps
	// a lone writer's latency low.
	db.MaxBatchDelay = 500 * time.Microsecond
	return &Bolt{db: db}, nil
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

// Update implements Store. Concurrent updates are batched into one commit.
func (s *Bolt) Update(tenant string, now time.Time, fn func(Tx) error) error {
	key, err := tenantKey(tenant)
	if err != nil {
		return err
	}
	return s.db.Batch(func(btx *bolt.Tx) error {
		t := &boltTx{btx: btx, rootKey: key, root: btx.Bucket(key), tenant: tenant, now: now, writable: true}
		return fn(t)
	})
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

// Close implements Store.
func (s *Bolt) Close() error { return s.db.Close() }

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
