package engine

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/flakebench/fbctl/dsl"
)

// ConfigVersion is the "config_version" member of every CONFIG payload: the
// version of the payload's shape. It changes only when a consumer of CONFIG
// would have to change.
const ConfigVersion = 1

// CanonicalConfig compiles a template to its canonical CONFIG payload, the
// JSON stored in TEST_TEMPLATES.CONFIG, and the payload's hash
// ("sha256:" + lowercase hex of the payload bytes).
//
// The payload is canonical: the same template always gives the same bytes.
//   - Object members are sorted by name at every level (maps included), so
//     no map iteration order can leak in; order that matters (the query
//     mix) is carried by explicit arrays (query_order).
//   - Compact: no insignificant whitespace, no trailing newline, and no
//     HTML escaping (SQL keeps its < and >).
//   - Durations are milliseconds as JSON numbers in members ending in _ms
//     (whole numbers unless the source had a sub-millisecond part).
//   - Unset optional values are omitted, not null.
//
// It carries no secret: the connection is referenced by its key and its
// non-secret Fields and Params only, plus the sorted names (never values)
// of the secret attributes that were set; every other value that came from
// a sensitive value (dsl.Sensitivity: SQL, arguments, pool values, tags,
// session values, descriptions, tables) is replaced by its Redacted marker.
func CanonicalConfig(cfg *dsl.Config, t *dsl.Template) (payload []byte, hash string, err error) {
	if t == nil {
		return nil, "", fmt.Errorf("canonical CONFIG: nil template")
	}
	scope := "template." + t.Name + "."
	doc := map[string]any{
		"config_version": ConfigVersion,
		"name":           t.Name,
		"table":          redactIf(t.Sensitive.Has("table"), scope+"table", t.Table),
		"table_type":     t.TableType,
		"think_time_ms":  millis(t.ThinkTime),
	}
	if t.Description != "" {
		doc["description"] = redactIf(t.Sensitive.Has("description"), scope+"description", t.Description)
	}
	var conn *dsl.Connection
	if cfg != nil {
		conn = cfg.Connections[t.Connection]
	}
	if conn == nil {
		return nil, "", fmt.Errorf("canonical CONFIG of template %q: %w %q", t.Name, ErrUnknownConnection, t.Connection)
	}
	doc["connection"] = connectionDoc(conn)
	if t.UseCachedResult != nil {
		doc["use_cached_result"] = *t.UseCachedResult
	}
	if len(t.Tags) > 0 {
		doc["tags"] = redactMap(t.Sensitive, "tags", scope, t.Tags)
	}
	if len(t.Session) > 0 {
		doc["session"] = redactMap(t.Sensitive, "session", scope, t.Session)
	}
	if len(t.Pools) > 0 {
		pools := make(map[string]any, len(t.Pools))
		for name, p := range t.Pools {
			pools[name] = poolDoc(scope+"pools."+name+".", p)
		}
		doc["pools"] = pools
	}
	queries := make(map[string]any, len(t.Queries))
	for name, q := range t.Queries {
		queries[name] = queryDoc(scope+"queries."+name+".", q)
	}
	doc["queries"] = queries
	doc["query_order"] = queryOrder(t)
	serverDocs(doc, t)
	if len(t.SLOs) > 0 {
		slos := make(map[string]any, len(t.SLOs))
		for _, s := range t.SLOs {
			if _, dup := slos[s.Query]; dup {
				return nil, "", fmt.Errorf("canonical CONFIG of template %q: two slo blocks for query %q", t.Name, s.Query)
			}
			slos[s.Query] = sloDoc(s)
		}
		doc["slos"] = slos
	}
	payload, err = encodeCanonical(doc)
	if err != nil {
		return nil, "", fmt.Errorf("canonical CONFIG of template %q: %w", t.Name, err)
	}
	return payload, HashConfig(payload), nil
}

// Redacted is the marker that stands for a sensitive value in CONFIG and
// plans: "(sensitive, hash H)", where H is PBKDF2-SHA256 of the value salted
// with scope, the value's place (template.orders.queries.q.sql). The marker
// changes whenever the value does, so a plan diff and a stale-plan check
// still see the change, but it gives the value away to no lookup table;
// like any hash it cannot protect a value that is easy to guess. apply
// runs with the values from the files, never from a marker.
func Redacted(scope, value string) string {
	key, err := pbkdf2.Key(sha256.New, value, []byte("flakebench sensitive value\x00"+scope), redactIterations, 12)
	if err != nil {
		return RedactedPrefix + "hash unavailable)"
	}
	return RedactedPrefix + "hash " + hex.EncodeToString(key) + ")"
}

// RedactedPrefix starts every Redacted marker.
const RedactedPrefix = "(sensitive, "

// redactIterations is PBKDF2's work factor: about 10 ms per value.
const redactIterations = 20_000

// IsRedacted reports whether s is a Redacted marker.
func IsRedacted(s string) bool {
	return strings.HasPrefix(s, RedactedPrefix) && strings.HasSuffix(s, ")")
}

func redactIf(sensitive bool, scope, value string) string {
	if sensitive {
		return Redacted(scope, value)
	}
	return value
}

// redactMap copies m with the values that sens lists as "attr.KEY"
// replaced by markers.
func redactMap(sens dsl.Sensitivity, attr, scope string, m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = redactIf(sens.Has(attr+"."+k), scope+attr+"."+k, v)
	}
	return out
}

// TemplateRowFields are the description and tags a template's
// TEST_TEMPLATES row carries beside CONFIG, redacted like CONFIG.
func TemplateRowFields(t *dsl.Template) (description string, tags map[string]string) {
	scope := "template." + t.Name + "."
	description = redactIf(t.Sensitive.Has("description"), scope+"description", t.Description)
	if t.Tags != nil {
		tags = redactMap(t.Sensitive, "tags", scope, t.Tags)
	}
	return description, tags
}

// HashConfig returns "sha256:" + the lowercase hex SHA-256 of payload.
func HashConfig(payload []byte) string {
	sum := sha256.Sum256(payload)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// encodeCanonical encodes a tree of maps, slices and scalars. encoding/json
// sorts map keys; HTML escaping is turned off so SQL stays readable.
func encodeCanonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// millis converts a duration to milliseconds. A whole number of
// milliseconds is exact in float64 and encoding/json writes it without a
// fraction (300000, not 3e+05), so CONFIG and plans need no second type.
func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func connectionDoc(c *dsl.Connection) map[string]any {
	doc := map[string]any{
		"key":  c.Key(),
		"type": c.Type,
		"name": c.Name,
	}
	if len(c.Fields) > 0 {
		doc["fields"] = c.Fields
	}
	if len(c.Params) > 0 {
		doc["params"] = c.Params
	}
	if len(c.Secrets) > 0 {
		names := make([]string, 0, len(c.Secrets))
		for k := range c.Secrets {
			names = append(names, k)
		}
		slices.Sort(names)
		doc["secret_attributes"] = names
	}
	return doc
}

func poolDoc(scope string, p *dsl.Pool) map[string]any {
	doc := map[string]any{}
	if p.Column != "" {
		doc["column"] = redactIf(p.Sensitive.Has("column"), scope+"column", p.Column)
	}
	if p.Table != "" {
		doc["table"] = redactIf(p.Sensitive.Has("table"), scope+"table", p.Table)
	}
	if p.Size != 0 {
		doc["size"] = p.Size
	}
	if p.Disjoint {
		doc["disjoint"] = true
	}
	if p.Values != nil {
		doc["values"] = p.Values
		if p.Sensitive.Has("values") {
			b, _ := json.Marshal(p.Values)
			doc["values"] = Redacted(scope+"values", string(b))
		}
	}
	return doc
}

func queryDoc(scope string, q *dsl.Query) map[string]any {
	args := make([]any, len(q.Args))
	for i, g := range q.Args {
		args[i] = generatorDoc(fmt.Sprintf("%sargs[%d]", scope, i), g)
	}
	if q.IsTransaction() {
		return transactionDoc(scope, q)
	}
	return map[string]any{
		"kind":   q.Kind,
		"weight": q.Weight,
		"sql":    redactIf(q.Sensitive.Has("sql"), scope+"sql", q.SQL),
		"args":   args,
	}
}

// transactionDoc is the CONFIG of a transaction query: its let values,
// statements in order, isolation and tries.
func transactionDoc(scope string, q *dsl.Query) map[string]any {
	lets := map[string]any{}
	for _, l := range q.Lets {
		lets[l.Name] = generatorDoc(scope+"let."+l.Name, l.Gen)
	}
	stmts := make([]any, len(q.Statements))
	for i, st := range q.Statements {
		sc := fmt.Sprintf("%sstatements[%d].", scope, i)
		args := make([]any, len(st.Args))
		for j, g := range st.Args {
			args[j] = generatorDoc(fmt.Sprintf("%sargs[%d]", sc, j), g)
		}
		doc := map[string]any{"name": st.Name, "sql": redactIf(st.Sensitive, sc+"sql", st.SQL), "args": args}
		if st.Into != "" {
			doc["into"] = st.Into
		}
		stmts[i] = doc
	}
	doc := map[string]any{
		"kind":       q.Kind,
		"weight":     q.Weight,
		"let":        lets,
		"statements": stmts,
		"max_tries":  q.MaxTries,
	}
	if q.Isolation != "" {
		doc["isolation"] = q.Isolation
	}
	return doc
}

// generatorDoc keeps only the members that belong to the generator's kind,
// so a zero that means something (uniform min = 0) is always present. A
// generator from a sensitive value keeps only its kind and a marker.
func generatorDoc(scope string, g dsl.Generator) map[string]any {
	doc := map[string]any{"kind": g.Kind}
	if g.Sensitive {
		b, _ := json.Marshal(g)
		doc["sensitive"] = Redacted(scope, string(b))
		return doc
	}
	switch g.Kind {
	case dsl.GenLiteral:
		doc["literal"] = g.Literal
	case dsl.GenPool:
		doc["pool"] = g.Pool
	case dsl.GenSequence:
		if g.Column != "" {
			doc["column"] = g.Column
		} else {
			doc["start"] = g.Start
		}
	case dsl.GenUniform:
		doc["min"], doc["max"] = g.Min, g.Max
	case dsl.GenZipf:
		doc["n"], doc["s"] = g.N, g.S
	case dsl.GenChoice:
		doc["choices"] = g.Choices
	case dsl.GenRandomString:
		doc["n"] = g.N
	case dsl.GenLet:
		doc["let"] = g.Let
	case dsl.GenNow:
	default: // a kind this version does not know: keep every member set
		b, err := json.Marshal(g)
		if err != nil {
			return doc
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var all map[string]any
		if dec.Decode(&all) == nil {
			return all
		}
	}
	return doc
}

func sloDoc(s *dsl.SLO) map[string]any {
	doc := map[string]any{}
	if s.P50 > 0 {
		doc["p50_ms"] = millis(s.P50)
	}
	if s.P95 > 0 {
		doc["p95_ms"] = millis(s.P95)
	}
	if s.P99 > 0 {
		doc["p99_ms"] = millis(s.P99)
	}
	if s.ErrorRate != nil {
		doc["error_rate"] = *s.ErrorRate
	}
	return doc
}

// queryOrder is the template's query order: QueryOrder when it names every
// query, else the query names sorted (a Config built without order).
func queryOrder(t *dsl.Template) []string {
	if len(t.QueryOrder) == len(t.Queries) {
		ok := true
		for _, n := range t.QueryOrder {
			if _, found := t.Queries[n]; !found {
				ok = false
				break
			}
		}
		if ok {
			return slices.Clone(t.QueryOrder)
		}
	}
	names := make([]string, 0, len(t.Queries))
	for n := range t.Queries {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// finite reports whether f is a usable number.
func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
