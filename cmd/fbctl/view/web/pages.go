package web

import (
	"html/template"
	"io"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
)

// RunRow is one line of the runs list.
type RunRow struct {
	ID, Scenario, Status, Created string
	Live                          bool
	Workers                       int
	Ops                           int64
	QPS                           float64
	P99US                         int64
	ErrorPct                      float64
	Tags                          map[string]string
	Previous                      string // the previous run of the same scenario, for a compare link
}

// RunFilter is the runs list's filter form.
type RunFilter struct{ Scenario, Status, Tag, Since string }

// RunsPage is what the runs list shows.
type RunsPage struct {
	Store     string
	F         RunFilter
	Runs      []RunRow
	Scenarios []string
	Statuses  []string
}

var runsPage = template.Must(template.New("runs.html").Funcs(template.FuncMap{"micros": view.Micros}).Parse(mustRead("runs.html")))

// Runs renders the runs list.
func Runs(w io.Writer, p RunsPage) error {
	return runsPage.Execute(w, map[string]any{"Store": p.Store, "F": p.F, "Runs": p.Runs, "Scenarios": p.Scenarios,
		"Statuses": p.Statuses, "CSS": template.CSS(mustRead("report.css"))})
}

// LiveScript is the markup that makes a run page follow its run.
func LiveScript() template.HTML {
	return template.HTML("<script>" + mustRead("live.js") + "</script>")
}
