package store_test

import (
	"os"
	"testing"

	"github.com/flakebench/fbctl/engine/pgtarget"
	"github.com/flakebench/fbctl/engine/snowflake"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backends are the shared stores' backends, as cmd/fbctl wires them.
var backends = map[string]store.Backend{"postgres": pgtarget.Store{}, "snowflake": snowflake.Store{}}
