package run

import (
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// condRemindEvery is how often a condition that keeps failing is logged
// again, with the count of failures since its last line.
const condRemindEvery = 30 * time.Second

// condLog logs a recurring control-plane problem (a heartbeat not written,
// control events not read: a store outage) once per change of condition
// instead of once per attempt: a warning when it starts, a reminder every
// condRemindEvery while it lasts, an info line when it is over. Loops that
// poll every 100 ms would otherwise log about ten lines a second each.
type condLog struct {
	mu    sync.Mutex
	conds map[string]*cond
	now   func() time.Time
}

type cond struct {
	since, logged time.Time
	failures      int64
	suppressed    int64
}

func (c *condLog) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// fail records a failure of what (a short description, the key); it logs
// at most one line per condRemindEvery.
func (c *condLog) fail(log hclog.Logger, what string, err error, kv ...any) {
	c.mu.Lock()
	if c.conds == nil {
		c.conds = map[string]*cond{}
	}
	now := c.clock()
	k := c.conds[what]
	first := k == nil
	if first {
		k = &cond{since: now}
		c.conds[what] = k
	}
	k.failures++
	remind := !first && now.Sub(k.logged) >= condRemindEvery
	if !first && !remind {
		k.suppressed++
		c.mu.Unlock()
		return
	}
	k.logged = now
	n, supp, since := k.failures, k.suppressed, k.since
	k.suppressed = 0
	c.mu.Unlock()
	args := append([]any{"error", err}, kv...)
	if first {
		log.Warn(what+" failed; retrying (logged again every 30s while it lasts)", args...)
		return
	}
	log.Warn(what+" still failing", append(args, "failures", n, "since", since.UTC().Format(time.RFC3339), "not_logged", supp)...)
}

// ok ends the condition what, logging once that it works again.
func (c *condLog) ok(log hclog.Logger, what string) {
	c.mu.Lock()
	k := c.conds[what]
	if k == nil {
		c.mu.Unlock()
		return
	}
	delete(c.conds, what)
	n, d := k.failures, c.clock().Sub(k.since)
	c.mu.Unlock()
	log.Info(what+" works again", "failures", n, "after", d.Round(time.Millisecond))
}
