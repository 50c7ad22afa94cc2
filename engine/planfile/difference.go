package planfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/flakebench/fbctl/engine"
)

// Difference compares a saved plan with the plan rebuilt now from the
// same sources and CONFIG, and says what differs ("" when nothing does):
// the first template or scenario whose action or canonical hash changed,
// else "the run plans". Sources and state that still match (Check) but
// evaluate differently mean variables or the environment changed.
func Difference(saved, now *engine.Plan) string {
	hashes := func(p *engine.Plan) map[string]string {
		m := map[string]string{}
		for _, t := range p.Templates {
			m[t.Name] = string(t.Action) + " " + t.Hash
		}
		for _, sc := range p.Scenarios {
			m["scenario "+sc.Name] = string(sc.Action) + " " + sc.Hash
		}
		return m
	}
	sh, nh := hashes(saved), hashes(now)
	for _, name := range slices.Sorted(maps.Keys(nh)) {
		if sh[name] != nh[name] {
			return configName(name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(sh)) {
		if _, ok := nh[name]; !ok {
			return configName(name)
		}
	}
	a, _ := json.Marshal(saved.Runs)
	b, _ := json.Marshal(now.Runs)
	if !bytes.Equal(a, b) {
		return "the run plans"
	}
	return ""
}

// configName names a key of Difference's hash maps for a message.
func configName(key string) string {
	if name, ok := strings.CutPrefix(key, "scenario "); ok {
		return fmt.Sprintf("scenario %q", name)
	}
	return fmt.Sprintf("template %q", key)
}
