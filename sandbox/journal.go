package sandbox

import (
	"sync"
	"time"
)

// JournalEntry is one request as the journal keeps it.
type JournalEntry struct {
	Seq          uint64    `json:"seq"`
	Time         time.Time `json:"time"`
	Tenant       string    `json:"tenant"`
	Service      string    `json:"service"`
	Method       string    `json:"method"`
	Path         string    `json:"path"`
	Query        string    `json:"query,omitempty"`
	Status       int       `json:"status"`
	DurationMs   float64   `json:"durationMs"`
	RequestBody  string    `json:"requestBody,omitempty"`
	ResponseBody string    `json:"responseBody,omitempty"`
	Truncated    bool      `json:"truncated,omitempty"`
}

// journalSnippet caps the bodies kept per entry, so memory stays bounded by
// journal size × 2 snippets.
const journalSnippet = 4096

// journal is a bounded ring of the latest requests; it never holds more than
// its size.
type journal struct {
	mu   sync.Mutex
	ring []JournalEntry
	next int
	full bool
}

func newJournal(size int) *journal {
	if size < 0 {
		size = 0
	}
	return &journal{ring: make([]JournalEntry, size)}
}

func (j *journal) add(e JournalEntry) {
	if len(j.ring) == 0 {
		return
	}
	j.mu.Lock()
	j.ring[j.next] = e
	j.next = (j.next + 1) % len(j.ring)
	if j.next == 0 {
		j.full = true
	}
	j.mu.Unlock()
}

func (j *journal) len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.full {
		return len(j.ring)
	}
	return j.next
}

// latest returns up to limit entries matching keep, newest first.
func (j *journal) latest(limit int, keep func(*JournalEntry) bool) []JournalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := []JournalEntry{}
	n := j.next
	if j.full {
		n = len(j.ring)
	}
	for i := 0; i < n && len(out) < limit; i++ {
		idx := (j.next - 1 - i + len(j.ring)) % len(j.ring)
		if e := &j.ring[idx]; keep(e) {
			out = append(out, *e)
		}
	}
	return out
}
