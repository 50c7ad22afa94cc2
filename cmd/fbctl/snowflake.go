package main

// Snowflake-specific pieces that need the gosnowflake driver. The engine
// imports no driver, so the run engine takes these as hooks:
//
//   - snowflakeQueryID is an executor.SQLTarget QueryID hook: the driver's
//     documented WithQueryIDChan, filled from the query response itself (no
//     extra round trip), for successes and failures alike;
//   - classifySnowflake is an executor.Classifier: a *gosnowflake.
//     SnowflakeError becomes its six-digit error code ("000625", "000606")
//     with its SQLSTATE; anything else goes to executor.ClassifyError;
//   - openSnowflakeTarget is the run.TargetFactory for Snowflake: an
//     executor.SQLTarget on its own pool with that hook (register it with
//     classifySnowflake in targets.go's nativeTargets and classifiers);

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/connstr"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/target"
)

// snowflakeQueryID is the executor.SQLTarget QueryID hook for Snowflake
// targets. The channel is buffered because the driver sends on it from the
// request path; the reader never blocks (no id when the request never got
// a response).
func snowflakeQueryID(ctx context.Context) (context.Context, func() string) {
	ch := make(chan string, 1)
	return sf.WithQueryIDChan(ctx, ch), func() string {
		select {
		case id := <-ch:
			return id
		default:
			return ""
		}
	}
}

// snowflakeTarget runs a phase through database/sql on its own pool, with
// the driver's query-id capture on every operation.
type snowflakeTarget struct {
	executor.SQLTarget
	db *target.DB
}

// Close closes the phase's pool.
func (t *snowflakeTarget) Close() { t.db.Close() }

var _ run.NativeTarget = (*snowflakeTarget)(nil)

// openSnowflakeTarget is the run.TargetFactory for Snowflake connections:
// SQLTarget with snowflakeQueryID, so QUERY_EXECUTIONS.TARGET_QUERY_ID is
// filled and enrichment can match QUERY_HISTORY.
func openSnowflakeTarget(ctx context.Context, c *dsl.Connection, queries []executor.QuerySpec, init []string, maxConns int) (run.NativeTarget, error) {
	db, err := openSnowflakeDB(c)
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(max(maxConns, 1) + 2)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, explainSnowflakeLogin(c, err)
	}
	return &snowflakeTarget{
		SQLTarget: executor.SQLTarget{DB: db.DB, Queries: queries, Init: init, QueryID: snowflakeQueryID, Classify: classifySnowflake},
		db:        db,
	}, nil
}

// openSnowflakeDB opens a pool on a Snowflake connection. With a
// token_file (Snowpark Container Services' /snowflake/session/token) it
// goes through the driver's Config with TokenFilePath, so the driver reads
// the file at every login and each new session gets the current token of
// a token that rotates; otherwise it is target.Open.
func openSnowflakeDB(c *dsl.Connection) (*target.DB, error) {
	db, err := target.Open(c)
	if err != nil || connstr.TokenFile(c) == "" {
		return db, err
	}
	dsn, err := connstr.DSN(c)
	if err != nil {
		db.Close()
		return nil, err
	}
	cfg, err := sf.ParseDSN(strings.TrimPrefix(dsn, "snowflake://"))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("connection %s: %w", c.Key(), err)
	}
	cfg.Token, cfg.TokenFilePath = "", connstr.TokenFile(c)
	d := db.Dialect
	db.Close()
	return &target.DB{DB: sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, *cfg)), Dialect: d, Key: c.Key()}, nil
}

// explainSnowflakeLogin says what a failed login means when the address
// did not answer in time.
func explainSnowflakeLogin(c *dsl.Connection, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("connection %s: no answer from Snowflake within the login timeouts (loginTimeout %s, clientTimeout %s by default; params may change them); check the account, host and port and that this machine can reach them: %w",
			c.Key(), connstr.SnowflakeTimeouts["loginTimeout"], connstr.SnowflakeTimeouts["clientTimeout"], err)
	}
	return fmt.Errorf("connection %s: %w", c.Key(), err)
}

// classifySnowflake is the executor.Classifier for Snowflake targets.
func classifySnowflake(err error) executor.ErrorInfo {
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		return executor.ErrorInfo{Code: fmt.Sprintf("%06d", se.Number), SQLState: se.SQLState, Message: err.Error()}
	}
	return executor.ClassifyError(err)
}

// snowflakeErrorQueryID returns the query id a failed statement's error
// carries ("" when none).
func snowflakeErrorQueryID(err error) string {
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		return se.QueryID
	}
	return ""
}
