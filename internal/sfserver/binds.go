package sfserver

import (
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// binding is one entry of the request's bindings map.
type binding struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// boundArgs is the decoded bindings of one request: one argument list per
// row (array binds give several rows) and, for named binds, the names.
type boundArgs struct {
	rows  [][]any
	named []string // non-nil when binds are named (sql.Named)
}

// decodeBindings turns the driver's bindings into SQLite arguments.
// Positional keys "1".."n" are sorted numerically. Array binds (JSON arrays
// of strings) expand to one row per element; scalars repeat on every row.
func decodeBindings(b map[string]binding) (boundArgs, error) {
	if len(b) == 0 {
		return boundArgs{rows: [][]any{nil}}, nil
	}
	keys := make([]string, 0, len(b))
	numeric := true
	for k := range b {
		keys = append(keys, k)
		if _, err := strconv.Atoi(k); err != nil {
			numeric = false
		}
	}
	if numeric {
		sort.Slice(keys, func(i, j int) bool {
			a, _ := strconv.Atoi(keys[i])
			c, _ := strconv.Atoi(keys[j])
			return a < c
		})
	} else {
		sort.Strings(keys)
	}
	cols := make([][]any, len(keys)) // per key: one value, or one per row
	nrows := 1
	isArray := make([]bool, len(keys))
	for i, k := range keys {
		bd := b[k]
		raw := strings.TrimSpace(string(bd.Value))
		if strings.HasPrefix(raw, "[") {
			var arr []*string
			if err := json.Unmarshal(bd.Value, &arr); err != nil {
				return boundArgs{}, fmt.Errorf("binding %s: %w", k, err)
			}
			for _, s := range arr {
				v, err := bindValue(bd.Type, s)
				if err != nil {
					return boundArgs{}, fmt.Errorf("binding %s: %w", k, err)
				}
				cols[i] = append(cols[i], v)
			}
			isArray[i] = true
			nrows = len(arr)
			continue
		}
		var s *string
		if err := json.Unmarshal(bd.Value, &s); err != nil {
			return boundArgs{}, fmt.Errorf("binding %s: value is not a string: %w", k, err)
		}
		v, err := bindValue(bd.Type, s)
		if err != nil {
			return boundArgs{}, fmt.Errorf("binding %s: %w", k, err)
		}
		cols[i] = []any{v}
	}
	out := boundArgs{rows: make([][]any, nrows)}
	if !numeric {
		out.named = keys
	}
	for r := range nrows {
		row := make([]any, len(keys))
		for i := range keys {
			switch {
			case isArray[i] && r < len(cols[i]):
				row[i] = cols[i][r]
			case !isArray[i]:
				row[i] = cols[i][0]
			}
		}
		out.rows[r] = row
	}
	return out, nil
}

// argsFor returns the argument list one translated step takes.
func (b boundArgs) argsFor(row []any, maxArg int) []any {
	if b.named != nil {
		args := make([]any, len(row))
		for i, n := range b.named {
			args[i] = sql.Named(n, row[i])
		}
		return args
	}
	if maxArg > len(row) {
		padded := make([]any, maxArg)
		copy(padded, row)
		return padded
	}
	return row[:maxArg]
}

// bindValue decodes one bound value by its Snowflake bind type into what the
// server stores in SQLite.
func bindValue(typ string, s *string) (any, error) {
	if s == nil {
		return nil, nil
	}
	v := *s
	switch strings.ToUpper(typ) {
	case "FIXED":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n, nil
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f, nil
		}
		return v, nil
	case "REAL":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("REAL value %q: %w", v, err)
		}
		return f, nil
	case "BOOLEAN":
		b, err := strconv.ParseBool(strings.ToLower(v))
		if err != nil {
			return nil, fmt.Errorf("BOOLEAN value %q: %w", v, err)
		}
		if b {
			return int64(1), nil
		}
		return int64(0), nil
	case "TIMESTAMP_NTZ", "TIMESTAMP_LTZ":
		ns, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s value %q: %w", typ, v, err)
		}
		return time.Unix(0, ns).UTC().Format(tsLayout), nil
	case "TIMESTAMP_TZ":
		nsStr, offStr, ok := strings.Cut(v, " ")
		ns, err := strconv.ParseInt(nsStr, 10, 64)
		off, err2 := strconv.Atoi(offStr)
		if !ok || err != nil || err2 != nil {
			return nil, fmt.Errorf("TIMESTAMP_TZ value %q is not <ns> <offset>", v)
		}
		zone := time.FixedZone("", (off-1440)*60)
		return time.Unix(0, ns).In(zone).Format(tsLayout + "-07:00"), nil
	case "DATE":
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("DATE value %q: %w", v, err)
		}
		return time.UnixMilli(ms).UTC().Format("2006-01-02"), nil
	case "TIME":
		ns, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("TIME value %q: %w", v, err)
		}
		return time.Unix(0, ns).UTC().Format("15:04:05.000000000"), nil
	case "BINARY":
		b, err := hex.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("BINARY value: %w", err)
		}
		return b, nil
	}
	return v, nil // TEXT, VARIANT, OBJECT, ARRAY, …
}
