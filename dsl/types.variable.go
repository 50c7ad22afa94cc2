package dsl

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
)

// variableDecl is a decoded variable block before its value is resolved.
type variableDecl struct {
	name        string
	block       *hcl.Block
	file        *parsedFile
	typ         cty.Type
	def         cty.Value // cty.NilVal: no default
	defRange    hcl.Range
	description string
	sensitive   bool
	validations []*validationDecl
}

type validationDecl struct {
	condition    hcl.Expression
	errorMessage hcl.Expression
	block        *hcl.Block
}

func (l *loader) declareVariable(pf *parsedFile, b *hcl.Block) {
	name := b.Labels[0]
	if !hclsyntaxValidIdentifier(name) {
		l.diags = append(l.diags, errorDiag("Invalid variable name",
			fmt.Sprintf("The name %q is not a valid identifier: use letters, digits, underscores and dashes, starting with a letter.", name),
			rangePtr(b.LabelRanges[0]), nil))
		return
	}
	if prev, ok := l.vars[name]; ok {
		l.diags = append(l.diags, duplicate("variable", name, prev.block.DefRange, b.DefRange))
		return
	}
	v := &variableDecl{name: name, block: b, file: pf, typ: cty.DynamicPseudoType}
	l.vars[name] = v
	l.varOrder = append(l.varOrder, name)

	content, diags := b.Body.Content(variableSchema)
	l.diags = append(l.diags, diags...)
	if attr, ok := content.Attributes["type"]; ok {
		ty, tdiags := typeexpr.TypeConstraint(attr.Expr)
		l.diags = append(l.diags, tdiags...)
		if !tdiags.HasErrors() {
			v.typ = ty
		}
	}
	if attr, ok := content.Attributes["description"]; ok {
		if s, _, ok, d := getString(attr, nil); ok {
			v.description = s
		} else {
			l.diags = append(l.diags, d...)
		}
	}
	if attr, ok := content.Attributes["sensitive"]; ok {
		bv, _, d := getBool(attr, nil)
		l.diags = append(l.diags, d...)
		v.sensitive = bv
	}
	if attr, ok := content.Attributes["default"]; ok {
		val, d := attr.Expr.Value(nil)
		l.diags = append(l.diags, d...)
		if !d.HasErrors() {
			v.def = val
			v.defRange = attr.Expr.Range()
		}
	}
	for _, vb := range content.Blocks.OfType("validation") {
		vc, d := vb.Body.Content(validationSchema)
		l.diags = append(l.diags, d...)
		if vc.Attributes["condition"] == nil || vc.Attributes["error_message"] == nil {
			continue
		}
		v.validations = append(v.validations, &validationDecl{
			condition:    vc.Attributes["condition"].Expr,
			errorMessage: vc.Attributes["error_message"].Expr,
			block:        vb,
		})
	}
}

func hclsyntaxValidIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case i > 0 && (r >= '0' && r <= '9' || r == '-'):
		default:
			return false
		}
	}
	return true
}
