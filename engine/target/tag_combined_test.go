package target_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/target"
)

func TestUserQueryTagKeptAndFbctlTagAppended(t *testing.T) {
	tag := target.Tag{Run: "r1", Worker: "worker-0", Phase: "steady"}
	const fb = "flakebench:run=r1:worker=worker-0:phase=steady"
	for _, tc := range []struct{ user, want string }{
		{"", fb},
		{"team-orders", "team-orders " + fb},
		{`{"team":"orders","cost_center":7}`, `{"cost_center":7,"flakebench":"` + fb + `","team":"orders"}`},
		{"{not json", "{not json " + fb},
	} {
		got := target.CombinedQueryTag(tc.user, tag)
		if got != tc.want {
			t.Errorf("CombinedQueryTag(%q) = %q, want %q", tc.user, got, tc.want)
		}
		back, ok := target.ParseQueryTag(got)
		if !ok || back.Run != "r1" || back.Worker != "worker-0" || back.Phase != "steady" {
			t.Errorf("ParseQueryTag(%q) = %+v, %v", got, back, ok)
		}
	}
	long := strings.Repeat("x", 3000)
	if got := target.CombinedQueryTag(long, tag); len(got) != target.MaxQueryTag || !strings.HasSuffix(got, " "+fb) {
		t.Errorf("a long user tag: %d bytes, suffix %q", len(got), got[len(got)-60:])
	}
	var obj map[string]string
	if err := json.Unmarshal([]byte(target.CombinedQueryTag(`{"a":"b"}`, tag)), &obj); err != nil || obj["a"] != "b" || obj["flakebench"] != fb {
		t.Errorf("JSON tag: %v, %v", obj, err)
	}
}

func TestApplicationNameFitsPostgresLimit(t *testing.T) {
	run := "0f8d2a4e-7c1b-4a9e-9d3f-2b6c8e1a5f70" // store.NewID's 36 characters
	for _, tc := range []struct {
		user string
		tag  target.Tag
		want string
	}{
		{"", target.Tag{Run: "r1", Worker: "worker-0", Phase: "steady"}, "flakebench:run=r1:worker=worker-0:phase=steady"},
		{"psql", target.Tag{Run: "r1", Worker: "w0"}, "psql flakebench:run=r1:worker=w0"},
		{"", target.Tag{Run: run, Worker: "worker-0", Phase: "steady"}, "fb:r=" + run + ":w=0:p=steady"},
		{"my-app", target.Tag{Run: run, Worker: "worker-0", Phase: "steady"}, "my-app fb:r=" + run + ":w=0:p=steady"},
		{"my-app", target.Tag{Run: run, Worker: "w0"}, "my-app fb:r=" + run + ":w=w0"},
		{"", target.Tag{Run: run, Worker: "w0"}, "flakebench:run=" + run + ":worker=w0"},
		{"", target.Tag{Run: run, Worker: "worker-0", Phase: "a-rather-long-phase-name"}, "fb:r=" + run + ":w=0"},
		{"", target.Tag{Run: "sf-run-1", Worker: "worker-12", Phase: "a-rather-long-phase-name-here-and-more"}, "fb:r=sf-run-1:w=12:p=a-rather-long-phase-name-here-and-more"},
	} {
		got := target.ApplicationName(tc.user, tc.tag)
		if got != tc.want || len(got) > target.MaxAppName {
			t.Errorf("ApplicationName(%q, %+v) = %q (%d bytes), want %q", tc.user, tc.tag, got, len(got), tc.want)
		}
		if back, ok := target.ParseQueryTag(got); !ok || back.Run != tc.tag.Run || (strings.Contains(got, "w=") && back.Worker != tc.tag.Worker) {
			t.Errorf("ParseQueryTag(%q) = %+v, %v", got, back, ok)
		}
	}
}

func TestSessionInitKeepsTheUsersTag(t *testing.T) {
	tag := target.Tag{Run: "r1", Worker: "w0", Phase: "p", User: "from-params"}
	got, err := target.SessionInit(dsl.ConnSnowflake, &dsl.Template{Session: map[string]string{"query_tag": `team\x's`}}, tag)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ALTER SESSION SET TIMEZONE = 'UTC'", `ALTER SESSION SET QUERY_TAG = 'team\\x''s flakebench:run=r1:worker=w0:phase=p'`}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("the template's tag wins over the params' and is kept (-want +got):\n%s", d)
	}
	got, _ = target.SessionInit(dsl.ConnSnowflake, &dsl.Template{}, tag)
	if got[1] != "ALTER SESSION SET QUERY_TAG = 'from-params flakebench:run=r1:worker=w0:phase=p'" {
		t.Errorf("params tag: %q", got[1])
	}
	got, _ = target.SessionInit(dsl.ConnPostgres, &dsl.Template{Session: map[string]string{"application_name": "bench", "work_mem": "4MB"}}, tag)
	if d := cmp.Diff([]string{"SET application_name = 'bench flakebench:run=r1:worker=w0:phase=p'", "SET work_mem = '4MB'"}, got); d != "" {
		t.Errorf("postgres (-want +got):\n%s", d)
	}
	conn := &dsl.Connection{Type: dsl.ConnPostgres, Params: map[string]string{"application_name": "pgapp"}}
	if u := target.UserQueryTag(conn, &dsl.Template{}); u != "pgapp" {
		t.Errorf("UserQueryTag(postgres params) = %q", u)
	}
	sf := &dsl.Connection{Type: dsl.ConnSnowflake, Params: map[string]string{"QUERY_TAG": "p"}}
	if u := target.UserQueryTag(sf, &dsl.Template{Session: map[string]string{"QUERY_TAG": "s"}}); u != "s" {
		t.Errorf("UserQueryTag: the template's session tag wins, got %q", u)
	}
}
