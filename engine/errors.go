package engine

import (
	"errors"
)

// ErrUnknownConnection is wrapped when a template names a connection the
// configuration does not declare.
var ErrUnknownConnection = errors.New("unknown connection")
