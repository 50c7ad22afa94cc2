package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
)

// ApplyLockName is the lease `fbctl apply` takes on the control plane.
const ApplyLockName = "apply"

// Lease is a held row of FLAKEBENCH_LOCKS. It expires at ExpiresAt unless
// renewed; an expired lease may be taken over by another holder.
type Lease struct {
	Name       string
	LockID     string // what `fbctl force-unlock` takes
	Holder     string // e.g. "alice@host pid 4242"
	AcquiredAt time.Time
	ExpiresAt  time.Time
	s          *Store
}

var colsLock = dialect.Cols("LOCK_NAME", "LOCK_ID", "HOLDER", "ACQUIRED_AT", "EXPIRES_AT")

// AcquireLease takes the named lease for ttl. When another holder has it and
// it has not expired, it returns a *LeaseHeldError with the holder, lock ID
// and age. An expired lease is taken over.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (*Lease, error) {
	if ttl <= 0 {
		return nil, errors.New("acquire lease: ttl must be positive")
	}
	for attempt := 0; attempt < 5; attempt++ {
		now := s.nowUTC()
		l := &Lease{Name: name, LockID: NewID(), Holder: holder, AcquiredAt: now, ExpiresAt: now.Add(ttl), s: s}
		res, err := s.exec(ctx, s.db, s.d.InsertIgnore("FLAKEBENCH_LOCKS", colsLock, []string{"LOCK_NAME"}),
			name, l.LockID, holder, s.d.Time(now), s.d.Time(l.ExpiresAt))
		if err != nil {
			return nil, fmt.Errorf("acquire lease %q: %w", name, err)
		}
		if affected(res) == 1 {
			return l, nil
		}
		var (
			oldID, oldHolder string
			acq, exp         dialect.Time
		)
		err = s.queryRow(ctx, s.db, "SELECT LOCK_ID, HOLDER, ACQUIRED_AT, EXPIRES_AT FROM FLAKEBENCH_LOCKS WHERE LOCK_NAME = ?", name).
			Scan(&oldID, &oldHolder, &acq, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			continue // released in between; try again
		}
		if err != nil {
			return nil, fmt.Errorf("acquire lease %q: %w", name, err)
		}
		if exp.Time.After(now) {
			return nil, &LeaseHeldError{Name: name, Holder: oldHolder, LockID: oldID, Age: now.Sub(acq.Time), ExpiresIn: exp.Time.Sub(now)}
		}
		res, err = s.exec(ctx, s.db, "UPDATE FLAKEBENCH_LOCKS SET LOCK_ID = ?, HOLDER = ?, ACQUIRED_AT = ?, EXPIRES_AT = ? WHERE LOCK_NAME = ? AND LOCK_ID = ?",
			l.LockID, holder, s.d.Time(now), s.d.Time(l.ExpiresAt), name, oldID)
		if err != nil {
			return nil, fmt.Errorf("acquire lease %q: %w", name, err)
		}
		if affected(res) == 1 {
			s.log.Warn("took over expired lease", "lock", name, "previous_holder", oldHolder, "expired", exp.Time)
			return l, nil
		}
	}
	return nil, fmt.Errorf("acquire lease %q: lost the race %d times; try again", name, 5)
}

// Renew extends the lease to now+ttl, or returns ErrLeaseLost.
func (l *Lease) Renew(ctx context.Context, ttl time.Duration) error {
	exp := l.s.nowUTC().Add(ttl)
	res, err := l.s.exec(ctx, l.s.db, "UPDATE FLAKEBENCH_LOCKS SET EXPIRES_AT = ? WHERE LOCK_NAME = ? AND LOCK_ID = ?",
		l.s.d.Time(exp), l.Name, l.LockID)
	if err != nil {
		return fmt.Errorf("renew lease %q: %w", l.Name, err)
	}
	if affected(res) == 0 {
		return fmt.Errorf("renew lease %q: %w", l.Name, ErrLeaseLost)
	}
	l.ExpiresAt = exp
	return nil
}

// Release gives the lease up, or returns ErrLeaseLost when it was no longer
// held by l.
func (l *Lease) Release(ctx context.Context) error {
	res, err := l.s.exec(ctx, l.s.db, "DELETE FROM FLAKEBENCH_LOCKS WHERE LOCK_NAME = ? AND LOCK_ID = ?", l.Name, l.LockID)
	if err != nil {
		return fmt.Errorf("release lease %q: %w", l.Name, err)
	}
	if affected(res) == 0 {
		return fmt.Errorf("release lease %q: %w", l.Name, ErrLeaseLost)
	}
	return nil
}

// ForceUnlock deletes the lease with the given lock ID whoever holds it, or
// returns ErrNotFound.
func (s *Store) ForceUnlock(ctx context.Context, lockID string) error {
	res, err := s.exec(ctx, s.db, "DELETE FROM FLAKEBENCH_LOCKS WHERE LOCK_ID = ?", lockID)
	if err != nil {
		return fmt.Errorf("force-unlock %s: %w", lockID, err)
	}
	if affected(res) == 0 {
		return fmt.Errorf("force-unlock %s: no lock with that ID: %w", lockID, ErrNotFound)
	}
	s.log.Warn("force-unlocked lease", "lock_id", lockID)
	return nil
}
