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

// Template is a row of TEST_TEMPLATES: a workload's canonical CONFIG.
//
// Config reads back as semantically equal JSON, not byte-identical (JSONB and
// VARIANT normalise key order and spacing); compare ConfigHash instead.
type Template struct {
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

// TemplateInput is what UpsertTemplate writes.
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

var colsTemplate = []dialect.Column{
	{Name: "TEMPLATE_ID"}, {Name: "TEMPLATE_NAME"}, {Name: "DESCRIPTION"}, dialect.JSONCol("CONFIG"),
	{Name: "CONFIG_HASH"}, {Name: "VERSION"}, {Name: "CREATED_AT"}, {Name: "CREATED_BY"},
	{Name: "UPDATED_AT"}, {Name: "UPDATED_BY"}, dialect.JSONCol("TAGS"), {Name: "USAGE_COUNT"},
}

const selectTemplate = `SELECT TEMPLATE_ID, TEMPLATE_NAME, DESCRIPTION, CONFIG, CONFIG_HASH, VERSION, CREATED_AT,
CREATED_BY, UPDATED_AT, UPDATED_BY, TAGS, USAGE_COUNT, LAST_USED_AT FROM TEST_TEMPLATES`

func scanTemplate(sc interface{ Scan(...any) error }) (Template, error) {
	var (
		t                Template
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
			return t, fmt.Errorf("template %s: TAGS: %w", t.Name, err)
		}
	}
	return t, nil
}

// ListTemplates returns every template ordered by name.
func (s *Store) ListTemplates(ctx context.Context) ([]Template, error) {
	rows, err := s.query(ctx, s.db, selectTemplate+" ORDER BY TEMPLATE_NAME")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	defer rows.Close()
	var out []Template
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, fmt.Errorf("list templates: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// GetTemplate returns the template with the given name, or ErrNotFound.
func (s *Store) GetTemplate(ctx context.Context, name string) (Template, error) {
	return s.getTemplate(ctx, s.db, name)
}

func (s *Store) getTemplate(ctx context.Context, q querier, name string) (Template, error) {
	t, err := scanTemplate(s.queryRow(ctx, q, selectTemplate+" WHERE TEMPLATE_NAME = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("template %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("get template %q: %w", name, err)
	}
	return t, nil
}

// UpsertTemplate creates the template, or updates it when its CONFIG hash,
// description or tags differ (VERSION+1, UPDATED_AT/BY), or leaves it alone.
func (s *Store) UpsertTemplate(ctx context.Context, in TemplateInput) (Template, TemplateChange, error) {
	if in.Name == "" {
		return Template{}, "", errors.New("upsert template: empty name")
	}
	hash, err := HashConfig(in.Config)
	if err != nil {
		return Template{}, "", fmt.Errorf("upsert template %q: %w", in.Name, err)
	}
	var tagsJSON []byte
	if in.Tags != nil {
		tagsJSON, _ = json.Marshal(in.Tags) // map keys marshal sorted
	}
	now := s.nowUTC()
	var (
		change TemplateChange
		out    Template
	)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.getTemplate(ctx, tx, in.Name)
		switch {
		case errors.Is(err, ErrNotFound):
			change = TemplateCreated
			_, err = s.exec(ctx, tx, s.d.Insert("TEST_TEMPLATES", colsTemplate, 1),
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
			res, err = s.exec(ctx, tx, `UPDATE TEST_TEMPLATES SET DESCRIPTION = ?, CONFIG = `+s.d.Param(dialect.JSONCol("CONFIG"))+
				`, CONFIG_HASH = ?, VERSION = VERSION + 1, UPDATED_AT = ?, UPDATED_BY = ?, TAGS = `+s.d.Param(dialect.JSONCol("TAGS"))+
				` WHERE TEMPLATE_ID = ? AND VERSION = ?`,
				in.Description, s.d.JSON(in.Config), hash, s.d.Time(now), in.Actor, s.d.JSON(tagsJSON), cur.ID, cur.Version)
			if err == nil && affected(res) == 0 {
				err = fmt.Errorf("template %q changed concurrently (version %d)", in.Name, cur.Version)
			}
		}
		return err
	})
	if err != nil {
		return Template{}, "", fmt.Errorf("upsert template %q: %w", in.Name, err)
	}
	out, err = s.GetTemplate(ctx, in.Name)
	return out, change, err
}

// DeleteTemplate removes the template, or returns ErrNotFound.
func (s *Store) DeleteTemplate(ctx context.Context, name string) error {
	res, err := s.exec(ctx, s.db, "DELETE FROM TEST_TEMPLATES WHERE TEMPLATE_NAME = ?", name)
	if err != nil {
		return fmt.Errorf("delete template %q: %w", name, err)
	}
	if affected(res) == 0 {
		return fmt.Errorf("delete template %q: %w", name, ErrNotFound)
	}
	return nil
}

// MarkTemplateUsed adds one to USAGE_COUNT and sets LAST_USED_AT to now.
func (s *Store) MarkTemplateUsed(ctx context.Context, name string) error {
	res, err := s.exec(ctx, s.db, "UPDATE TEST_TEMPLATES SET USAGE_COUNT = USAGE_COUNT + 1, LAST_USED_AT = ? WHERE TEMPLATE_NAME = ?",
		s.d.Time(s.nowUTC()), name)
	if err != nil {
		return fmt.Errorf("mark template %q used: %w", name, err)
	}
	if affected(res) == 0 {
		return fmt.Errorf("mark template %q used: %w", name, ErrNotFound)
	}
	return nil
}
