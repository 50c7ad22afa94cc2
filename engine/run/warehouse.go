package run

import (
	"context"
	"sync"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/warehouse"
)

// warehouseWatch polls a warehouse over one phase.
type warehouseWatch struct {
	poller *warehouse.Poller
	stop   context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	sum    warehouse.Summary
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
	w := &warehouseWatch{done: make(chan struct{}), sum: warehouse.Summary{Name: c.Get("warehouse")}}
	w.poller = &warehouse.Poller{Q: db.DB, Name: w.sum.Name, Every: o.opts.WarehousePollEvery, Logger: o.log,
		OnSample: func(s warehouse.Sample) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.sum.Observe(s)
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
	o.mu.Lock()
	if o.warehouses == nil {
		o.warehouses = map[string]*warehouse.Summary{}
	}
	o.warehouses[n.Phase.Name] = &sum
	o.mu.Unlock()
}

// DefaultWarehousePollEvery is how often SHOW WAREHOUSES is read during a
// Snowflake measurement phase.
const DefaultWarehousePollEvery = 5 * time.Second
