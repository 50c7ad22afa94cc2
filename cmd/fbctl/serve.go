package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/flakebench/fbctl/cmd/fbctl/view/web"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/compare"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/retry"
)

func serveCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "a read-only web UI on the results store: runs, run pages (live while a run goes), comparisons",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "listen on `HOST:PORT` (loopback by default; the UI has no login)"},
			&cli.DurationFlag{Name: "poll", Value: time.Second, Usage: "how often a live page's stream reads the store"},
			resultsFlag(),
		},
		Action: func(c *cli.Context) error {
			st, err := g.openStore(c.Context, c, nil, true)
			if err != nil {
				return err
			}
			defer st.Close()
			ln, err := net.Listen("tcp", c.String("addr"))
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: newUI(g, st, c.Duration("poll")), ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(g.stdout, "Serving the runs of %s on http://%s/ (read-only; Ctrl-C stops).\n", st, ln.Addr())
			go func() {
				<-c.Context.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(ctx)
			}()
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
}

// ui serves the pages; it only reads the store.
type ui struct {
	g    *globals
	st   *store.Store
	poll time.Duration
}

func newUI(g *globals, st *store.Store, poll time.Duration) http.Handler {
	u := &ui{g: g, st: st, poll: poll}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", u.runs)
	mux.HandleFunc("GET /run/{id}", u.run)
	mux.HandleFunc("GET /run/{id}/events", u.events)
	mux.HandleFunc("GET /run/{id}/data", u.data)
	mux.HandleFunc("GET /compare", u.compare)
	return mux
}

func (u *ui) fail(w http.ResponseWriter, code int, err error) {
	http.Error(w, err.Error(), code)
}

func (u *ui) runs(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := web.RunFilter{Scenario: r.FormValue("scenario"), Status: r.FormValue("status"), Tag: r.FormValue("tag"), Since: r.FormValue("since")}
	o := store.ListRunsOptions{Scenario: f.Scenario, Limit: 200}
	if f.Status != "" {
		o.Status = []store.RunStatus{store.RunStatus(f.Status)}
	}
	runs, err := u.st.ListRuns(ctx, o)
	if err != nil {
		u.fail(w, http.StatusInternalServerError, err)
		return
	}
	all, _ := u.st.ListRuns(ctx, store.ListRunsOptions{Limit: 500})
	page := web.RunsPage{Store: u.st.String(), F: f, Statuses: []string{"PREPARED", "STARTING", "RUNNING", "STOPPING", "COMPLETED", "FAILED", "CANCELLED"}}
	for _, x := range all {
		if !slices.Contains(page.Scenarios, x.ScenarioName) {
			page.Scenarios = append(page.Scenarios, x.ScenarioName)
		}
	}
	slices.Sort(page.Scenarios)
	var since time.Time
	if f.Since != "" {
		if since, err = time.Parse("2006-01-02", f.Since); err != nil {
			u.fail(w, http.StatusBadRequest, fmt.Errorf("since %q is not a date YYYY-MM-DD", f.Since))
			return
		}
	}
	tk, tv, hasTag := strings.Cut(f.Tag, "=")
	for i, x := range runs {
		if !since.IsZero() && x.CreatedAt.Before(since) {
			continue
		}
		tags, _ := u.st.RunTags(ctx, x.ID)
		if f.Tag != "" && (!hasTag || tags[tk] != tv) {
			continue
		}
		row := web.RunRow{ID: x.ID, Scenario: x.ScenarioName, Status: string(x.Status), Live: !x.Status.Terminal(),
			Created: x.CreatedAt.UTC().Format("2006-01-02 15:04:05"), Workers: x.WorkersExpected, Tags: map[string]string{}}
		for k, v := range tags {
			if !strings.HasPrefix(k, store.SystemTagPrefix) {
				row.Tags[k] = v
			}
		}
		if p, err := u.st.GetTestResult(ctx, x.ID); err == nil {
			row.Ops, row.QPS, row.P99US, row.ErrorPct = p.Total, p.QPS, p.P99US, p.ErrorRate*100
		}
		for _, y := range runs[i+1:] {
			if y.ScenarioName == x.ScenarioName && y.Status == store.RunCompleted {
				row.Previous = y.ID
				break
			}
		}
		page.Runs = append(page.Runs, row)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := web.Runs(w, page); err != nil {
		u.g.logger.Error("runs page", "error", err)
	}
}

// pageData is the run page's data: the stored results of a finished run,
// the exact merged intervals of one still going.
func (u *ui) pageData(ctx context.Context, id string) (web.Data, error) {
	d, err := u.runData(ctx, id)
	if err != nil {
		return d, err
	}
	run, err := u.st.GetRun(ctx, id)
	if err != nil {
		return d, err
	}
	var plan engine.RunPlan
	_ = json.Unmarshal(run.Plan, &plan)
	web.AddNodes(&d, plan, run)
	if hbs, err := u.st.ListHeartbeats(ctx, id); err == nil && len(hbs) > 0 {
		web.AddWorkers(&d, hbs, u.st.Now())
	}
	return d, nil
}

func (u *ui) runData(ctx context.Context, id string) (web.Data, error) {
	run, err := u.st.GetRun(ctx, id)
	if err != nil {
		return web.Data{}, err
	}
	if run.Status.Terminal() {
		if _, err := u.st.GetTestResult(ctx, id); err == nil {
			return pageData(ctx, u.st, id, "", false)
		}
	}
	r := compare.Run{Run: run}
	if len(run.Plan) > 0 {
		_ = json.Unmarshal(run.Plan, &r.Plan)
	}
	snaps, err := u.st.ListMetricsSnapshots(ctx, id)
	if err != nil {
		return web.Data{}, err
	}
	series, err := results.Series(snaps)
	if err != nil {
		return web.Data{}, err
	}
	r.Series = series
	return web.BuildLive(r), nil
}

func (u *ui) run(w http.ResponseWriter, r *http.Request) {
	d, err := u.pageData(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		u.fail(w, http.StatusNotFound, fmt.Errorf("run %s is not in %s", r.PathValue("id"), u.st))
		return
	}
	if err != nil {
		u.fail(w, http.StatusInternalServerError, err)
		return
	}
	o := web.PageOptions{Nav: true}
	if d.Live {
		o.Extra = web.LiveScript()
	}
	var b bytes.Buffer
	if err := web.Page(&b, d, o); err != nil {
		u.fail(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

func (u *ui) data(w http.ResponseWriter, r *http.Request) {
	d, err := u.pageData(r.Context(), r.PathValue("id"))
	if err != nil {
		u.fail(w, http.StatusNotFound, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(d)
}

// events streams a run's page data as Server-Sent Events: a "snapshot"
// whenever its merged intervals change, comment heartbeats, and "stop"
// once the run is over.
func (u *ui) events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	last, seq := "", 0
	beat := time.Now()
	// Polls until the run is over, the page data fails, the client goes
	// away (ctx) or a write to it fails; each ends the stream.
	_ = retry.Poll(ctx, u.poll, func(ctx context.Context) (bool, error) {
		d, err := u.pageData(ctx, id)
		if err != nil {
			fmt.Fprintf(w, "event: error\ndata: %s\n\n", strings.ReplaceAll(err.Error(), "\n", " "))
			_ = rc.Flush()
			return true, nil
		}
		if !d.Live {
			fmt.Fprintf(w, "event: stop\ndata: %q\n\n", d.Status)
			_ = rc.Flush()
			return true, nil
		}
		d.Generated = ""
		b, _ := json.Marshal(d)
		if string(b) != last {
			last = string(b)
			seq++
			fmt.Fprintf(w, "event: snapshot\nid: %d\ndata: %s\n\n", seq, b)
			beat = time.Now()
		} else if time.Since(beat) > 15*time.Second {
			fmt.Fprint(w, ": heartbeat\n\n")
			beat = time.Now()
		}
		return rc.Flush() != nil, nil
	})
}

func (u *ui) compare(w http.ResponseWriter, r *http.Request) {
	base, cand := r.FormValue("base"), r.FormValue("cand")
	if base == "" || cand == "" {
		u.fail(w, http.StatusBadRequest, errors.New("choose a baseline (base) and a candidate (cand) run"))
		return
	}
	d, err := pageData(r.Context(), u.st, cand, base, r.FormValue("force") != "")
	if err != nil {
		u.fail(w, http.StatusNotFound, err)
		return
	}
	var b bytes.Buffer
	if err := web.Page(&b, d, web.PageOptions{Nav: true}); err != nil {
		u.fail(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}
