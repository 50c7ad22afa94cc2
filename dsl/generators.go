package dsl

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Generator functions return cty objects carrying a "__gen" marker
// attribute; decodeGenerator turns them back into a Generator. They exist
// only in the evaluation context of a query's args.

const genMarker = "__gen"

// GeneratorFunctionNames lists the functions callable inside args.
var GeneratorFunctionNames = []string{"sequence", "uniform", "zipf", "choice", "random_string", "now"}

func genVal(kind GeneratorKind, attrs map[string]cty.Value) cty.Value {
	m := map[string]cty.Value{genMarker: cty.StringVal(string(kind))}
	for k, v := range attrs {
		m[k] = v
	}
	return cty.ObjectVal(m)
}

func wholeArg(i int, v cty.Value, what string) (int64, error) {
	n, ok := ctyInt(v)
	if !ok {
		return 0, function.NewArgErrorf(i, "%s must be a whole number", what)
	}
	return n, nil
}

var generatorFunctions = map[string]function.Function{
	// sequence("COLUMN") continues after the column's maximum;
	// sequence(N) counts up from N.
	"sequence": function.New(&function.Spec{
		Params: []function.Parameter{{Name: "column_or_start", Type: cty.DynamicPseudoType}},
		Type:   function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			a := args[0]
			switch a.Type() {
			case cty.String:
				if a.AsString() == "" {
					return cty.NilVal, function.NewArgErrorf(0, "the column name must not be empty")
				}
				return genVal(GenSequence, map[string]cty.Value{"column": a}), nil
			case cty.Number:
				if _, err := wholeArg(0, a, "the start"); err != nil {
					return cty.NilVal, err
				}
				return genVal(GenSequence, map[string]cty.Value{"start": a}), nil
			}
			return cty.NilVal, function.NewArgErrorf(0, "sequence takes a column name (string) or a start number")
		},
	}),
	"uniform": function.New(&function.Spec{
		Params: []function.Parameter{{Name: "min", Type: cty.Number}, {Name: "max", Type: cty.Number}},
		Type:   function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			lo, err := wholeArg(0, args[0], "min")
			if err != nil {
				return cty.NilVal, err
			}
			hi, err := wholeArg(1, args[1], "max")
			if err != nil {
				return cty.NilVal, err
			}
			if lo > hi {
				return cty.NilVal, function.NewArgErrorf(1, "max (%d) must not be below min (%d)", hi, lo)
			}
			return genVal(GenUniform, map[string]cty.Value{"min": args[0], "max": args[1]}), nil
		},
	}),
	"zipf": function.New(&function.Spec{
		Params: []function.Parameter{{Name: "n", Type: cty.Number}, {Name: "s", Type: cty.Number}},
		Type:   function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			n, err := wholeArg(0, args[0], "n")
			if err != nil {
				return cty.NilVal, err
			}
			if n < 1 {
				return cty.NilVal, function.NewArgErrorf(0, "n must be at least 1")
			}
			s, _ := args[1].AsBigFloat().Float64()
			if !(s > 1) {
				return cty.NilVal, function.NewArgErrorf(1, "the exponent s must be greater than 1")
			}
			return genVal(GenZipf, map[string]cty.Value{"n": args[0], "s": args[1]}), nil
		},
	}),
	"choice": function.New(&function.Spec{
		Params: []function.Parameter{{Name: "values", Type: cty.DynamicPseudoType}},
		Type:   function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			a := args[0]
			t := a.Type()
			if !(t.IsListType() || t.IsTupleType() || t.IsSetType()) {
				return cty.NilVal, function.NewArgErrorf(0, "choice takes a list of values")
			}
			if a.LengthInt() == 0 {
				return cty.NilVal, function.NewArgErrorf(0, "choice needs at least one value")
			}
			var elems []cty.Value
			for it := a.ElementIterator(); it.Next(); {
				_, ev := it.Element()
				if !ev.Type().IsPrimitiveType() || ev.IsNull() {
					return cty.NilVal, function.NewArgErrorf(0, "choice values must be strings, numbers or bools")
				}
				elems = append(elems, ev)
			}
			return genVal(GenChoice, map[string]cty.Value{"choices": cty.TupleVal(elems)}), nil
		},
	}),
	"random_string": function.New(&function.Spec{
		Params: []function.Parameter{{Name: "length", Type: cty.Number}},
		Type:   function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			n, err := wholeArg(0, args[0], "length")
			if err != nil {
				return cty.NilVal, err
			}
			if n < 1 || n > 1<<20 {
				return cty.NilVal, function.NewArgErrorf(0, "length must be between 1 and 1048576")
			}
			return genVal(GenRandomString, map[string]cty.Value{"n": args[0]}), nil
		},
	}),
	"now": function.New(&function.Spec{
		Type: function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return genVal(GenNow, nil), nil
		},
	}),
}

// poolObject is the value of `pool` in an args context.
func poolObject(names []string) cty.Value {
	m := map[string]cty.Value{}
	for _, n := range names {
		m[n] = genVal(GenPool, map[string]cty.Value{"pool": cty.StringVal(n)})
	}
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// decodeGenerator turns an evaluated argument into a Generator.
func decodeGenerator(v cty.Value, rng hcl.Range) (Generator, *hcl.Diagnostic) {
	g := Generator{Range: rng}
	t := v.Type()
	if t.IsPrimitiveType() {
		g.Kind = GenLiteral
		g.Literal = ctyToGo(v)
		return g, nil
	}
	if !t.IsObjectType() || !t.HasAttribute(genMarker) {
		return g, errorDiag("Invalid query argument",
			fmt.Sprintf("A query argument must be a string, number or bool literal, a pool reference (pool.NAME) or a generator call (%s); got a value of type %s.",
				quoteList(GeneratorFunctionNames), t.FriendlyName()),
			rangePtr(rng), nil)
	}
	bad := errorDiag("Invalid query argument",
		"This object looks like a generator but is malformed; call the generator functions instead of writing their results by hand.",
		rangePtr(rng), nil)
	str := func(name string) (string, bool) {
		if !t.HasAttribute(name) {
			return "", false
		}
		a := v.GetAttr(name)
		if a.IsNull() || a.Type() != cty.String {
			return "", false
		}
		return a.AsString(), true
	}
	num := func(name string) (cty.Value, bool) {
		if !t.HasAttribute(name) {
			return cty.NilVal, false
		}
		a := v.GetAttr(name)
		if a.IsNull() || a.Type() != cty.Number {
			return cty.NilVal, false
		}
		return a, true
	}
	whole := func(name string) (int64, bool) {
		a, ok := num(name)
		if !ok {
			return 0, false
		}
		return ctyInt(a)
	}
	kind, ok := str(genMarker)
	if !ok {
		return g, bad
	}
	g.Kind = GeneratorKind(kind)
	switch g.Kind {
	case GenPool:
		g.Pool, ok = str("pool")
	case GenLet:
		g.Let, ok = str("let")
	case GenSequence:
		var okc, oks bool
		g.Column, okc = str("column")
		g.Start, oks = whole("start")
		ok = okc || oks
	case GenUniform:
		var ok2 bool
		g.Min, ok = whole("min")
		g.Max, ok2 = whole("max")
		ok = ok && ok2 && g.Min <= g.Max
	case GenZipf:
		var s cty.Value
		g.N, ok = whole("n")
		if s, ok = num("s"); ok && g.N >= 1 {
			g.S, _ = s.AsBigFloat().Float64()
			ok = g.S > 1
		} else {
			ok = false
		}
	case GenRandomString:
		g.N, ok = whole("n")
		ok = ok && g.N >= 1
	case GenChoice:
		ok = false
		if t.HasAttribute("choices") {
			c := v.GetAttr("choices")
			ct := c.Type()
			if !c.IsNull() && (ct.IsTupleType() || ct.IsListType()) && c.LengthInt() > 0 {
				ok = true
				for it := c.ElementIterator(); it.Next(); {
					_, ev := it.Element()
					if ev.IsNull() || !ev.Type().IsPrimitiveType() {
						ok = false
						break
					}
					g.Choices = append(g.Choices, ctyToGo(ev))
				}
			}
		}
	case GenNow:
	default:
		ok = false
	}
	if !ok {
		return Generator{Range: rng}, bad
	}
	return g, nil
}
