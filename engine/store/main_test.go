package store_test

import (
	"os"
	"testing"

	"github.com/flakebench/fbctl/internal/pgtest"
	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
