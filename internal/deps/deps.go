//go:build tools

// Package deps pins the modules the project depends on, so that go.mod keeps
// them while packages that use them are being written. It is never built.
package deps

import (
	_ "github.com/HdrHistogram/hdrhistogram-go"
	_ "github.com/agext/levenshtein"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/hashicorp/go-hclog"
	_ "github.com/hashicorp/hcl/v2"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/snowflakedb/gosnowflake"
	_ "github.com/urfave/cli/v2"
	_ "github.com/zclconf/go-cty/cty"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/term"
	_ "modernc.org/sqlite"
)
