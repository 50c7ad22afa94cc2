package workload

import (
	"fmt"

	"github.com/flakebench/fbctl/dsl"
)

// txArgs produces the arguments of a transaction query: its let values
// drawn once per operation, then every statement's args in order (the
// layout executor.TxSpec expects), with an earlier statement's into as a
// Bound.
type txArgs struct {
	lets []Gen
	vals []any
	srcs []txArg
}

type txArg struct {
	gen   Gen // a generator of its own; nil: let or bound
	let   int // index into lets (gen nil, bound < 0)
	bound int // >= 0: the into slot
}

// Bound is an argument standing for the into value of an earlier
// statement of the transaction: slot k (it implements executor.Bound).
type Bound int

// BoundSlot returns the slot.
func (b Bound) BoundSlot() int { return int(b) }

// newTxArgs builds the argument generators of transaction q (query
// index qi) for the connection env describes. Let values get the argument
// positions after every statement's, so adding a statement argument does
// not reseed a let.
func newTxArgs(q *dsl.Query, pools map[string]*dsl.Pool, env Env, qi int) (*txArgs, error) {
	t := &txArgs{}
	lets := map[string]int{}
	for i, l := range q.Lets {
		g, err := NewGen(l.Gen, pools, env, qi, 1000+i)
		if err != nil {
			return nil, fmt.Errorf("let %s: %w", l.Name, err)
		}
		lets[l.Name] = i
		t.lets = append(t.lets, g)
	}
	t.vals = make([]any, len(t.lets))
	slots := map[string]int{}
	pos := 0
	for _, st := range q.Statements {
		for ai, g := range st.Args {
			if g.Kind == dsl.GenLet {
				if i, ok := lets[g.Let]; ok {
					t.srcs = append(t.srcs, txArg{let: i, bound: -1})
				} else if k, ok := slots[g.Let]; ok {
					t.srcs = append(t.srcs, txArg{bound: k})
				} else {
					return nil, fmt.Errorf("statement %q argument %d: let.%s is not declared before it", st.Name, ai+1, g.Let)
				}
				continue
			}
			gen, err := NewGen(g, pools, env, qi, pos)
			if err != nil {
				return nil, fmt.Errorf("statement %q argument %d: %w", st.Name, ai+1, err)
			}
			t.srcs = append(t.srcs, txArg{gen: gen, bound: -1})
			pos++
		}
		if st.Into != "" {
			slots[st.Into] = len(slots)
		}
	}
	return t, nil
}

// next draws the let values, then fills args (reusing its array).
func (t *txArgs) next(buf []any) []any {
	for i, g := range t.lets {
		t.vals[i] = g.Next()
	}
	args := buf[:len(t.srcs)]
	for i, s := range t.srcs {
		switch {
		case s.gen != nil:
			args[i] = s.gen.Next()
		case s.bound >= 0:
			args[i] = Bound(s.bound)
		default:
			args[i] = t.vals[s.let]
		}
	}
	return args
}
