package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/flakebench/fbctl/engine/dialect"
)

// SystemTagPrefix starts the keys of the tags fbctl writes itself (the
// facts `fbctl compare` gates on); a user tag may not start with it.
const SystemTagPrefix = "fbctl."

var colsTag = []dialect.Column{{Name: "RUN_ID"}, {Name: "TAG_KEY"}, {Name: "TAG_VALUE"}, {Name: "CREATED_AT"}}

// SetRunTags stores tags (key → value) of a run in RUN_TAGS, replacing
// the values of keys it already has.
func (s *Store) SetRunTags(ctx context.Context, runID string, tags map[string]string) error {
	if len(tags) == 0 {
		return nil
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	now := s.d.Time(s.nowUTC())
	q := s.d.Upsert("RUN_TAGS", colsTag, []string{"RUN_ID", "TAG_KEY"})
	for _, k := range keys {
		if _, err := s.exec(ctx, s.db, q, runID, k, tags[k], now); err != nil {
			return fmt.Errorf("tags of run %s: %w", runID, err)
		}
	}
	return nil
}

// RunTags returns the tags of a run (an empty map when it has none).
func (s *Store) RunTags(ctx context.Context, runID string) (map[string]string, error) {
	rows, err := s.query(ctx, s.db, "SELECT TAG_KEY, TAG_VALUE FROM RUN_TAGS WHERE RUN_ID = ?", runID)
	if err != nil {
		return nil, fmt.Errorf("tags of run %s: %w", runID, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("tags of run %s: %w", runID, err)
		}
		out[k] = v
	}
	return out, rows.Err()
}

// RunsWithTag returns the IDs of the runs of scenario whose tag key has
// value, newest first (at most limit; 0: 100).
func (s *Store) RunsWithTag(ctx context.Context, scenario, key, value string, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.query(ctx, s.db, fmt.Sprintf(`SELECT r.RUN_ID FROM RUN_STATUS r JOIN RUN_TAGS t ON t.RUN_ID = r.RUN_ID
WHERE r.SCENARIO_NAME = ? AND t.TAG_KEY = ? AND t.TAG_VALUE = ? ORDER BY r.CREATED_AT DESC, r.RUN_ID LIMIT %d`, limit),
		scenario, key, value)
	if err != nil {
		return nil, fmt.Errorf("runs of scenario %s tagged %s=%s: %w", scenario, key, value, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
