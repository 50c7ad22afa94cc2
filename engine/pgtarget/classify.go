package pgtarget

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes Classify assigns to failures that carry none.
const (
	// StateCannotConnect (08001, sqlclient_unable_to_establish_sqlconnection):
	// the session could not connect (refused, TLS, authentication before
	// the server answered).
	StateCannotConnect = "08001"
	// StateConnectionFailure (08006): the connection broke during an
	// operation.
	StateConnectionFailure = "08006"
)

// Classify is an executor.Classifier for Postgres targets: the server's
// SQLSTATE when it sent one (57014 for statement_timeout, 40001 for a
// serialization failure, ...), 08001 when connecting failed, 08006 when the
// connection broke, and executor.ClassifyError's timeout, canceled or
// error otherwise.
func Classify(err error) executor.ErrorInfo {
	info := executor.ClassifyError(err)
	if info.SQLState != "" {
		return info
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return info
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		info.SQLState, info.Code = StateCannotConnect, StateCannotConnect
	case errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		pgconn.SafeToRetry(err) || isClosedConn(err):
		info.SQLState, info.Code = StateConnectionFailure, StateConnectionFailure
	}
	return info
}

func isClosedConn(err error) bool {
	return err != nil && (err.Error() == "conn closed")
}
