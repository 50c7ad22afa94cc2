package pgtest

import (
	"context"
	"errors"
	"path/filepath"
	"time"
)

// Restart stops the server at once (pg_ctl stop -m immediate: every
// client connection breaks mid-operation, as in a crash or a failover),
// keeps it down for down, and starts it again on the same port with the
// same settings and data. It is for fault tests: a client that holds a
// connection across the restart must reconnect.
func (s *Server) Restart(ctx context.Context, down time.Duration) error {
	if s == nil || s.stopped {
		return errors.New("pgtest: restart of a stopped server")
	}
	if err := s.run(ctx, "pg_ctl", "stop", "-w", "-m", "immediate", "-D", s.dataDir()); err != nil {
		return err
	}
	select {
	case <-time.After(down):
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.run(ctx, "pg_ctl", "start", "-w", "-t", "30", "-D", s.dataDir(),
		"-l", filepath.Join(s.dir, "postgres.log"), "-o", s.opts)
}
