package main

// The database drivers fbctl speaks. This is the only place they are
// registered: the engine works with database/sql and driver names.
import (
	"github.com/hashicorp/go-hclog"
	sf "github.com/snowflakedb/gosnowflake"
)

// quietDrivers keeps the Snowflake driver's own logger (which writes to
// stderr on its own) to fatal errors unless fbctl logs at debug or trace:
// errors reach the user through fbctl's messages, once.
func quietDrivers(level hclog.Level) {
	driverLevel := "fatal"
	switch {
	case level <= hclog.Trace:
		driverLevel = "debug"
	case level <= hclog.Debug:
		driverLevel = "info"
	}
	_ = sf.GetLogger().SetLogLevel(driverLevel)
}
