package main

// The database drivers fbctl speaks. This is the only place they are
// imported: the engine works with database/sql and driver names.
import (
	_ "github.com/jackc/pgx/v5/stdlib"     // "pgx"
	_ "github.com/snowflakedb/gosnowflake" // "snowflake"
	_ "modernc.org/sqlite"                 // "sqlite"
)
