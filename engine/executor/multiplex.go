package executor

import (
	"context"

	"github.com/flakebench/fbctl/engine/fdpoll"
)

// Multiplexer is a Session that can wait for its server through
// fdpoll.Wait: its connection is a non-blocking socket it reads and writes
// itself. When every session of a closed phase without think time is one,
// Closed runs their loops through fdpoll.Run, a few sessions to each
// goroutine waiting in one epoll for all of theirs (pgbench's -j threads),
// instead of one goroutine per session parked on Go's network poller. The
// session must then block on nothing but fdpoll.Wait for long.
type Multiplexer interface {
	// Multiplex moves the session's connection to fdpoll waits and reports
	// whether it could (false: it stays as it was and still works).
	Multiplex() bool
}

// multiplex moves every session to fdpoll waits and reports whether all
// moved; sessions that moved keep working outside a group (fdpoll.Wait
// then polls on its own).
func multiplex(sessions []Session) bool {
	if !fdpoll.Supported {
		return false
	}
	for _, s := range sessions {
		if _, ok := s.(Multiplexer); !ok {
			return false
		}
	}
	for _, s := range sessions {
		if !s.(Multiplexer).Multiplex() {
			return false
		}
	}
	return true
}

// goMultiplexed runs fns through fdpoll.Run, tracked for the drain as
// goSession tracks one goroutine each.
func (r *runCtl) goMultiplexed(fns []func(ctx context.Context)) {
	r.running.Add(int64(len(fns)))
	for i, fn := range fns {
		fns[i] = func(ctx context.Context) {
			defer r.running.Add(-1)
			fn(ctx)
		}
	}
	r.wg.Go(func() { fdpoll.Run(r.exec, 0, fns) })
}

// Multiplex implements Multiplexer for the wrapped session; a session
// reopened after a break is moved too.
func (s *reSession) Multiplex() bool {
	m, ok := s.s.(Multiplexer)
	s.multiplexed = ok && m.Multiplex()
	return s.multiplexed
}
