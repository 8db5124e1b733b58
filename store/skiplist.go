package store

import (
	"bytes"
	"math/rand/v2"
)

// skiplist is the ordered map behind the memory backend: O(log n) insert, delete
// and seek, and O(1) steps in both directions, so that listing a page stays
// O(page) however large a bucket grows.
type skiplist struct {
	head  *slNode
	tail  *slNode
	level int
	n     int
	rng   *rand.PCG
}

const slMaxLevel = 24

type slNode struct {
	key, value []byte
	next       []*slNode
	prev       *slNode
	// removed lets a cursor standing on a deleted node notice in O(1).
	removed bool
}

func newSkiplist() *skiplist {
	// The level generator only shapes the structure, never the data, so a fixed
	// seed keeps the backend deterministic without affecting results.
	return &skiplist{head: &slNode{next: make([]*slNode, slMaxLevel)}, level: 1, rng: rand.NewPCG(1, 2)}
}

func (s *skiplist) randomLevel() int {
	lvl := 1
	for x := s.rng.Uint64(); lvl < slMaxLevel && x&3 == 0; x >>= 2 {
		lvl++
	}
	return lvl
}

// findPath fills update with the last node before key on every level.
func (s *skiplist) findPath(key []byte, update []*slNode) *slNode {
	x := s.head
	for i := s.level - 1; i >= 0; i-- {
		for x.next[i] != nil && bytes.Compare(x.next[i].key, key) < 0 {
			x = x.next[i]
		}
		if update != nil {
			update[i] = x
		}
	}
	return x.next[0]
}

func (s *skiplist) get(key []byte) (*slNode, bool) {
	n := s.findPath(key, nil)
	if n != nil && bytes.Equal(n.key, key) {
		return n, true
	}
	return nil, false
}

// put stores value under key and returns the previous value (nil, false if none).
func (s *skiplist) put(key, value []byte) ([]byte, bool) {
	var update [slMaxLevel]*slNode
	n := s.findPath(key, update[:])
	if n != nil && bytes.Equal(n.key, key) {
		old := n.value
		n.value = value
		return old, true
	}
	lvl := s.randomLevel()
	if lvl > s.level {
		for i := s.level; i < lvl; i++ {
			update[i] = s.head
		}
		s.level = lvl
	}
	node := &slNode{key: key, value: value, next: make([]*slNode, lvl)}
	for i := 0; i < lvl; i++ {
		node.next[i] = update[i].next[i]
		update[i].next[i] = node
	}
	if update[0] != s.head {
		node.prev = update[0]
	}
	if node.next[0] != nil {
		node.next[0].prev = node
	} else {
		s.tail = node
	}
	s.n++
	return nil, false
}

// remove deletes key and returns its value (nil, false if absent).
func (s *skiplist) remove(key []byte) ([]byte, bool) {
	var update [slMaxLevel]*slNode
	n := s.findPath(key, update[:])
	if n == nil || !bytes.Equal(n.key, key) {
		return nil, false
	}
	for i := 0; i < len(n.next); i++ {
		update[i].next[i] = n.next[i]
	}
	if n.next[0] != nil {
		n.next[0].prev = n.prev
	} else {
		s.tail = n.prev
	}
	for s.level > 1 && s.head.next[s.level-1] == nil {
		s.level--
	}
	s.n--
	n.removed = true
	return n.value, true
}

func (s *skiplist) first() *slNode { return s.head.next[0] }

func (s *skiplist) seek(key []byte) *slNode { return s.findPath(key, nil) }
