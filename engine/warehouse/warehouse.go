package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/flakebench/fbctl/internal/retry"
)

// Querier is *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Sample is one SHOW WAREHOUSES row's load at a time.
type Sample struct {
	At              time.Time // UTC, when the row was read
	Name            string
	State           string // STARTED, SUSPENDED, RESIZING, …
	Size            string
	Type            string // STANDARD, SNOWPARK-OPTIMIZED, INTERACTIVE, …
	ScalingPolicy   string
	Running         int64 // statements executing
	Queued          int64 // statements waiting for the warehouse
	StartedClusters int64
	MinClusters     int64
	MaxClusters     int64
}

// ErrNotFound is returned when SHOW WAREHOUSES does not list the warehouse
// (it does not exist, or the role cannot see it).
var ErrNotFound = errors.New("warehouse not found")

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// checkName refuses names that would need quoting: they go into SQL text.
func checkName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("warehouse %q: only plain identifiers are supported", name)
	}
	return nil
}

// Show reads warehouse name's row of SHOW WAREHOUSES.
func Show(ctx context.Context, q Querier, name string) (Sample, error) {
	if err := checkName(name); err != nil {
		return Sample{}, err
	}
	rows, err := q.QueryContext(ctx, "SHOW WAREHOUSES LIKE '"+name+"'")
	if err != nil {
		return Sample{}, fmt.Errorf("SHOW WAREHOUSES: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Sample{}, err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return Sample{}, fmt.Errorf("SHOW WAREHOUSES: %w", err)
		}
		row := map[string]string{}
		for i, c := range cols {
			row[strings.ToLower(c)] = vals[i].String
		}
		if !strings.EqualFold(row["name"], name) {
			continue // LIKE also matches _ and %
		}
		n := func(k string) int64 { v, _ := strconv.ParseInt(row[k], 10, 64); return v }
		return Sample{At: time.Now().UTC(), Name: row["name"], State: row["state"], Size: row["size"],
			Type: row["type"], ScalingPolicy: row["scaling_policy"],
			Running: n("running"), Queued: n("queued"), StartedClusters: n("started_clusters"),
			MinClusters: n("min_cluster_count"), MaxClusters: n("max_cluster_count")}, nil
	}
	if err := rows.Err(); err != nil {
		return Sample{}, fmt.Errorf("SHOW WAREHOUSES: %w", err)
	}
	return Sample{}, fmt.Errorf("%w: %s", ErrNotFound, name)
}

// Resume resumes warehouse name when it is suspended and waits (polling
// every poll, default 500 ms) until it reports STARTED or ctx ends. It
// reports whether it had to resume.
func Resume(ctx context.Context, q Querier, name string, poll time.Duration) (bool, error) {
	s, err := Show(ctx, q, name)
	if err != nil {
		return false, err
	}
	if s.State == "STARTED" {
		return false, nil
	}
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	if _, err := q.ExecContext(ctx, "ALTER WAREHOUSE "+name+" RESUME IF SUSPENDED"); err != nil {
		return false, fmt.Errorf("resume warehouse %s: %w", name, err)
	}
	state, showErr := s.State, error(nil)
	err = retry.Poll(ctx, poll, func(ctx context.Context) (bool, error) {
		s, err := Show(ctx, q, name)
		if err != nil {
			showErr = err
			return true, err
		}
		state = s.State
		return state == "STARTED", nil
	})
	if err != nil && showErr == nil {
		return true, fmt.Errorf("warehouse %s still %s: %w", name, state, err)
	}
	return true, err
}

// Poller samples one warehouse every Every until its context ends.
type Poller struct {
	Q        Querier
	Name     string
	Every    time.Duration // 0: 5 s
	OnSample func(Sample)  // nil: none; called from Run's goroutine
	Logger   hclog.Logger  // nil: no logging

	mu     sync.Mutex
	last   Sample
	failed int
}

// Run polls until ctx is done and returns nil then. A failed poll is
// logged and counted, never fatal: the benchmark matters more.
func (p *Poller) Run(ctx context.Context) error {
	if err := checkName(p.Name); err != nil {
		return err
	}
	every := p.Every
	if every <= 0 {
		every = 5 * time.Second
	}
	log := p.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s, err := Show(ctx, p.Q, p.Name)
		if ctx.Err() != nil {
			return nil
		}
		p.mu.Lock()
		if err != nil {
			p.failed++
		} else {
			p.last = s
		}
		p.mu.Unlock()
		if err != nil {
			log.Warn("warehouse poll failed", "warehouse", p.Name, "error", err)
		} else if p.OnSample != nil {
			p.OnSample(s)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Last returns the latest sample (zero before the first) and how many
// polls failed.
func (p *Poller) Last() (Sample, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last, p.failed
}

// Summary is what SHOW WAREHOUSES said about a Snowflake target's
// warehouse while a measurement phase ran: the most statements running and
// queued at once, and the clusters started. Queued statements mean the
// warehouse, not the workload, set the latency.
type Summary struct {
	Name               string `json:"name"`
	Size               string `json:"size,omitempty"`
	Samples            int    `json:"samples"`
	FailedPolls        int    `json:"failed_polls,omitempty"`
	MaxRunning         int64  `json:"max_running"`
	MaxQueued          int64  `json:"max_queued"`
	MaxStartedClusters int64  `json:"max_started_clusters"`
	MaxClusters        int64  `json:"max_clusters,omitempty"`
}

// Observe adds one sample to the summary.
func (s *Summary) Observe(x Sample) {
	s.Samples++
	s.Size = x.Size
	s.MaxRunning = max(s.MaxRunning, x.Running)
	s.MaxQueued = max(s.MaxQueued, x.Queued)
	s.MaxStartedClusters = max(s.MaxStartedClusters, x.StartedClusters)
	s.MaxClusters = x.MaxClusters
}
