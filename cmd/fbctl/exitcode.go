package main

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes, documented in the README.
const (
	exitOK               = 0   // success; for plan -detailed-exitcode: no changes
	exitError            = 1   // any error, including invalid scenarios and fmt -check findings
	exitChanges          = 2   // plan -detailed-exitcode: the plan has changes
	exitThresholdsFailed = 3   // apply: the run completed but one or more thresholds failed
	exitRegression       = 4   // compare: a regression rule was violated (or, with -fail-on-worse, any verdict is worse)
	exitNotComparable    = 5   // compare: a comparability gate refused the runs (see -force)
	exitInconclusive     = 6   // compare: no rule violated, but one could not be decided (too few intervals)
	exitErrorGate        = 7   // apply: the run completed, declared no error_rate threshold, and its error rate passed results.DefaultErrorRateGate
	exitInterrupted      = 130 // apply: stopped by Ctrl-C, run recorded as CANCELLED
)

// exitError carries an exit code out of a command. A nil-message exitErr has
// already been reported (for example as diagnostics) and prints nothing more.
type exitErr struct {
	code int
	msg  string
}

func (e *exitErr) Error() string { return e.msg }

// silentExit returns an error that sets the exit code without printing.
func silentExit(code int) error { return &exitErr{code: code} }

// exitCode maps a command's error to the process exit code, printing it
// unless it was already reported.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee *exitErr
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "Error: %s\n", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "Error: %s\n", err)
	return exitError
}
