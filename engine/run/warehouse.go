package run

import (
	"context"
	"sync"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/warehouse"
)

// WarehouseSummary is what SHOW WAREHOUSES said about a Snowflake target's
// warehouse while a measurement phase ran: the most statements running and
// queued at once, and the clusters started. Queued statements mean the
// warehouse, not the workload, set the latency.
type WarehouseSummary struct {
	Name               string `json:"name"`
	Size               string `json:"size,omitempty"`
	Samples            int    `json:"samples"`
	FailedPolls        int    `json:"failed_polls,omitempty"`
	MaxRunning         int64  `json:"max_running"`
	MaxQueued          int64  `json:"max_queued"`
	MaxStartedClusters int64  `json:"max_started_clusters"`
	MaxClusters        int64  `json:"max_clusters,omitempty"`
}

// warehouseWatch polls a warehouse over one phase.
type warehouseWatch struct {
	poller *warehouse.Poller
	stop   context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	sum    WarehouseSummary
}

// watchWarehouse starts polling the warehouse of a Snowflake measurement
// phase's connection (nil for other phases, or without a warehouse).
func (o *orch) watchWarehouse(n engine.Node, tmplName string) *warehouseWatch {
	if n.Phase == nil {
		return nil
	}
	t := o.cfg.Templates[tmplName]
	if t == nil {
		return nil
	}
	c := o.cfg.Connections[t.Connection]
	if c == nil || c.Type != dsl.ConnSnowflake || c.Get("warehouse") == "" {
		return nil
	}
	db, err := o.target(tmplName)
	if err != nil {
		return nil
	}
	w := &warehouseWatch{done: make(chan struct{}), sum: WarehouseSummary{Name: c.Get("warehouse")}}
	w.poller = &warehouse.Poller{Q: db.DB, Name: w.sum.Name, Every: o.opts.WarehousePollEvery, Logger: o.log,
		OnSample: func(s warehouse.Sample) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.sum.Samples++
			w.sum.Size = s.Size
			w.sum.MaxRunning = max(w.sum.MaxRunning, s.Running)
			w.sum.MaxQueued = max(w.sum.MaxQueued, s.Queued)
			w.sum.MaxStartedClusters = max(w.sum.MaxStartedClusters, s.StartedClusters)
			w.sum.MaxClusters = s.MaxClusters
		}}
	ctx, cancel := context.WithCancel(o.bg)
	w.stop = cancel
	go func() {
		defer close(w.done)
		if err := w.poller.Run(ctx); err != nil {
			o.log.Warn("warehouse not polled", "warehouse", w.sum.Name, "error", err)
		}
	}()
	return w
}

// end stops polling and keeps the phase's summary.
func (o *orch) endWarehouseWatch(n engine.Node, w *warehouseWatch) {
	if w == nil {
		return
	}
	w.stop()
	<-w.done
	_, failed := w.poller.Last()
	w.mu.Lock()
	sum := w.sum
	w.mu.Unlock()
	sum.FailedPolls = failed
	if o.warehouses == nil {
		o.warehouses = map[string]*WarehouseSummary{}
	}
	o.warehouses[n.Phase.Name] = &sum
}

// DefaultWarehousePollEvery is how often SHOW WAREHOUSES is read during a
// Snowflake measurement phase.
const DefaultWarehousePollEvery = 5 * time.Second
