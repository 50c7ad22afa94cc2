package snowflake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"

	"github.com/hashicorp/go-hclog"
	sf "github.com/snowflakedb/gosnowflake"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/executor"
)

// QueryID is the executor.SQLTarget QueryID hook for Snowflake targets:
// the driver's documented WithQueryIDChan, filled from the query response
// itself (no extra round trip), for successes and failures alike. The
// channel is buffered because the driver sends on it from the request
// path; the reader never blocks (no id when the request never got a
// response).
func QueryID(ctx context.Context) (context.Context, func() string) {
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

// Target runs a phase through database/sql on its own pool, with the
// driver's query-id capture on every operation, so
// QUERY_EXECUTIONS.TARGET_QUERY_ID is filled and enrichment can match
// QUERY_HISTORY. It is the run engine's driver-native target for
// Snowflake (cmd/fbctl registers OpenTarget as its run.TargetFactory).
type Target struct {
	executor.SQLTarget
	db *sql.DB
}

// Close closes the phase's pool.
func (t *Target) Close() { t.db.Close() }

// OpenTarget opens a Target on connection c for the queries, with the
// session setup init, and logs in once (a failed login is explained by
// ExplainLogin).
func OpenTarget(ctx context.Context, c *dsl.Connection, queries []executor.QuerySpec, init []string, maxConns int) (*Target, error) {
	conn, err := Connector(c)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	db.SetMaxIdleConns(max(maxConns, 1) + 2)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, ExplainLogin(c, err)
	}
	return &Target{
		SQLTarget: executor.SQLTarget{DB: db, Queries: queries, Init: init, QueryID: QueryID, Classify: Classify},
		db:        db,
	}, nil
}

// ExplainLogin says what a failed login means when the address did not
// answer in time.
func ExplainLogin(c *dsl.Connection, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("connection %s: no answer from Snowflake within the login timeouts (loginTimeout %s, clientTimeout %s by default; params may change them); check the account, host and port and that this machine can reach them: %w",
			c.Key(), Timeouts.Login, Timeouts.Client, err)
	}
	return fmt.Errorf("connection %s: %w", c.Key(), err)
}

// Classify is the executor.Classifier for Snowflake targets: a
// *gosnowflake.SnowflakeError becomes its six-digit error code ("000625",
// "000606") with its SQLSTATE; anything else goes to
// executor.ClassifyError.
func Classify(err error) executor.ErrorInfo {
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		return executor.ErrorInfo{Code: fmt.Sprintf("%06d", se.Number), SQLState: se.SQLState, Message: err.Error()}
	}
	return executor.ClassifyError(err)
}

var _ executor.Classifier = Classify

// ErrorQueryID returns the query id a failed statement's error carries
// ("" when none).
func ErrorQueryID(err error) string {
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		return se.QueryID
	}
	return ""
}

// QuietDriver keeps the driver's own logger (which writes to stderr on
// its own) to fatal errors unless fbctl logs at debug or trace: errors
// reach the user through fbctl's messages, once.
func QuietDriver(level hclog.Level) {
	driverLevel := "fatal"
	switch {
	case level <= hclog.Trace:
		driverLevel = "debug"
	case level <= hclog.Debug:
		driverLevel = "info"
	}
	_ = sf.GetLogger().SetLogLevel(driverLevel)
}
