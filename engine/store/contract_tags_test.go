package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/flakebench/fbctl/engine/store"
)

// contractTags: a run's tags round-trip, a second write replaces a value,
// and RunsWithTag finds the runs of one scenario with a tag, newest first.
func contractTags(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	var ids []string
	for i, sc := range []string{"nightly", "nightly", "other"} {
		r, err := s.CreateRun(ctx, store.Run{ScenarioName: sc})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		if err := s.SetRunTags(ctx, r.ID, map[string]string{"branch": "main", "n": string(rune('0' + i))}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // distinct CREATED_AT
	}
	if err := s.SetRunTags(ctx, ids[0], map[string]string{"n": "x"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.RunTags(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"branch": "main", "n": "x"}, got); diff != "" {
		t.Fatalf("tags (-want +got):\n%s", diff)
	}
	found, err := s.RunsWithTag(ctx, "nightly", "branch", "main", 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{ids[1], ids[0]}, found); diff != "" {
		t.Fatalf("runs with tag (-want +got):\n%s", diff)
	}
	if none, err := s.RunsWithTag(ctx, "nightly", "branch", "dev", 0); err != nil || len(none) != 0 {
		t.Fatalf("no run is tagged branch=dev: %v %v", none, err)
	}
}
