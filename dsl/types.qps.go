package dsl

import (
	"fmt"

	"github.com/flakebench/fbctl/engine/load"
	"github.com/hashicorp/hcl/v2"
)

// decodeQPSTarget checks the attributes of a qps_target phase: it needs
// max_connections (the ceiling the controller may reach); min_connections
// (default 1) is the floor and connections (default min_connections)
// where it starts. min_connections belongs to qps_target alone.
func (l *loader) decodeQPSTarget(p *Phase, b *hcl.Block, attrs hcl.Attributes, conns *hcl.Attribute, ctx *hcl.EvalContext, models int) {
	minA := attrs["min_connections"]
	if p.Model != load.QPSTarget {
		if minA != nil && models == 1 {
			l.diags = append(l.diags, errorDiag("Unexpected min_connections",
				fmt.Sprintf("min_connections is the floor of a qps_target phase's sessions; the phase %q uses %s.", p.Name, p.Model),
				rangePtr(minA.NameRange), rangePtr(minA.Range)))
		}
		return
	}
	p.MinConnections = 1
	if minA != nil {
		n, ok, d := getPositiveInt(minA, ctx)
		l.diags = append(l.diags, d...)
		if ok {
			p.MinConnections = n
		}
	}
	if attrs["max_connections"] == nil {
		l.diags = append(l.diags, errorDiag("Missing max_connections",
			fmt.Sprintf("The qps_target phase %q needs max_connections: the most sessions the controller may open to reach its target.", p.Name),
			rangePtr(b.DefRange), nil))
		return
	}
	if conns == nil {
		p.Connections = p.MinConnections
	}
	switch {
	case p.MaxConnections > 0 && p.MinConnections > p.MaxConnections && minA != nil:
		l.diags = append(l.diags, errorDiag("Invalid min_connections",
			fmt.Sprintf("The phase %q may hold %d to %d sessions: min_connections must not exceed max_connections.", p.Name, p.MinConnections, p.MaxConnections),
			rangePtr(minA.Expr.Range()), rangePtr(minA.Range)))
	case conns != nil && p.MaxConnections > 0 && (p.Connections < p.MinConnections || p.Connections > p.MaxConnections):
		l.diags = append(l.diags, errorDiag("Invalid connections",
			fmt.Sprintf("The qps_target phase %q starts at connections = %d, outside its bounds %d (min_connections) to %d (max_connections).", p.Name, p.Connections, p.MinConnections, p.MaxConnections),
			rangePtr(conns.Expr.Range()), rangePtr(conns.Range)))
	}
}
