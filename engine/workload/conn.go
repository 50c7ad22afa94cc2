package workload

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/flakebench/fbctl/dsl"
)

// Conn is what one connection sends: the query mix and each query's
// argument generators. Next reuses one args slice, so the caller must be
// done with the previous args before calling Next again. A Conn is used by
// one goroutine.
type Conn struct {
	mix  *Mix
	gens [][]Gen
	tx   []*txArgs // per query; nil for a single statement
	args []any
}

// NewConn builds the mix and the generators of tmpl's queries (in
// tmpl.QueryOrder) for the connection env describes. The mix offset is the
// connection's global index.
func NewConn(tmpl *dsl.Template, env Env) (*Conn, error) {
	weights := make([]int64, len(tmpl.QueryOrder))
	c := &Conn{gens: make([][]Gen, len(tmpl.QueryOrder))}
	maxArgs := 0
	for qi, name := range tmpl.QueryOrder {
		q := tmpl.Queries[name]
		if q == nil {
			return nil, fmt.Errorf("query %q is not in the template", name)
		}
		weights[qi] = q.Weight
		if q.IsTransaction() {
			if c.tx == nil {
				c.tx = make([]*txArgs, len(tmpl.QueryOrder))
			}
			ta, err := newTxArgs(q, tmpl.Pools, env, qi)
			if err != nil {
				return nil, fmt.Errorf("query %q: %w", name, err)
			}
			c.tx[qi] = ta
			maxArgs = max(maxArgs, len(ta.srcs))
			continue
		}
		for ai, g := range q.Args {
			gen, err := NewGen(g, tmpl.Pools, env, qi, ai)
			if err != nil {
				return nil, fmt.Errorf("query %q argument %d: %w", name, ai+1, err)
			}
			c.gens[qi] = append(c.gens[qi], gen)
		}
		maxArgs = max(maxArgs, len(q.Args))
	}
	mix, err := NewMix(weights, int(env.GlobalConn()))
	if err != nil {
		return nil, err
	}
	c.mix = mix
	c.args = make([]any, maxArgs)
	return c, nil
}

// Next returns the next query index (into the template's QueryOrder) and
// its arguments.
func (c *Conn) Next() (int, []any) {
	q := c.mix.Next()
	if c.tx != nil && c.tx[q] != nil {
		return q, c.tx[q].next(c.args)
	}
	args := c.args[:len(c.gens[q])]
	for i, g := range c.gens[q] {
		args[i] = g.Next()
	}
	return q, args
}

// SamplePool runs query on db and returns the first column of every row,
// text as string. Call it once at run start and pass the values to every
// worker through Env.Pools.
func SamplePool(ctx context.Context, db *sql.DB, query string) ([]any, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("sample pool: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("sample pool: %w", err)
	}
	dest := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range dest {
		ptrs[i] = &dest[i]
	}
	var out []any
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("sample pool: %w", err)
		}
		v := dest[0]
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sample pool: %w", err)
	}
	return out, nil
}
