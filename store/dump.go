package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// dumpFormat identifies a tenant export; Import refuses anything else.
const dumpFormat = "upstream-sandbox-tenant/1"

// Dump is the portable form of one tenant: every bucket with its keys and values
// base64-encoded (keys and values may be binary, e.g. big-endian sequences).
type Dump struct {
	Format  string       `json:"format"`
	Tenant  string       `json:"tenant"`
	Buckets []DumpBucket `json:"buckets"`
}

// DumpBucket is one bucket of a Dump.
type DumpBucket struct {
	Service string     `json:"service"`
	Kind    string     `json:"kind"`
	Items   []DumpItem `json:"items"`
}

// DumpItem is one key/value pair of a bucket.
type DumpItem struct {
	K string `json:"k"`
	V string `json:"v"`
}

func writeDump(w io.Writer, tenant string, buckets map[Bucket][][2][]byte) error {
	d := Dump{Format: dumpFormat, Tenant: tenant, Buckets: []DumpBucket{}}
	names := make([]Bucket, 0, len(buckets))
	for b := range buckets {
		names = append(names, b)
	}
	sort.Slice(names, func(i, j int) bool {
		if names[i].Service != names[j].Service {
			return names[i].Service < names[j].Service
		}
		return names[i].Kind < names[j].Kind
	})
	enc := base64.StdEncoding
	for _, b := range names {
		db := DumpBucket{Service: b.Service, Kind: b.Kind, Items: []DumpItem{}}
		for _, kv := range buckets[b] {
			db.Items = append(db.Items, DumpItem{K: enc.EncodeToString(kv[0]), V: enc.EncodeToString(kv[1])})
		}
		d.Buckets = append(d.Buckets, db)
	}
	if err := json.NewEncoder(w).Encode(d); err != nil {
		return fmt.Errorf("store: write dump: %w", err)
	}
	return nil
}

// readDump decodes a dump and calls put for every pair, in order.
func readDump(r io.Reader, put func(b Bucket, k, v []byte) error) error {
	var d Dump
	if err := json.NewDecoder(r).Decode(&d); err != nil {
		return fmt.Errorf("%w: %w", ErrBadDump, err)
	}
	if d.Format != dumpFormat {
		return fmt.Errorf("%w: format %q", ErrBadDump, d.Format)
	}
	enc := base64.StdEncoding
	for _, db := range d.Buckets {
		if db.Service == "" || db.Kind == "" {
			return fmt.Errorf("%w: bucket without a name", ErrBadDump)
		}
		for _, it := range db.Items {
			k, err := enc.DecodeString(it.K)
			if err != nil || len(k) == 0 {
				return fmt.Errorf("%w: bad key in %s/%s", ErrBadDump, db.Service, db.Kind)
			}
			v, err := enc.DecodeString(it.V)
			if err != nil {
				return fmt.Errorf("%w: bad value in %s/%s", ErrBadDump, db.Service, db.Kind)
			}
			if err := put(Bucket{db.Service, db.Kind}, k, v); err != nil {
				return err
			}
		}
	}
	return nil
}
