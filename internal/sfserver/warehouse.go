package sfserver

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Warehouse is an emulated virtual warehouse. It does no work: it only has
// the state SHOW WAREHOUSES reports and that ALTER WAREHOUSE changes.
type Warehouse struct {
	Name  string
	State string // STARTED (default) or SUSPENDED
	Size  string // default X-Small
	Type  string // default STANDARD
	// AutoResume resumes a SUSPENDED warehouse when a statement needs it;
	// when false such statements fail with 000606 (no active warehouse).
	AutoResume  bool
	MinClusters int
	MaxClusters int
	// Queued is reported as is in SHOW WAREHOUSES (tests set it to emulate
	// queueing). Running is added to the statements currently executing.
	Queued, Running int
	// StartedClusters defaults to 1 when STARTED, 0 when SUSPENDED.
	StartedClusters int
	// Tables are the interactive tables an INTERACTIVE warehouse serves.
	Tables []string

	inflight  int
	createdOn time.Time
	resumedOn time.Time
}

func (s *Server) addWarehouse(w Warehouse) {
	w.Name = strings.ToUpper(w.Name)
	if w.State == "" {
		w.State = "STARTED"
	}
	if w.Size == "" {
		w.Size = "X-Small"
	}
	if w.Type == "" {
		w.Type = "STANDARD"
	}
	if w.MinClusters == 0 {
		w.MinClusters = 1
	}
	if w.MaxClusters == 0 {
		w.MaxClusters = w.MinClusters
	}
	now := time.Now()
	w.createdOn, w.resumedOn = now, now
	if old, ok := s.whs[w.Name]; ok {
		w.inflight, w.createdOn = old.inflight, old.createdOn
	}
	s.whs[w.Name] = &w
}

// SetWarehouse creates or replaces a warehouse (name is case-insensitive).
func (s *Server) SetWarehouse(w Warehouse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addWarehouse(w)
}

// Warehouse returns the current state of a warehouse.
func (s *Server) Warehouse(name string) (Warehouse, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.whs[strings.ToUpper(name)]
	if !ok {
		return Warehouse{}, false
	}
	return *w, true
}

// useWarehouse checks that a statement can run on the session's warehouse,
// resuming it if allowed, and counts it as running.
func (s *Server) useWarehouse(name string) *sqlError {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.whs[name]
	if name == "" || w == nil {
		return &sqlError{"000606", "57P03", "No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command."}
	}
	if w.State != "STARTED" {
		if !w.AutoResume {
			return &sqlError{"000606", "57P03", fmt.Sprintf("No active warehouse selected in the current session. Warehouse '%s' is suspended and auto-resume is off.", name)}
		}
		w.State, w.resumedOn = "STARTED", time.Now()
	}
	w.inflight++
	return nil
}

func (s *Server) doneWarehouse(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.whs[name]; w != nil && w.inflight > 0 {
		w.inflight--
	}
}

var showWarehouseCols = []struct{ name, typ string }{
	{"name", "text"}, {"state", "text"}, {"type", "text"}, {"size", "text"},
	{"min_cluster_count", "fixed"}, {"max_cluster_count", "fixed"}, {"started_clusters", "fixed"},
	{"running", "fixed"}, {"queued", "fixed"}, {"is_default", "text"}, {"is_current", "text"},
	{"auto_suspend", "fixed"}, {"auto_resume", "text"}, {"available", "text"}, {"provisioning", "text"},
	{"quiescing", "text"}, {"other", "text"}, {"created_on", "timestamp_ltz"}, {"resumed_on", "timestamp_ltz"},
	{"updated_on", "timestamp_ltz"}, {"owner", "text"}, {"comment", "text"}, {"scaling_policy", "text"},
}

func (s *Server) showWarehouses(se *session, tr *translation) *queryData {
	var like *regexp.Regexp
	if tr.Like != "" {
		pat := regexp.QuoteMeta(tr.Like)
		pat = strings.NewReplacer("%", ".*", "_", ".").Replace(pat)
		like = regexp.MustCompile("(?is)^" + pat + "$")
	}
	data := &queryData{StatementTypeID: typeSCL}
	for _, c := range showWarehouseCols {
		rt := rowType{Name: c.name, Type: c.typ, Nullable: true}
		switch c.typ {
		case "fixed":
			rt.Precision = 38
		case "text":
			rt.Length = maxText
		default:
			rt.Scale = 3
		}
		data.RowType = append(data.RowType, rt)
	}
	s.mu.Lock()
	names := make([]string, 0, len(s.whs))
	for n := range s.whs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w := s.whs[n]
		if like != nil && !like.MatchString(n) {
			continue
		}
		started := w.StartedClusters
		if started == 0 && w.State == "STARTED" {
			started = 1
		}
		if w.State != "STARTED" {
			started = 0
		}
		ts := func(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }
		yn := func(b bool) string { return strconv.FormatBool(b) }
		vals := []string{w.Name, w.State, w.Type, w.Size, strconv.Itoa(w.MinClusters), strconv.Itoa(w.MaxClusters),
			strconv.Itoa(started), strconv.Itoa(w.Running + w.inflight), strconv.Itoa(w.Queued),
			"N", map[bool]string{true: "Y", false: "N"}[n == se.warehouse], "600", yn(w.AutoResume), "", "", "", "",
			ts(w.createdOn), ts(w.resumedOn), ts(w.resumedOn), "SYSADMIN", "", "STANDARD"}
		row := make([]*string, len(vals))
		for i := range vals {
			if vals[i] == "" && i >= 13 && i <= 16 {
				continue
			}
			row[i] = &vals[i]
		}
		data.RowSet = append(data.RowSet, row)
	}
	s.mu.Unlock()
	data.Total, data.Returned = int64(len(data.RowSet)), int64(len(data.RowSet))
	return data
}

func (s *Server) alterWarehouse(tr *translation) (*queryData, *sqlError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.whs[tr.Name]
	if w == nil {
		return nil, &sqlError{"002003", "02000", fmt.Sprintf("SQL compilation error:\nWarehouse '%s' does not exist or not authorized.", tr.Name)}
	}
	switch tr.Verb {
	case "RESUME":
		w.State, w.resumedOn = "STARTED", time.Now()
	case "SUSPEND":
		w.State = "SUSPENDED"
	case "SET":
		applyWarehouseParams(w, tr.Params)
	case "ADD":
		w.Tables = append(w.Tables, tr.Tables...)
	case "ABORT", "UNSET", "RENAME", "REMOVE":
	default:
		return nil, &sqlError{"001003", "42000", "SQL compilation error:\nunexpected ALTER WAREHOUSE action " + tr.Verb}
	}
	return statusResult(tr, tr.Status), nil
}

func (s *Server) createWarehouse(tr *translation) (*queryData, *sqlError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := Warehouse{Name: tr.Name, AutoResume: true, Tables: tr.Tables}
	applyWarehouseParams(&w, tr.Params)
	if _, ok := s.whs[w.Name]; !ok {
		s.addWarehouse(w)
	}
	return statusResult(tr, fmt.Sprintf("Warehouse %s successfully created.", tr.Name)), nil
}

func applyWarehouseParams(w *Warehouse, p map[string]string) {
	for k, v := range p {
		switch k {
		case "WAREHOUSE_SIZE":
			w.Size = v
		case "WAREHOUSE_TYPE":
			w.Type = v
		case "AUTO_RESUME":
			w.AutoResume = strings.EqualFold(v, "TRUE")
		case "MIN_CLUSTER_COUNT":
			w.MinClusters, _ = strconv.Atoi(v)
		case "MAX_CLUSTER_COUNT":
			w.MaxClusters, _ = strconv.Atoi(v)
		case "INITIALLY_SUSPENDED":
			if strings.EqualFold(v, "TRUE") {
				w.State = "SUSPENDED"
			}
		}
	}
}
