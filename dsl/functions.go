package dsl

import (
	"path/filepath"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// baseFunctions is the cty standard-library set available in every
// expression. env and file are added per file by functions().
var baseFunctions = map[string]function.Function{
	"abs":           stdlib.AbsoluteFunc,
	"ceil":          stdlib.CeilFunc,
	"chomp":         stdlib.ChompFunc,
	"coalesce":      stdlib.CoalesceFunc,
	"coalescelist":  stdlib.CoalesceListFunc,
	"compact":       stdlib.CompactFunc,
	"concat":        stdlib.ConcatFunc,
	"contains":      stdlib.ContainsFunc,
	"csvdecode":     stdlib.CSVDecodeFunc,
	"distinct":      stdlib.DistinctFunc,
	"element":       stdlib.ElementFunc,
	"flatten":       stdlib.FlattenFunc,
	"floor":         stdlib.FloorFunc,
	"format":        stdlib.FormatFunc,
	"formatdate":    stdlib.FormatDateFunc,
	"formatlist":    stdlib.FormatListFunc,
	"indent":        stdlib.IndentFunc,
	"join":          stdlib.JoinFunc,
	"jsondecode":    boundedJSONDecode,
	"jsonencode":    stdlib.JSONEncodeFunc,
	"keys":          stdlib.KeysFunc,
	"length":        stdlib.LengthFunc,
	"log":           stdlib.LogFunc,
	"lookup":        stdlib.LookupFunc,
	"lower":         stdlib.LowerFunc,
	"max":           stdlib.MaxFunc,
	"merge":         stdlib.MergeFunc,
	"min":           stdlib.MinFunc,
	"parseint":      stdlib.ParseIntFunc,
	"pow":           stdlib.PowFunc,
	"range":         stdlib.RangeFunc,
	"regex":         stdlib.RegexFunc,
	"regexall":      stdlib.RegexAllFunc,
	"regex_replace": stdlib.RegexReplaceFunc,
	"replace":       stdlib.ReplaceFunc,
	"reverse":       stdlib.ReverseListFunc,
	"setunion":      stdlib.SetUnionFunc,
	"signum":        stdlib.SignumFunc,
	"slice":         stdlib.SliceFunc,
	"sort":          stdlib.SortFunc,
	"split":         stdlib.SplitFunc,
	"strrev":        stdlib.ReverseFunc,
	"substr":        stdlib.SubstrFunc,
	"timeadd":       stdlib.TimeAddFunc,
	"title":         stdlib.TitleFunc,
	"tobool":        stdlib.MakeToFunc(cty.Bool),
	"tolist":        stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
	"tomap":         stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
	"tonumber":      stdlib.MakeToFunc(cty.Number),
	"toset":         stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
	"tostring":      stdlib.MakeToFunc(cty.String),
	"trim":          stdlib.TrimFunc,
	"trimprefix":    stdlib.TrimPrefixFunc,
	"trimspace":     stdlib.TrimSpaceFunc,
	"trimsuffix":    stdlib.TrimSuffixFunc,
	"upper":         stdlib.UpperFunc,
	"values":        stdlib.ValuesFunc,
	"zipmap":        stdlib.ZipmapFunc,
}

// functions returns the function table for expressions in a file in dir.
func (l *loader) functions(dir string) map[string]function.Function {
	fns := make(map[string]function.Function, len(baseFunctions)+2)
	for n, f := range baseFunctions {
		fns[n] = f
	}
	fns["env"] = l.envFunc()
	fns["file"] = l.fileFunc(dir)
	return fns
}

// envFunc is env("NAME") or env("NAME", "fallback"): the environment
// variable's value, the fallback, or "" when unset.
func (l *loader) envFunc() function.Function {
	return function.New(&function.Spec{
		Params:   []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam: &function.Parameter{Name: "default", Type: cty.String},
		Type:     function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 2 {
				return cty.NilVal, function.NewArgErrorf(2, "env takes a name and at most one default value")
			}
			if v, ok := l.lookupEnv(args[0].AsString()); ok {
				return cty.StringVal(v), nil
			}
			if len(args) == 2 {
				return args[1], nil
			}
			return cty.StringVal(""), nil
		},
	})
}

// fileFunc is file("path"): the contents of a file, relative to the
// directory of the scenario file that calls it.
func (l *loader) fileFunc(dir string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			if src, ok := l.sources[p]; ok {
				return cty.StringVal(string(src)), nil
			}
			if l.memoryOnly {
				return cty.NilVal, function.NewArgErrorf(0, "no such file %q", p)
			}
			b, tooLarge, err := readLimited(p)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "cannot read %q: %v", p, err)
			}
			if tooLarge {
				return cty.NilVal, function.NewArgErrorf(0, "%q is larger than %d MiB, the most file() reads", p, MaxFileSize>>20)
			}
			return cty.StringVal(string(b)), nil
		},
	})
}

// boundedJSONDecode is jsondecode refusing JSON nested deeper than
// MaxNestingDepth before decoding it: the decoder behind it spends memory
// per level (850 MB for a 2 MB string of brackets) before it gives up.
var boundedJSONDecode = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}},
	Type: func(args []cty.Value) (cty.Type, error) {
		if args[0].IsKnown() && !args[0].IsNull() && jsonDepth(args[0].AsString()) > MaxNestingDepth {
			return cty.NilType, function.NewArgErrorf(0, "the JSON nests more than %d levels deep", MaxNestingDepth)
		}
		return stdlib.JSONDecodeFunc.ReturnType([]cty.Type{args[0].Type()})
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		return stdlib.JSONDecodeFunc.Call(args)
	},
})

// jsonDepth is the deepest nesting of arrays and objects in s, strings
// skipped.
func jsonDepth(s string) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}
