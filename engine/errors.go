package engine

import (
	"errors"

	"github.com/hashicorp/hcl/v2"
)

// ErrUnknownConnection is wrapped when a template names a connection the
// configuration does not declare.
var ErrUnknownConnection = errors.New("unknown connection")

// DiagnosticsError carries hcl.Diagnostics across an error boundary (the
// CLI converts diagnostics to an error only at its outermost layer; inside
// fbctl diagnostics travel as hcl.Diagnostics). Callers can get the
// diagnostics back with errors.As.
type DiagnosticsError struct {
	Diags hcl.Diagnostics
}

func (e *DiagnosticsError) Error() string { return e.Diags.Error() }
