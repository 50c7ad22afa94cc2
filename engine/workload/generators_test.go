package workload

import (
	"context"
	"database/sql"
	"sort"
	"testing"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"
)

// At 64 connections x 4 workers, every key is new, after the column's
// maximum, and the keys stay dense: the largest is below the maximum plus
// the keys drawn plus one per connection, far inside int4.
func TestSequencesNeverCollideAcrossWorkersAndConnections(t *testing.T) {
	const workers, conns, draws = 4, 64, 2_000
	seen := make(map[int64]int64, workers*conns*draws)
	var top int64
	for w := range workers {
		for c := range conns {
			env := Env{Seed: 7, WorkerID: w, Workers: workers, Conn: c, ConnsPerWorker: conns,
				SequenceMax: map[string]int64{"id": 41_999}}
			g, err := NewGen(dsl.Generator{Kind: dsl.GenSequence, Column: "id"}, nil, env, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			owner := env.GlobalConn()
			for range draws {
				v := g.Next().(int64)
				if v <= 41_999 {
					t.Fatalf("key %d is not after the column's maximum", v)
				}
				if prev, dup := seen[v]; dup {
					t.Fatalf("key %d drawn by connections %d and %d", v, prev, owner)
				}
				seen[v] = owner
				top = max(top, v)
			}
		}
	}
	if len(seen) != workers*conns*draws {
		t.Fatalf("%d distinct keys, want %d", len(seen), workers*conns*draws)
	}
	if limit := int64(41_999 + workers*conns*draws + workers*conns); top >= limit || top > 1<<31-1 {
		t.Fatalf("largest key %d, want below %d (dense) and inside int4", top, limit)
	}
}

func TestPoolWalksAreDisjoint(t *testing.T) {
	const workers, conns = 2, 3
	vals := make([]any, 60)
	for i := range vals {
		vals[i] = int64(i)
	}
	pools := map[string]*dsl.Pool{"ids": {Name: "ids", Values: vals, Disjoint: true}}
	seen := map[int64]int64{}
	for w := range workers {
		for c := range conns {
			env := Env{WorkerID: w, Workers: workers, Conn: c, ConnsPerWorker: conns}
			g, err := NewGen(dsl.Generator{Kind: dsl.GenPool, Pool: "ids"}, pools, env, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			for range len(vals) / (workers * conns) {
				v := g.Next().(int64)
				if prev, dup := seen[v]; dup {
					t.Fatalf("pool value %d read by connections %d and %d", v, prev, env.GlobalConn())
				}
				seen[v] = env.GlobalConn()
			}
		}
	}
	if len(seen) != len(vals) {
		t.Fatalf("%d values read, want all %d", len(seen), len(vals))
	}
}

func TestGeneratorsAreDeterministicPerConnection(t *testing.T) {
	tmpl := &dsl.Template{
		QueryOrder: []string{"get", "put"},
		Pools:      map[string]*dsl.Pool{"p": {Name: "p", Values: []any{"a", "b", "c", "d"}}},
		Queries: map[string]*dsl.Query{
			"get": {Name: "get", Weight: 3, Args: []dsl.Generator{
				{Kind: dsl.GenUniform, Min: 10, Max: 20},
				{Kind: dsl.GenZipf, N: 100, S: 1.2},
				{Kind: dsl.GenPool, Pool: "p"},
			}},
			"put": {Name: "put", Weight: 1, Args: []dsl.Generator{
				{Kind: dsl.GenSequence, Start: 1000},
				{Kind: dsl.GenChoice, Choices: []any{"x", "y"}},
				{Kind: dsl.GenRandomString, N: 12},
				{Kind: dsl.GenLiteral, Literal: "lit"},
			}},
		},
	}
	run := func(env Env) [][]any {
		c, err := NewConn(tmpl, env)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]any
		for range 200 {
			q, args := c.Next()
			out = append(out, append([]any{q}, args...))
		}
		return out
	}
	env := Env{Seed: 42, WorkerID: 1, Workers: 2, Conn: 3, ConnsPerWorker: 4}
	a, b := run(env), run(env)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed and connection gave different values:\n%s", diff)
	}
	other := env
	other.Conn = 2
	if cmp.Equal(a, run(other)) {
		t.Fatal("two connections drew the same values")
	}
	reseeded := env
	reseeded.Seed = 43
	if cmp.Equal(a, run(reseeded)) {
		t.Fatal("a different seed drew the same values")
	}
	for _, row := range a {
		switch row[0] {
		case 0:
			if u := row[1].(int64); u < 10 || u > 20 {
				t.Fatalf("uniform value %d outside 10..20", u)
			}
			if z := row[2].(int64); z < 1 || z > 100 {
				t.Fatalf("zipf value %d outside 1..100", z)
			}
		case 1:
			if s := row[3].(string); len(s) != 12 {
				t.Fatalf("random_string %q is not 12 long", s)
			}
			if row[4] != "lit" {
				t.Fatalf("literal = %v", row[4])
			}
		}
	}
}

func TestNowIsUTC(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	g, err := NewGen(dsl.Generator{Kind: dsl.GenNow}, nil, Env{Now: func() time.Time { return time.Date(2026, 1, 1, 1, 0, 0, 0, loc) }}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	v := g.Next().(time.Time)
	if v.Location() != time.UTC || v.Hour() != 0 {
		t.Fatalf("now = %v, want UTC 00:00", v)
	}
}

func TestGeneratorErrors(t *testing.T) {
	for _, g := range []dsl.Generator{
		{Kind: dsl.GenPool, Pool: "missing"},
		{Kind: dsl.GenSequence, Column: "id"},
		{Kind: dsl.GenUniform, Min: 5, Max: 1},
		{Kind: dsl.GenZipf, N: 10, S: 1},
		{Kind: dsl.GenChoice},
		{Kind: dsl.GenRandomString},
		{Kind: "bogus"},
	} {
		if _, err := NewGen(g, nil, Env{}, 0, 0); err == nil {
			t.Errorf("%+v: no error", g)
		}
	}
}

func TestSamplePoolFromSQLite(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
		INSERT INTO t VALUES (1,'a'),(2,'b'),(3,'c'),(4,'d');`); err != nil {
		t.Fatal(err)
	}
	ids, err := SamplePoolOf(ctx, db, &dsl.Pool{Column: "id", Size: 3}, "t", "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 {
		t.Fatalf("sampled %v, want 3 values", ids)
	}
	names, err := SamplePoolOf(ctx, db, &dsl.Pool{Column: "name", Table: "t"}, "other", "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].(string) < names[j].(string) })
	if diff := cmp.Diff([]any{"a", "b", "c", "d"}, names); diff != "" {
		t.Fatalf("names (-want +got):\n%s", diff)
	}
	if _, err := SamplePool(ctx, db, "SELECT nope FROM t"); err == nil {
		t.Fatal("bad query gave no error")
	}
}

func BenchmarkConnNext(b *testing.B) {
	tmpl := &dsl.Template{
		QueryOrder: []string{"get", "put"},
		Pools:      map[string]*dsl.Pool{"p": {Name: "p", Values: []any{int64(1), int64(2), int64(3)}}},
		Queries: map[string]*dsl.Query{
			"get": {Name: "get", Weight: 9, Args: []dsl.Generator{{Kind: dsl.GenPool, Pool: "p"}}},
			"put": {Name: "put", Weight: 1, Args: []dsl.Generator{{Kind: dsl.GenSequence, Start: 1}, {Kind: dsl.GenLiteral, Literal: "x"}}},
		},
	}
	c, err := NewConn(tmpl, Env{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Next()
	}
}
