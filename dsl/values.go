package dsl

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// markSensitive is the cty mark carried by sensitive variables and env().
const markSensitive = "sensitive"

// evalAttr evaluates an attribute. ok is false when the value cannot be used
// (an error was reported, or the value is null or unknown). The value is
// returned unmarked; sensitive says whether it carried the sensitive mark.
func evalAttr(attr *hcl.Attribute, ctx *hcl.EvalContext) (v cty.Value, sensitive, ok bool, diags hcl.Diagnostics) {
	return evalExpr(attr.Expr, ctx)
}

func evalExpr(expr hcl.Expression, ctx *hcl.EvalContext) (v cty.Value, sensitive, ok bool, diags hcl.Diagnostics) {
	if diags = checkRefs(expr, ctx); diags.HasErrors() {
		return cty.NilVal, false, false, diags
	}
	v, diags = expr.Value(ctx)
	if diags.HasErrors() {
		return cty.NilVal, false, false, diags
	}
	v, marks := v.UnmarkDeep()
	_, sensitive = marks[markSensitive]
	if v.IsNull() || !v.IsWhollyKnown() {
		return cty.NilVal, sensitive, false, diags
	}
	return v, sensitive, true, diags
}

// sensitiveNotAllowed reports a sensitive value where the plan must show
// the value itself: numbers, durations, switches, keywords and names decide
// what a run does, and a reviewer must see them.
func sensitiveNotAllowed(attr *hcl.Attribute) *hcl.Diagnostic {
	return errorDiag("Sensitive value not allowed",
		fmt.Sprintf("The %s decides what the run does and is shown in plans, so it cannot come from a sensitive value (a variable with sensitive = true, or a value computed from one). Only text such as SQL, arguments, tags, session values and descriptions may be sensitive; they are redacted in plans and CONFIG.", attr.Name),
		rangePtr(attr.Expr.Range()), rangePtr(attr.Range))
}

// getKeyword reads a string that must not be sensitive: a keyword (kind,
// table_type, metric, mode) or a name.
func getKeyword(attr *hcl.Attribute, ctx *hcl.EvalContext) (string, bool, hcl.Diagnostics) {
	s, sensitive, ok, diags := getString(attr, ctx)
	if ok && sensitive {
		return "", false, append(diags, sensitiveNotAllowed(attr))
	}
	return s, ok, diags
}

// evalElements evaluates expr and returns its value without marks, with
// which parts carried the sensitive mark: all when the value as a whole
// did, elems for the top-level elements that did (keys for maps and
// objects, decimal indexes for lists and tuples).
func evalElements(expr hcl.Expression, ctx *hcl.EvalContext) (v cty.Value, all bool, elems map[string]bool, ok bool, diags hcl.Diagnostics) {
	if diags = checkRefs(expr, ctx); diags.HasErrors() {
		return cty.NilVal, false, nil, false, diags
	}
	v, diags = expr.Value(ctx)
	if diags.HasErrors() {
		return cty.NilVal, false, nil, false, diags
	}
	v, pvm := v.UnmarkDeepWithPaths()
	elems = map[string]bool{}
	for _, pm := range pvm {
		if _, marked := pm.Marks[markSensitive]; !marked {
			continue
		}
		if len(pm.Path) == 0 {
			all = true
			continue
		}
		switch st := pm.Path[0].(type) {
		case cty.GetAttrStep:
			elems[st.Name] = true
		case cty.IndexStep:
			if st.Key.Type() == cty.String {
				elems[st.Key.AsString()] = true
			} else if st.Key.Type() == cty.Number {
				elems[st.Key.AsBigFloat().Text('f', 0)] = true
			}
		}
	}
	if v.IsNull() || !v.IsWhollyKnown() {
		return cty.NilVal, all, elems, false, diags
	}
	return v, all, elems, true, diags
}

// typeError reports a value of the wrong type.
func typeError(attr *hcl.Attribute, want string, err error) *hcl.Diagnostic {
	detail := fmt.Sprintf("Inappropriate value for attribute %q: %s required.", attr.Name, want)
	if err != nil && !strings.HasSuffix(err.Error(), "required") {
		detail = fmt.Sprintf("Inappropriate value for attribute %q: %s required (%s).", attr.Name, want, err.Error())
	}
	return errorDiag("Incorrect attribute value type", detail, rangePtr(attr.Expr.Range()), rangePtr(attr.Range))
}

func getString(attr *hcl.Attribute, ctx *hcl.EvalContext) (s string, sensitive, ok bool, diags hcl.Diagnostics) {
	v, sensitive, ok, diags := evalAttr(attr, ctx)
	if !ok {
		return "", sensitive, false, diags
	}
	sv, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", sensitive, false, append(diags, typeError(attr, "string", err))
	}
	return sv.AsString(), sensitive, true, diags
}

// ctyInt converts a known number to int64, reporting whether it is whole and in range.
func ctyInt(v cty.Value) (int64, bool) {
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		return 0, false
	}
	i, acc := bf.Int64()
	return i, acc == big.Exact
}

func getNumber(attr *hcl.Attribute, ctx *hcl.EvalContext) (cty.Value, bool, hcl.Diagnostics) {
	v, sensitive, ok, diags := evalAttr(attr, ctx)
	if !ok {
		return cty.NilVal, false, diags
	}
	if sensitive {
		return cty.NilVal, false, append(diags, sensitiveNotAllowed(attr))
	}
	nv, err := convert.Convert(v, cty.Number)
	if err != nil {
		return cty.NilVal, false, append(diags, typeError(attr, "number", err))
	}
	return nv, true, diags
}

func getInt(attr *hcl.Attribute, ctx *hcl.EvalContext) (int64, bool, hcl.Diagnostics) {
	nv, ok, diags := getNumber(attr, ctx)
	if !ok {
		return 0, false, diags
	}
	i, whole := ctyInt(nv)
	if !whole {
		return 0, false, append(diags, typeError(attr, "whole number", nil))
	}
	return i, true, diags
}

func getFloat(attr *hcl.Attribute, ctx *hcl.EvalContext) (float64, bool, hcl.Diagnostics) {
	nv, ok, diags := getNumber(attr, ctx)
	if !ok {
		return 0, false, diags
	}
	f, _ := nv.AsBigFloat().Float64()
	return f, true, diags
}

// getPositiveInt reads a whole number that must be greater than zero.
func getPositiveInt(attr *hcl.Attribute, ctx *hcl.EvalContext) (int64, bool, hcl.Diagnostics) {
	i, ok, diags := getInt(attr, ctx)
	if ok && i <= 0 {
		return 0, false, append(diags, errorDiag("Invalid "+attr.Name,
			fmt.Sprintf("The %s must be a whole number greater than zero; got %d.", attr.Name, i),
			rangePtr(attr.Expr.Range()), rangePtr(attr.Range)))
	}
	return i, ok, diags
}

// getPositiveFloat reads a number that must be greater than zero.
func getPositiveFloat(attr *hcl.Attribute, ctx *hcl.EvalContext) (float64, bool, hcl.Diagnostics) {
	f, ok, diags := getFloat(attr, ctx)
	if ok && !(f > 0) {
		return 0, false, append(diags, errorDiag("Invalid "+attr.Name,
			fmt.Sprintf("The %s must be a number greater than zero; got %g.", attr.Name, f),
			rangePtr(attr.Expr.Range()), rangePtr(attr.Range)))
	}
	return f, ok, diags
}

// getFraction reads a number in [0, 1].
func getFraction(attr *hcl.Attribute, ctx *hcl.EvalContext) (float64, bool, hcl.Diagnostics) {
	f, ok, diags := getFloat(attr, ctx)
	if ok && (f < 0 || f > 1) {
		return 0, false, append(diags, errorDiag("Invalid "+attr.Name,
			fmt.Sprintf("The %s is a fraction and must be between 0 and 1; got %g.", attr.Name, f),
			rangePtr(attr.Expr.Range()), rangePtr(attr.Range)))
	}
	return f, ok, diags
}

func getBool(attr *hcl.Attribute, ctx *hcl.EvalContext) (bool, bool, hcl.Diagnostics) {
	v, sensitive, ok, diags := evalAttr(attr, ctx)
	if !ok {
		return false, false, diags
	}
	if sensitive {
		return false, false, append(diags, sensitiveNotAllowed(attr))
	}
	bv, err := convert.Convert(v, cty.Bool)
	if err != nil {
		return false, false, append(diags, typeError(attr, "bool", err))
	}
	return bv.True(), true, diags
}

// parseDuration parses "250ms", "30s", "5m", "1h30m". Negative durations are
// rejected.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("a duration must not be negative")
	}
	return d, nil
}

func durationError(attr *hcl.Attribute, s string, err error) *hcl.Diagnostic {
	return errorDiag("Invalid duration",
		fmt.Sprintf("The %s %q is not a valid duration (%v). Write a number followed by a unit: \"250ms\", \"30s\", \"5m\" or \"1h30m\".", attr.Name, s, cleanErr(err)),
		rangePtr(attr.Expr.Range()), rangePtr(attr.Range))
}

func cleanErr(err error) string {
	return strings.TrimPrefix(err.Error(), "time: ")
}

// getDuration reads a duration string. positive demands a duration above zero.
func getDuration(attr *hcl.Attribute, ctx *hcl.EvalContext, positive bool) (time.Duration, bool, hcl.Diagnostics) {
	s, ok, diags := getKeyword(attr, ctx)
	if !ok {
		return 0, false, diags
	}
	d, err := parseDuration(s)
	if err == nil && positive && d == 0 {
		err = fmt.Errorf("must be greater than zero")
	}
	if err != nil {
		return 0, false, append(diags, durationError(attr, s, err))
	}
	return d, true, diags
}

// getStringMap reads a map of strings; sensitive holds the keys whose
// value came from a sensitive value (every key when the map as a whole
// did).
func getStringMap(attr *hcl.Attribute, ctx *hcl.EvalContext) (m map[string]string, sensitive map[string]bool, ok bool, diags hcl.Diagnostics) {
	v, all, elems, ok, diags := evalElements(attr.Expr, ctx)
	if !ok {
		return nil, nil, false, diags
	}
	mv, err := convert.Convert(v, cty.Map(cty.String))
	if err != nil || mv.IsNull() || !mv.IsWhollyKnown() {
		return nil, nil, false, append(diags, typeError(attr, "map of strings", err))
	}
	out := map[string]string{}
	sensitive = map[string]bool{}
	for k, ev := range mv.AsValueMap() {
		if ev.IsNull() {
			continue
		}
		out[k] = ev.AsString()
		if all || elems[k] {
			sensitive[k] = true
		}
	}
	return out, sensitive, true, diags
}

// getStringList reads a list of strings; sensitive holds the indexes of
// the elements that came from a sensitive value.
func getStringList(attr *hcl.Attribute, ctx *hcl.EvalContext) ([]string, map[int]bool, bool, hcl.Diagnostics) {
	v, all, elems, ok, diags := evalElements(attr.Expr, ctx)
	if !ok {
		return nil, nil, false, diags
	}
	lv, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || lv.IsNull() {
		return nil, nil, false, append(diags, typeError(attr, "list of strings", err))
	}
	var out []string
	sensitive := map[int]bool{}
	for i, ev := range lv.AsValueSlice() {
		if ev.IsNull() {
			return nil, nil, false, append(diags, typeError(attr, "list of non-null strings", nil))
		}
		out = append(out, ev.AsString())
		if all || elems[fmt.Sprint(i)] {
			sensitive[i] = true
		}
	}
	return out, sensitive, true, diags
}

// ctyToGo converts a known, unmarked value to string, int64, float64, bool,
// []any or map[string]any (nil for null).
func ctyToGo(v cty.Value) any {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Number:
		if i, ok := ctyInt(v); ok {
			return i
		}
		f, _ := v.AsBigFloat().Float64()
		return f
	case t == cty.Bool:
		return v.True()
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			out = append(out, ctyToGo(ev))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			out[k.AsString()] = ctyToGo(ev)
		}
		return out
	}
	return nil
}

// GoToCty converts a value produced by evaluation (a Variable's Value) back
// to cty: the inverse of the conversion Load makes.
func GoToCty(v any) (cty.Value, error) {
	switch x := v.(type) {
	case string:
		return cty.StringVal(x), nil
	case bool:
		return cty.BoolVal(x), nil
	case int64:
		return cty.NumberIntVal(x), nil
	case int:
		return cty.NumberIntVal(int64(x)), nil
	case float64:
		return cty.NumberFloatVal(x), nil
	case nil:
		return cty.NullVal(cty.DynamicPseudoType), nil
	case []any:
		if len(x) == 0 {
			return cty.EmptyTupleVal, nil
		}
		vals := make([]cty.Value, len(x))
		for i, e := range x {
			c, err := GoToCty(e)
			if err != nil {
				return cty.NilVal, err
			}
			vals[i] = c
		}
		return cty.TupleVal(vals), nil
	case map[string]any:
		if len(x) == 0 {
			return cty.EmptyObjectVal, nil
		}
		vals := make(map[string]cty.Value, len(x))
		for k, e := range x {
			c, err := GoToCty(e)
			if err != nil {
				return cty.NilVal, err
			}
			vals[k] = c
		}
		return cty.ObjectVal(vals), nil
	}
	return cty.NilVal, fmt.Errorf("a value of type %T cannot be written", v)
}
