//go:build !unix

package pgtarget

import (
	"context"
	"net"
)

// blockingDialer is nil where blocking sockets are not built: connections
// use pgconn's default dialer and Go's network poller.
var blockingDialer func(ctx context.Context, network, addr string) (net.Conn, error)

// blockingConn is never created on these systems.
type blockingConn struct{ net.Conn }

func (*blockingConn) watch(context.Context) {}
