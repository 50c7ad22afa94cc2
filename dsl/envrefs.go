package dsl

import (
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
	names := make([]string, 0, len(c.Sources))
	for n := range c.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	var refs []EnvRef
	for _, n := range names {
		f := c.Files[n]
		if f == nil {
			continue
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, a := range sortedSyntaxAttrs(body.Attributes) {
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
	return refs
}

func appendBlockEnvCalls(refs []EnvRef, body *hclsyntax.Body, addr string) []EnvRef {
	for _, a := range sortedSyntaxAttrs(body.Attributes) {
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

// sortedSyntaxAttrs returns a body's attributes in source order.
func sortedSyntaxAttrs(attrs hclsyntax.Attributes) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}
