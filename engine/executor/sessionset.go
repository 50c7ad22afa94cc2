package executor

import (
	"context"
	"time"
)

// sessionSet is the set of closed-loop sessions of a model whose session
// count changes while it runs (find_max steps, qps_target): each session
// sends on run's issue context until it is stopped, and the newest stop
// first, after their operation in flight.
type sessionSet struct {
	run   *runCtl
	env   *Env
	think time.Duration
	conns []*liveSession
	peak  int // the most sessions open at once
}

type liveSession struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// started is a model with a changing session count, running from its start
// instant: its run control, its environment and its sessions.
type started struct {
	run      *runCtl
	env      Env
	sessions *sessionSet
	late     time.Duration // how late the start instant was met
}

// startSessions takes the sessions the pool opened, waits for start, and
// starts them in a sessionSet. When the run is stopped before start it
// closes them and returns nil with the Result to return; otherwise the
// caller stops the returned run (defer st.run.stop()).
func (p *pool) startSessions(ctx context.Context, start time.Time, duration, spin, think time.Duration) (*started, Result, error) {
	first, srcs, err := p.take()
	if err != nil {
		return nil, Result{}, err
	}
	st := &started{env: p.env}
	st.run = newRunCtl(ctx, start, duration, &st.env)
	ok, late := waitUntil(st.run.issue, start, spin)
	if !ok {
		closeAll(first)
		st.run.endIssue()
		res := Result{Late: late, Stopped: true}
		st.run.result(&res)
		st.run.stop()
		return nil, res, nil
	}
	st.late = late
	st.sessions = newSessionSet(st.run, &st.env, think, first, srcs)
	return st, Result{}, nil
}

func newSessionSet(run *runCtl, env *Env, think time.Duration, first []Session, srcs []OpSource) *sessionSet {
	s := &sessionSet{run: run, env: env, think: think}
	for i := range first {
		s.start(first[i], srcs[i])
	}
	return s
}

// len returns the number of sessions running.
func (s *sessionSet) len() int { return len(s.conns) }

func (s *sessionSet) start(sess Session, src OpSource) {
	c, cancel := context.WithCancel(s.run.issue)
	ls := &liveSession{cancel: cancel, done: make(chan struct{})}
	rec := s.env.Recorder.Session(false)
	s.run.goSession(func() {
		defer close(ls.done)
		defer sess.Close()
		closedLoop(c.Done(), s.run.exec, sess, src, rec, s.think)
	})
	s.conns = append(s.conns, ls)
	s.peak = max(s.peak, len(s.conns))
}

// set moves to n sessions: it opens new ones (stopping at the first that
// fails, whose error it returns, with the sessions open so far running) or
// stops the newest and waits for them.
func (s *sessionSet) set(ctx context.Context, n int) error {
	for len(s.conns) < n {
		ss, srcs, err := openSessions(ctx, s.env, len(s.conns), 1)
		if err != nil {
			return err
		}
		s.start(ss[0], srcs[0])
	}
	for len(s.conns) > n {
		ls := s.conns[len(s.conns)-1]
		s.conns = s.conns[:len(s.conns)-1]
		ls.cancel()
		<-ls.done
	}
	return nil
}

// stop tells every session to stop after its operation in flight; it does
// not wait (runCtl.wait does).
func (s *sessionSet) stop() {
	for _, ls := range s.conns {
		ls.cancel()
	}
}
