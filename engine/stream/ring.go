package stream

import "sync/atomic"

// ring is a bounded multi-producer, single-consumer queue of slots
// (Dmitry Vyukov's bounded MPMC algorithm with one consumer): push claims
// a cell with one CAS and copies the record in; it never blocks and fails
// when the ring is full. The cells are preallocated; nothing allocates.
type ring struct {
	_     [64]byte
	tail  atomic.Uint64 // next position to push
	_     [56]byte
	head  atomic.Uint64 // next position to pop (consumer only writes)
	_     [56]byte
	mask  uint64
	cells []cell
}

type cell struct {
	seq atomic.Uint64 // pos: free for push at pos; pos+1: full for pop at pos
	v   slot
}

// newRingSize is the capacity of a ring asked for n cells: the next power
// of two, at least 2 (with one cell a full cell looks free to the next lap).
func newRingSize(n int) int {
	size := 2
	for size < n {
		size <<= 1
	}
	return size
}

// newRing returns a ring of newRingSize(n) cells.
func newRing(n int) *ring {
	size := newRingSize(n)
	r := &ring{mask: uint64(size - 1), cells: make([]cell, size)}
	for i := range r.cells {
		r.cells[i].seq.Store(uint64(i))
	}
	return r
}

func (r *ring) cap() int { return len(r.cells) }

// len is the number of claimed cells; exact when no push is in progress.
// head is read first: both only grow and head ≤ tail, so the difference
// is never negative.
func (r *ring) len() int {
	h := r.head.Load()
	return int(r.tail.Load() - h)
}

// push copies *v into the ring; false when full.
func (r *ring) push(v *slot) bool {
	pos := r.tail.Load()
	for {
		c := &r.cells[pos&r.mask]
		switch d := int64(c.seq.Load() - pos); {
		case d == 0:
			if r.tail.CompareAndSwap(pos, pos+1) {
				c.v = *v
				c.seq.Store(pos + 1)
				return true
			}
			pos = r.tail.Load()
		case d < 0:
			return false
		default:
			pos = r.tail.Load()
		}
	}
}

// pop moves the oldest record into *v; false when empty (or when the
// oldest cell's producer is still copying). One consumer at a time.
func (r *ring) pop(v *slot) bool {
	pos := r.head.Load()
	c := &r.cells[pos&r.mask]
	if c.seq.Load() != pos+1 {
		return false
	}
	*v = c.v
	c.v = slot{} // drop the string references
	c.seq.Store(pos + r.mask + 1)
	r.head.Store(pos + 1)
	return true
}

// popInto appends up to max-len(dst) records to dst.
func (r *ring) popInto(dst []slot, max int) []slot {
	for len(dst) < max {
		dst = append(dst, slot{})
		if !r.pop(&dst[len(dst)-1]) {
			return dst[:len(dst)-1]
		}
	}
	return dst
}
