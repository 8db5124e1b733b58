package emulators

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"

	"github.com/upstream-sandbox/sandbox/store"
)

// Tx is the store transaction handlers work in.
type Tx = store.Tx

// IDs derives every generated value from (seed, tenant, service, kind, key) and
// never from a shared sequence, so adding one entity changes no other one.
type IDs struct {
	Seed uint64
}

// Sum is SHA-256(seed ‖ 0x00 ‖ part1 ‖ 0x00 ‖ part2 …) with the seed in decimal:
// the primitive under every derivation.
func (ids IDs) Sum(parts ...string) [32]byte {
	h := sha256.New()
	h.Write([]byte(strconv.FormatUint(ids.Seed, 10)))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// UUID4Hex turns the first 16 bytes of a sum into 32 lowercase hex characters in
// uuid4 layout (version nibble 4, variant 10xx), the shape of Prozorro ids.
func UUID4Hex(sum [32]byte) string {
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b)
}

// UUID is the default derivation of CONVENTIONS.md: a UUIDv5 (SHA-1 name-based,
// URL namespace) of "sandbox:<seed>:<tenant>:<service>:<kind>:<key>".
func (ids IDs) UUID(tenant, service, kind, key string) string {
	ns := [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte("sandbox:" + strconv.FormatUint(ids.Seed, 10) + ":" + tenant + ":" + service + ":" + kind + ":" + key))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	s := hex.EncodeToString(u[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// seqBucket holds the per-tenant counters of a service.
func seqBucket(service string) store.Bucket { return store.Bucket{Service: service, Kind: "_seq"} }

// NextSeq increments and returns the named per-tenant counter (1, 2, …). Being
// inside the request transaction, a failed request consumes no number.
func NextSeq(tx Tx, service, name string) (uint64, error) {
	n := PeekSeq(tx, service, name) + 1
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], n)
	if err := tx.Put(seqBucket(service), []byte(name), buf[:]); err != nil {
		return 0, err
	}
	return n, nil
}

// PeekSeq returns the last value NextSeq gave for the counter (0 if none).
func PeekSeq(tx Tx, service, name string) uint64 {
	v := tx.Get(seqBucket(service), []byte(name))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// SetSeq sets a counter, e.g. after a scenario consumed numbers.
func SetSeq(tx Tx, service, name string, n uint64) error {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], n)
	return tx.Put(seqBucket(service), []byte(name), buf[:])
}

// SeqKey encodes n as an 8-byte big-endian key, so that byte order is numeric order.
func SeqKey(n uint64) []byte {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], n)
	return buf[:]
}
