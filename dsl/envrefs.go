package dsl

import (
	"maps"
	"slices"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// EnvRef is one env() call in the scenario files: which environment
// variable the files read, and where. It carries no value.
type EnvRef struct {
	// Name is the variable's name; "" when the first argument is not a
	// literal string (env(var.name)), which a caller that must know every
	// name reports at Range.
	Name string
	// HasDefault says a fallback was given: env("NAME", "fallback").
	HasDefault bool
	// Block is the address of the top-level block holding the call:
	// "connection.postgres.oltp", "template.orders", "scenario.nightly",
	// "locals", "variable.region" or "results".
	Block string
	Range hcl.Range
}

// EnvRefs lists every env() call in the scenario files (not -var-files),
// by file name and position. It reads the syntax only: a call is listed
// whether or not the variable was set when the files were loaded.
func (c *Config) EnvRefs() []EnvRef {
	var refs []EnvRef
	for _, n := range slices.Sorted(maps.Keys(c.Sources)) {
		f := c.Files[n]
		if f == nil {
			continue
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, a := range body.Attributes {
			refs = appendEnvCalls(refs, a.Expr, "")
		}
		for _, b := range body.Blocks {
			addr := b.Type
			for _, l := range b.Labels {
				addr += "." + l
			}
			refs = appendBlockEnvCalls(refs, b.Body, addr)
		}
	}
	sort.Slice(refs, func(i, j int) bool {
		a, b := refs[i].Range, refs[j].Range
		return a.Filename < b.Filename || (a.Filename == b.Filename && a.Start.Byte < b.Start.Byte)
	})
	return refs
}

func appendBlockEnvCalls(refs []EnvRef, body *hclsyntax.Body, addr string) []EnvRef {
	for _, a := range body.Attributes {
		refs = appendEnvCalls(refs, a.Expr, addr)
	}
	for _, b := range body.Blocks {
		refs = appendBlockEnvCalls(refs, b.Body, addr)
	}
	return refs
}

func appendEnvCalls(refs []EnvRef, expr hclsyntax.Expression, addr string) []EnvRef {
	_ = hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		call, ok := n.(*hclsyntax.FunctionCallExpr)
		if !ok || call.Name != "env" || len(call.Args) == 0 {
			return nil
		}
		ref := EnvRef{HasDefault: len(call.Args) > 1, Block: addr, Range: call.Range()}
		if v, diags := call.Args[0].Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
			ref.Name = v.AsString()
		}
		refs = append(refs, ref)
		return nil
	})
	return refs
}
