package dsl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// refSummaries names the diagnostic for a reference to an undeclared
// attribute of each root object in an evaluation context.
var refSummaries = map[string][2]string{
	"var":   {"Reference to undeclared input variable", "input variable"},
	"local": {"Reference to undeclared local value", "local value"},
	"pool":  {"Unknown pool", "pool|in this template"},
}

// checkRefs reports references like var.NAME, local.NAME or pool.NAME whose
// NAME is not declared, with a "Did you mean" suggestion. HCL itself would
// only say "Unsupported attribute"; evaluating an expression is skipped when
// this finds a problem so the error is reported once.
func checkRefs(expr hcl.Expression, ctx *hcl.EvalContext) hcl.Diagnostics {
	if ctx == nil {
		return nil
	}
	var diags hcl.Diagnostics
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		names, ok := rootAttrNames(ctx, root)
		if !ok || len(tr) < 2 {
			continue
		}
		step, isAttr := tr[1].(hcl.TraverseAttr)
		if !isAttr {
			continue
		}
		if contains(names, step.Name) {
			continue
		}
		sum, what := "Unsupported attribute", "attribute of "+root
		if s, ok := refSummaries[root]; ok {
			sum, what = s[0], s[1]
		}
		rng := hcl.RangeBetween(tr[0].SourceRange(), step.SrcRange)
		kind, where, _ := strings.Cut(what, "|")
		if where != "" {
			where = " " + where
		}
		detail := fmt.Sprintf("There is no %s named %q%s.", kind, step.Name, where)
		if s := DidYouMean(step.Name, names); s != "" {
			detail += s
		} else if root == "pool" {
			if len(names) == 0 {
				detail += " This template declares no pool blocks."
			} else {
				detail += fmt.Sprintf(" Declared: %s.", quoteList(names))
			}
		}
		diags = append(diags, errorDiag(sum, detail, &rng, rangePtr(expr.Range())))
	}
	return diags
}

// rootAttrNames returns the attribute names of the object bound to root in
// ctx or its parents.
func rootAttrNames(ctx *hcl.EvalContext, root string) ([]string, bool) {
	for c := ctx; c != nil; c = c.Parent() {
		v, ok := c.Variables[root]
		if !ok {
			continue
		}
		if !v.Type().IsObjectType() {
			return nil, false
		}
		var names []string
		for n := range v.Type().AttributeTypes() {
			names = append(names, n)
		}
		sort.Strings(names)
		return names, true
	}
	return nil, false
}

// objectOf builds an object value from a map, or an empty object.
func objectOf(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}
