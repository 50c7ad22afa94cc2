package workload

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/flakebench/fbctl/dsl"
)

// Env places one connection in the run: it fixes every generator's seed
// and the connection's slice of pools and key ranges.
type Env struct {
	Seed           int64 // scenario seed
	WorkerID       int   // WORKER_GROUP_ID, 0-based
	Workers        int   // workers in the phase (>= 1)
	Conn           int   // connection index within the worker, 0-based
	ConnsPerWorker int   // connections per worker (>= 1); the stride of pool walks and key ranges

	// Pools holds the values of pools sampled from the target at run start,
	// by pool name; pools with literal values need no entry.
	Pools map[string][]any
	// SequenceMax holds the current maximum of each sequence column, by
	// column name; a sequence starts after it. Connection g of the Stride()
	// connections of the node hands out start+g, start+g+Stride, ...: keys
	// never collide and stay dense (a run of n inserts ends below
	// start + n + Stride), so an int4 column holds billions of inserts.
	SequenceMax map[string]int64
	// Now returns the current time (nil: time.Now); "now" arguments are
	// its value in UTC.
	Now func() time.Time
}

// GlobalConn returns the connection's index across every worker.
func (e Env) GlobalConn() int64 {
	return int64(e.WorkerID)*int64(max(e.ConnsPerWorker, 1)) + int64(e.Conn)
}

// Stride returns the number of connections across every worker.
func (e Env) Stride() int64 {
	return int64(max(e.Workers, 1)) * int64(max(e.ConnsPerWorker, 1))
}

// Gen produces the values of one query argument. A Gen is used by one
// goroutine.
type Gen interface {
	Next() any
}

// seedFor derives a generator's stream from the scenario seed and its
// place (worker, connection, query, argument) with a splitmix64 mix.
func seedFor(seed int64, parts ...int64) *rand.Rand {
	h := uint64(seed)
	for _, p := range parts {
		h = splitmix(h ^ uint64(p))
	}
	return rand.New(rand.NewPCG(uint64(seed), h))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// NewGen builds the generator of argument arg of query query for the
// connection env describes. pools holds the template's pools by name.
func NewGen(g dsl.Generator, pools map[string]*dsl.Pool, env Env, query, arg int) (Gen, error) {
	rng := seedFor(env.Seed, int64(env.WorkerID), int64(env.Conn), int64(query), int64(arg))
	switch g.Kind {
	case dsl.GenLiteral:
		return literalGen{g.Literal}, nil
	case dsl.GenPool:
		vals := env.Pools[g.Pool]
		if p := pools[g.Pool]; len(vals) == 0 && p != nil {
			vals = p.Values
		}
		if len(vals) == 0 {
			return nil, fmt.Errorf("pool %q has no values (sample it from the target first)", g.Pool)
		}
		if p := pools[g.Pool]; p != nil && p.Disjoint {
			if int64(len(vals)) < env.Stride() {
				return nil, fmt.Errorf("pool %q is disjoint but has %d values for %d connections; give it at least one value per connection (size) or remove disjoint", g.Pool, len(vals), env.Stride())
			}
			return &poolWalk{vals: vals, pos: env.GlobalConn(), stride: env.Stride()}, nil
		}
		return &poolGen{rng: rng, vals: vals}, nil
	case dsl.GenSequence:
		start := g.Start
		if g.Column != "" {
			m, ok := env.SequenceMax[g.Column]
			if !ok {
				return nil, fmt.Errorf("sequence on column %q: its current maximum was not given", g.Column)
			}
			start = m + 1
		}
		return &sequenceGen{next: start + env.GlobalConn(), stride: env.Stride()}, nil
	case dsl.GenUniform:
		if g.Max < g.Min {
			return nil, fmt.Errorf("uniform: max %d is below min %d", g.Max, g.Min)
		}
		return &uniformGen{rng: rng, min: g.Min, n: uint64(g.Max-g.Min) + 1}, nil
	case dsl.GenZipf:
		if g.S <= 1 || g.N < 1 {
			return nil, fmt.Errorf("zipf: needs s > 1 and n >= 1, got s=%v n=%d", g.S, g.N)
		}
		return &zipfGen{z: rand.NewZipf(rng, g.S, 1, uint64(g.N-1))}, nil
	case dsl.GenChoice:
		if len(g.Choices) == 0 {
			return nil, fmt.Errorf("choice: no choices")
		}
		return &choiceGen{rng: rng, choices: g.Choices}, nil
	case dsl.GenRandomString:
		if g.N < 1 {
			return nil, fmt.Errorf("random_string: length must be >= 1, got %d", g.N)
		}
		return &stringGen{rng: rng, buf: make([]byte, g.N)}, nil
	case dsl.GenNow:
		now := env.Now
		if now == nil {
			now = time.Now
		}
		return nowGen{now}, nil
	}
	return nil, fmt.Errorf("unknown generator kind %q", g.Kind)
}

type literalGen struct{ v any }

func (g literalGen) Next() any { return g.v }

// poolGen draws a value of the pool uniformly for every operation, from
// the connection's own seeded stream: every connection reads the whole
// pool.
type poolGen struct {
	rng  *rand.Rand
	vals []any
}

func (g *poolGen) Next() any { return g.vals[g.rng.IntN(len(g.vals))] }

// poolWalk (a disjoint pool) walks the pool from the connection's global
// index with a stride of the global connection count, so connections read
// disjoint slices of it (the pool holds at least one value per
// connection).
type poolWalk struct {
	vals        []any
	pos, stride int64
}

func (g *poolWalk) Next() any {
	v := g.vals[g.pos]
	g.pos += g.stride
	if g.pos >= int64(len(g.vals)) {
		g.pos -= int64(len(g.vals))
	}
	return v
}

// sequenceGen hands out next, next+stride, ...: the connection's residue
// class modulo the node's connection count.
type sequenceGen struct {
	next, stride int64
}

func (g *sequenceGen) Next() any {
	v := g.next
	g.next += g.stride
	return v
}

type uniformGen struct {
	rng *rand.Rand
	min int64
	n   uint64
}

func (g *uniformGen) Next() any { return g.min + int64(g.rng.Uint64N(g.n)) }

type zipfGen struct{ z *rand.Zipf }

func (g *zipfGen) Next() any { return int64(g.z.Uint64()) + 1 }

type choiceGen struct {
	rng     *rand.Rand
	choices []any
}

func (g *choiceGen) Next() any { return g.choices[g.rng.IntN(len(g.choices))] }

const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// stringGen fills a reused buffer and returns it as a fresh string (the
// one allocation a string argument needs).
type stringGen struct {
	rng *rand.Rand
	buf []byte
}

func (g *stringGen) Next() any {
	for i := 0; i < len(g.buf); {
		r := g.rng.Uint64()
		for k := 0; k < 10 && i < len(g.buf); k++ {
			g.buf[i] = alphabet[r%uint64(len(alphabet))]
			r /= uint64(len(alphabet))
			i++
		}
	}
	return string(g.buf)
}

type nowGen struct{ now func() time.Time }

func (g nowGen) Next() any { return g.now().UTC() }
