package web

import (
	"time"

	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/store"
)

// Worker is one line of the worker grid.
type Worker struct {
	ID           string  `json:"id"`
	Group        int     `json:"group"`
	Status       string  `json:"status"`
	Phase        string  `json:"phase,omitempty"`
	HeartbeatAge float64 `json:"heartbeat_age_s"`
	Operations   int64   `json:"operations"`
	Errors       int64   `json:"errors"`
	SharePct     float64 `json:"share_pct"` // of every worker's operations
	Sessions     int64   `json:"sessions"`
	Host         string  `json:"host,omitempty"`
	LastError    string  `json:"last_error,omitempty"`
}

// Node is one step of the run DAG with where the run is.
type Node struct {
	Name      string   `json:"name"`
	DependsOn []string `json:"depends_on,omitempty"`
	State     string   `json:"state"` // done, running, pending (for a finished run: done)
}

// AddWorkers fills the worker grid from the heartbeats, ages against now
// (the control plane's clock).
func AddWorkers(d *Data, hbs []store.Heartbeat, now time.Time) {
	var total int64
	for _, h := range hbs {
		total += h.Operations
	}
	d.Workers = []Worker{}
	for _, h := range hbs {
		w := Worker{ID: h.WorkerID, Group: h.WorkerGroupID, Status: string(h.Status), Phase: h.Phase,
			HeartbeatAge: now.Sub(h.LastHeartbeat).Seconds(), Operations: h.Operations, Errors: h.Errors,
			Sessions: h.ActiveConnections, Host: h.Host, LastError: h.LastError}
		if total > 0 {
			w.SharePct = 100 * float64(h.Operations) / float64(total)
		}
		d.Workers = append(d.Workers, w)
	}
}

// AddNodes fills the run DAG: nodes before the current phase are done,
// the current one runs, later ones wait; a finished run is all done.
func AddNodes(d *Data, plan engine.RunPlan, run store.Run) {
	d.Nodes = []Node{}
	current := ""
	if run.Phase != "" {
		current = "phase." + run.Phase
		if run.Phase == "warmup" {
			current = "warmup"
		}
	}
	seen := false
	for _, n := range plan.Nodes {
		st := "pending"
		switch {
		case run.Status.Terminal():
			st = "done"
		case n.Name == current:
			st, seen = "running", true
		case !seen && current != "":
			st = "done"
		}
		d.Nodes = append(d.Nodes, Node{Name: n.Name, DependsOn: n.DependsOn, State: st})
	}
}
