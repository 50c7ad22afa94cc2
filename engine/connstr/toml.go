package connstr

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"

	"github.com/flakebench/fbctl/dsl"
)

// secretKeys are the connections.toml keys that hold secrets.
var secretKeys = map[string]bool{"password": true, "token": true, "private_key_passphrase": true, "passcode": true}

// ConnectionsFile returns the path of the Snowflake CLI's connections file:
// $SNOWFLAKE_HOME/connections.toml, else ~/.snowflake/connections.toml.
func ConnectionsFile() (string, error) {
	if home := os.Getenv("SNOWFLAKE_HOME"); home != "" {
		return filepath.Join(home, "connections.toml"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".snowflake", "connections.toml"), nil
}

// withNamedConnection merges the named section of connections.toml under
// the block's own fields: a field set in the block wins.
func withNamedConnection(c *dsl.Connection, name string) (fields, secrets map[string]string, err error) {
	path, err := ConnectionsFile()
	if err != nil {
		return nil, nil, fmt.Errorf("connection %s: %w", c.Key(), err)
	}
	var doc map[string]map[string]any
	if _, err := toml.DecodeFile(path, &doc); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("connection %s: connection_name %q: %s does not exist; create it or give account, user and the other fields in the block", c.Key(), name, path)
		}
		// The TOML decoder's message may quote the file; it holds secrets,
		// so only the position is kept.
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, nil, fmt.Errorf("connection %s: %s is not valid TOML at line %d", c.Key(), path, perr.Position.Line)
		}
		return nil, nil, fmt.Errorf("connection %s: cannot read %s", c.Key(), path)
	}
	section, ok := doc[name]
	if !ok {
		return nil, nil, fmt.Errorf("connection %s: %s has no connection named %q", c.Key(), path, name)
	}
	fields, secrets = map[string]string{}, map[string]string{}
	for k, v := range section {
		s := fmt.Sprint(v)
		if secretKeys[k] {
			secrets[k] = s
		} else {
			fields[k] = s
		}
	}
	// The Snowflake CLI also writes the key's path as private_key_path.
	if p, ok := fields["private_key_path"]; ok && fields["private_key_file"] == "" {
		fields["private_key_file"] = p
	}
	maps.Copy(fields, c.Fields)
	maps.Copy(fields, c.Secrets)
	maps.Copy(secrets, c.Secrets)
	return fields, secrets, nil
}
