package dsl

import (
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TableTypes lists every table type; tableTypesFor the ones each connection
// type accepts (the first is the default).
var TableTypes = []string{TableStandard, TableHybrid, TableInteractive, TableDynamic, TablePostgres, TableSQLite}

var tableTypesFor = map[string][]string{
	ConnSnowflake: {TableStandard, TableHybrid, TableInteractive, TableDynamic},
	ConnPostgres:  {TablePostgres},
	ConnSQLite:    {TableSQLite},
}

// QueryKinds lists the query kinds.
var QueryKinds = []string{KindPointLookup, KindRangeScan, KindInsert, KindUpdate, KindDelete, KindSQL, KindTransaction}

// DefaultPoolSize is the number of values sampled for a pool without size.
const DefaultPoolSize = 1000

func (l *loader) decodeTemplate(pf *parsedFile, b *hcl.Block) {
	name := b.Labels[0]
	if prev, ok := l.cfg.Templates[name]; ok {
		l.diags = append(l.diags, duplicate("template", name, prev.DeclRange, b.DefRange))
		return
	}
	t := &Template{
		Name:      name,
		Tags:      map[string]string{},
		Session:   map[string]string{},
		Pools:     map[string]*Pool{},
		Queries:   map[string]*Query{},
		DeclRange: b.DefRange,
	}
	l.cfg.Templates[name] = t
	l.cfg.TemplateOrder = append(l.cfg.TemplateOrder, name)

	content, diags := b.Body.Content(templateSchema)
	l.diags = append(l.diags, diags...)
	ctx := pf.ctx
	attrs := content.Attributes

	if a := attrs["description"]; a != nil {
		t.Description = l.sensitiveStr(a, ctx, &t.Sensitive, "description")
	}
	connOK := false
	if a := attrs["connection"]; a != nil {
		t.Connection, connOK = l.connectionRef(a)
	} else if len(l.cfg.ConnectionOrder) == 1 {
		t.Connection, connOK = l.cfg.ConnectionOrder[0], true
	} else {
		l.diags = append(l.diags, errorDiag("Missing required argument",
			fmt.Sprintf("The template %q needs a connection argument (connection.TYPE.NAME): it can only be left out when exactly one connection is declared.", name),
			rangePtr(b.DefRange), nil))
	}
	if a := attrs["table"]; a != nil {
		t.Table = l.sensitiveStr(a, ctx, &t.Sensitive, "table")
	}
	var connType string
	if connOK {
		connType = l.cfg.Connections[t.Connection].Type
		t.TableType = tableTypesFor[connType][0]
	}
	if a := attrs["table_type"]; a != nil {
		if s, ok, d := getKeyword(a, ctx); !ok {
			l.diags = append(l.diags, d...)
		} else if !contains(TableTypes, s) {
			l.diags = append(l.diags, unknownValue("Unknown table type", "table type", s, TableTypes, a.Expr.Range()))
		} else if connOK && !contains(tableTypesFor[connType], s) {
			l.diags = append(l.diags, errorDiag("Incompatible table type",
				fmt.Sprintf("The table type %q does not fit the %s connection %q; a %s connection takes %s.", s, connType, t.Connection, connType, quoteList(tableTypesFor[connType])),
				rangePtr(a.Expr.Range()), rangePtr(a.Range)))
		} else {
			t.TableType = s
		}
	}
	if a := attrs["use_cached_result"]; a != nil {
		if bv, ok, d := getBool(a, ctx); ok {
			t.UseCachedResult = &bv
		} else {
			l.diags = append(l.diags, d...)
		}
	}
	if a := attrs["think_time"]; a != nil {
		d, _, dd := getDuration(a, ctx, false)
		l.diags = append(l.diags, dd...)
		l.durationAtMost(a, d, MaxThinkTime)
		t.ThinkTime = d
	}
	for _, n := range []string{"tags", "session"} {
		if a := attrs[n]; a != nil {
			m, sensitive, ok, d := getStringMap(a, ctx)
			l.diags = append(l.diags, d...)
			if ok && n == "tags" {
				t.Tags = m
			} else if ok {
				t.Session = m
			}
			for k := range sensitive {
				t.Sensitive.set(n + "." + k)
				l.noteSecret(m[k])
			}
		}
	}

	l.decodeServerObjects(t, content, ctx, connType)
	for _, pb := range content.Blocks.OfType("pool") {
		l.decodePool(t, pb, ctx)
	}
	argsCtx := ctx.NewChild()
	argsCtx.Variables = map[string]cty.Value{"pool": poolObject(t.PoolOrder)}
	argsCtx.Functions = generatorFunctions
	for _, qb := range content.Blocks.OfType("query") {
		l.decodeQuery(t, qb, ctx, argsCtx, connType)
	}
	for _, sb := range content.Blocks.OfType("slo") {
		l.decodeSLO(t, sb, ctx)
	}
	if len(t.QueryOrder) == 0 && len(content.Blocks.OfType("query")) == 0 {
		l.diags = append(l.diags, errorDiag("Missing query block",
			fmt.Sprintf("The template %q has no query blocks; a template needs at least one query to run.", name),
			rangePtr(b.DefRange), nil))
	}
}

// sensitiveStr evaluates a string attribute that may come from a
// sensitive value, recording it in sens under key when it does.
func (l *loader) sensitiveStr(a *hcl.Attribute, ctx *hcl.EvalContext, sens *Sensitivity, key string) string {
	s, sensitive, _, d := getString(a, ctx)
	l.diags = append(l.diags, d...)
	if sensitive {
		sens.set(key)
		l.noteSecret(s)
	}
	return s
}

func (l *loader) decodePool(t *Template, b *hcl.Block, ctx *hcl.EvalContext) {
	name := b.Labels[0]
	if prev, ok := t.Pools[name]; ok {
		l.diags = append(l.diags, duplicate("pool", name, prev.DeclRange, b.DefRange))
		return
	}
	p := &Pool{Name: name, DeclRange: b.DefRange}
	t.Pools[name] = p
	t.PoolOrder = append(t.PoolOrder, name)
	content, diags := b.Body.Content(poolSchema)
	l.diags = append(l.diags, diags...)
	attrs := content.Attributes
	if a := attrs["disjoint"]; a != nil {
		v, ok, d := getBool(a, ctx)
		l.diags = append(l.diags, d...)
		p.Disjoint = ok && v
	}
	if a := attrs["values"]; a != nil {
		for _, n := range []string{"column", "table", "size"} {
			if c := attrs[n]; c != nil {
				l.diags = append(l.diags, errorDiag("Conflicting pool arguments",
					fmt.Sprintf("The pool %q sets values, so it is not sampled from a table; remove %s.", name, n),
					rangePtr(c.NameRange), rangePtr(c.Range)))
			}
		}
		v, sensitive, ok, d := evalAttr(a, ctx)
		l.diags = append(l.diags, d...)
		if ok && sensitive {
			p.Sensitive.set("values")
			l.noteSecretValue(v)
		}
		if ok {
			ty := v.Type()
			if !(ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) || v.LengthInt() == 0 {
				l.diags = append(l.diags, typeError(a, "non-empty list of strings, numbers or bools", nil))
				return
			}
			for it := v.ElementIterator(); it.Next(); {
				_, ev := it.Element()
				if ev.IsNull() || !ev.Type().IsPrimitiveType() {
					l.diags = append(l.diags, typeError(a, "non-empty list of strings, numbers or bools", nil))
					p.Values = nil
					return
				}
				p.Values = append(p.Values, ctyToGo(ev))
			}
		}
		return
	}
	if a := attrs["column"]; a != nil {
		p.Column = l.sensitiveStr(a, ctx, &p.Sensitive, "column")
	} else {
		l.diags = append(l.diags, errorDiag("Missing required argument",
			fmt.Sprintf("The pool %q needs either column (values sampled from the table) or values (a literal list).", name),
			rangePtr(b.DefRange), nil))
	}
	p.Table = t.Table
	if a := attrs["table"]; a != nil {
		p.Table = l.sensitiveStr(a, ctx, &p.Sensitive, "table")
	}
	p.Size = DefaultPoolSize
	if a := attrs["size"]; a != nil {
		n, _, d := getPositiveInt(a, ctx)
		l.diags = append(l.diags, d...)
		l.atMost(a, float64(n), MaxPoolSize, "")
		p.Size = n
	}
}

func (l *loader) decodeQuery(t *Template, b *hcl.Block, ctx, argsCtx *hcl.EvalContext, connType string) {
	name := b.Labels[0]
	if prev, ok := t.Queries[name]; ok {
		l.diags = append(l.diags, duplicate("query", name, prev.DeclRange, b.DefRange))
		return
	}
	q := &Query{Name: name, Kind: KindSQL, Weight: 1, DeclRange: b.DefRange}
	t.Queries[name] = q
	t.QueryOrder = append(t.QueryOrder, name)
	content, diags := b.Body.Content(querySchema)
	l.diags = append(l.diags, diags...)
	attrs := content.Attributes
	if a := attrs["kind"]; a != nil {
		if s, ok, d := getKeyword(a, ctx); !ok {
			l.diags = append(l.diags, d...)
		} else if !slices.Contains(QueryKinds, s) {
			l.diags = append(l.diags, unknownValue("Unknown query kind", "query kind", s, QueryKinds, a.Expr.Range()))
		} else {
			q.Kind = s
		}
	}
	if a := attrs["weight"]; a != nil {
		n, _, d := getPositiveInt(a, ctx)
		l.diags = append(l.diags, d...)
		l.atMost(a, float64(n), MaxWeight, "")
		q.Weight = n
	}
	l.decodeTransaction(t, q, b, content, ctx, argsCtx, connType)
	if q.IsTransaction() {
		return
	}
	if attrs["sql"] == nil && q.Kind != KindTransaction {
		l.diags = append(l.diags, errorDiag("Missing required argument",
			fmt.Sprintf("The query %q needs sql (one statement), or statement blocks (a transaction).", name),
			rangePtr(b.DefRange), nil))
	}
	sqlOK := false
	if a := attrs["sql"]; a != nil {
		var d hcl.Diagnostics
		var sensitive bool
		q.SQL, sensitive, sqlOK, d = getString(a, ctx)
		l.diags = append(l.diags, d...)
		if sensitive {
			q.Sensitive.set("sql")
			l.noteSecret(q.SQL)
		}
		if sqlOK && q.SQL == "" {
			l.diags = append(l.diags, errorDiag("Empty SQL", fmt.Sprintf("The query %q has an empty sql string.", name), rangePtr(a.Expr.Range()), nil))
			sqlOK = false
		}
	}
	argsOK := true
	if a := attrs["args"]; a != nil {
		q.Args, argsOK = l.decodeArgs(a, argsCtx)
		for _, g := range q.Args {
			if g.Kind == GenPool && t.Pools[g.Pool] == nil {
				l.diags = append(l.diags, unknownName("Unknown pool", "pool|in this template", g.Pool, t.PoolOrder, g.Range))
				argsOK = false
			}
		}
	}
	if sqlOK && argsOK {
		n := CountPlaceholders(q.SQL)
		if n != len(q.Args) {
			a := attrs["sql"]
			l.diags = append(l.diags, errorDiag("Placeholder count mismatch",
				fmt.Sprintf("The sql of query %q has %d placeholder(s) but args gives %d value(s); give one argument per ? (or per distinct $N).", name, n, len(q.Args)),
				rangePtr(a.Expr.Range()), rangePtr(b.DefRange)))
		}
	}
}

// decodeArgs evaluates a query's args, element by element when the
// expression is a literal list so each generator keeps its own range.
func (l *loader) decodeArgs(a *hcl.Attribute, ctx *hcl.EvalContext) ([]Generator, bool) {
	var elems []hcl.Expression
	if tup, ok := a.Expr.(*hclsyntax.TupleConsExpr); ok {
		for _, e := range tup.Exprs {
			elems = append(elems, e)
		}
	}
	ok := true
	out := []Generator{}
	if elems != nil || isEmptyTuple(a.Expr) {
		for _, e := range elems {
			v, sensitive, known, d := evalExpr(e, ctx)
			l.diags = append(l.diags, d...)
			if !known {
				ok = false
				if !d.HasErrors() {
					l.diags = append(l.diags, errorDiag("Invalid query argument", "A query argument must not be null.", rangePtr(e.Range()), nil))
				}
				continue
			}
			g, diag := decodeGenerator(v, e.Range())
			if diag != nil {
				l.diags = append(l.diags, diag)
				ok = false
				continue
			}
			if sensitive {
				g.Sensitive = true
				l.noteSecretValue(v)
			}
			out = append(out, g)
		}
		return out, ok
	}
	v, all, sensElems, known, d := evalElements(a.Expr, ctx)
	l.diags = append(l.diags, d...)
	if !known {
		return nil, false
	}
	ty := v.Type()
	if !(ty.IsListType() || ty.IsTupleType()) {
		l.diags = append(l.diags, typeError(a, "list of generators or literals", nil))
		return nil, false
	}
	for i := 0; v.IsKnown() && i < v.LengthInt(); i++ {
		ev := v.Index(cty.NumberIntVal(int64(i)))
		g, diag := decodeGenerator(ev, a.Expr.Range())
		if diag != nil {
			l.diags = append(l.diags, diag)
			ok = false
			continue
		}
		if all || sensElems[fmt.Sprint(i)] {
			g.Sensitive = true
			l.noteSecretValue(ev)
		}
		out = append(out, g)
	}
	return out, ok
}

func isEmptyTuple(e hcl.Expression) bool {
	t, ok := e.(*hclsyntax.TupleConsExpr)
	return ok && len(t.Exprs) == 0
}

func (l *loader) decodeSLO(t *Template, b *hcl.Block, ctx *hcl.EvalContext) {
	q := b.Labels[0]
	if q != "*" {
		if _, ok := t.Queries[q]; !ok {
			l.diags = append(l.diags, unknownName("Unknown query", "query|in template "+fmt.Sprintf("%q", t.Name), q, t.QueryOrder, b.LabelRanges[0]))
			return
		}
	}
	s := &SLO{Query: q, DeclRange: b.DefRange}
	content, diags := b.Body.Content(sloSchema)
	l.diags = append(l.diags, diags...)
	for _, a := range sortedAttrs(content.Attributes) {
		if Metric(a.Name) == MetricErrorRate {
			f, ok, d := getFraction(a, ctx)
			l.diags = append(l.diags, d...)
			if ok {
				s.ErrorRate = &f
			}
			continue
		}
		ms, ok, d := l.latency(a, ctx)
		l.diags = append(l.diags, d...)
		if !ok {
			continue
		}
		dur := time.Duration(ms * float64(time.Millisecond))
		switch Metric(a.Name) {
		case MetricP50:
			s.P50 = dur
		case MetricP95:
			s.P95 = dur
		case MetricP99:
			s.P99 = dur
		}
	}
	t.SLOs = append(t.SLOs, s)
}

// latency reads a latency: a duration string ("50ms") or a number of
// milliseconds. It returns milliseconds.
func (l *loader) latency(a *hcl.Attribute, ctx *hcl.EvalContext) (float64, bool, hcl.Diagnostics) {
	v, sensitive, ok, diags := evalAttr(a, ctx)
	if !ok {
		return 0, false, diags
	}
	if sensitive {
		return 0, false, append(diags, sensitiveNotAllowed(a))
	}
	switch v.Type() {
	case cty.String:
		d, err := parseDuration(v.AsString())
		if err != nil {
			return 0, false, append(diags, durationError(a, v.AsString(), err))
		}
		return float64(d) / float64(time.Millisecond), true, diags
	case cty.Number:
		f, _ := v.AsBigFloat().Float64()
		if f < 0 {
			return 0, false, append(diags, errorDiag("Invalid "+a.Name,
				fmt.Sprintf("A latency must not be negative; got %g.", f), rangePtr(a.Expr.Range()), nil))
		}
		return f, true, diags
	}
	return 0, false, append(diags, typeError(a, "duration string or number of milliseconds", nil))
}
