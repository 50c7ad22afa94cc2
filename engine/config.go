package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
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
// of the secret attributes that were set.
func CanonicalConfig(cfg *dsl.Config, t *dsl.Template) (payload []byte, hash string, err error) {
	if t == nil {
		return nil, "", fmt.Errorf("canonical CONFIG: nil template")
	}
	doc := map[string]any{
		"config_version": ConfigVersion,
		"name":           t.Name,
		"table":          t.Table,
		"table_type":     t.TableType,
		"think_time_ms":  millis(t.ThinkTime),
	}
	if t.Description != "" {
		doc["description"] = t.Description
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
		doc["tags"] = t.Tags
	}
	if len(t.Session) > 0 {
		doc["session"] = t.Session
	}
	if len(t.Pools) > 0 {
		pools := make(map[string]any, len(t.Pools))
		for name, p := range t.Pools {
			pools[name] = poolDoc(p)
		}
		doc["pools"] = pools
	}
	queries := make(map[string]any, len(t.Queries))
	for name, q := range t.Queries {
		queries[name] = queryDoc(q)
	}
	doc["queries"] = queries
	doc["query_order"] = queryOrder(t)
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

func poolDoc(p *dsl.Pool) map[string]any {
	doc := map[string]any{}
	if p.Column != "" {
		doc["column"] = p.Column
	}
	if p.Table != "" {
		doc["table"] = p.Table
	}
	if p.Size != 0 {
		doc["size"] = p.Size
	}
	if p.Values != nil {
		doc["values"] = p.Values
	}
	return doc
}

func queryDoc(q *dsl.Query) map[string]any {
	args := make([]any, len(q.Args))
	for i, g := range q.Args {
		args[i] = generatorDoc(g)
	}
	return map[string]any{
		"kind":   q.Kind,
		"weight": q.Weight,
		"sql":    q.SQL,
		"args":   args,
	}
}

// generatorDoc keeps only the members that belong to the generator's kind,
// so a zero that means something (uniform min = 0) is always present.
func generatorDoc(g dsl.Generator) map[string]any {
	doc := map[string]any{"kind": g.Kind}
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
