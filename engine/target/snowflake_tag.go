package target

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/flakebench/fbctl/dsl"
)

// QueryTagPrefix starts every QUERY_TAG fbctl sets on Snowflake.
const QueryTagPrefix = "flakebench"

// QueryTag is the Snowflake QUERY_TAG of a benchmark session, in the form
// the issue and docs/snowflake.md give:
//
//	flakebench:run=<run>:worker=<worker>:phase=<phase>
//
// Empty parts are left out; ':' and '=' inside a value become '_' so the
// tag stays parseable. SessionInit sets it after the user's own tag
// (CombinedQueryTag).
func QueryTag(t Tag) string {
	clean := strings.NewReplacer(":", "_", "=", "_", "'", "_")
	var b strings.Builder
	b.WriteString(QueryTagPrefix)
	for _, kv := range [][2]string{{"run", t.Run}, {"worker", t.Worker}, {"phase", t.Phase}} {
		if kv[1] != "" {
			b.WriteString(":" + kv[0] + "=" + clean.Replace(kv[1]))
		}
	}
	return b.String()
}

// ParseQueryTag reads a tag QueryTag wrote, also where CombinedQueryTag or
// ApplicationName put it after the user's tag; ok is false for any other
// tag.
func ParseQueryTag(s string) (t Tag, ok bool) {
	if i := strings.LastIndex(s, QueryTagPrefix+":"); i > 0 {
		s = s[i:]
	} else if i := strings.LastIndex(s, shortTagPrefix+":r="); i > 0 && s[i-1] == ' ' {
		s = s[i:]
	}
	if j := strings.IndexAny(s, "\" }"); j >= 0 {
		s = s[:j]
	}
	parts := strings.Split(s, ":")
	if len(parts) == 0 || (parts[0] != QueryTagPrefix && parts[0] != shortTagPrefix) {
		return Tag{}, false
	}
	for _, p := range parts[1:] {
		k, v, found := strings.Cut(p, "=")
		if !found {
			return Tag{}, false
		}
		switch k {
		case "run", "r":
			t.Run = v
		case "worker":
			t.Worker = v
		case "w":
			t.Worker = v
			if digits(v) {
				t.Worker = "worker-" + v
			}
		case "phase", "p":
			t.Phase = v
		default:
			return Tag{}, false
		}
	}
	return t, t.Run != ""
}

// MaxQueryTag is Snowflake's QUERY_TAG limit in characters; MaxAppName
// Postgres's for application_name in bytes (longer values are cut by the
// server).
const (
	MaxQueryTag = 2000
	MaxAppName  = 63
)

// UserQueryTag is the QUERY_TAG the user set for template t's sessions: the
// template's session = { QUERY_TAG = … } (any case), else the connection's
// params = { QUERY_TAG = … }; on Postgres application_name in the same
// places. "" when none.
func UserQueryTag(conn *dsl.Connection, t *dsl.Template) string {
	key := "QUERY_TAG"
	if conn != nil && conn.Type == dsl.ConnPostgres {
		key = "APPLICATION_NAME"
	}
	for _, m := range []map[string]string{t.Session, connParams(conn)} {
		for k, v := range m {
			if strings.EqualFold(k, key) && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v)
			}
		}
	}
	if conn != nil && conn.Type == dsl.ConnPostgres {
		if u, err := url.Parse(conn.Fields["dsn"]); err == nil {
			return strings.TrimSpace(u.Query().Get("application_name"))
		}
	}
	return ""
}

func connParams(c *dsl.Connection) map[string]string {
	if c == nil {
		return nil
	}
	return c.Params
}

// CombinedQueryTag keeps the user's tag and appends fbctl's: a JSON object
// gets a "flakebench" key holding QueryTag(t) (so it stays JSON), any other
// tag is followed by a space and QueryTag(t). The user's part is cut so the
// whole fits MaxQueryTag; fbctl's part is never cut.
func CombinedQueryTag(user string, t Tag) string {
	tag := QueryTag(t)
	if user == "" {
		return tag
	}
	var obj map[string]any
	if strings.HasPrefix(user, "{") && json.Unmarshal([]byte(user), &obj) == nil {
		obj[QueryTagPrefix] = tag
		if b, err := json.Marshal(obj); err == nil && len(b) <= MaxQueryTag {
			return string(b)
		}
	}
	room := MaxQueryTag - len(tag) - 1
	if room <= 0 {
		return tag
	}
	return cut(user, room) + " " + tag
}

// ApplicationName is the Postgres application_name of a benchmark session:
// the user's name followed by QueryTag(t), within MaxAppName bytes. When
// that does not fit, the tag takes its short form
// fb:r=<run>:w=<worker>:p=<phase>, worker-N written N (ParseQueryTag
// reads both); if the
// user's name does not fit with it either, it is left out, and then the
// phase and the worker are dropped. The run always stays.
func ApplicationName(user string, t Tag) string {
	cands := []string{QueryTag(t), shortTag(t), shortTag(Tag{Run: t.Run, Worker: t.Worker}), shortTag(Tag{Run: t.Run})}
	if user != "" {
		for _, c := range cands[:2] {
			if len(user)+1+len(c) <= MaxAppName {
				return user + " " + c
			}
		}
	}
	for _, c := range cands {
		if len(c) <= MaxAppName {
			return c
		}
	}
	return cut(cands[len(cands)-1], MaxAppName)
}

// shortTagPrefix starts the short form of the tag.
const shortTagPrefix = "fb"

func shortTag(t Tag) string {
	clean := strings.NewReplacer(":", "_", "=", "_", "'", "_", " ", "_")
	var b strings.Builder
	b.WriteString(shortTagPrefix)
	worker := t.Worker
	if n, ok := strings.CutPrefix(worker, "worker-"); ok && digits(n) {
		worker = n // worker-12 → 12, read back by ParseQueryTag
	}
	for _, kv := range [][2]string{{"r", t.Run}, {"w", worker}, {"p", t.Phase}} {
		if kv[1] != "" {
			b.WriteString(":" + kv[0] + "=" + clean.Replace(kv[1]))
		}
	}
	return b.String()
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}
