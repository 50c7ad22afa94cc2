package run

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/target"
)

// CapacityOptions configure CheckCapacity.
type CapacityOptions struct {
	// Limits, keyed by connection type, read a target's connection limit
	// (Postgres: pgtarget.Capacity). Types without one are not checked.
	Limits map[string]target.CapacityFunc
	// StoreSessions is how many connections the results store holds on a
	// target's server when the store lives there (0: it does not).
	StoreSessions func(c *dsl.Connection) int
	// Open opens a target (nil: target.Open).
	Open func(*dsl.Connection) (*target.DB, error)
}

// CapacityError is a plan whose sessions cannot fit on a target: apply
// refuses it before anything is written.
type CapacityError struct {
	Scenario   string
	Connection string
	Need       int // sessions opened before the nodes that run at once start, plus fbctl's own
	Own        int // fbctl's own connections in Need
	Capacity   target.Capacity
}

func (e *CapacityError) Error() string {
	return fmt.Sprintf("scenario %q cannot start on %s: its load nodes that run at the same time open %d sessions before they start, "+
		"and fbctl holds %d more of its own (orchestrator, server sampler, one pool per worker, the results store), but the server accepts only %d more clients (%s). "+
		"Lower connections (or, for open-model phases, set a smaller connections), use fewer workers, or raise the server's max_connections",
		e.Scenario, e.Connection, e.Need-e.Own, e.Own, e.Capacity.Available(), e.Capacity)
}

// CheckCapacity compares, for every connection of the run that says its
// connection limit, the sessions the plan opens before its nodes start
// (the largest set of load nodes that may run at once, engine.SessionsPlan)
// plus fbctl's own connections with what the server accepts now. It
// returns a *CapacityError when they cannot fit, and warnings when the
// sessions the nodes may grow to (max_connections) could exceed it. It
// reads the targets and writes nothing.
func CheckCapacity(ctx context.Context, p engine.RunPlan, cfg *dsl.Config, o CapacityOptions) (warnings []string, err error) {
	open := o.Open
	if open == nil {
		open = target.Open
	}
	for _, key := range slices.Sorted(maps.Keys(p.Sessions.ByConnection)) {
		c := cfg.Connections[key]
		if c == nil {
			continue
		}
		limit := o.Limits[c.Type]
		if limit == nil {
			continue
		}
		db, err := open(c)
		if err != nil {
			return warnings, err
		}
		capa, err := limit(ctx, db.DB)
		db.Close()
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("the connection limit of %s was not checked: %v", key, err))
			continue
		}
		// The orchestrator's pool, its server sampler's connection, and
		// one pool per worker (kept open for the run), plus the store when
		// it shares the server.
		own := 1 + ServerSamplerSessions + int(p.Workers)
		if o.StoreSessions != nil {
			own += o.StoreSessions(c)
		}
		b := p.Sessions.ByConnection[key]
		need := int(b.PreOpened) + own
		if need > capa.Available() {
			return warnings, &CapacityError{Scenario: p.Scenario, Connection: key, Need: need, Own: own, Capacity: capa}
		}
		if int(b.Max)+own > capa.Available() {
			warnings = append(warnings, fmt.Sprintf("scenario %q may open up to %d sessions on %s (max_connections of the phases that run at once, plus %d of fbctl's own) but the server accepts %d more clients now (%s): sessions beyond that are refused during the run and counted as session_open errors",
				p.Scenario, int(b.Max)+own, key, own, capa.Available(), capa))
		}
	}
	return warnings, nil
}
