package snowflake

import (
	"database/sql/driver"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/connstr"
)

// Timeouts are the driver timeouts of every Snowflake connection unless
// its params give their own (in seconds). The driver's defaults (a
// 5-minute login retry, 15 minutes per HTTP round trip, requests retried
// without limit) leave a command hanging on a dead address; with these a
// login to one fails in about a minute.
var Timeouts = struct {
	// Login bounds the login's retries (round trips excluded).
	Login time.Duration
	// Client bounds one HTTP round trip, JWTClient one of a key-pair
	// login. A long query is not cut: Snowflake answers "in progress"
	// within about 45 s and the driver polls with new requests.
	Client, JWTClient time.Duration
	// Request bounds the retries of each request.
	Request time.Duration
}{Login: 30 * time.Second, Client: 60 * time.Second, JWTClient: 30 * time.Second, Request: 60 * time.Second}

// setTimeouts sets the bounded Timeouts on cfg, except those the user's
// parameters (params, or a store DSN's query) name.
func setTimeouts(cfg *sf.Config, given func(param string) bool) {
	for _, t := range []struct {
		param string
		field *time.Duration
		value time.Duration
	}{
		{"loginTimeout", &cfg.LoginTimeout, Timeouts.Login},
		{"clientTimeout", &cfg.ClientTimeout, Timeouts.Client},
		{"jwtClientTimeout", &cfg.JWTClientTimeout, Timeouts.JWTClient},
		{"requestTimeout", &cfg.RequestTimeout, Timeouts.Request},
	} {
		if !given(t.param) {
			*t.field = t.value
		}
	}
}

// Config is the driver's Config for a snowflake connection block. The
// block's attributes become the Config's typed fields: account, user,
// password, host and port (the server; default
// ACCOUNT.snowflakecomputing.com), protocol, database, schema, warehouse,
// role, authenticator; token (OAuth), private_key_file with
// private_key_passphrase (Config.PrivateKey, SNOWFLAKE_JWT), token_file
// (Config.TokenFilePath: the driver reads the file at every login, so each
// new session gets the current token of a token that rotates, e.g.
// /snowflake/session/token in Snowpark Container Services). The params are
// DSN parameters: gosnowflake's own DSN writer and parser (DSN, ParseDSN)
// apply them, as they would in a DSN the user wrote. Errors name the
// connection and never a secret.
func Config(c *dsl.Connection) (*sf.Config, error) {
	if c == nil || c.Type != dsl.ConnSnowflake {
		return nil, fmt.Errorf("snowflake: not a snowflake connection")
	}
	fields, secrets, err := connstr.Settings(c)
	if err != nil {
		return nil, err
	}
	params := connstr.Params(c)
	cfg, err := typedConfig(c, fields, secrets, params)
	if err != nil {
		return nil, err
	}
	dsn, err := sf.DSN(cfg)
	if err != nil {
		return nil, fmt.Errorf("connection %s: %s", c.Key(), redact(err.Error(), secrets))
	}
	if cfg, err = sf.ParseDSN(dsn); err != nil {
		return nil, fmt.Errorf("connection %s: %s", c.Key(), redact(err.Error(), secrets))
	}
	if path := fields["token_file"]; path != "" {
		// The DSN carried the token the file holds now (the driver's DSN
		// cannot carry both); the pool reads the file at each login.
		cfg.Token, cfg.TokenFilePath = "", path
	}
	return cfg, nil
}

// DSN is the driver's DSN for a snowflake connection block
// (user:password@host:port?account=…&…, written by gosnowflake.DSN from
// Config's settings). It holds the secrets: never log or store it.
func DSN(c *dsl.Connection) (string, error) {
	cfg, err := Config(c)
	if err != nil {
		return "", err
	}
	if cfg.TokenFilePath != "" {
		// A DSN carries the token itself, read from the file now.
		tok, err := ReadTokenFile(cfg.TokenFilePath)
		if err != nil {
			return "", fmt.Errorf("connection %s: %w", c.Key(), err)
		}
		cfg.Token, cfg.TokenFilePath = tok, ""
	}
	return sf.DSN(cfg)
}

// Connector is a database/sql connector on a snowflake connection block
// (engine/target opens its pools with it). Nothing is sent until the
// first use.
func Connector(c *dsl.Connection) (driver.Connector, error) {
	cfg, err := Config(c)
	if err != nil {
		return nil, err
	}
	return sf.NewConnector(sf.SnowflakeDriver{}, *cfg), nil
}

// typedConfig is the Config of the block's attributes, before the params
// and the driver's defaults.
func typedConfig(c *dsl.Connection, f, secrets, params map[string]string) (*sf.Config, error) {
	cfg := &sf.Config{
		Account: f["account"], User: f["user"], Password: secrets["password"],
		Host: f["host"], Protocol: f["protocol"],
		Database: f["database"], Schema: f["schema"], Warehouse: f["warehouse"], Role: f["role"],
		Token: secrets["token"],
	}
	if cfg.Account == "" {
		return nil, fmt.Errorf("connection %s: account is required", c.Key())
	}
	if h, p, err := net.SplitHostPort(cfg.Account); err == nil && cfg.Host == "" && f["port"] == "" {
		// An account given as HOST:PORT (a local or proxied server) is the
		// server's address; the account name is then params' account.
		cfg.Host, f["port"], cfg.Account = h, p, h
		if a := params["account"]; a != "" {
			cfg.Account = a
		}
	}
	if p := f["port"]; p != "" {
		port, err := strconv.Atoi(p)
		if err != nil || port <= 0 || port > 65535 {
			return nil, fmt.Errorf("connection %s: port %q is not a TCP port number", c.Key(), p)
		}
		cfg.Port = port
	}
	if a := f["authenticator"]; a != "" {
		if err := setAuthenticator(cfg, a); err != nil {
			return nil, fmt.Errorf("connection %s: %w", c.Key(), err)
		}
	}
	auth := func(a sf.AuthType) {
		if f["authenticator"] == "" {
			cfg.Authenticator = a
		}
	}
	if cfg.Token != "" {
		auth(sf.AuthTypeOAuth)
	}
	if path := f["token_file"]; path != "" {
		tok, err := ReadTokenFile(path)
		if err != nil {
			return nil, fmt.Errorf("connection %s: %w", c.Key(), err)
		}
		cfg.Token = tok
		auth(sf.AuthTypeOAuth)
	}
	if path := f["private_key_file"]; path != "" {
		key, err := loadPrivateKey(path, []byte(secrets["private_key_passphrase"]))
		if err != nil {
			return nil, fmt.Errorf("connection %s: %w", c.Key(), err)
		}
		cfg.PrivateKey = key
		auth(sf.AuthTypeJwt)
	}
	setTimeouts(cfg, func(p string) bool { _, ok := params[p]; return ok })
	if len(params) > 0 {
		cfg.Params = make(map[string]*string, len(params))
		for k, v := range params {
			cfg.Params[k] = &v
		}
	}
	return cfg, nil
}

// setAuthenticator sets the driver's authenticator named a (the driver's
// names, any case: SNOWFLAKE, OAUTH, SNOWFLAKE_JWT, EXTERNALBROWSER, …, or
// an Okta URL).
func setAuthenticator(cfg *sf.Config, a string) error {
	for t := sf.AuthTypeSnowflake; t.String() != "UNKNOWN"; t++ {
		if strings.EqualFold(t.String(), a) && t != sf.AuthTypeOkta {
			cfg.Authenticator = t
			return nil
		}
	}
	if u, err := url.Parse(a); err == nil && u.Scheme == "https" && u.Host != "" {
		cfg.Authenticator, cfg.OktaURL = sf.AuthTypeOkta, u
		return nil
	}
	return fmt.Errorf("authenticator %q is not one the Snowflake driver knows (SNOWFLAKE, OAUTH, SNOWFLAKE_JWT, EXTERNALBROWSER, USERNAME_PASSWORD_MFA, PROGRAMMATIC_ACCESS_TOKEN, … or an Okta URL)", a)
}

// redact replaces every secret value in msg.
func redact(msg string, secrets ...map[string]string) string {
	for _, m := range secrets {
		for _, v := range m {
			if len(v) >= 3 {
				msg = strings.ReplaceAll(msg, v, "xxxxx")
			}
		}
	}
	return msg
}

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
