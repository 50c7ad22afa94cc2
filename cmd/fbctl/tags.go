package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/store"
)

// tagFlag is apply's -tag KEY=VALUE.
func tagFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "tag", Usage: "tag the run `KEY=VALUE` (repeatable), e.g. -tag branch=main; `fbctl compare -baseline tag=branch=main` finds it"}
}

// parseTags reads the -tag flags; a malformed one is an error that names it.
func parseTags(c *cli.Context) (map[string]string, error) {
	out := map[string]string{}
	for _, t := range c.StringSlice("tag") {
		k, v, ok := strings.Cut(t, "=")
		k = strings.TrimSpace(k)
		switch {
		case !ok || k == "":
			return nil, &exitErr{code: exitError, msg: fmt.Sprintf("-tag %q is not KEY=VALUE; write for example -tag branch=main", t)}
		case strings.HasPrefix(k, store.SystemTagPrefix):
			return nil, &exitErr{code: exitError, msg: fmt.Sprintf("-tag %q: keys starting %q are fbctl's own; choose another key", t, store.SystemTagPrefix)}
		}
		out[k] = v
	}
	return out, nil
}

// runFacts are the fbctl.* tags of a run: for each template its phases
// ran, its table type, target connection and (Snowflake) warehouse, the
// facts `fbctl compare` refuses to compare across.
func runFacts(rp engine.RunPlan, cfg *dsl.Config) map[string]string {
	out := map[string]string{}
	for _, n := range rp.Nodes {
		if n.Phase == nil || cfg == nil {
			continue
		}
		t := cfg.Templates[n.Phase.Template]
		if t == nil {
			continue
		}
		p := store.SystemTagPrefix + "template." + t.Name + "."
		out[p+"table_type"] = t.TableType
		if conn := cfg.Connections[t.Connection]; conn != nil {
			out[p+"target"] = conn.Key()
			if wh := conn.Fields["warehouse"]; wh != "" {
				out[p+"warehouse"] = wh
			}
		}
	}
	return out
}

// tagRun stores the run's tags and facts; a failure is reported, not
// fatal: the run itself is recorded.
func (g *globals) tagRun(ctx context.Context, st *store.Store, runID string, tags map[string]string, rp engine.RunPlan, cfg *dsl.Config) {
	all := runFacts(rp, cfg)
	for k, v := range tags {
		all[k] = v
	}
	if err := st.SetRunTags(ctx, runID, all); err != nil {
		fmt.Fprintf(g.stderr, "Warning: the run's tags could not be stored: %v\n", err)
	}
}
