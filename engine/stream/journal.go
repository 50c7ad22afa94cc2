package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/flakebench/fbctl/engine/executor"
)

// slot is one record in flight with its sample weight.
type slot struct {
	rec    executor.Record
	weight float64
}

// journal is the local append-only spill file of one streamer. Records are
// framed as uvarint(len) + payload. The journal goroutine (and Close, after
// it stopped) appends; the flusher reads from rOff and commits what the
// store accepted. When everything appended has been committed the file is
// truncated, so disk use follows the backlog.
type journal struct {
	dir, name string
	// header is written at the start of every new file (journalMagic and
	// the JSON journalHeader), so that another process can replay it; base
	// is its length, where records start.
	header []byte
	base   int64
	// maxBytes bounds the file (0: no bound); minFree is the free space
	// the file system must keep (0: not checked). See full.
	maxBytes, minFree int64
	freeAt            int64  // wOff when free space was last checked
	lowDisk           bool   // the last check found less than minFree
	lock              func() // releases the file lock (nil: none)

	mu   sync.Mutex
	f    *os.File
	path string
	wOff int64 // bytes appended
	rOff int64 // bytes committed to the store; flusher only, read under mu
	err  error // first append failure; the journal refuses appends after it

	pending atomic.Int64 // records appended, not yet committed

	enc  []byte // appender's encode buffer
	rbuf []byte // flusher's read buffer
	// strs interns repeated short strings (phase, query, kind, codes)
	// while decoding.
	strs map[string]string
}

const journalReadChunk = 1 << 20

func newJournal(dir, name string) *journal {
	if dir == "" {
		dir = os.TempDir()
	}
	return &journal{dir: dir, name: name, strs: map[string]string{}}
}

// append writes the slots at the end of the file in one write.
func (j *journal) append(slots []slot) error {
	if len(slots) == 0 {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.appendLocked(slots)
}

// appendOne appends one record, waiting for an append in progress (a
// write into the page cache) rather than giving up: it is the hot path's
// last resort when both rings are full.
func (j *journal) appendOne(s *slot) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fullLocked(256) {
		return errJournalFull
	}
	return j.appendLocked(unsafe.Slice(s, 1))
}

func (j *journal) appendLocked(slots []slot) error {
	if j.err != nil {
		return j.err
	}
	if j.f == nil {
		if err := os.MkdirAll(j.dir, 0o700); err != nil {
			j.err = fmt.Errorf("spill journal: %w", err)
			return j.err
		}
		// A fresh file every time: never the journal a killed worker left.
		f, err := os.CreateTemp(j.dir, j.name)
		if err != nil {
			j.err = fmt.Errorf("spill journal: %w", err)
			return j.err
		}
		j.f, j.path = f, f.Name()
		j.lock = lockFile(f)
		if len(j.header) > 0 {
			if _, err := f.WriteAt(j.header, 0); err != nil {
				j.err = fmt.Errorf("spill journal %s: %w", j.path, err)
				return j.err
			}
		}
		j.base = int64(len(j.header))
		j.wOff, j.rOff, j.freeAt = j.base, j.base, j.base
	}
	b := j.enc[:0]
	for i := range slots {
		b = appendFrame(b, &slots[i])
	}
	j.enc = b
	if _, err := j.f.WriteAt(b, j.wOff); err != nil {
		j.err = fmt.Errorf("spill journal %s: %w", j.path, err)
		return j.err
	}
	j.wOff += int64(len(b))
	j.pending.Add(int64(len(slots)))
	return nil
}

// read decodes up to max records from the committed offset into dst and
// returns them with the offset to commit once they are written.
func (j *journal) read(dst []slot, max int) ([]slot, int64, error) {
	j.mu.Lock()
	f, r, w := j.f, j.rOff, j.wOff
	j.mu.Unlock()
	dst = dst[:0]
	if f == nil || r == w {
		return dst, r, nil
	}
	off := r
	for len(dst) < max && off < w {
		n := min(int64(journalReadChunk), w-off)
		if int64(cap(j.rbuf)) < n {
			j.rbuf = make([]byte, n)
		}
		buf := j.rbuf[:n]
		if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
			return dst, r, fmt.Errorf("spill journal %s: read: %w", j.path, err)
		}
		used := 0
		for len(dst) < max {
			size, k := binary.Uvarint(buf[used:])
			if k <= 0 || int64(used+k)+int64(size) > int64(len(buf)) {
				break
			}
			var s slot
			if err := j.decode(buf[used+k:used+k+int(size)], &s); err != nil {
				return dst, r, fmt.Errorf("spill journal %s at %d: %w", j.path, off+int64(used), err)
			}
			dst = append(dst, s)
			used += k + int(size)
		}
		if used == 0 {
			// One frame larger than the chunk: read it whole.
			size, k := binary.Uvarint(buf)
			if k <= 0 || off+int64(k)+int64(size) > w {
				return dst, r, fmt.Errorf("spill journal %s at %d: corrupt frame", j.path, off)
			}
			big := make([]byte, k+int(size))
			if _, err := f.ReadAt(big, off); err != nil && !errors.Is(err, io.EOF) {
				return dst, r, fmt.Errorf("spill journal %s: read: %w", j.path, err)
			}
			var s slot
			if err := j.decode(big[k:], &s); err != nil {
				return dst, r, fmt.Errorf("spill journal %s at %d: %w", j.path, off, err)
			}
			dst = append(dst, s)
			used = len(big)
		}
		off += int64(used)
	}
	return dst, off, nil
}

// commit marks n records up to offset next as written; an empty journal
// is truncated.
func (j *journal) commit(next int64, n int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.rOff = next
	j.pending.Add(-int64(n))
	if j.rOff == j.wOff && j.wOff > j.base {
		j.rOff, j.wOff, j.freeAt = j.base, j.base, j.base
		j.lowDisk = false
		if err := j.f.Truncate(j.base); err != nil {
			return fmt.Errorf("spill journal %s: truncate: %w", j.path, err)
		}
	}
	if len(j.strs) > 4096 {
		clear(j.strs)
	}
	return nil
}

// close closes the file; it is removed when nothing is pending. It returns
// the path of a kept journal.
func (j *journal) close() (string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return "", nil
	}
	if j.lock != nil {
		j.lock()
		j.lock = nil
	}
	err := j.f.Close()
	j.f = nil
	if j.pending.Load() == 0 {
		if rerr := os.Remove(j.path); rerr != nil && err == nil {
			err = rerr
		}
		return "", err
	}
	return j.path, err
}

func (j *journal) appendErr() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendFrame(b []byte, s *slot) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, 0) // room for the length
	body := len(b)
	r := &s.rec
	b = binary.AppendVarint(b, r.ExecutionSeq)
	b = appendString(b, r.Phase)
	var flags byte
	if r.Warmup {
		flags |= 1
	}
	if r.Success {
		flags |= 2
	}
	b = append(b, flags)
	b = appendString(b, r.Query)
	b = appendString(b, r.Kind)
	b = binary.AppendVarint(b, r.IntendedStart)
	b = binary.AppendVarint(b, r.ActualStart)
	b = binary.AppendVarint(b, r.LatencyUS)
	b = binary.AppendVarint(b, r.ServiceUS)
	b = appendString(b, r.ErrorCode)
	b = appendString(b, r.SQLState)
	b = appendString(b, r.ErrorMessage)
	b = binary.AppendVarint(b, r.Rows)
	b = appendString(b, r.TargetQueryID)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.weight))
	// Write the length as a 5-byte padded uvarint so the body need not move.
	n := uint64(len(b) - body)
	for i := range 4 {
		b[start+i] = byte(n) | 0x80
		n >>= 7
	}
	b[start+4] = byte(n)
	return b
}

var errShortFrame = errors.New("short frame")

type decoder struct {
	b   []byte
	err error
	j   *journal
}

func (d *decoder) varint() int64 {
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = errShortFrame
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) str() string {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || uint64(len(d.b)-k) < n {
		d.err = errShortFrame
		return ""
	}
	raw := d.b[k : k+int(n)]
	d.b = d.b[k+int(n):]
	if n == 0 {
		return ""
	}
	if n <= 64 {
		if s, ok := d.j.strs[string(raw)]; ok {
			return s
		}
		s := string(raw)
		d.j.strs[s] = s
		return s
	}
	return string(raw)
}

func (d *decoder) byte1() byte {
	if len(d.b) < 1 {
		d.err = errShortFrame
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (j *journal) decode(b []byte, s *slot) error {
	d := decoder{b: b, j: j}
	r := &s.rec
	r.ExecutionSeq = d.varint()
	r.Phase = d.str()
	flags := d.byte1()
	r.Warmup, r.Success = flags&1 != 0, flags&2 != 0
	r.Query = d.str()
	r.Kind = d.str()
	r.IntendedStart = d.varint()
	r.ActualStart = d.varint()
	r.LatencyUS = d.varint()
	r.ServiceUS = d.varint()
	r.ErrorCode = d.str()
	r.SQLState = d.str()
	r.ErrorMessage = d.str()
	r.Rows = d.varint()
	r.TargetQueryID = d.str()
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 8 {
		return errShortFrame
	}
	s.weight = math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	return nil
}
