package dsl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/flakebench/fbctl/internal/graph"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Variable precedence, lowest first: default < env (FB_VAR_NAME) <
// -var-file < -var. Each later source overrides the earlier ones.

// rawValue is a candidate value for a variable from one source.
type rawValue struct {
	val    cty.Value
	source string
	rng    *hcl.Range
}

func (l *loader) resolveVariables() {
	given := map[string]rawValue{}
	for _, name := range l.varOrder {
		v := l.vars[name]
		if v.def != cty.NilVal {
			given[name] = rawValue{v.def, "default", rangePtr(v.defRange)}
		}
		if s, ok := l.lookupEnv(EnvVarPrefix + name); ok {
			if val, ok := l.parseRawVar(v, s, EnvVarPrefix+name); ok {
				given[name] = rawValue{val, "env", nil}
			}
		}
	}
	for _, path := range l.opts.VarFiles {
		l.readVarFile(path, given)
	}
	for _, arg := range l.opts.Vars {
		name, value, found := strings.Cut(arg, "=")
		name = strings.TrimSpace(name)
		if !found || name == "" {
			l.diags = append(l.diags, errorDiag("Invalid -var option",
				fmt.Sprintf("The option -var %q is not of the form NAME=VALUE.", arg), nil, nil))
			continue
		}
		v, ok := l.vars[name]
		if !ok {
			l.diags = append(l.diags, errorDiag("Value for undeclared variable",
				fmt.Sprintf("A value was given with -var for %q, but no variable of that name is declared.%s", name, DidYouMean(name, l.varOrder)), nil, nil))
			continue
		}
		if val, ok := l.parseRawVar(v, value, "-var "+name); ok {
			given[name] = rawValue{val, "-var", nil}
		}
	}

	for _, name := range l.varOrder {
		v := l.vars[name]
		l.varVals[name] = cty.DynamicVal
		raw, ok := given[name]
		if !ok {
			l.diags = append(l.diags, errorDiag("No value for required variable",
				fmt.Sprintf("The variable %q has no default, and no value was given with -var, -var-file or the environment variable %s%s.", name, EnvVarPrefix, name),
				rangePtr(v.block.DefRange), nil))
			continue
		}
		val, err := convert.Convert(raw.val, v.typ)
		if err != nil {
			l.diags = append(l.diags, errorDiag("Invalid value for variable",
				fmt.Sprintf("The value for variable %q (from %s) is not of type %s: %v.", name, raw.source, v.typ.FriendlyName(), err),
				subjectOr(raw.rng, v.block.DefRange), nil))
			continue
		}
		if v.sensitive {
			l.noteSecretValue(val)
			val = val.Mark(markSensitive)
		}
		l.varVals[name] = val
		unmarked, _ := val.UnmarkDeep()
		l.cfg.Variables[name] = &Variable{
			Name:        name,
			Description: v.description,
			Sensitive:   v.sensitive,
			Value:       ctyToGo(unmarked),
			Source:      raw.source,
			DeclRange:   v.block.DefRange,
		}
	}
	// Validations run once every value is known, so a condition may refer
	// to other variables (var.max_rows >= var.rows). A variable that fails
	// its validation has no value afterwards.
	all := objectOf(l.varVals)
	var failed []string
	for _, name := range l.varOrder {
		v := l.vars[name]
		if _, ok := l.cfg.Variables[name]; ok && !l.validateVariable(v, all) {
			failed = append(failed, name)
		}
	}
	for _, name := range failed {
		l.varVals[name] = cty.DynamicVal
		delete(l.cfg.Variables, name)
	}
}

func subjectOr(r *hcl.Range, fallback hcl.Range) *hcl.Range {
	if r != nil {
		return r
	}
	return rangePtr(fallback)
}

// parseRawVar interprets a -var or FB_VAR_ string: verbatim for string (and
// untyped) variables, otherwise as an HCL literal such as 3, true or
// ["a", "b"]. A value that is not a literal is refused with an example of
// one for the variable's type, never with the parser's own wording
// ("Variables not allowed" for a bare word).
func (l *loader) parseRawVar(v *variableDecl, s, origin string) (cty.Value, bool) {
	if v.typ == cty.String || v.typ == cty.DynamicPseudoType {
		return cty.StringVal(s), true
	}
	refuse := func(why string) (cty.Value, bool) {
		l.diags = append(l.diags, errorDiag("Invalid value for variable",
			fmt.Sprintf("The value %q given by %s for variable %q is not a %s: %s. %s", s, origin, v.name, v.typ.FriendlyName(), why, literalExample(v.typ, origin)),
			nil, nil))
		return cty.NilVal, false
	}
	if d := checkSource([]byte(s), origin); d.HasErrors() {
		return refuse(strings.ToLower(d[0].Summary))
	}
	expr, diags := hclsyntax.ParseExpression([]byte(s), origin, hcl.InitialPos)
	if diags.HasErrors() {
		return refuse("it does not parse as a value")
	}
	if len(expr.Variables()) > 0 {
		return refuse("a bare word is a name, not a value, and only literal values can be given outside the files")
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() {
		return refuse("only literal values can be given outside the files, not function calls or references")
	}
	return val, true
}

// literalExample shows how to write a value of type ty where origin gave
// one ("-var NAME" or "FB_VAR_NAME").
func literalExample(ty cty.Type, origin string) string {
	var example string
	switch {
	case ty == cty.Number:
		example = "10"
	case ty == cty.Bool:
		example = "true"
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		example = `'["a", "b"]'`
	case ty.IsMapType() || ty.IsObjectType():
		example = `'{ key = "value" }'`
	default:
		return "Give an HCL literal of that type."
	}
	if name, ok := strings.CutPrefix(origin, "-var "); ok {
		return fmt.Sprintf("Write it as an HCL literal, for example -var %s=%s.", name, example)
	}
	return fmt.Sprintf("Write it as an HCL literal, for example %s=%s.", origin, example)
}

func (l *loader) readVarFile(path string, given map[string]rawValue) {
	src, ok := l.sources[path]
	if !ok {
		b, tooLarge, err := readLimited(path)
		if err != nil {
			l.diags = append(l.diags, errorDiag("Cannot read variables file",
				fmt.Sprintf("The -var-file %q could not be read: %v.", path, err), nil, nil))
			return
		}
		if tooLarge {
			l.diags = append(l.diags, tooLargeDiag(path, "-var-file"))
			return
		}
		src = b
	}
	if d := checkSource(src, path); d.HasErrors() {
		l.diags = append(l.diags, d...)
		return
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	l.diags = append(l.diags, diags...)
	if f == nil || diags.HasErrors() {
		return
	}
	// Kept in Files so diagnostics in it render with source; not in
	// Sources, which lists the scenario files only.
	l.cfg.Files[path] = f
	attrs, diags := f.Body.JustAttributes()
	l.diags = append(l.diags, diags...)
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		attr := attrs[n]
		if _, ok := l.vars[n]; !ok {
			l.diags = append(l.diags, warnDiag("Value for undeclared variable",
				fmt.Sprintf("The file sets %q, but no variable of that name is declared.%s", n, DidYouMean(n, l.varOrder)),
				rangePtr(attr.NameRange)))
			continue
		}
		val, d := attr.Expr.Value(nil)
		l.diags = append(l.diags, d...)
		if !d.HasErrors() {
			given[n] = rawValue{val, "-var-file", rangePtr(attr.Expr.Range())}
		}
	}
}

// validateVariable evaluates the variable's validation blocks with vars,
// the object of every variable's value.
func (l *loader) validateVariable(v *variableDecl, vars cty.Value) bool {
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": vars},
		Functions: l.functions(dirOf(v.file.name)),
	}
	ok := true
	for _, vd := range v.validations {
		cond, _, known, diags := evalExpr(vd.condition, ctx)
		l.diags = append(l.diags, diags...)
		if !known {
			ok = ok && !diags.HasErrors()
			continue
		}
		cb, err := convert.Convert(cond, cty.Bool)
		if err != nil {
			l.diags = append(l.diags, errorDiag("Invalid validation condition",
				fmt.Sprintf("The condition of a validation must be a bool expression: %v.", err),
				rangePtr(vd.condition.Range()), rangePtr(vd.block.DefRange)))
			ok = false
			continue
		}
		if cb.True() {
			continue
		}
		msg := fmt.Sprintf("The value of variable %q failed its validation.", v.name)
		// A message built from a sensitive value is not shown.
		if m, sensitive, known, d := evalExpr(vd.errorMessage, ctx); known && !sensitive && !d.HasErrors() {
			if ms, err := convert.Convert(m, cty.String); err == nil {
				msg = ms.AsString()
			}
		}
		l.diags = append(l.diags, errorDiag("Invalid value for variable",
			fmt.Sprintf("%s (variable %q, checked by the condition at %s)", msg, v.name, vd.condition.Range().String()),
			rangePtr(vd.condition.Range()), rangePtr(vd.block.DefRange)))
		ok = false
	}
	return ok
}

// localDecl is one attribute of a locals block.
type localDecl struct {
	name string
	attr *hcl.Attribute
	file *parsedFile
}

func (l *loader) declareLocals(pf *parsedFile, b *hcl.Block) {
	attrs, diags := b.Body.JustAttributes()
	l.diags = append(l.diags, diags...)
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		return attrs[names[i]].Range.Start.Byte < attrs[names[j]].Range.Start.Byte
	})
	for _, n := range names {
		if prev, ok := l.locals[n]; ok {
			l.diags = append(l.diags, duplicate("local value", n, prev.attr.NameRange, attrs[n].NameRange))
			continue
		}
		l.locals[n] = &localDecl{name: n, attr: attrs[n], file: pf}
	}
}

// localDeps returns the local names an expression refers to.
func localDeps(expr hcl.Expression) []string {
	var deps []string
	for _, tr := range expr.Variables() {
		if tr.RootName() != "local" || len(tr) < 2 {
			continue
		}
		if a, ok := tr[1].(hcl.TraverseAttr); ok {
			deps = append(deps, a.Name)
		}
	}
	return deps
}

// evalLocals evaluates the locals in dependency order, found with
// expr.Variables(). Each cycle is reported once (internal/graph), naming
// its members in order from the smallest name, at that local; a cycle's
// locals are evaluated with the reference that closes it unknown.
func (l *loader) evalLocals() {
	names := make([]string, 0, len(l.locals))
	for n := range l.locals {
		names = append(names, n)
		l.localVals[n] = cty.DynamicVal
	}
	sort.Strings(names)
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	deps := make([][]int, len(names))
	for i, n := range names {
		for _, dep := range localDeps(l.locals[n].attr.Expr) {
			if j, ok := index[dep]; ok {
				deps[i] = append(deps[i], j)
			}
		}
	}
	for _, c := range graph.Cycles(names, deps) {
		members := graph.Names(names, c)
		for j := range members {
			members[j] = "local." + members[j]
		}
		d := l.locals[names[c[0]]]
		l.diags = append(l.diags, errorDiag("Local value cycle",
			fmt.Sprintf("Local values refer to each other in a cycle: %s. Break the cycle by removing one of the references.", strings.Join(members, " → ")),
			rangePtr(d.attr.NameRange), rangePtr(d.attr.Range)))
	}
	const (
		unvisited = iota
		visiting
		done
	)
	state := make([]int, len(names))
	var visit func(i int)
	visit = func(i int) {
		if state[i] != unvisited {
			return // done, or on a cycle reported above
		}
		state[i] = visiting
		for _, j := range deps[i] {
			visit(j)
		}
		state[i] = done
		d := l.locals[names[i]]
		ctx := l.evalContext(d.file.name)
		v, diags := evalLocal(d.attr.Expr, ctx)
		l.diags = append(l.diags, diags...)
		l.localVals[names[i]] = v
	}
	for i := range names {
		visit(i)
	}
}

// evalLocal evaluates a local's expression, keeping marks (a local built
// from a sensitive variable stays sensitive).
func evalLocal(expr hcl.Expression, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	if diags := checkRefs(expr, ctx); diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return v, diags
}

func dirOf(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		return name[:i]
	}
	return "."
}
