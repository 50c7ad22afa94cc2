package sfserver

import (
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// rowType is one entry of data.rowtype; the driver needs lower-case types.
type rowType struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Precision  int64  `json:"precision"`
	Scale      int64  `json:"scale"`
	Length     int64  `json:"length"`
	ByteLength int64  `json:"byteLength"`
	Nullable   bool   `json:"nullable"`
}

const maxText = 16777216

// tsLayout is how the server stores timestamps in SQLite: UTC text with
// nine fractional digits, so text order is time order.
const tsLayout = "2006-01-02 15:04:05.000000000"

// rowTypeForDecl maps a declared SQLite column type (the Snowflake type the
// translator kept) to a Snowflake row type. ok is false when the column has no
// declared type (an expression) and the type must come from the values.
func rowTypeForDecl(name, decl string) (rowType, bool) {
	rt := rowType{Name: name, Nullable: true}
	base, args := decl, []int64(nil)
	if p := strings.IndexByte(decl, '('); p >= 0 {
		base = strings.TrimSpace(decl[:p])
		for _, a := range strings.Split(strings.Trim(decl[p:], "() "), ",") {
			n, _ := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
			args = append(args, n)
		}
	}
	arg := func(i int, def int64) int64 {
		if i < len(args) {
			return args[i]
		}
		return def
	}
	switch {
	case base == "":
		return rt, false
	case strings.HasPrefix(base, "TIMESTAMP_TZ"):
		rt.Type, rt.Scale = "timestamp_tz", arg(0, 9)
	case strings.HasPrefix(base, "TIMESTAMP_LTZ"):
		rt.Type, rt.Scale = "timestamp_ltz", arg(0, 9)
	case strings.HasPrefix(base, "TIMESTAMP"), base == "DATETIME":
		rt.Type, rt.Scale = "timestamp_ntz", arg(0, 9)
	case base == "DATE":
		rt.Type = "date"
	case base == "TIME":
		rt.Type, rt.Scale = "time", arg(0, 9)
	case base == "VARIANT", base == "OBJECT", base == "ARRAY":
		rt.Type, rt.Length = strings.ToLower(base), maxText
	case strings.Contains(base, "INT"):
		rt.Type, rt.Precision = "fixed", 38
	case base == "NUMBER", base == "NUMERIC", base == "DECIMAL", base == "DEC":
		rt.Type, rt.Precision, rt.Scale = "fixed", arg(0, 38), arg(1, 0)
	case strings.HasPrefix(base, "FLOAT"), strings.HasPrefix(base, "DOUBLE"), base == "REAL":
		rt.Type = "real"
	case strings.HasPrefix(base, "BOOL"):
		rt.Type = "boolean"
	case strings.Contains(base, "BINARY"), base == "BLOB":
		rt.Type, rt.Length = "binary", arg(0, 8388608)
	default:
		rt.Type, rt.Length = "text", arg(0, maxText)
	}
	return rt, true
}

var (
	tsText   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?$`)
	dateText = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// rowTypeForValue infers a row type for an expression column from a value.
func rowTypeForValue(name string, v any) rowType {
	rt := rowType{Name: name, Nullable: true}
	switch x := v.(type) {
	case int64:
		rt.Type, rt.Precision = "fixed", 38
	case float64:
		rt.Type = "real"
	case []byte:
		rt.Type, rt.Length = "binary", 8388608
	case time.Time:
		rt.Type, rt.Scale = "timestamp_ltz", 9
	case string:
		switch {
		case tsText.MatchString(x):
			rt.Type, rt.Scale = "timestamp_ltz", 9
		case dateText.MatchString(x):
			rt.Type = "date"
		default:
			rt.Type, rt.Length = "text", maxText
		}
	default:
		rt.Type, rt.Length = "text", maxText
	}
	return rt
}

// cell encodes one SQLite value as the JSON string the driver expects for
// the row type. nil stays nil (JSON null).
func cell(rt rowType, v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	var s string
	switch rt.Type {
	case "fixed":
		switch x := v.(type) {
		case int64:
			s = strconv.FormatInt(x, 10)
			if rt.Scale > 0 {
				s = strconv.FormatFloat(float64(x), 'f', int(rt.Scale), 64)
			}
		case float64:
			if rt.Scale == 0 && x == math.Trunc(x) && math.Abs(x) < 1e18 {
				s = strconv.FormatInt(int64(x), 10)
			} else {
				s = strconv.FormatFloat(x, 'f', int(rt.Scale), 64)
			}
		case bool:
			s = "0"
			if x {
				s = "1"
			}
		default:
			s = plainText(v)
		}
	case "real":
		switch x := v.(type) {
		case float64:
			s = strconv.FormatFloat(x, 'g', -1, 64)
		default:
			s = plainText(v)
		}
	case "boolean":
		switch x := v.(type) {
		case int64:
			s = "0"
			if x != 0 {
				s = "1"
			}
		case float64:
			s = "0"
			if x != 0 {
				s = "1"
			}
		case bool:
			s = "0"
			if x {
				s = "1"
			}
		default:
			b, err := strconv.ParseBool(strings.ToLower(plainText(v)))
			if err != nil {
				return nil, fmt.Errorf("boolean value '%s' is not recognized", plainText(v))
			}
			s = "0"
			if b {
				s = "1"
			}
		}
	case "timestamp_ntz", "timestamp_ltz", "timestamp_tz":
		t, err := toTime(v)
		if err != nil {
			return nil, err
		}
		s = fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
		if rt.Type == "timestamp_tz" {
			_, off := t.Zone()
			s += " " + strconv.Itoa(off/60+1440)
		}
	case "date":
		t, err := toTime(v)
		if err != nil {
			return nil, err
		}
		y, m, d := t.Date()
		s = strconv.FormatInt(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400, 10)
	case "time":
		str := plainText(v)
		t, err := time.Parse("15:04:05.999999999", str)
		if err != nil {
			return nil, fmt.Errorf("time '%s' is not recognized", str)
		}
		s = fmt.Sprintf("%d.%09d", t.Hour()*3600+t.Minute()*60+t.Second(), t.Nanosecond())
	case "binary":
		if b, ok := v.([]byte); ok {
			s = hex.EncodeToString(b)
		} else {
			s = hex.EncodeToString([]byte(plainText(v)))
		}
	default:
		s = plainText(v)
	}
	return &s, nil
}

func plainText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(tsLayout)
	}
	return fmt.Sprint(v)
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// toTime reads a stored timestamp (server text format, RFC 3339, a date, a
// time.Time from the SQLite driver or epoch seconds).
func toTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case int64:
		return time.Unix(x, 0).UTC(), nil
	case float64:
		sec, frac := math.Modf(x)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	str := plainText(v)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, str); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp '%s' is not recognized", str)
}
