package target

import "testing"

func TestQueryTag(t *testing.T) {
	for _, tc := range []struct {
		tag  Tag
		want string
	}{
		{Tag{Run: "r1", Worker: "worker-0", Phase: "closed"}, "flakebench:run=r1:worker=worker-0:phase=closed"},
		{Tag{Run: "r1", Phase: "warmup"}, "flakebench:run=r1:phase=warmup"},
		{Tag{Run: "a:b=c'd", Worker: "w"}, "flakebench:run=a_b_c_d:worker=w"},
	} {
		got := QueryTag(tc.tag)
		if got != tc.want {
			t.Errorf("QueryTag(%+v) = %q, want %q", tc.tag, got, tc.want)
		}
		back, ok := ParseQueryTag(got)
		if !ok || back.Run == "" || (tc.tag.Worker != "" && back.Worker != tc.tag.Worker) || back.Phase != tc.tag.Phase {
			t.Errorf("ParseQueryTag(%q) = %+v, %v", got, back, ok)
		}
	}
	for _, bad := range []string{"", "flakebench-hybrid", `{"run":"x"}`, "flakebench:phase=p", "flakebench:run=r:x=y", "other:run=r"} {
		if _, ok := ParseQueryTag(bad); ok {
			t.Errorf("ParseQueryTag(%q) accepted", bad)
		}
	}
}
