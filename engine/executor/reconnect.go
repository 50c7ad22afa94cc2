package executor

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/flakebench/fbctl/engine/fdpoll"
)

// Reconnect backoff defaults: a session whose connection broke tries to
// open a new one after ReconnectMinBackoff, doubling to ReconnectMaxBackoff.
const (
	ReconnectMinBackoff = 50 * time.Millisecond
	ReconnectMaxBackoff = time.Second
)

// Outage is a window in which at least one session of a worker had lost
// its connection to the target: from the first connection-level error to
// the moment every session had a connection again (End is zero while it
// lasts). Sessions is the most sessions down at once; Errors the failed
// operations and reconnect attempts in the window.
type Outage struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end,omitzero"`
	Sessions int       `json:"sessions"`
	Errors   int64     `json:"errors"`
}

// Reconnector is a Target whose sessions survive a target restart: when an
// operation fails with a connection-level error (IsConnectionError), the
// session closes its connection and, at its next operation, opens a new
// one through Target after a bounded, jittered backoff. The operation that
// failed is recorded as the error it was; a reconnect attempt that fails is
// the session's operation and is recorded as its error (08001 from the
// Postgres classifier): the outage's operations count as errors of their
// class, and the outage's windows are kept (Outages). Sessions that never
// lose their connection pay one interface call per operation.
type Reconnector struct {
	Target Target
	// Classify classifies errors (nil: ClassifyError).
	Classify Classifier
	// MinBackoff and MaxBackoff bound the wait before a reconnect attempt
	// (0: ReconnectMinBackoff, ReconnectMaxBackoff).
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock of the outage windows (nil: time.Now).
	Now func() time.Time

	mu      sync.Mutex
	down    int
	cur     *Outage
	windows []Outage
	reopens int64
}

var _ Target = (*Reconnector)(nil)

// Open implements Target.
func (r *Reconnector) Open(ctx context.Context, conn int) (Session, error) {
	s, err := r.Target.Open(ctx, conn)
	if err != nil {
		return nil, err
	}
	return &reSession{r: r, conn: conn, s: s}, nil
}

// Outages returns the outage windows so far, the open one last with a
// zero End.
func (r *Reconnector) Outages() []Outage {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]Outage(nil), r.windows...)
	if r.cur != nil {
		out = append(out, *r.cur)
	}
	return out
}

// Reconnects is the number of connections reopened after a break.
func (r *Reconnector) Reconnects() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reopens
}

func (r *Reconnector) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// IsConnectionError reports whether err means the session's connection is
// gone (so a new one is needed): SQLSTATE class 08 (connection exception),
// 57P01–57P03 (the server shut down, crashed or is starting), the
// driver's "bad connection", a closed or reset socket, a broken pipe or an
// unexpected EOF.
func IsConnectionError(err error, info ErrorInfo) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch st := info.SQLState; {
	case strings.HasPrefix(st, "08"), st == "57P01", st == "57P02", st == "57P03":
		return true
	case st != "":
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"conn closed", "broken pipe", "connection reset", "connection refused", "bad connection", "closed network connection"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func (r *Reconnector) isConnErr(err error) bool {
	c := r.Classify
	if c == nil {
		c = ClassifyError
	}
	return IsConnectionError(err, c(err))
}

// lost marks one more session down, opening an outage window.
func (r *Reconnector) lost() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down++
	if r.cur == nil {
		r.cur = &Outage{Start: r.now().UTC()}
	}
	r.cur.Sessions = max(r.cur.Sessions, r.down)
	r.cur.Errors++
}

// failed counts an error during the open window.
func (r *Reconnector) failed() {
	r.mu.Lock()
	if r.cur != nil {
		r.cur.Errors++
	}
	r.mu.Unlock()
}

// back marks a session reconnected; the window closes with the last.
func (r *Reconnector) back() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reopens++
	r.down--
	if r.down == 0 && r.cur != nil {
		r.cur.End = r.now().UTC()
		r.windows = append(r.windows, *r.cur)
		r.cur = nil
	}
}

// closed forgets a session that was down when it closed.
func (r *Reconnector) closedDown() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down--
	if r.down == 0 && r.cur != nil {
		r.cur.End = r.now().UTC()
		r.windows = append(r.windows, *r.cur)
		r.cur = nil
	}
}

type reSession struct {
	r       *Reconnector
	conn    int
	s       Session // nil while the connection is lost
	backoff time.Duration
	retryAt time.Time
	// multiplexed: the session runs in an fdpoll group, so a reopened one
	// is moved to fdpoll waits too.
	multiplexed bool
}

func (s *reSession) Exec(ctx context.Context, q int, args []any) (int64, string, error) {
	if s.s == nil {
		if err := s.reopen(ctx); err != nil {
			return 0, "", err
		}
	}
	rows, qid, err := s.s.Exec(ctx, q, args)
	if err != nil && ctx.Err() == nil && s.r.isConnErr(err) {
		_ = s.s.Close()
		s.s = nil
		s.backoff = 0
		s.schedule()
		s.r.lost()
	}
	return rows, qid, err
}

// schedule sets the next reconnect attempt: the backoff doubles from
// MinBackoff to MaxBackoff, ±20% jitter so sessions do not retry in step.
func (s *reSession) schedule() {
	lo, hi := s.r.MinBackoff, s.r.MaxBackoff
	if lo <= 0 {
		lo = ReconnectMinBackoff
	}
	if hi <= 0 {
		hi = ReconnectMaxBackoff
	}
	s.backoff = min(max(2*s.backoff, lo), hi)
	j := time.Duration(float64(s.backoff) * (0.8 + 0.4*rand.Float64()))
	s.retryAt = s.r.now().Add(j)
}

// reopen waits for the backoff and opens a new connection; a failure is
// this operation's error and schedules the next attempt.
func (s *reSession) reopen(ctx context.Context) error {
	if d := s.retryAt.Sub(s.r.now()); d > 0 {
		// fdpoll.Sleep: in a multiplexed phase the group's other sessions
		// go on meanwhile.
		if err := fdpoll.Sleep(ctx, d); err != nil {
			return err
		}
	}
	ns, err := s.r.Target.Open(ctx, s.conn)
	if err != nil {
		s.schedule()
		s.r.failed()
		return err
	}
	if m, ok := ns.(Multiplexer); s.multiplexed && ok {
		m.Multiplex()
	}
	s.s = ns
	s.backoff = 0
	s.r.back()
	return nil
}

func (s *reSession) Close() error {
	if s.s == nil {
		s.r.closedDown()
		return nil
	}
	return s.s.Close()
}

// LastRetries implements Retrier for the wrapped session: the retries of
// its last transaction (0 when it does not retry, or the connection is lost).
func (s *reSession) LastRetries() int {
	if r, ok := s.s.(Retrier); ok && s.s != nil {
		return r.LastRetries()
	}
	return 0
}
