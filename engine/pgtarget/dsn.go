package pgtarget

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/connstr"
)

// DSN is the Postgres connection string of a postgres connection block:
// its dsn as given, or a postgres:// URL built from host, port, user,
// password, database, sslmode and params (each a URL part or query
// parameter, escaped by net/url; pgx.ParseConfig reads it back, see
// dsn_test.go). It holds the password: never log or store it.
func DSN(c *dsl.Connection) (string, error) {
	if c == nil || c.Type != dsl.ConnPostgres {
		return "", fmt.Errorf("pgtarget: not a postgres connection")
	}
	fields, secrets, err := connstr.Settings(c)
	if err != nil {
		return "", err
	}
	if dsn := fields["dsn"]; dsn != "" {
		return dsn, nil
	}
	u := &url.URL{Scheme: "postgres", Path: "/" + fields["database"]}
	u.Host = fields["host"]
	if u.Host == "" {
		u.Host = "localhost"
	}
	if port := fields["port"]; port != "" {
		u.Host = net.JoinHostPort(u.Host, port)
	}
	if pw, ok := secrets["password"]; ok {
		u.User = url.UserPassword(fields["user"], pw)
	} else if user := fields["user"]; user != "" {
		u.User = url.User(user)
	}
	q := url.Values{}
	if v := fields["sslmode"]; v != "" {
		q.Set("sslmode", v)
	}
	for k, v := range connstr.Params(c) {
		q.Set(k, v)
	}
	// pgx reads a query value's "+" as itself, not as a space: spaces are
	// written %20 (Encode writes a real "+" as %2B).
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String(), nil
}
