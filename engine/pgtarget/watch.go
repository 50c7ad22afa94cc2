package pgtarget

import (
	"context"
	"net"
	"sync/atomic"
	"time"
)

// ctxWatch makes the end of a session's context interrupt the
// connection's blocked reads and writes, as pgconn's context watcher
// does, without its cost per operation: a session runs its operations on
// one context for a whole phase, so the watch is armed once per context
// (context.AfterFunc) and every later operation on the same context only
// compares it. When the context ends, a deadline in the past makes the
// read or write in progress return a timeout, which the lean path reports
// as the context's error, closing the connection.
type ctxWatch struct {
	conn  net.Conn
	ctx   context.Context // the context armed (nil: none)
	stop  func() bool     // of the AfterFunc
	fired *atomic.Bool    // the AfterFunc has set the deadline
}

// watch arms the watch for ctx, disarming the previous context's.
func (w *ctxWatch) watch(ctx context.Context) {
	if ctx == w.ctx {
		return
	}
	w.disarm()
	w.ctx = ctx
	if ctx.Done() == nil {
		return // never ends
	}
	fired, conn := new(atomic.Bool), w.conn
	w.fired = fired
	w.stop = context.AfterFunc(ctx, func() {
		_ = conn.SetDeadline(time.Unix(1, 0))
		fired.Store(true)
	})
}

// disarm stops watching. When the context has already ended, its
// function sets a past deadline: once it has, the deadline is cleared so
// the connection can serve another context.
func (w *ctxWatch) disarm() {
	if w.stop == nil {
		w.ctx = nil
		return
	}
	if !w.stop() {
		for !w.fired.Load() {
			time.Sleep(time.Microsecond)
		}
		_ = w.conn.SetDeadline(time.Time{})
	}
	w.ctx, w.stop, w.fired = nil, nil, nil
}
