// Package connstr holds what the backends share about a connection
// block: its settings with the secrets merged in (Settings), its params
// (Params), and the Snowflake CLI's connections.toml that a block can name
// (connection_name). Each backend builds its own connection settings from
// these with its driver's types: engine/pgtarget (pgx), engine/snowflake
// (gosnowflake's Config), engine/sqlite. Nothing here builds a DSN.
package connstr

import (
	"maps"
	"strings"

	"github.com/flakebench/fbctl/dsl"
)

// Settings returns a connection's attributes with the values of sensitive
// variables (which dsl keeps in Secrets whatever their attribute) merged
// in, and the secrets alone. With connection_name, the named section of
// connections.toml is merged under them: a value set in the block wins.
// The maps are the caller's; secrets must never be logged or stored.
func Settings(c *dsl.Connection) (fields, secrets map[string]string, err error) {
	if name := c.Get("connection_name"); name != "" {
		return withNamedConnection(c, name)
	}
	fields = maps.Clone(c.Fields)
	if fields == nil {
		fields = map[string]string{}
	}
	maps.Copy(fields, c.Secrets)
	secrets = maps.Clone(c.Secrets)
	if secrets == nil {
		secrets = map[string]string{}
	}
	return fields, secrets, nil
}

// Params are the connection's params = {...}: the plain ones and those
// from sensitive values, which dsl keeps in Secrets as "params.NAME".
func Params(c *dsl.Connection) map[string]string {
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
