package run

import (
	"context"
	"fmt"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/flakebench/fbctl/engine/workload"
)

// runSQLNode runs a setup or teardown node on the scenario's target.
func (o *orch) runSQLNode(ctx context.Context, n engine.Node) error {
	o.hook.NodeStarted(o.runID, n.Name)
	db, err := o.target(o.scenarioTemplate())
	if err == nil {
		err = target.RunSQL(ctx, db.DB, string(n.Kind), engine.NodeSQL(o.cfg, o.plan.Scenario, n))
		err = o.cfg.RedactError(err) // the statement and the database's message may quote a sensitive value
	}
	if err != nil && ctx.Err() != nil {
		err = errCancelled
	}
	o.hook.NodeFinished(o.runID, n.Name, err)
	return err
}

func (o *orch) scenarioTemplate() string {
	if o.plan.Template != "" {
		return o.plan.Template
	}
	return o.firstPhase().Template
}

// target opens (once) the orchestrator's own pool on t's connection.
func (o *orch) target(tmplName string) (*target.DB, error) {
	t := o.cfg.Templates[tmplName]
	if t == nil {
		return nil, fmt.Errorf("template %q is not in the scenario files", tmplName)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if db := o.dbs[t.Connection]; db != nil {
		return db, nil
	}
	db, err := o.opts.openTarget(o.cfg.Connections[t.Connection])
	if err != nil {
		return nil, err
	}
	o.dbs[t.Connection] = db
	return db, nil
}

func (o *orch) closeTargets() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, db := range o.dbs {
		db.Close()
	}
}

// samplePools samples every pool with a column of every template the
// phases use, once, after setup.
func (o *orch) samplePools(ctx context.Context) (map[string]map[string][]any, error) {
	out := map[string]map[string][]any{}
	for _, n := range o.plan.Nodes {
		if n.Phase == nil || out[n.Phase.Template] != nil {
			continue
		}
		t := o.cfg.Templates[n.Phase.Template]
		if t == nil {
			return nil, fmt.Errorf("template %q is not in the scenario files", n.Phase.Template)
		}
		out[t.Name] = map[string][]any{}
		for _, name := range t.PoolOrder {
			p := t.Pools[name]
			if p == nil || p.Column == "" {
				continue
			}
			db, err := o.target(t.Name)
			if err != nil {
				return nil, err
			}
			vals, err := workload.SamplePoolOf(ctx, db.DB, p, t.Table, db.Dialect.Name())
			if err != nil {
				return nil, fmt.Errorf("template %q pool %q: %w", t.Name, name, err)
			}
			if len(vals) == 0 {
				return nil, fmt.Errorf("template %q pool %q: the target returned no values of %s", t.Name, name, p.Column)
			}
			out[t.Name][name] = vals
		}
	}
	return out, nil
}

// sequenceMax reads the current maximum of every sequence column of the
// template, just before a node, so its inserts start after every key that
// exists (warmup and earlier phases included).
func (o *orch) sequenceMax(ctx context.Context, tmplName string) (map[string]int64, error) {
	t := o.cfg.Templates[tmplName]
	if t == nil {
		return nil, fmt.Errorf("template %q is not in the scenario files", tmplName)
	}
	out := map[string]int64{}
	for _, q := range t.Queries {
		for _, g := range q.Generators() {
			if g.Kind != dsl.GenSequence || g.Column == "" {
				continue
			}
			if _, ok := out[g.Column]; ok {
				continue
			}
			db, err := o.target(tmplName)
			if err != nil {
				return nil, err
			}
			var m *int64
			if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT MAX(%s) FROM %s", g.Column, t.Table)).Scan(&m); err != nil {
				return nil, fmt.Errorf("sequence on %s.%s: read its maximum: %w", t.Table, g.Column, err)
			}
			if m != nil {
				out[g.Column] = *m
			} else {
				out[g.Column] = 0
			}
		}
	}
	return out, nil
}
