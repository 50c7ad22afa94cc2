package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/dsl"
)

func TestCanonicalConfigHasNoSecret(t *testing.T) {
	cfg := newTestConfig(t)
	// A secret may also arrive under a non-secret-looking attribute (from a
	// sensitive variable); it lives in Secrets and must not leak either.
	cfg.Connections["snowflake.bench"].Secrets["private_key_passphrase"] = testSecret + "-2"
	payload, _ := mustConfig(t, cfg, "orders_oltp")
	if bytes.Contains(payload, []byte(testSecret)) {
		t.Fatalf("CONFIG payload contains the connection secret:\n%s", payload)
	}
	// The names of the secret attributes are recorded, the values are not.
	if !bytes.Contains(payload, []byte(`"secret_attributes":["password","private_key_passphrase"]`)) {
		t.Fatalf("secret attribute names missing:\n%s", payload)
	}
	if !bytes.Contains(payload, []byte(`"key":"snowflake.bench"`)) || !bytes.Contains(payload, []byte(`"account":"acme-xy123"`)) {
		t.Fatalf("connection reference or non-secret fields missing:\n%s", payload)
	}
}

func TestCanonicalConfigStableAcrossMapOrder(t *testing.T) {
	first, firstHash := mustConfig(t, newTestConfig(t), "orders_oltp")
	// Rebuild every map in a different insertion order many times; Go map
	// iteration is randomised, so any leak of it shows up here.
	for i := range 50 {
		cfg := newTestConfig(t)
		tm := cfg.Templates["orders_oltp"]
		tm.Tags = reinsert(tm.Tags, i)
		tm.Session = reinsert(tm.Session, i)
		c := cfg.Connections["snowflake.bench"]
		c.Fields, c.Params = reinsert(c.Fields, i), reinsert(c.Params, i)
		qs := map[string]*dsl.Query{}
		keys := []string{"insert", "range_scan", "point_lookup"}
		for j := range keys {
			k := keys[(j+i)%len(keys)]
			qs[k] = tm.Queries[k]
		}
		tm.Queries = qs
		got, hash := mustConfig(t, cfg, "orders_oltp")
		if !bytes.Equal(first, got) || hash != firstHash {
			t.Fatalf("payload differs on iteration %d:\n%s\n%s", i, first, got)
		}
	}
}

func reinsert(m map[string]string, salt int) map[string]string {
	keys := make([]string, 0, len(m))
	for k := range maps.Keys(m) {
		keys = append(keys, k)
	}
	out := map[string]string{}
	for j := range keys {
		k := keys[(j+salt)%len(keys)]
		out[k] = m[k]
	}
	return out
}

func TestCanonicalConfigShape(t *testing.T) {
	payload, hash := mustConfig(t, newTestConfig(t), "orders_oltp")
	sum := sha256.Sum256(payload)
	if want := "sha256:" + hex.EncodeToString(sum[:]); hash != want {
		t.Fatalf("hash %s, want %s", hash, want)
	}
	if bytes.HasSuffix(payload, []byte("\n")) || bytes.Contains(payload, []byte("\n  ")) {
		t.Fatal("payload is not compact")
	}
	if !bytes.Contains(payload, []byte("O_TOTALPRICE < 5")) {
		t.Fatalf("SQL was HTML-escaped:\n%s", payload)
	}
	// Keys are sorted at the top level.
	if !bytes.HasPrefix(payload, []byte(`{"config_version":1,"connection":{`)) {
		t.Fatalf("unexpected start: %.60s", payload)
	}
	var doc map[string]any
	if err := json.Unmarshal(payload, &doc); err != nil {
		t.Fatal(err)
	}
	q := doc["queries"].(map[string]any)["point_lookup"].(map[string]any)
	if q["weight"].(float64) != 60 {
		t.Fatalf("weight = %v", q["weight"])
	}
	if got := doc["query_order"].([]any); len(got) != 3 || got[0] != "point_lookup" || got[2] != "insert" {
		t.Fatalf("query_order = %v", got)
	}
	slo := doc["slos"].(map[string]any)["point_lookup"].(map[string]any)
	if slo["p95_ms"].(float64) != 20 || slo["p99_ms"].(float64) != 50 || slo["error_rate"].(float64) != 0.001 {
		t.Fatalf("slo = %v", slo)
	}
	if doc["use_cached_result"] != false || doc["think_time_ms"].(float64) != 0 {
		t.Fatalf("session values: %v %v", doc["use_cached_result"], doc["think_time_ms"])
	}
}

func TestCanonicalConfigChangesWithContent(t *testing.T) {
	cfg := newTestConfig(t)
	_, before := mustConfig(t, cfg, "orders_oltp")
	cfg.Templates["orders_oltp"].ThinkTime = 1500 * time.Microsecond
	payload, after := mustConfig(t, cfg, "orders_oltp")
	if before == after {
		t.Fatal("hash did not change with think_time")
	}
	if !bytes.Contains(payload, []byte(`"think_time_ms":1.5`)) {
		t.Fatalf("sub-millisecond duration: %s", payload)
	}
	// Changing a secret's value does not change CONFIG.
	cfg2 := newTestConfig(t)
	_, h1 := mustConfig(t, cfg2, "orders_oltp")
	cfg2.Connections["snowflake.bench"].Secrets["password"] = "another"
	_, h2 := mustConfig(t, cfg2, "orders_oltp")
	if h1 != h2 {
		t.Fatal("a secret's value changed the CONFIG hash")
	}
}

func TestCanonicalConfigUnknownConnection(t *testing.T) {
	cfg := newTestConfig(t)
	cfg.Templates["orders_oltp"].Connection = "postgres.nope"
	_, _, err := CanonicalConfig(cfg, cfg.Templates["orders_oltp"])
	if !errors.Is(err, ErrUnknownConnection) || !strings.Contains(err.Error(), "postgres.nope") {
		t.Fatalf("got %v", err)
	}
}
