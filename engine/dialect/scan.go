package dialect

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Time scans a timestamp column of any dialect into a UTC time.Time: a
// time.Time (Postgres TIMESTAMPTZ; Snowflake TIMESTAMP_NTZ, whose wall clock
// is taken as UTC), SQLiteTimeFormat or RFC 3339 text, or NULL (Valid false).
type Time struct {
	Time  time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (t *Time) Scan(src any) error {
	t.Time, t.Valid = time.Time{}, false
	switch v := src.(type) {
	case nil:
		return nil
	case time.Time:
		// TIMESTAMPTZ arrives in some location; TIMESTAMP_NTZ arrives with
		// its UTC wall clock in time.UTC. Either way .UTC() is the instant.
		t.Time = v.UTC()
	case string:
		p, err := ParseTime(v)
		if err != nil {
			return err
		}
		t.Time = p
	case []byte:
		p, err := ParseTime(string(v))
		if err != nil {
			return err
		}
		t.Time = p
	default:
		return fmt.Errorf("dialect: cannot scan %T into a timestamp", src)
	}
	t.Valid = true
	return nil
}

// Ptr returns nil for NULL, else a pointer to the UTC time.
func (t Time) Ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

// Value returns the time or zero.
func (t Time) Value() time.Time { return t.Time }

var textLayouts = []string{
	SQLiteTimeFormat,
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

// ParseTime parses stored timestamp text; text without a zone is UTC.
func ParseTime(s string) (time.Time, error) {
	for _, l := range textLayouts {
		if p, err := time.Parse(l, s); err == nil {
			return p.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("dialect: cannot parse timestamp %q", s)
}

// JSON scans a JSON column (TEXT, JSONB or VARIANT) into raw JSON bytes;
// NULL gives nil.
type JSON struct {
	Raw json.RawMessage
}

// Scan implements sql.Scanner.
func (j *JSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		j.Raw = nil
	case string:
		j.Raw = json.RawMessage(v)
	case []byte:
		j.Raw = append(json.RawMessage(nil), v...)
	default:
		return fmt.Errorf("dialect: cannot scan %T into JSON", src)
	}
	return nil
}

// Float scans a numeric column into a float64, accepting the decimal text
// Snowflake returns for NUMBER(p,s) columns.
type Float struct {
	Float float64
	Valid bool
}

// Scan implements sql.Scanner.
func (f *Float) Scan(src any) error {
	f.Float, f.Valid = 0, src != nil
	switch v := src.(type) {
	case nil:
	case float64:
		f.Float = v
	case float32:
		f.Float = float64(v)
	case int64:
		f.Float = float64(v)
	case string:
		return f.parse(v)
	case []byte:
		return f.parse(string(v))
	default:
		n, err := driver.DefaultParameterConverter.ConvertValue(v)
		if err != nil {
			return fmt.Errorf("dialect: cannot scan %T into a float: %w", src, err)
		}
		return f.Scan(n)
	}
	return nil
}

func (f *Float) parse(s string) error {
	p, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("dialect: cannot parse number %q: %w", s, err)
	}
	f.Float = p
	return nil
}
