package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/compare"
)

//go:embed assets
var assets embed.FS

func mustRead(name string) string {
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

var funcs = template.FuncMap{
	"micros": view.Micros,
	"change": compare.FormatChange,
	"value":  metricValue,
	"ci": func(r compare.Row) string {
		if r.CILow == nil {
			return "-"
		}
		return fmt.Sprintf("[%+.1f%%, %+.1f%%]", *r.CILow*100, *r.CIHigh*100)
	},
	"pval": func(p *float64) string {
		if p == nil {
			return "-"
		}
		if *p < 0.001 {
			return "<0.001"
		}
		return fmt.Sprintf("%.3f", *p)
	},
	"verdictClass": func(v string) string {
		switch v {
		case compare.Worse:
			return "worse"
		case compare.Better:
			return "better"
		}
		return ""
	},
}

// metricValue renders a compared value as the text views do, with a
// latency of none as "-".
func metricValue(metric dsl.Metric, v float64) string {
	if metric.IsLatency() {
		return view.Micros(int64(v + 0.5))
	}
	return view.CompareValue(metric, v)
}

var page = template.Must(template.New("report.html").Funcs(funcs).Parse(mustRead("report.html")))

// PageOptions change a rendered page for `fbctl serve`.
type PageOptions struct {
	Nav   bool          // links back to the runs list
	Extra template.HTML // extra markup before </body> (the live script)
}

// Report writes d as one self-contained HTML file: styles, data, uPlot
// and the page script inline; nothing is fetched when it is opened.
func Report(w io.Writer, d Data) error { return Page(w, d, PageOptions{}) }

// Page renders the run page with options.
func Page(w io.Writer, d Data, o PageOptions) error {
	js, err := json.Marshal(d) // escapes <, > and & so the data cannot end the script
	if err != nil {
		return err
	}
	return page.Execute(w, map[string]any{
		"D": d, "Nav": o.Nav, "Extra": o.Extra,
		"DataJS":   template.JS(js),
		"UPlotJS":  template.JS(mustRead("vendor/uPlot.iife.min.js")),
		"UPlotCSS": template.CSS(mustRead("vendor/uPlot.min.css")),
		"JS":       template.JS(mustRead("report.js")),
		"CSS":      template.CSS(mustRead("report.css")),
	})
}
