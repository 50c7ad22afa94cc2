package pgtarget

import (
	"context"
	"errors"
	"io"
	"syscall"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/fdpoll"
	"github.com/jackc/pgx/v5/pgproto3"
	"golang.org/x/sys/unix"
)

// The lean path's multiplexed mode: a closed phase without think time runs
// its sessions through fdpoll (executor.Multiplexer), a few to a goroutine
// waiting in one epoll, as pgbench's -j threads do. The session then owns
// its socket: pgconn is hijacked after the statements are prepared, the
// socket's descriptor duplicated and the original closed, which takes it
// off Go's network poller (whose wake-ups per response are what the group
// saves). Reads and writes are system calls on the non-blocking
// descriptor, and EAGAIN waits in the session's group (fdpoll.Wait) or,
// outside one, in poll(2); a context that ends interrupts the wait with
// its error, after which the connection is closed, as on the other paths.
// TLS connections stay as they are (the socket carries TLS records).

var _ executor.Multiplexer = (*session)(nil)

// Multiplex implements executor.Multiplexer.
func (s *session) Multiplex() bool {
	l := s.lean
	if l == nil || l.broken || s.t.noMux {
		return false
	}
	return l.raw != nil || l.goRaw() == nil
}

// rawConn is a session's socket after Multiplex.
type rawConn struct {
	fd     int
	ctx    context.Context // of the operation in progress: its waits
	closed bool
	sent   bool // a request went out and nothing was read since
}

var _ io.ReadWriter = (*rawConn)(nil)

// goRaw takes the session's socket over from pgconn.
func (l *lean) goRaw() error {
	sc, ok := l.pg.Conn().(syscall.Conn)
	if !ok {
		return errors.New("not a plain socket") // TLS
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(f uintptr) { fd, derr = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return err
	}
	if derr != nil {
		return derr
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return err
	}
	l.disarm()
	hj, err := l.pg.Hijack()
	if err != nil {
		syscall.Close(fd)
		return err
	}
	_ = hj.Conn.Close() // off the network poller; the duplicate keeps the socket open
	l.raw = &rawConn{fd: fd}
	l.fe = pgproto3.NewFrontend(l.raw, l.raw)
	l.txStatus = hj.TxStatus
	return nil
}

func (c *rawConn) Read(p []byte) (int, error) {
	if c.sent {
		// The response to what was just sent is not there yet: wait
		// without the read that would say so (the group's epoll reports
		// data that arrived meanwhile, edge-triggered on every arrival).
		c.sent = false
		if err := fdpoll.Wait(c.ctx, c.fd, false); err != nil {
			return 0, err
		}
	}
	return fdpoll.ReadWait(c.ctx, c.fd, p)
}

func (c *rawConn) Write(p []byte) (int, error) {
	n, err := fdpoll.WriteAll(c.ctx, c.fd, p)
	c.sent = err == nil
	return n, err
}

// close sends Terminate when it can without waiting and closes the socket.
func (c *rawConn) close() {
	if c.closed {
		return
	}
	c.closed = true
	_, _ = syscall.Write(c.fd, []byte{'X', 0, 0, 0, 4})
	if c.ctx != nil {
		fdpoll.Release(c.ctx, c.fd)
	}
	_ = syscall.Close(c.fd)
}
