package snowflake

import (
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/flakebench/fbctl/dsl"
)

// A block's settings reach the driver's Config; the DSN the driver writes
// for it reads back the same through gosnowflake.ParseDSN, params
// included, and the bounded timeouts apply unless params name them.
func TestConfigRoundTripsThroughTheDriver(t *testing.T) {
	c := &dsl.Connection{Type: dsl.ConnSnowflake, Name: "s",
		Fields:  map[string]string{"account": "acme", "user": "bench", "database": "DB", "schema": "PUBLIC", "warehouse": "WH", "host": "127.0.0.1", "port": "8080", "protocol": "http"},
		Secrets: map[string]string{"password": "p@ss:w/rd?"},
		Params:  map[string]string{"loginTimeout": "10", "QUERY_TAG": "x"}}
	cfg, err := Config(c)
	if err != nil {
		t.Fatal(err)
	}
	dsn, err := DSN(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := sf.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*sf.Config{cfg, back} {
		if got.Account != "acme" || got.User != "bench" || got.Password != "p@ss:w/rd?" || got.Host != "127.0.0.1" || got.Port != 8080 ||
			got.Protocol != "http" || got.Database != "DB" || got.Schema != "PUBLIC" || got.Warehouse != "WH" {
			t.Errorf("config %+v", got)
		}
		if got.LoginTimeout != 10*time.Second || got.ClientTimeout != Timeouts.Client || got.RequestTimeout != Timeouts.Request || got.JWTClientTimeout != Timeouts.JWTClient {
			t.Errorf("timeouts login %s client %s request %s jwt %s", got.LoginTimeout, got.ClientTimeout, got.RequestTimeout, got.JWTClientTimeout)
		}
		if v := got.Params["QUERY_TAG"]; v == nil || *v != "x" {
			t.Errorf("params %v", got.Params)
		}
	}
}

// Bad settings fail with the connection's key and without a secret.
func TestConfigErrorsNeverQuoteSecrets(t *testing.T) {
	for _, c := range []*dsl.Connection{
		{Type: dsl.ConnSnowflake, Name: "noaccount", Fields: map[string]string{"user": "u"}, Secrets: map[string]string{"password": "hunter2"}},
		{Type: dsl.ConnSnowflake, Name: "port", Fields: map[string]string{"account": "a", "user": "u", "port": "x"}, Secrets: map[string]string{"password": "hunter2"}},
		{Type: dsl.ConnSnowflake, Name: "auth", Fields: map[string]string{"account": "a", "user": "u", "authenticator": "magic"}, Secrets: map[string]string{"password": "hunter2"}},
		{Type: dsl.ConnSnowflake, Name: "timeout", Fields: map[string]string{"account": "a", "user": "u"}, Secrets: map[string]string{"password": "hunter2", "params.loginTimeout": "hunter2"}},
	} {
		_, err := Config(c)
		if err == nil || !strings.Contains(err.Error(), c.Key()) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v", c.Key(), err)
		}
	}
}

// A store DSN is parsed once by the driver; host= and port= parameters are
// refused, and a DSN's own timeouts are kept.
func TestParseStoreDSN(t *testing.T) {
	cfg, err := ParseStoreDSN("me:pw@xy12345/FB/RESULTS?warehouse=RESULTS_WH&loginTimeout=5")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Account != "xy12345" || cfg.Warehouse != "RESULTS_WH" || cfg.LoginTimeout != 5*time.Second || cfg.RequestTimeout != Timeouts.Request {
		t.Errorf("account %q warehouse %q login %s request %s", cfg.Account, cfg.Warehouse, cfg.LoginTimeout, cfg.RequestTimeout)
	}
	for _, dsn := range []string{"me:hunter2@acct/DB/PUBLIC?host=127.0.0.1", "me:hunter2@acct/DB/PUBLIC?port=8085"} {
		if _, err := ParseStoreDSN(dsn); err == nil || !strings.Contains(err.Error(), "ignores") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseStoreDSN = %v", err)
		}
	}
}
