// Package connstr turns a connection block into the DSN a database/sql
// driver takes. It is the only code that puts secrets into a connection
// string; callers must never log or store what it returns (use Redacted for
// messages).
package connstr

import (
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/flakebench/fbctl/dsl"
)

// DSN returns the store-style DSN for a connection: "sqlite:PATH",
// "postgres://…" or "snowflake://…" (the snowflake:// prefix is stripped
// before the string reaches the driver).
func DSN(c *dsl.Connection) (string, error) {
	switch c.Type {
	case dsl.ConnSQLite:
		p := c.Get("path")
		if p == "" {
			return "", fmt.Errorf("connection %s: path is required", c.Key())
		}
		return "sqlite:" + p, nil
	case dsl.ConnPostgres:
		return postgresDSN(c)
	case dsl.ConnSnowflake:
		return snowflakeDSN(c)
	}
	return "", fmt.Errorf("connection %s: unknown connection type %q", c.Key(), c.Type)
}

func postgresDSN(c *dsl.Connection) (string, error) {
	if dsn := c.Get("dsn"); dsn != "" {
		return dsn, nil
	}
	u := &url.URL{Scheme: "postgres"}
	host := c.Get("host")
	if host == "" {
		host = "localhost"
	}
	if port := c.Get("port"); port != "" {
		host = net.JoinHostPort(host, port)
	}
	u.Host = host
	user := c.Get("user")
	if pw, ok := c.Secrets["password"]; ok {
		u.User = url.UserPassword(user, pw)
	} else if user != "" {
		u.User = url.User(user)
	}
	u.Path = "/" + c.Get("database")
	q := url.Values{}
	if v := c.Get("sslmode"); v != "" {
		q.Set("sslmode", v)
	}
	for k, v := range params(c) {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// SnowflakeTimeouts are the driver timeouts set on every Snowflake DSN
// unless the connection's params give their own (in seconds). The driver's
// defaults (a 5-minute login retry, 15 minutes per HTTP round trip,
// requests retried without limit) leave a command hanging on a dead
// address; with these a login to one fails in about a minute.
var SnowflakeTimeouts = map[string]time.Duration{
	// loginTimeout bounds the login's retries (round trips excluded).
	"loginTimeout": 30 * time.Second,
	// clientTimeout bounds one HTTP round trip, jwtClientTimeout one of a
	// key-pair login. A long query is not cut: Snowflake answers "in
	// progress" within about 45 s and the driver polls with new requests.
	"clientTimeout":    60 * time.Second,
	"jwtClientTimeout": 30 * time.Second,
	// requestTimeout bounds the retries of each request.
	"requestTimeout": 60 * time.Second,
}

// TokenFile returns the OAuth token file of a Snowflake connection ("" when
// it has none): the token_file attribute, e.g. /snowflake/session/token
// inside Snowpark Container Services.
func TokenFile(c *dsl.Connection) string { return c.Get("token_file") }

// ReadTokenFile reads an OAuth token file (at most 64 KiB, surrounding
// white space removed). Errors name the file, never the token.
func ReadTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("token_file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return "", fmt.Errorf("token_file %s: %w", path, err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("token_file %s is empty", path)
	}
	return tok, nil
}

// params are the connection's params = {...}: the plain ones and those
// from sensitive values, which dsl keeps in Secrets as "params.NAME".
func params(c *dsl.Connection) map[string]string {
	out := maps.Clone(c.Params)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range c.Secrets {
		if name, ok := strings.CutPrefix(k, "params."); ok {
			out[name] = v
		}
	}
	return out
}

// snowflakeDSN builds gosnowflake's DSN form
// user[:password]@account/database/schema?param=value behind "snowflake://".
func snowflakeDSN(c *dsl.Connection) (string, error) {
	// A value from a sensitive variable sits in Secrets whatever its
	// attribute; the DSN needs them all.
	f := maps.Clone(c.Fields)
	if f == nil {
		f = map[string]string{}
	}
	maps.Copy(f, c.Secrets)
	secrets := c.Secrets
	if name := f["connection_name"]; name != "" {
		var err error
		if f, secrets, err = withNamedConnection(c, name); err != nil {
			return "", err
		}
	}
	account := f["account"]
	if account == "" {
		return "", fmt.Errorf("connection %s: account is required", c.Key())
	}
	// gosnowflake query-unescapes the user and password, reads the server
	// from the DSN's authority (account.snowflakecomputing.com unless a
	// host is given) and ignores host= and port= parameters.
	var b strings.Builder
	b.WriteString("snowflake://")
	b.WriteString(url.QueryEscape(f["user"]))
	if pw, ok := secrets["password"]; ok {
		b.WriteString(":" + url.QueryEscape(pw))
	}
	q := url.Values{}
	if host := f["host"]; host != "" {
		if port := f["port"]; port != "" {
			host = net.JoinHostPort(host, port)
		}
		b.WriteString("@" + host)
		q.Set("account", account)
	} else {
		b.WriteString("@" + account)
		if port := f["port"]; port != "" {
			b.WriteString(":" + port)
		}
	}
	if db := f["database"]; db != "" {
		b.WriteString("/" + url.QueryEscape(db))
		if sc := f["schema"]; sc != "" {
			b.WriteString("/" + url.QueryEscape(sc))
		}
	}
	for _, k := range []string{"warehouse", "role", "protocol", "authenticator"} {
		if v := f[k]; v != "" {
			q.Set(k, v)
		}
	}
	if tok, ok := secrets["token"]; ok {
		q.Set("token", tok)
		if f["authenticator"] == "" {
			q.Set("authenticator", "OAUTH")
		}
	}
	if path := f["token_file"]; path != "" {
		// The token as the file holds it now. gosnowflake's DSN reading
		// cannot take tokenFilePath (it reads the file, then refuses the
		// token it read); a pool that must re-read a rotating token for
		// every new connection uses TokenFile with the driver's Config
		// (cmd/fbctl's Snowflake connector).
		tok, err := ReadTokenFile(path)
		if err != nil {
			return "", fmt.Errorf("connection %s: %w", c.Key(), err)
		}
		q.Set("token", tok)
		if f["authenticator"] == "" {
			q.Set("authenticator", "OAUTH")
		}
	}
	if path := f["private_key_file"]; path != "" {
		key, err := loadPrivateKey(path, []byte(secrets["private_key_passphrase"]))
		if err != nil {
			return "", fmt.Errorf("connection %s: %w", c.Key(), err)
		}
		param, err := privateKeyParam(key)
		if err != nil {
			return "", fmt.Errorf("connection %s: private_key_file: %w", c.Key(), err)
		}
		q.Set("privateKey", param)
		if f["authenticator"] == "" {
			q.Set("authenticator", "SNOWFLAKE_JWT")
		}
	}
	// Bounded waits unless params say otherwise: the driver's own
	// defaults (a 5-minute login, requests without a timeout) leave a
	// command hanging on an unreachable address.
	for k, v := range SnowflakeTimeouts {
		q.Set(k, fmt.Sprint(int(v.Seconds())))
	}
	ps := params(c)
	for _, k := range slices.Sorted(maps.Keys(ps)) {
		q.Set(k, ps[k])
	}
	if enc := q.Encode(); enc != "" {
		b.WriteString("?" + enc)
	}
	return b.String(), nil
}
