package store_test

import (
	"errors"
	"testing"

	"github.com/flakebench/fbctl/engine/store"
)

// contractScenarios: TEST_SCENARIOS rows are created, updated when their
// CONFIG changes, left alone otherwise, listed by name and removed, apart
// from TEST_TEMPLATES (a template and a scenario may share a name).
func contractScenarios(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	if _, _, err := s.UpsertTemplate(ctx, store.TemplateInput{Name: "nightly", Config: []byte(`{"t":1}`)}); err != nil {
		t.Fatal(err)
	}
	in := store.TemplateInput{Name: "nightly", Config: []byte(`{"phases":{"steady":{"connections":4}}}`), Actor: "ci"}
	r, ch, err := s.UpsertScenario(ctx, in)
	if err != nil || ch != store.TemplateCreated || r.Version != 1 || r.CreatedBy != "ci" {
		t.Fatalf("create: %+v %s %v", r, ch, err)
	}
	if _, ch, err := s.UpsertScenario(ctx, in); err != nil || ch != store.TemplateUnchanged {
		t.Fatalf("again: %s %v", ch, err)
	}
	in.Config = []byte(`{"phases":{"steady":{"connections":64}}}`)
	r, ch, err = s.UpsertScenario(ctx, in)
	if err != nil || ch != store.TemplateUpdated || r.Version != 2 {
		t.Fatalf("update: %+v %s %v", r, ch, err)
	}
	if want, _ := store.HashConfig(in.Config); r.ConfigHash != want {
		t.Fatalf("hash %s, want %s", r.ConfigHash, want)
	}
	rows, err := s.ListScenarios(ctx)
	if err != nil || len(rows) != 1 || rows[0].Name != "nightly" {
		t.Fatalf("list: %+v %v", rows, err)
	}
	if err := s.MarkScenarioUsed(ctx, "nightly"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteScenario(ctx, "nightly"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteScenario(ctx, "nightly"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if ts, err := s.ListTemplates(ctx); err != nil || len(ts) != 1 {
		t.Fatalf("the template went with the scenario: %+v %v", ts, err)
	}
}
