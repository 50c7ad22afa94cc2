package dsl

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// decodeScope resolves the phase and query attributes that scope a
// threshold or a regression rule (rule names it in messages): the phase
// must be one of the scenario's, and the query one of the templates in
// scope — the phase's, or every phase's. ok is false when either is wrong;
// the diagnostics say why.
func (l *loader) decodeScope(st *scenarioState, attrs hcl.Attributes, ctx *hcl.EvalContext, rule string) (phase, query string, ok bool) {
	ok = true
	templates := map[string]bool{}
	if a := attrs["phase"]; a != nil {
		if n, good := l.nameRef(a.Expr, ctx, "phase"); !good {
			ok = false
		} else if ps, found := st.phases[n]; !found {
			l.diags = append(l.diags, unknownName("Unknown phase", "phase|in scenario "+fmt.Sprintf("%q", st.s.Name), n, phaseNames(st.s), a.Expr.Range()))
			ok = false
		} else {
			phase = n
			templates[ps.p.Template] = true
		}
	}
	if phase == "" {
		for _, p := range st.s.Phases {
			templates[p.Template] = true
		}
	}
	if a := attrs["query"]; a != nil {
		n, good, d := getKeyword(a, ctx)
		if !good {
			l.diags = append(l.diags, d...)
			return phase, "", false
		}
		var known []string
		found := false
		for _, tn := range slices.Sorted(maps.Keys(templates)) {
			if tmpl := l.cfg.Templates[tn]; tmpl != nil {
				known = append(known, tmpl.QueryOrder...)
				found = found || tmpl.Queries[n] != nil
			}
		}
		if !found && len(known) > 0 {
			l.diags = append(l.diags, unknownName("Unknown query", "query|in the templates this "+rule+" covers", n, known, a.Expr.Range()))
			ok = false
		}
		query = n
	}
	return phase, query, ok
}
