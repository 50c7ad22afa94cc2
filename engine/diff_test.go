package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiffConfigPaths(t *testing.T) {
	before := []byte(`{"queries":{"point_lookup":{"weight":60,"args":[{"kind":"pool","pool":"keys"}]},"old":{"weight":1}},"tags":{"team.name":"a"},"table":"ORDERS"}`)
	after := []byte(`{"queries":{"point_lookup":{"weight":70,"args":[{"kind":"pool","pool":"ids"},{"kind":"now"}]},"new":{"weight":2}},"tags":{"team.name":"b"},"table":"ORDERS"}`)
	got := DiffConfig(before, after)
	var lines []string
	for _, c := range got {
		lines = append(lines, string(c.Action)+" "+c.String())
	}
	want := []string{
		`create queries.new: (none) → {"weight":2}`,
		`delete queries.old: {"weight":1} → (none)`,
		`update queries.point_lookup.args[0].pool: "keys" → "ids"`,
		`create queries.point_lookup.args[1]: (none) → {"kind":"now"}`,
		`update queries.point_lookup.weight: 60 → 70`,
		`update tags["team.name"]: "a" → "b"`,
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Fatalf("diff (-want +got):\n%s", d)
	}
}

func TestDiffConfigIdenticalAndInvalid(t *testing.T) {
	if d := DiffConfig([]byte(`{"a":1}`), []byte(` {"a": 1} `)); len(d) != 0 {
		t.Fatalf("equal JSON gave %v", d)
	}
	d := DiffConfig([]byte(`not json`), []byte(`{"a":1}`))
	if len(d) != 1 || d[0].Path != "" || string(d[0].Before) != `"not json"` || string(d[0].After) != `{"a":1}` {
		t.Fatalf("got %+v", d)
	}
}

func TestDiffTemplates(t *testing.T) {
	cfg := newTestConfig(t)
	payload, hash := mustConfig(t, cfg, "orders_oltp")
	cfg.Templates["orders_oltp"].Queries["point_lookup"].Weight = 70
	newPayload, newHash := mustConfig(t, cfg, "orders_oltp")

	payloads := map[string][]byte{"orders_oltp": newPayload, "fresh": []byte(`{"name":"fresh"}`), "same": []byte(`{"name":"same"}`)}
	order := []string{"orders_oltp", "fresh", "same"}
	state := map[string]StoredTemplate{
		"orders_oltp": {Name: "orders_oltp", Config: payload, Hash: hash, Version: 3},
		"same":        {Name: "same", Config: []byte(`{"name":"same"}`), Version: 1}, // no hash stored: computed
		"zeta":        {Name: "zeta", Config: []byte(`{}`), Hash: "sha256:z", Version: 2},
		"alpha":       {Name: "alpha", Config: []byte(`{}`), Hash: "sha256:a", Version: 1},
	}
	summarize := func(chs []TemplateChange) []string {
		var out []string
		for _, c := range chs {
			out = append(out, c.Action.Symbol()+" "+c.Name+" "+string(c.Action))
		}
		return out
	}
	got := DiffTemplates(order, payloads, state, false)
	want := []string{"~ orders_oltp update", "+ fresh create", "  same no-op", "  alpha not-managed", "  zeta not-managed"}
	if d := cmp.Diff(want, summarize(got)); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	up := got[0]
	if up.PriorHash != hash || up.Hash != newHash || up.PriorVersion != 3 {
		t.Fatalf("update hashes: %+v", up)
	}
	if len(up.Diff) != 1 || up.Diff[0].String() != "queries.point_lookup.weight: 60 → 70" {
		t.Fatalf("update diff: %v", up.Diff)
	}
	got = DiffTemplates(order, payloads, state, true)
	want = []string{"~ orders_oltp update", "+ fresh create", "  same no-op", "- alpha delete", "- zeta delete"}
	if d := cmp.Diff(want, summarize(got)); d != "" {
		t.Fatalf("prune (-want +got):\n%s", d)
	}
}

func TestEffectiveHash(t *testing.T) {
	canonical := []byte(`{"a":1,"b":[1,2]}`)
	if got := (StoredTemplate{Config: []byte("{ \"a\": 1,\n \"b\": [1, 2] }")}).EffectiveHash(); got != HashConfig(canonical) {
		t.Fatalf("whitespace changed the hash: %s", got)
	}
	if got := (StoredTemplate{Config: canonical, Hash: "sha256:stored"}).EffectiveHash(); got != "sha256:stored" {
		t.Fatalf("stored hash ignored: %s", got)
	}
}

func TestDiffConfigNumberSpelling(t *testing.T) {
	if d := DiffConfig([]byte(`{"e":1e-3,"w":60}`), []byte(`{"e":0.001,"w":60.0}`)); len(d) != 0 {
		t.Fatalf("equal numbers reported as changes: %v", d)
	}
	if d := DiffConfig([]byte(`{"w":60}`), []byte(`{"w":61}`)); len(d) != 1 {
		t.Fatalf("got %v", d)
	}
}
