package dsl

import (
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Sensitive values are cty-marked where they are declared (a variable with
// sensitive = true) and HCL carries the mark through every expression built
// from them. The decoders turn the mark into the model's Sensitivity fields
// (and Connection.Secrets), so whatever renders or stores the model knows
// which values to redact without looking at them. Redact is the safety
// net for text that is not the model: error messages and logs that may
// quote a value, such as a database error echoing a statement.

// RedactedText replaces a sensitive value in messages.
const RedactedText = "(sensitive value)"

// minRedactLen is the shortest value Redact replaces: shorter ones would
// mangle ordinary words and hide nothing.
const minRedactLen = 4

// noteSecret records a sensitive string for Redact.
func (l *loader) noteSecret(s string) {
	if len(s) < minRedactLen {
		return
	}
	if l.cfg.secrets == nil {
		l.cfg.secrets = map[string]bool{}
	}
	l.cfg.secrets[s] = true
}

// noteSecretValue records every string inside a value for Redact.
func (l *loader) noteSecretValue(v cty.Value) {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() {
		return
	}
	switch {
	case v.Type() == cty.String:
		l.noteSecret(v.AsString())
	case v.Type().IsPrimitiveType():
		l.noteSecret(v.GoString())
	case v.CanIterateElements():
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			l.noteSecretValue(ev)
		}
	}
}

// Redact replaces every sensitive value of the configuration that occurs
// in s (longest first) with RedactedText. It is for messages and logs; the
// model's Sensitivity fields say which values to redact in CONFIG and plans.
func (c *Config) Redact(s string) string {
	if c == nil || len(c.secrets) == 0 || s == "" {
		return s
	}
	vals := make([]string, 0, len(c.secrets))
	for v := range c.secrets {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool {
		if len(vals[i]) != len(vals[j]) {
			return len(vals[i]) > len(vals[j])
		}
		return vals[i] < vals[j]
	})
	for _, v := range vals {
		s = strings.ReplaceAll(s, v, RedactedText)
	}
	return s
}

// RedactError returns err with every sensitive value of c in its message
// replaced (see Redact), or err itself when c has none. errors.Is and
// errors.As still see the original.
func (c *Config) RedactError(err error) error {
	if err == nil || c == nil || len(c.secrets) == 0 {
		return err
	}
	msg := err.Error()
	if red := c.Redact(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
