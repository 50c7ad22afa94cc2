package schema

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/flakebench/fbctl/internal/sqlscan"
)

//go:embed sqlite/*.sql postgres/*.sql snowflake/*.sql
var files embed.FS

// Dialects lists the dialects that have a migration directory.
var Dialects = []string{"sqlite", "postgres", "snowflake"}

// Migration is one numbered DDL file. Every statement in it is rerunnable.
type Migration struct {
	Version int    // NNN from the file name
	Name    string // the file name without NNN_ and .sql, e.g. "initial"
	SQL     string // the file contents
}

// Description is a human label for SCHEMA_VERSION.DESCRIPTION.
func (m Migration) Description() string {
	return fmt.Sprintf("%03d_%s", m.Version, m.Name)
}

// Statements splits the migration into single statements (see Split).
func (m Migration) Statements() []string { return Split(m.SQL) }

// Migrations returns the dialect's migrations in version order.
func Migrations(dialect string) ([]Migration, error) {
	entries, err := fs.ReadDir(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("schema: unknown dialect %q (have %s)", dialect, strings.Join(Dialects, ", "))
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("schema: %s/%s: file name must be NNN_name.sql", dialect, name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("schema: %s: version %d used by %s and %s", dialect, v, prev, name)
		}
		seen[v] = name
		b, err := fs.ReadFile(files, path.Join(dialect, name))
		if err != nil {
			return nil, fmt.Errorf("schema: read %s/%s: %w", dialect, name, err)
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Latest returns the highest migration version of the dialect, or 0 when the
// dialect is unknown or has no migrations.
func Latest(dialect string) int {
	ms, err := Migrations(dialect)
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Split splits a SQL script into statements at semicolons that are outside
// string literals, quoted identifiers, dollar quotes and comments.
// Comment-only and empty statements are dropped; the statements keep their
// inner comments (internal/sqlscan).
func Split(script string) []string { return sqlscan.Split(script) }
