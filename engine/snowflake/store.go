package snowflake

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	sf "github.com/snowflakedb/gosnowflake"
)

// Store is the results store's Snowflake backend (store.Backend, wired by
// cmd/fbctl): it opens the pool of a snowflake:// store DSN.
type Store struct{}

// OpenDB opens a pool on dsn, what follows "snowflake://" in a store DSN
// (gosnowflake's own form, user[:password]@ACCOUNT_OR_HOST[:port]/db/schema?params),
// parsed once by ParseStoreDSN.
func (Store) OpenDB(dsn string) (*sql.DB, error) {
	cfg, err := ParseStoreDSN(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, *cfg)), nil
}

// ParseStoreDSN is the driver's Config for a store DSN (without its
// snowflake:// scheme), read by gosnowflake.ParseDSN, with the bounded
// Timeouts wherever the DSN names none. A host= or port= parameter is
// refused: the driver takes the server from the address before the path
// and keeps them as session parameters, so the store would silently be
// <account>.snowflakecomputing.com. Errors never quote the DSN.
func ParseStoreDSN(dsn string) (*sf.Config, error) {
	cfg, err := sf.ParseDSN(dsn)
	if err != nil {
		// The driver's message may quote the DSN; only its code is kept.
		code := ""
		var se *sf.SnowflakeError
		if errors.As(err, &se) {
			code = fmt.Sprintf(" (driver error %06d)", se.Number)
		}
		return nil, fmt.Errorf("the snowflake:// DSN is not one the Snowflake driver reads%s; write snowflake://USER:PASSWORD@ACCOUNT/DATABASE/SCHEMA?warehouse=WH", code)
	}
	for _, k := range []string{"host", "port"} {
		if _, ok := cfg.Params[k]; ok {
			return nil, fmt.Errorf("the snowflake:// DSN sets %s= as a parameter, which the Snowflake driver ignores (it would connect to <account>.snowflakecomputing.com). Put the server in the address: snowflake://USER:PASSWORD@HOST:PORT/DATABASE/SCHEMA?account=ACCOUNT", k)
		}
	}
	// Which timeouts the DSN names: ParseDSN fills the driver's defaults
	// for the others, so only the query tells them apart.
	_, query, _ := strings.Cut(dsn, "?")
	q, _ := url.ParseQuery(query)
	setTimeouts(cfg, q.Has)
	return cfg, nil
}
