package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// State is the stored CONFIG a plan is computed against: the templates of
// TEST_TEMPLATES and the scenarios of TEST_SCENARIOS, by name.
type State struct {
	Templates map[string]StoredTemplate
	Scenarios map[string]StoredTemplate
}

// StoredTemplate is a template row as CONFIG (TEST_TEMPLATES) holds it, or
// a scenario row of TEST_SCENARIOS: the state a plan is computed against.
type StoredTemplate struct {
	Name    string
	Config  []byte // the stored CONFIG payload
	Hash    string // "sha256:<hex>"; "" means compute it from Config
	Version int64
}

// EffectiveHash returns Hash, or, when Hash is empty, the hash of Config
// with insignificant whitespace removed (the same rule as the store's, and
// the identity on a canonical payload).
func (s StoredTemplate) EffectiveHash() string {
	if s.Hash != "" {
		return s.Hash
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, s.Config); err != nil {
		return HashConfig(s.Config)
	}
	return HashConfig(buf.Bytes())
}

// DiffConfig returns the attribute-level differences between two CONFIG
// payloads, sorted by path (object members by name, array elements by
// index). A member present on one side only is one change carrying the
// whole value. A payload that is not valid JSON is compared as a whole,
// with path "" and the payload as a JSON string.
func DiffConfig(before, after []byte) []AttributeChange {
	b, errB := decodeJSON(before)
	a, errA := decodeJSON(after)
	if errB != nil || errA != nil {
		if bytes.Equal(before, after) {
			return nil
		}
		return []AttributeChange{{Path: "", Action: ActionUpdate, Before: rawOrString(before, errB), After: rawOrString(after, errA)}}
	}
	var out []AttributeChange
	diffValue("", b, a, &out)
	return out
}

func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keep numbers as written: 60 vs 60.0 is not a change we invent
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

func rawOrString(data []byte, err error) json.RawMessage {
	if err == nil {
		return compactJSON(data)
	}
	s, _ := encodeCanonical(string(data))
	return s
}

func compactJSON(data []byte) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return nil
	}
	return buf.Bytes()
}

func encodeValue(v any) json.RawMessage {
	b, err := encodeCanonical(v)
	if err != nil {
		return json.RawMessage(`"<unencodable>"`)
	}
	return b
}

func diffValue(path string, b, a any, out *[]AttributeChange) {
	switch bv := b.(type) {
	case map[string]any:
		if av, ok := a.(map[string]any); ok {
			keys := make([]string, 0, len(bv)+len(av))
			for k := range bv {
				keys = append(keys, k)
			}
			for k := range av {
				if _, dup := bv[k]; !dup {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				p := joinPath(path, k)
				x, inB := bv[k]
				y, inA := av[k]
				switch {
				case !inA:
					*out = append(*out, AttributeChange{Path: p, Action: ActionDelete, Before: encodeValue(x)})
				case !inB:
					*out = append(*out, AttributeChange{Path: p, Action: ActionCreate, After: encodeValue(y)})
				default:
					diffValue(p, x, y, out)
				}
			}
			return
		}
	case []any:
		if av, ok := a.([]any); ok {
			for i := range max(len(bv), len(av)) {
				p := path + "[" + strconv.Itoa(i) + "]"
				switch {
				case i >= len(av):
					*out = append(*out, AttributeChange{Path: p, Action: ActionDelete, Before: encodeValue(bv[i])})
				case i >= len(bv):
					*out = append(*out, AttributeChange{Path: p, Action: ActionCreate, After: encodeValue(av[i])})
				default:
					diffValue(p, bv[i], av[i], out)
				}
			}
			return
		}
	}
	if nb, ok := b.(json.Number); ok {
		if na, ok := a.(json.Number); ok && sameNumber(nb, na) {
			return // 1e-3 and 0.001: a store's spelling, not a change
		}
	}
	eb, ea := encodeValue(b), encodeValue(a)
	if !bytes.Equal(eb, ea) {
		*out = append(*out, AttributeChange{Path: path, Action: ActionUpdate, Before: eb, After: ea})
	}
}

func sameNumber(x, y json.Number) bool {
	if x == y {
		return true
	}
	fx, errX := x.Float64()
	fy, errY := y.Float64()
	return errX == nil && errY == nil && fx == fy
}

// joinPath appends a member name: .name for identifiers, ["name"] otherwise.
func joinPath(path, key string) string {
	if isIdent(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r == '-' && i > 0, r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// DiffTemplates compares the templates the files declare (name → canonical
// payload, in order) with CONFIG's state. Declared templates come first in
// the given order, as create, update (with Diff) or no-op; then stored
// templates not declared, sorted by name, as delete when prune is set and
// not-managed otherwise.
func DiffTemplates(order []string, payloads map[string][]byte, state map[string]StoredTemplate, prune bool) []TemplateChange {
	out := make([]TemplateChange, 0, len(order)+len(state))
	declared := make(map[string]bool, len(order))
	for _, name := range order {
		declared[name] = true
		payload := payloads[name]
		ch := TemplateChange{Name: name, Hash: HashConfig(payload), Config: json.RawMessage(payload)}
		st, ok := state[name]
		switch {
		case !ok:
			ch.Action = ActionCreate
		case st.EffectiveHash() == ch.Hash:
			ch.Action = ActionNoOp
			ch.PriorHash, ch.PriorVersion = st.EffectiveHash(), st.Version
		default:
			ch.Action = ActionUpdate
			ch.PriorHash, ch.PriorVersion = st.EffectiveHash(), st.Version
			ch.Diff = DiffConfig(st.Config, payload)
		}
		out = append(out, ch)
	}
	var extra []string
	for name := range state {
		if !declared[name] {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	for _, name := range extra {
		st := state[name]
		ch := TemplateChange{Name: name, Action: ActionNotManaged, PriorHash: st.EffectiveHash(), PriorVersion: st.Version}
		if prune {
			ch.Action = ActionDelete
		}
		out = append(out, ch)
	}
	return out
}
