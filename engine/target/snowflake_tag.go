package target

import "strings"

// QueryTagPrefix starts every QUERY_TAG fbctl sets on Snowflake.
const QueryTagPrefix = "flakebench"

// QueryTag is the Snowflake QUERY_TAG of a benchmark session, in the form
// the issue and docs/snowflake.md give:
//
//	flakebench:run=<run>:worker=<worker>:phase=<phase>
//
// Empty parts are left out; ':' and '=' inside a value become '_' so the
// tag stays parseable. It is meant to replace the JSON tag SessionInit
// sets today (see docs/snowflake.md).
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

// ParseQueryTag reads a tag QueryTag wrote; ok is false for any other tag.
func ParseQueryTag(s string) (t Tag, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) == 0 || parts[0] != QueryTagPrefix {
		return Tag{}, false
	}
	for _, p := range parts[1:] {
		k, v, found := strings.Cut(p, "=")
		if !found {
			return Tag{}, false
		}
		switch k {
		case "run":
			t.Run = v
		case "worker":
			t.Worker = v
		case "phase":
			t.Phase = v
		default:
			return Tag{}, false
		}
	}
	return t, t.Run != ""
}
