package main

import (
	"github.com/flakebench/fbctl/internal/sfserver"
	"github.com/urfave/cli/v2"
)

// devCommand groups helpers for trying fbctl without real infrastructure.
func devCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "dev",
		Usage: "development helpers: local stand-ins for remote services",
		Subcommands: []*cli.Command{
			{
				Name:  "snowflake-server",
				Usage: "run a local Snowflake-protocol server (a SQLite-backed stand-in, not Snowflake) in the foreground",
				Description: "Speaks the gosnowflake driver's wire protocol on loopback and translates the subset of\n" +
					"Snowflake SQL fbctl and the shipped scenarios use. Prints a connection block to paste\n" +
					"into a scenario that works as pasted, with no environment (any user and password are\n" +
					"accepted). Stop it with Ctrl-C.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8085", Usage: "listen on `HOST:PORT` (port 0: any free port)"},
					&cli.StringFlag{Name: "db", Usage: "keep the data in SQLite `FILE` (default: a temporary database deleted on exit)"},
				},
				Action: func(c *cli.Context) error {
					a := devServerArgs{Addr: c.String("addr"), DB: c.String("db")}
					return sfserver.Run(c.Context, a.Addr, a.DB, g.logger.Named("sfserver"), g.stdout)
				},
			},
		},
	}
}
