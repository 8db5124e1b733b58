package sandbox

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"
)

// metrics are kept by hand in the Prometheus text format (no client library
// for a handful of series).
type metrics struct {
	mu       sync.Mutex
	requests map[[3]string]uint64 // service, method, status
	buckets  map[string][]uint64  // service → counts per durationBuckets (+Inf last)
	sum      map[string]float64
	count    map[string]uint64
	start    time.Time
}

var durationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

func newMetrics() *metrics {
	return &metrics{requests: map[[3]string]uint64{}, buckets: map[string][]uint64{}, sum: map[string]float64{}, count: map[string]uint64{}, start: time.Now()}
}

func (m *metrics) observe(service, method string, status int, d time.Duration) {
	sec := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[3]string{service, method, strconv.Itoa(status)}]++
	b := m.buckets[service]
	if b == nil {
		b = make([]uint64, len(durationBuckets)+1)
		m.buckets[service] = b
	}
	for i, le := range durationBuckets {
		if sec <= le {
			b[i]++
		}
	}
	b[len(durationBuckets)]++
	m.sum[service] += sec
	m.count[service]++
}

func (m *metrics) write(w io.Writer, tenants int64, journalLen int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintln(w, "# HELP sandbox_requests_total Requests answered, by service, method and status.")
	fmt.Fprintln(w, "# TYPE sandbox_requests_total counter")
	keys := make([][3]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i][0]+keys[i][1]+keys[i][2] < keys[j][0]+keys[j][1]+keys[j][2]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "sandbox_requests_total{service=%q,method=%q,status=%q} %d\n", k[0], k[1], k[2], m.requests[k])
	}
	fmt.Fprintln(w, "# HELP sandbox_request_duration_seconds Time to answer a request, by service.")
	fmt.Fprintln(w, "# TYPE sandbox_request_duration_seconds histogram")
	services := make([]string, 0, len(m.buckets))
	for s := range m.buckets {
		services = append(services, s)
	}
	sort.Strings(services)
	for _, s := range services {
		b := m.buckets[s]
		for i, le := range durationBuckets {
			fmt.Fprintf(w, "sandbox_request_duration_seconds_bucket{service=%q,le=%q} %d\n", s, strconv.FormatFloat(le, 'g', -1, 64), b[i])
		}
		fmt.Fprintf(w, "sandbox_request_duration_seconds_bucket{service=%q,le=\"+Inf\"} %d\n", s, b[len(durationBuckets)])
		fmt.Fprintf(w, "sandbox_request_duration_seconds_sum{service=%q} %g\n", s, m.sum[s])
		fmt.Fprintf(w, "sandbox_request_duration_seconds_count{service=%q} %d\n", s, m.count[s])
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintln(w, "# HELP sandbox_tenants_loaded Tenants loaded since start.")
	fmt.Fprintln(w, "# TYPE sandbox_tenants_loaded gauge")
	fmt.Fprintf(w, "sandbox_tenants_loaded %d\n", tenants)
	fmt.Fprintln(w, "# HELP sandbox_journal_entries Entries held by the journal.")
	fmt.Fprintln(w, "# TYPE sandbox_journal_entries gauge")
	fmt.Fprintf(w, "sandbox_journal_entries %d\n", journalLen)
	fmt.Fprintln(w, "# HELP go_goroutines Goroutines that currently exist.")
	fmt.Fprintln(w, "# TYPE go_goroutines gauge")
	fmt.Fprintf(w, "go_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintln(w, "# HELP go_memstats_heap_alloc_bytes Heap bytes allocated and in use.")
	fmt.Fprintln(w, "# TYPE go_memstats_heap_alloc_bytes gauge")
	fmt.Fprintf(w, "go_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	fmt.Fprintln(w, "# HELP process_start_time_seconds Start time of the process since the Unix epoch.")
	fmt.Fprintln(w, "# TYPE process_start_time_seconds gauge")
	fmt.Fprintf(w, "process_start_time_seconds %d\n", m.start.Unix())
}
