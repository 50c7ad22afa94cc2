//go:build linux

package pgtarget

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/jackc/pgx/v5/pgconn"
)

// benchMux is the design pgbench's -j threads use, measured in Go before
// it is built into the run engine: muxThreads goroutines, each locked to
// its OS thread, each owning benchConns/muxThreads connections on raw
// non-blocking sockets, with one epoll wait per batch of ready sockets
// instead of one sleep per session. It runs pgbench -S's lookup as a
// prepared statement (Bind/Execute/Sync in one write, read up to
// ReadyForQuery) and records as the executor does: two clock reads and
// one histogram record per operation. BenchmarkSelectPaths/mux, so
// scripts/bench-pgbench.sh's counting round puts it beside pgbench and the
// executor's paths.
const muxThreads = 2

// muxConn is one connection of a mux thread.
type muxConn struct {
	fd    int
	out   []byte // the Bind/Execute/Sync of the next operation
	in    []byte // bytes read and not yet parsed
	start time.Time
}

func benchMux(b *testing.B, dsn string, rows int64) {
	ctx := context.Background()
	conns := make([]*muxConn, benchConns)
	for i := range conns {
		c, err := muxConnect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer syscall.Close(c.fd)
		conns[i] = c
	}
	reg := histogram.NewRegistry()
	handles := make([]*histogram.Handle, muxThreads)
	for t := range handles {
		handles[t] = reg.Handle(histogram.Key{Metric: histogram.MetricLatency})
	}
	var n atomic.Int64
	per := benchConns / muxThreads
	runLoops(b, muxThreads, func(t int) error {
		return muxLoop(conns[t*per:(t+1)*per], &n, int64(b.N), rows, uint64(t), handles[t])
	})
}

// muxConnect opens a connection, prepares the lookup as "sel" and takes
// the socket over: a duplicate of its descriptor, already non-blocking
// (the flag belongs to the open file both descriptors share).
func muxConnect(ctx context.Context, dsn string) (*muxConn, error) {
	pg, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := pg.Prepare(ctx, "sel", selectQuery[0].SQL, []uint32{23}); err != nil {
		pg.Close(ctx)
		return nil, err
	}
	hj, err := pg.Hijack()
	if err != nil {
		return nil, err
	}
	defer hj.Conn.Close()
	sc, ok := hj.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("no socket")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd, derr := -1, error(nil)
	if err := raw.Control(func(f uintptr) { fd, derr = syscall.Dup(int(f)) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	return &muxConn{fd: fd, in: make([]byte, 0, 4096)}, nil
}

// bind encodes Bind("sel", aid as binary int4, binary results), Execute
// and Sync into c.out.
func (c *muxConn) bind(aid int32) {
	b := c.out[:0]
	b = append(b, 'B', 0, 0, 0, 0)
	b = append(b, 0)                // portal ""
	b = append(b, 's', 'e', 'l', 0) // statement
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, 1) // parameter format binary
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint32(b, 4)
	b = binary.BigEndian.AppendUint32(b, uint32(aid))
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, 1) // result format binary
	binary.BigEndian.PutUint32(b[1:5], uint32(len(b)-1))
	b = append(b, 'E', 0, 0, 0, 9, 0, 0, 0, 0, 0)
	b = append(b, 'S', 0, 0, 0, 4)
	c.out = b
}

// ready parses c.in and reports whether it holds a whole response (up to
// ReadyForQuery), consuming it.
func (c *muxConn) ready() (bool, error) {
	for off := 0; ; {
		if len(c.in)-off < 5 {
			return false, nil
		}
		typ, size := c.in[off], int(binary.BigEndian.Uint32(c.in[off+1:]))
		if len(c.in)-off < 1+size {
			return false, nil
		}
		switch typ {
		case 'E':
			return false, fmt.Errorf("server error: %q", c.in[off+5:off+1+size])
		case 'Z':
			c.in = c.in[:copy(c.in, c.in[off+1+size:])]
			return true, nil
		}
		off += 1 + size
	}
}

func muxLoop(conns []*muxConn, n *atomic.Int64, limit, rows int64, seed uint64, h *histogram.Handle) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	defer syscall.Close(ep)
	rng := rand.New(rand.NewPCG(seed, 2))
	byFD := map[int32]*muxConn{}
	send := func(c *muxConn) error {
		c.bind(int32(1 + rng.Int64N(rows)))
		c.start = time.Now()
		_, err := syscall.Write(c.fd, c.out)
		return err
	}
	active := 0
	for _, c := range conns {
		byFD[int32(c.fd)] = c
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(c.fd)}
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
			return err
		}
		if n.Add(1) > limit {
			break
		}
		if err := send(c); err != nil {
			return err
		}
		active++
	}
	events := make([]syscall.EpollEvent, len(conns))
	buf := make([]byte, 4096)
	for active > 0 {
		k, err := syscall.EpollWait(ep, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		for _, ev := range events[:k] {
			c := byFD[ev.Fd]
			m, err := syscall.Read(c.fd, buf)
			if err == syscall.EAGAIN || err == syscall.EINTR {
				continue
			}
			if err != nil || m == 0 {
				return fmt.Errorf("read: %v (%d bytes)", err, m)
			}
			c.in = append(c.in, buf[:m]...)
			done, err := c.ready()
			if err != nil {
				return err
			}
			if !done {
				continue
			}
			h.RecordDuration(time.Since(c.start))
			if n.Add(1) > limit {
				active--
				continue
			}
			if err := send(c); err != nil {
				return err
			}
		}
	}
	return nil
}

func init() { benchMuxer = benchMux }
