package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
)

// ErrFenced is returned by a write of an orchestrator whose epoch is older
// than the run's LEADER_EPOCH: another orchestrator took the run over, and
// this one must stop.
var ErrFenced = errors.New("fenced: a newer orchestrator drives the run")

// RunLeaseHeldError is returned by AcquireRunLease when a live
// orchestrator holds the run's lease.
type RunLeaseHeldError struct {
	RunID     string
	Holder    string
	Epoch     int64
	ExpiresIn time.Duration
}

func (e *RunLeaseHeldError) Error() string {
	return fmt.Sprintf("run %s is driven by %s (epoch %d; its lease expires in %s unless renewed)",
		e.RunID, e.Holder, e.Epoch, e.ExpiresIn.Round(time.Millisecond))
}

// LeaseState is what RUN_LEASES says of a run's orchestrator, with the
// database's clock at the moment of reading: expiry is decided by the
// database's clock only.
type LeaseState struct {
	RunID     string
	Holder    string // "" when nobody holds it
	Epoch     int64  // the fencing token of the latest grant
	ExpiresMS int64  // epoch milliseconds, database clock
	NowMS     int64  // the database's clock when read
	Exists    bool   // false: no orchestrator ever held the run
}

// Expired reports whether nobody holds the lease or it expired.
func (l LeaseState) Expired() bool { return l.Holder == "" || l.NowMS >= l.ExpiresMS }

// ExpiredFor is how long ago the lease expired (0 while live).
func (l LeaseState) ExpiredFor() time.Duration {
	if !l.Expired() || !l.Exists {
		return 0
	}
	return time.Duration(l.NowMS-l.ExpiresMS) * time.Millisecond
}

// RunLeaseState reads the run's lease.
func (s *Store) RunLeaseState(ctx context.Context, runID string) (LeaseState, error) {
	return s.runLeaseState(ctx, s.db, runID)
}

func (s *Store) runLeaseState(ctx context.Context, q querier, runID string) (LeaseState, error) {
	st := LeaseState{RunID: runID}
	err := s.queryRow(ctx, q, "SELECT HOLDER, EPOCH, EXPIRES_MS, "+s.d.NowMillis()+" FROM RUN_LEASES WHERE RUN_ID = ?", runID).
		Scan(&st.Holder, &st.Epoch, &st.ExpiresMS, &st.NowMS)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if err := s.queryRow(ctx, q, "SELECT "+s.d.NowMillis()).Scan(&st.NowMS); err != nil {
			return st, fmt.Errorf("lease of run %s: read the clock: %w", runID, err)
		}
		return st, nil
	case err != nil:
		return st, fmt.Errorf("lease of run %s: %w", runID, err)
	}
	st.Exists = true
	return st, nil
}

// RunLease is an orchestrator's hold on one run. While renewed it keeps
// other orchestrators out; its Epoch fences every write to RUN_STATUS and
// RUN_CONTROL_EVENTS (RunUpdate.Epoch, AppendEvent).
type RunLease struct {
	RunID  string
	Holder string
	Epoch  int64
	TTL    time.Duration
	s      *Store
	conn   *sql.Conn // renewals go through a connection of their own
}

var colsRunLease = dialect.Cols("RUN_ID", "HOLDER", "EPOCH", "ACQUIRED_MS", "RENEWED_MS", "EXPIRES_MS")

// AcquireRunLease takes the run's lease for ttl when nobody holds it or
// its holder's lease expired (on the database's clock), with the next
// epoch, and fences every older epoch out of RUN_STATUS. A live holder
// gives a *RunLeaseHeldError. With takeOver the lease is taken even from a
// live holder (`fbctl cancel`).
func (s *Store) AcquireRunLease(ctx context.Context, runID, holder string, ttl time.Duration, takeOver bool) (*RunLease, error) {
	if ttl <= 0 {
		return nil, errors.New("acquire run lease: ttl must be positive")
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lease of run %s: %w", runID, err)
	}
	l := &RunLease{RunID: runID, Holder: holder, TTL: ttl, s: s, conn: conn}
	if _, err := s.exec(ctx, conn, s.d.InsertIgnore("RUN_LEASES", colsRunLease, []string{"RUN_ID"}),
		runID, "", int64(0), int64(0), int64(0), int64(0)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lease of run %s: %w", runID, err)
	}
	now := s.d.NowMillis()
	for attempt := 0; attempt < 5; attempt++ {
		st, err := s.runLeaseState(ctx, conn, runID)
		if err != nil {
			conn.Close()
			return nil, err
		}
		if !st.Expired() && !takeOver {
			conn.Close()
			return nil, &RunLeaseHeldError{RunID: runID, Holder: st.Holder, Epoch: st.Epoch,
				ExpiresIn: time.Duration(st.ExpiresMS-st.NowMS) * time.Millisecond}
		}
		// Compare and swap on the observed epoch: of two candidates, one
		// changes the row and the other sees 0 rows and reads again.
		res, err := s.exec(ctx, conn, "UPDATE RUN_LEASES SET HOLDER = ?, EPOCH = ?, ACQUIRED_MS = "+now+", RENEWED_MS = "+now+
			", EXPIRES_MS = "+now+" + ? WHERE RUN_ID = ? AND EPOCH = ?", holder, st.Epoch+1, ttl.Milliseconds(), runID, st.Epoch)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("lease of run %s: %w", runID, err)
		}
		if affected(res) != 1 {
			continue
		}
		l.Epoch = st.Epoch + 1
		// The new epoch's first write fences the old holder out of the
		// run's state, even if it wakes from a pause and writes again.
		if _, err := s.exec(ctx, conn, "UPDATE RUN_STATUS SET LEADER_EPOCH = ? WHERE RUN_ID = ? AND LEADER_EPOCH < ?",
			l.Epoch, runID, l.Epoch); err != nil {
			conn.Close()
			return nil, fmt.Errorf("lease of run %s: fence older epochs: %w", runID, err)
		}
		if st.Holder != "" {
			s.log.Warn("took over the run's lease", "run", runID, "previous_holder", st.Holder, "epoch", l.Epoch)
		}
		return l, nil
	}
	conn.Close()
	return nil, fmt.Errorf("lease of run %s: lost the race %d times; try again", runID, 5)
}

// Renew extends the lease to the database's now + TTL, or returns
// ErrLeaseLost when it expired or a newer epoch holds it: the holder must
// stop at once.
func (l *RunLease) Renew(ctx context.Context) error {
	now := l.s.d.NowMillis()
	res, err := l.s.exec(ctx, l.conn, "UPDATE RUN_LEASES SET RENEWED_MS = "+now+", EXPIRES_MS = "+now+
		" + ? WHERE RUN_ID = ? AND HOLDER = ? AND EPOCH = ? AND EXPIRES_MS >= "+now, l.TTL.Milliseconds(), l.RunID, l.Holder, l.Epoch)
	if err != nil {
		return fmt.Errorf("renew the lease of run %s: %w", l.RunID, err)
	}
	if affected(res) == 0 {
		return fmt.Errorf("renew the lease of run %s: %w", l.RunID, ErrLeaseLost)
	}
	return nil
}

// Release gives the lease up (the run is over) and closes its connection.
func (l *RunLease) Release(ctx context.Context) error {
	defer l.conn.Close()
	res, err := l.s.exec(ctx, l.conn, "UPDATE RUN_LEASES SET HOLDER = '', EXPIRES_MS = 0 WHERE RUN_ID = ? AND EPOCH = ?", l.RunID, l.Epoch)
	if err != nil {
		return fmt.Errorf("release the lease of run %s: %w", l.RunID, err)
	}
	if affected(res) == 0 {
		return fmt.Errorf("release the lease of run %s: %w", l.RunID, ErrLeaseLost)
	}
	return nil
}

// Close closes the lease's connection without releasing it (a holder that
// lost it, or a test that plays a killed orchestrator).
func (l *RunLease) Close() { l.conn.Close() }

// ReleaseApplyLock deletes the apply lease with the given lock ID, whoever
// holds it (the run's orchestrator was lost). A lock already gone is not an
// error.
func (s *Store) ReleaseApplyLock(ctx context.Context, lockID string) error {
	if lockID == "" {
		return nil
	}
	if _, err := s.exec(ctx, s.db, "DELETE FROM FLAKEBENCH_LOCKS WHERE LOCK_ID = ?", lockID); err != nil {
		return fmt.Errorf("release apply lock %s: %w", lockID, err)
	}
	return nil
}
