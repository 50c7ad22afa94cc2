//go:build unix

package pgtarget

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A session's connection does blocking reads and writes on its own
// socket instead of going through Go's network poller. With the poller an
// operation costs a write, a read that returns EAGAIN, the goroutine
// parking, an epoll wait in some thread, a futex wake of the thread that
// runs the goroutine again and a second read; with a blocking read the
// session's thread sleeps in the kernel and the server's answer wakes it
// directly: a write and a read per round trip, like pgbench's clients.
// The price is one OS thread per session that waits on the server (Go
// hands its P to other goroutines while it waits), so the path suits the
// tens to hundreds of connections a benchmark worker opens, not
// thousands.
//
// Cancellation and deadlines: the socket has a receive and send timeout of
// pollSlice, so a blocked read or write returns every pollSlice while it
// waits; it then checks the deadline (net.Conn's SetDeadline, which pgconn
// uses for CheckConn and after a cancel request) and the context the
// session runs its operation on (watch), and fails with a timeout or the
// context's error. A deadline nearer than pollSlice shortens the socket's
// timeout for that call.

// pollSlice bounds how long a blocked read or write goes without checking
// its deadline and context.
const pollSlice = 10 * time.Millisecond

// blockingDialer is the DialFunc of a Target's connections (nil where
// blocking sockets are not built).
var blockingDialer = blockingDial

// blockingDial is a pgconn DialFunc: it connects with the standard dialer
// (timeouts, keep-alive, unix sockets) and hands the socket over to a
// blockingConn.
func blockingDial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAlive: 5 * time.Minute}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	bc, err := newBlockingConn(c)
	if err != nil {
		_ = c.Close()
		return nil, &net.OpError{Op: "dial", Net: network, Addr: c.RemoteAddr(), Err: err}
	}
	return bc, nil
}

// newBlockingConn takes c's socket: it duplicates the descriptor, closes c
// (which removes it from the network poller) and puts the duplicate in
// blocking mode with pollSlice timeouts.
func newBlockingConn(c net.Conn) (*blockingConn, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, errors.New("connection has no socket")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var derr error
	if err := raw.Control(func(f uintptr) { fd, derr = syscall.Dup(int(f)) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, os.NewSyscallError("dup", derr)
	}
	bc := &blockingConn{fd: fd, local: c.LocalAddr(), remote: c.RemoteAddr(), net: c.LocalAddr().Network()}
	if err := c.Close(); err != nil {
		_ = syscall.Close(fd)
		return nil, err
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		_ = syscall.Close(fd)
		return nil, os.NewSyscallError("setnonblock", err)
	}
	if err := bc.setTimeout(syscall.SO_RCVTIMEO, pollSlice); err != nil {
		_ = syscall.Close(fd)
		return nil, err
	}
	bc.rcv = pollSlice
	if err := bc.setTimeout(syscall.SO_SNDTIMEO, pollSlice); err != nil {
		_ = syscall.Close(fd)
		return nil, err
	}
	return bc, nil
}

// blockingConn is a net.Conn over a socket in blocking mode.
type blockingConn struct {
	fd            int
	local, remote net.Addr
	net           string

	rcv time.Duration // the socket's receive timeout now (reader only)

	readDeadline  atomic.Int64 // unix ns; 0: none
	writeDeadline atomic.Int64

	mu  sync.Mutex
	ctx context.Context // of the running operation (watch); nil: none

	refs      atomic.Int32 // system calls in progress on fd
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var _ net.Conn = (*blockingConn)(nil)

// watch makes blocked reads and writes fail with ctx's error once ctx is
// done (nil: stop watching).
func (c *blockingConn) watch(ctx context.Context) {
	c.mu.Lock()
	c.ctx = ctx
	c.mu.Unlock()
}

func (c *blockingConn) ctxErr() error {
	c.mu.Lock()
	ctx := c.ctx
	c.mu.Unlock()
	if ctx == nil {
		return nil
	}
	return ctx.Err()
}

func (c *blockingConn) setTimeout(opt int, d time.Duration) error {
	tv := syscall.NsecToTimeval(d.Nanoseconds())
	if tv.Sec == 0 && tv.Usec == 0 {
		tv.Usec = 1 // 0 would mean "no timeout"
	}
	return os.NewSyscallError("setsockopt", syscall.SetsockoptTimeval(c.fd, syscall.SOL_SOCKET, opt, &tv))
}

func (c *blockingConn) enter() bool {
	c.refs.Add(1)
	if c.closed.Load() {
		c.leave()
		return false
	}
	return true
}

func (c *blockingConn) leave() {
	if c.refs.Add(-1) == 0 && c.closed.Load() {
		c.release()
	}
}

func (c *blockingConn) release() {
	c.closeOnce.Do(func() { c.closeErr = syscall.Close(c.fd) })
}

func (c *blockingConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.net, Source: c.local, Addr: c.remote, Err: err}
}

// waitErr is why a read or write that timed out on the socket stops
// waiting (nil: wait another slice).
func (c *blockingConn) waitErr(op string, deadline *atomic.Int64) error {
	if c.closed.Load() {
		return c.opError(op, net.ErrClosed)
	}
	if d := deadline.Load(); d != 0 && time.Now().UnixNano() >= d {
		return c.opError(op, os.ErrDeadlineExceeded)
	}
	if err := c.ctxErr(); err != nil {
		return c.opError(op, err)
	}
	return nil
}

func (c *blockingConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if !c.enter() {
		return 0, c.opError("read", net.ErrClosed)
	}
	defer c.leave()
	for {
		want := pollSlice
		if d := c.readDeadline.Load(); d != 0 {
			left := time.Duration(d - time.Now().UnixNano())
			if left <= 0 {
				return 0, c.opError("read", os.ErrDeadlineExceeded)
			}
			want = min(want, left)
		}
		if want != c.rcv {
			if err := c.setTimeout(syscall.SO_RCVTIMEO, want); err != nil {
				return 0, c.opError("read", err)
			}
			c.rcv = want
		}
		n, err := syscall.Read(c.fd, b)
		switch {
		case err == nil && n > 0:
			return n, nil
		case err == nil:
			if c.closed.Load() {
				return 0, c.opError("read", net.ErrClosed)
			}
			return 0, io.EOF
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			if werr := c.waitErr("read", &c.readDeadline); werr != nil {
				return 0, werr
			}
		default:
			if c.closed.Load() {
				return 0, c.opError("read", net.ErrClosed)
			}
			return 0, c.opError("read", os.NewSyscallError("read", err))
		}
	}
}

func (c *blockingConn) Write(b []byte) (int, error) {
	if !c.enter() {
		return 0, c.opError("write", net.ErrClosed)
	}
	defer c.leave()
	done := 0
	for done < len(b) {
		if d := c.writeDeadline.Load(); d != 0 && time.Now().UnixNano() >= d {
			return done, c.opError("write", os.ErrDeadlineExceeded)
		}
		n, err := syscall.Write(c.fd, b[done:])
		if n > 0 {
			done += n
		}
		switch {
		case err == nil:
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			if werr := c.waitErr("write", &c.writeDeadline); werr != nil {
				return done, werr
			}
		default:
			if c.closed.Load() {
				return done, c.opError("write", net.ErrClosed)
			}
			return done, c.opError("write", os.NewSyscallError("write", err))
		}
	}
	return done, nil
}

// Close shuts the socket down, which wakes a read or write blocked on it,
// and closes the descriptor once no system call uses it any more.
func (c *blockingConn) Close() error {
	if c.closed.Swap(true) {
		return c.opError("close", net.ErrClosed)
	}
	_ = syscall.Shutdown(c.fd, syscall.SHUT_RDWR)
	if c.refs.Load() == 0 {
		c.release()
	}
	return nil
}

func (c *blockingConn) LocalAddr() net.Addr  { return c.local }
func (c *blockingConn) RemoteAddr() net.Addr { return c.remote }

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	if n := t.UnixNano(); n > 0 {
		return n
	}
	return 1 // a deadline in the distant past
}

func (c *blockingConn) SetDeadline(t time.Time) error {
	c.readDeadline.Store(unixNano(t))
	c.writeDeadline.Store(unixNano(t))
	return nil
}

func (c *blockingConn) SetReadDeadline(t time.Time) error {
	c.readDeadline.Store(unixNano(t))
	return nil
}

func (c *blockingConn) SetWriteDeadline(t time.Time) error {
	c.writeDeadline.Store(unixNano(t))
	return nil
}
