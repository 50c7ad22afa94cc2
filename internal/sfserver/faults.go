package sfserver

import (
	"strings"
	"sync"
	"time"
)

// faults holds the injected latency, errors and stall. Patterns are
// case-insensitive substrings of the SQL text; "" matches every statement.
type faults struct {
	mu      sync.Mutex
	latency []latencyFault
	errs    []*errorFault
	stall   time.Duration
}

type latencyFault struct {
	pattern string
	d       time.Duration
}

type errorFault struct {
	pattern   string
	err       sqlError
	remaining int // <= 0: forever
}

// InjectLatency delays every statement whose SQL text contains pattern
// (case-insensitive; "" matches all) by d before it runs. The delay is
// reported as QUEUED_OVERLOAD_TIME in QUERY_HISTORY. Delays add up.
func (s *Server) InjectLatency(pattern string, d time.Duration) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.latency = append(s.faults.latency, latencyFault{strings.ToLower(pattern), d})
}

// InjectError makes the next times statements whose SQL text contains
// pattern (case-insensitive; "" matches all; times <= 0 means every one)
// fail with Snowflake error code (e.g. "000625"), sqlState and msg. The
// answer is Snowflake's error envelope (HTTP 200), so the driver returns a
// *gosnowflake.SnowflakeError with that Number and SQLState.
//
// Common codes: 000625 / 57014 lock-waiter limit ("Statement … was aborted
// because the number of waiters for this lock exceeds the 20 statements
// limit"), 000606 / 57P03 no active (suspended) warehouse.
func (s *Server) InjectError(pattern, code, sqlState, msg string, times int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.errs = append(s.faults.errs, &errorFault{strings.ToLower(pattern), sqlError{code, sqlState, msg}, times})
}

// Stall makes the next statement (any) wait d before it runs, once.
func (s *Server) Stall(d time.Duration) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.stall = d
}

// ClearFaults removes every injected latency, error and stall.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.latency, s.faults.errs, s.faults.stall = nil, nil, 0
}

// match returns the wait before a statement and the injected error, if any.
func (f *faults) match(sqlText string) (time.Duration, *sqlError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	text := strings.ToLower(sqlText)
	wait := f.stall
	f.stall = 0
	for _, l := range f.latency {
		if strings.Contains(text, l.pattern) {
			wait += l.d
		}
	}
	for i, e := range f.errs {
		if !strings.Contains(text, e.pattern) {
			continue
		}
		err := e.err
		if e.remaining > 0 {
			e.remaining--
			if e.remaining == 0 {
				f.errs = append(f.errs[:i:i], f.errs[i+1:]...)
			}
		}
		return wait, &err
	}
	return wait, nil
}
