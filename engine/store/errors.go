package store

import (
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned when the requested row does not exist.
var ErrNotFound = errors.New("not found")

// ErrLeaseLost is returned by Renew and Release when the lease expired and
// was taken over, or was force-unlocked.
var ErrLeaseLost = errors.New("lease lost: it expired and was taken over or was force-unlocked")

// ErrNoFreeWorkerGroup is returned by ClaimWorkerGroup when every planned
// worker group of the run is already claimed.
var ErrNoFreeWorkerGroup = errors.New("every worker group of the run is already claimed")

// SchemaError says the results store's schema is missing or older than this
// fbctl needs, and which command fixes it.
type SchemaError struct {
	DSN     string // redacted
	Current int    // 0 when the schema is missing
	Latest  int
}

// Command is the command that brings the schema up to date.
func (e *SchemaError) Command() string { return "fbctl schema apply -results " + e.DSN }

func (e *SchemaError) Error() string {
	if e.Current == 0 {
		return fmt.Sprintf("results store %s has no fbctl schema (need version %d): run `%s`", e.DSN, e.Latest, e.Command())
	}
	return fmt.Sprintf("results store %s has schema version %d, this fbctl needs %d: run `%s`", e.DSN, e.Current, e.Latest, e.Command())
}

// LeaseHeldError is returned by AcquireLease when another holder has the
// lease and it has not expired.
type LeaseHeldError struct {
	Name      string
	Holder    string
	LockID    string
	Age       time.Duration // since the holder acquired it
	ExpiresIn time.Duration
}

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("lock %q is held by %s for %s (lock ID %s, expires in %s); if that holder is gone, run `fbctl force-unlock %s`",
		e.Name, e.Holder, e.Age.Round(time.Second), e.LockID, e.ExpiresIn.Round(time.Second), e.LockID)
}

// IllegalTransitionError is returned by TransitionRun when the run's current
// status does not allow the requested one.
type IllegalTransitionError struct {
	RunID    string
	From, To RunStatus
}

func (e *IllegalTransitionError) Error() string {
	return fmt.Sprintf("run %s: illegal status transition %s -> %s", e.RunID, e.From, e.To)
}
