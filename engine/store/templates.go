package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
)

// ConfigRow is a row of TEST_TEMPLATES (a workload's canonical CONFIG) or
// TEST_SCENARIOS (a scenario's): the state `fbctl plan` diffs the files
// against.
//
// Config reads back as semantically equal JSON, not byte-identical (JSONB and
// VARIANT normalise key order and spacing); compare ConfigHash instead.
type ConfigRow struct {
	ID          string
	Name        string
	Description string
	Config      json.RawMessage
	ConfigHash  string // HashConfig(Config) as written
	Version     int64  // 1 on create, +1 on every change
	CreatedAt   time.Time
	CreatedBy   string
	UpdatedAt   time.Time
	UpdatedBy   string
	Tags        map[string]string
	UsageCount  int64
	LastUsedAt  *time.Time
}

// Template is a row of TEST_TEMPLATES; Scenario a row of TEST_SCENARIOS.
type (
	Template = ConfigRow
	Scenario = ConfigRow
)

// configTable names a table of ConfigRows and its id and name columns.
type configTable struct {
	table, id, name, what string
}

var (
	templatesTable = configTable{table: "TEST_TEMPLATES", id: "TEMPLATE_ID", name: "TEMPLATE_NAME", what: "template"}
	scenariosTable = configTable{table: "TEST_SCENARIOS", id: "SCENARIO_ID", name: "SCENARIO_NAME", what: "scenario"}
)

func (t configTable) cols() []dialect.Column {
	return []dialect.Column{
		{Name: t.id}, {Name: t.name}, {Name: "DESCRIPTION"}, dialect.JSONCol("CONFIG"),
		{Name: "CONFIG_HASH"}, {Name: "VERSION"}, {Name: "CREATED_AT"}, {Name: "CREATED_BY"},
		{Name: "UPDATED_AT"}, {Name: "UPDATED_BY"}, dialect.JSONCol("TAGS"), {Name: "USAGE_COUNT"},
	}
}

func (t configTable) selectSQL() string {
	return "SELECT " + t.id + ", " + t.name + `, DESCRIPTION, CONFIG, CONFIG_HASH, VERSION, CREATED_AT,
CREATED_BY, UPDATED_AT, UPDATED_BY, TAGS, USAGE_COUNT, LAST_USED_AT FROM ` + t.table
}

// TemplateInput is what UpsertTemplate (and UpsertScenario) writes.
type TemplateInput struct {
	Name        string
	Description string
	Config      json.RawMessage // canonical JSON from the planner; no secrets
	Tags        map[string]string
	Actor       string // CREATED_BY / UPDATED_BY
}

// TemplateChange says what UpsertTemplate did.
type TemplateChange string

const (
	TemplateCreated   TemplateChange = "created"
	TemplateUpdated   TemplateChange = "updated"
	TemplateUnchanged TemplateChange = "unchanged"
)

// HashConfig returns "sha256:<hex>" of the config with insignificant
// whitespace removed. Key order is the caller's canonical order.
func HashConfig(config []byte) (string, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, config); err != nil {
		return "", fmt.Errorf("template CONFIG is not valid JSON: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func scanConfigRow(sc interface{ Scan(...any) error }) (ConfigRow, error) {
	var (
		t                ConfigRow
		cfg, tags        dialect.JSON
		created, updated dialect.Time
		lastUsed         dialect.Time
		desc, cby, uby   sql.NullString
	)
	if err := sc.Scan(&t.ID, &t.Name, &desc, &cfg, &t.ConfigHash, &t.Version, &created, &cby, &updated, &uby,
		&tags, &t.UsageCount, &lastUsed); err != nil {
		return t, err
	}
	t.Description, t.CreatedBy, t.UpdatedBy = desc.String, cby.String, uby.String
	t.Config = cfg.Raw
	t.CreatedAt, t.UpdatedAt, t.LastUsedAt = created.Time, updated.Time, lastUsed.Ptr()
	if len(tags.Raw) > 0 && string(tags.Raw) != "null" {
		if err := json.Unmarshal(tags.Raw, &t.Tags); err != nil {
			return t, fmt.Errorf("%s: TAGS: %w", t.Name, err)
		}
	}
	return t, nil
}

// ListTemplates returns every template ordered by name.
func (s *Store) ListTemplates(ctx context.Context) ([]Template, error) {
	return s.listConfig(ctx, templatesTable)
}

// GetTemplate returns the template with the given name, or ErrNotFound.
func (s *Store) GetTemplate(ctx context.Context, name string) (Template, error) {
	return s.getConfig(ctx, s.db, templatesTable, name)
}

// UpsertTemplate creates the template, or updates it when its CONFIG hash,
// description or tags differ (VERSION+1, UPDATED_AT/BY), or leaves it alone.
func (s *Store) UpsertTemplate(ctx context.Context, in TemplateInput) (Template, TemplateChange, error) {
	return s.upsertConfig(ctx, templatesTable, in)
}

// DeleteTemplate removes the template, or returns ErrNotFound.
func (s *Store) DeleteTemplate(ctx context.Context, name string) error {
	return s.deleteConfig(ctx, templatesTable, name)
}

// MarkTemplateUsed adds one to USAGE_COUNT and sets LAST_USED_AT to now.
func (s *Store) MarkTemplateUsed(ctx context.Context, name string) error {
	return s.markConfigUsed(ctx, templatesTable, name)
}

// ListScenarios returns every scenario row of TEST_SCENARIOS ordered by
// name.
func (s *Store) ListScenarios(ctx context.Context) ([]Scenario, error) {
	return s.listConfig(ctx, scenariosTable)
}

// UpsertScenario creates, updates or leaves alone a scenario row, like
// UpsertTemplate.
func (s *Store) UpsertScenario(ctx context.Context, in TemplateInput) (Scenario, TemplateChange, error) {
	return s.upsertConfig(ctx, scenariosTable, in)
}

// DeleteScenario removes the scenario row, or returns ErrNotFound.
func (s *Store) DeleteScenario(ctx context.Context, name string) error {
	return s.deleteConfig(ctx, scenariosTable, name)
}

// MarkScenarioUsed counts a run of the scenario.
func (s *Store) MarkScenarioUsed(ctx context.Context, name string) error {
	return s.markConfigUsed(ctx, scenariosTable, name)
}

func (s *Store) listConfig(ctx context.Context, t configTable) ([]ConfigRow, error) {
	rows, err := s.query(ctx, s.db, t.selectSQL()+" ORDER BY "+t.name)
	if err != nil {
		return nil, fmt.Errorf("list %ss: %w", t.what, err)
	}
	defer rows.Close()
	var out []ConfigRow
	for rows.Next() {
		r, err := scanConfigRow(rows)
		if err != nil {
			return nil, fmt.Errorf("list %ss: %w", t.what, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) getConfig(ctx context.Context, q querier, t configTable, name string) (ConfigRow, error) {
	r, err := scanConfigRow(s.queryRow(ctx, q, t.selectSQL()+" WHERE "+t.name+" = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%s %q: %w", t.what, name, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("get %s %q: %w", t.what, name, err)
	}
	return r, nil
}

func (s *Store) upsertConfig(ctx context.Context, t configTable, in TemplateInput) (ConfigRow, TemplateChange, error) {
	if in.Name == "" {
		return ConfigRow{}, "", fmt.Errorf("upsert %s: empty name", t.what)
	}
	hash, err := HashConfig(in.Config)
	if err != nil {
		return ConfigRow{}, "", fmt.Errorf("upsert %s %q: %w", t.what, in.Name, err)
	}
	var tagsJSON []byte
	if in.Tags != nil {
		tagsJSON, _ = json.Marshal(in.Tags) // map keys marshal sorted
	}
	now := s.nowUTC()
	var change TemplateChange
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.getConfig(ctx, tx, t, in.Name)
		switch {
		case errors.Is(err, ErrNotFound):
			change = TemplateCreated
			_, err = s.exec(ctx, tx, s.d.Insert(t.table, t.cols(), 1),
				NewID(), in.Name, in.Description, s.d.JSON(in.Config), hash, int64(1), s.d.Time(now), in.Actor,
				s.d.Time(now), in.Actor, s.d.JSON(tagsJSON), int64(0))
		case err != nil:
			return err
		case cur.ConfigHash == hash && cur.Description == in.Description && maps.Equal(cur.Tags, in.Tags):
			change = TemplateUnchanged
			return nil
		default:
			change = TemplateUpdated
			var res sql.Result
			res, err = s.exec(ctx, tx, `UPDATE `+t.table+` SET DESCRIPTION = ?, CONFIG = `+s.d.Param(dialect.JSONCol("CONFIG"))+
				`, CONFIG_HASH = ?, VERSION = VERSION + 1, UPDATED_AT = ?, UPDATED_BY = ?, TAGS = `+s.d.Param(dialect.JSONCol("TAGS"))+
				` WHERE `+t.id+` = ? AND VERSION = ?`,
				in.Description, s.d.JSON(in.Config), hash, s.d.Time(now), in.Actor, s.d.JSON(tagsJSON), cur.ID, cur.Version)
			if err == nil && affected(res) == 0 {
				err = fmt.Errorf("%s %q changed concurrently (version %d)", t.what, in.Name, cur.Version)
			}
		}
		return err
	})
	if err != nil {
		return ConfigRow{}, "", fmt.Errorf("upsert %s %q: %w", t.what, in.Name, err)
	}
	out, err := s.getConfig(ctx, s.db, t, in.Name)
	return out, change, err
}

func (s *Store) deleteConfig(ctx context.Context, t configTable, name string) error {
	res, err := s.exec(ctx, s.db, "DELETE FROM "+t.table+" WHERE "+t.name+" = ?", name)
	if err != nil {
		return fmt.Errorf("delete %s %q: %w", t.what, name, err)
	}
	if affected(res) == 0 {
		return fmt.Errorf("delete %s %q: %w", t.what, name, ErrNotFound)
	}
	return nil
}

func (s *Store) markConfigUsed(ctx context.Context, t configTable, name string) error {
	res, err := s.exec(ctx, s.db, "UPDATE "+t.table+" SET USAGE_COUNT = USAGE_COUNT + 1, LAST_USED_AT = ? WHERE "+t.name+" = ?",
		s.d.Time(s.nowUTC()), name)
	if err != nil {
		return fmt.Errorf("mark %s %q used: %w", t.what, name, err)
	}
	if affected(res) == 0 {
		return fmt.Errorf("mark %s %q used: %w", t.what, name, ErrNotFound)
	}
	return nil
}
