package sfserver

import (
	"context"
	"crypto/rsa"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver backing the server
)

const serverVersion = "9.0.0-flakebench-local"

// Options configure a Server.
type Options struct {
	// DBPath is the SQLite database file. "" means a temporary file that is
	// removed by Close.
	DBPath string
	// Logger receives request and error logs; nil means no logging.
	Logger hclog.Logger
	// Account is the account name reported to clients ("local" if empty).
	Account string
	// Users maps user to password. Empty accepts any non-empty user.
	Users map[string]string
	// PublicKeys registers RSA public keys per user for key-pair logins
	// (SNOWFLAKE_JWT), whose JWT the server verifies (auth.go).
	PublicKeys map[string]*rsa.PublicKey
	// OAuthTokens maps OAuth access tokens to their user (see
	// SetOAuthToken).
	OAuthTokens map[string]string
	// Warehouses are created at start (state STARTED unless set). A warehouse
	// named at login that does not exist is created STARTED.
	Warehouses []Warehouse
	// HybridHistoryMin: statements on hybrid tables that run shorter than
	// this are left out of QUERY_HISTORY and only counted in
	// AGGREGATE_QUERY_HISTORY, as on Snowflake (0: DefaultHybridHistoryMin;
	// negative: record every statement individually).
	HybridHistoryMin time.Duration
}

// Server is a local Snowflake-protocol server backed by SQLite.
type Server struct {
	opts    Options
	log     hclog.Logger
	db      *sql.DB
	dbPath  string
	tmpDir  string
	httpSrv *http.Server
	ln      net.Listener

	mu        sync.Mutex
	sessions  map[string]*session // by session token
	masters   map[string]*session // by master token
	nextSess  int64
	whs       map[string]*Warehouse
	inflight  map[string]context.CancelFunc // requestId → cancel
	results   map[string]*storedResult      // queryId → response
	resultIDs []string                      // insertion order, for trimming
	history   []historyRecord
	histSeq   int64
	hybrid    map[string]bool          // tables created as HYBRID, by bare name
	running   map[string]historyRecord // statements in flight (QUEUED, RUNNING), by query id
	tables    map[string]tableInfo     // every table created, by bare name (SHOW TABLES)
	aggs      map[aggKey]*aggBucket    // AGGREGATE_QUERY_HISTORY
	faults    faults
	stats     stats
	pubKeys   map[string]*rsa.PublicKey // upper-case user → key
	oauth     map[string]string         // token → upper-case user
	closed    atomic.Bool
	serveDone chan struct{}
}

type stats struct {
	requests  map[string]int
	unknown   []string
	platforms []string
}

// Stats is a snapshot of what the server has seen.
type Stats struct {
	// Requests counts requests by "METHOD /path" (query strings removed).
	Requests map[string]int
	// Unknown lists requests answered 404, as "METHOD /path".
	Unknown []string
	// LoginPlatforms holds CLIENT_ENVIRONMENT.PLATFORM of every login; the
	// driver sends ["disabled"] when its cloud platform detection (which
	// probes non-loopback metadata addresses) is turned off.
	LoginPlatforms []string
	// Sessions is the number of open sessions.
	Sessions int
}

// New opens the backing database and prepares a server; call Start or Serve.
func New(opts Options) (*Server, error) {
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		sessions: map[string]*session{},
		masters:  map[string]*session{},
		nextSess: 1000001,
		whs:      map[string]*Warehouse{},
		inflight: map[string]context.CancelFunc{},
		hybrid:   map[string]bool{},
		tables:   map[string]tableInfo{},
		running:  map[string]historyRecord{},
		aggs:     map[aggKey]*aggBucket{},
		results:  map[string]*storedResult{},
		stats:    stats{requests: map[string]int{}},
	}
	if s.log == nil {
		s.log = hclog.NewNullLogger()
	}
	if s.opts.Account == "" {
		s.opts.Account = "local"
	}
	for u, k := range opts.PublicKeys {
		s.RegisterPublicKey(u, k)
	}
	for tok, u := range opts.OAuthTokens {
		s.SetOAuthToken(tok, u)
	}
	s.dbPath = opts.DBPath
	if s.dbPath == "" {
		dir, err := os.MkdirTemp("", "sfserver-*")
		if err != nil {
			return nil, fmt.Errorf("sfserver: temp dir: %w", err)
		}
		s.tmpDir, s.dbPath = dir, filepath.Join(dir, "sfserver.db")
	}
	dsn := "file:" + s.dbPath + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		s.cleanup()
		return nil, fmt.Errorf("sfserver: open %s: %w", s.dbPath, err)
	}
	// A session owns its connection; when it ends, the connection is closed, not
	// pooled, so no open transaction or TEMP table leaks into another session.
	db.SetMaxIdleConns(0)
	if err := db.Ping(); err != nil {
		db.Close()
		s.cleanup()
		return nil, fmt.Errorf("sfserver: open %s: %w", s.dbPath, err)
	}
	s.db = db
	s.addWarehouse(Warehouse{Name: "COMPUTE_WH", AutoResume: true})
	for _, w := range opts.Warehouses {
		s.addWarehouse(w)
	}
	return s, nil
}

func (s *Server) cleanup() {
	if s.tmpDir != "" {
		os.RemoveAll(s.tmpDir)
	}
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sfserver: listen %s: %w", addr, err)
	}
	srv := s.listen(ln)
	if srv == nil {
		ln.Close()
		return fmt.Errorf("sfserver: server is closed or already serving")
	}
	s.serveDone = make(chan struct{})
	go func() {
		defer close(s.serveDone)
		if err := s.serve(srv, ln); err != nil {
			s.log.Error("serve failed", "error", err)
		}
	}()
	return nil
}

// Serve answers requests on ln until Close; it returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	srv := s.listen(ln)
	if srv == nil {
		return fmt.Errorf("sfserver: server is closed or already serving")
	}
	return s.serve(srv, ln)
}

func (s *Server) listen(ln net.Listener) *http.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() || s.httpSrv != nil {
		return nil
	}
	s.ln = ln
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	return s.httpSrv
}

func (s *Server) serve(srv *http.Server, ln net.Listener) error {
	s.log.Info("local Snowflake-protocol server listening", "addr", ln.Addr().String(), "db", s.dbPath)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sfserver: %w", err)
	}
	return nil
}

// Addr is the listening address ("" before Start/Serve).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// DSN returns a gosnowflake DSN for this server: host and port in the
// authority, protocol=http, quiet and fast-failing driver settings.
func (s *Server) DSN(user, password, db, schema, warehouse string) string {
	// The driver QueryUnescapes user, password, database and schema.
	path := ""
	if db != "" {
		path = "/" + url.QueryEscape(db)
		if schema != "" {
			path += "/" + url.QueryEscape(schema)
		}
	}
	q := url.Values{}
	q.Set("account", s.opts.Account)
	q.Set("protocol", "http")
	q.Set("disableOCSPChecks", "true")
	q.Set("loginTimeout", "10")
	q.Set("requestTimeout", "10")
	q.Set("maxRetryCount", "1")
	q.Set("tracing", "fatal")
	if warehouse != "" {
		q.Set("warehouse", warehouse)
	}
	return url.QueryEscape(user) + ":" + url.QueryEscape(password) + "@" + s.Addr() + path + "?" + q.Encode()
}

// Close stops serving, closes every session and the database, and removes
// a temporary database.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.closed.CompareAndSwap(false, true) {
		s.mu.Unlock()
		return nil
	}
	srv := s.httpSrv
	s.mu.Unlock()
	var errs []error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		cancel()
	}
	if s.serveDone != nil {
		<-s.serveDone
	}
	s.mu.Lock()
	for tok, se := range s.sessions {
		se.close()
		delete(s.sessions, tok)
	}
	s.mu.Unlock()
	if err := s.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("sfserver: close db: %w", err))
	}
	s.cleanup()
	return errors.Join(errs...)
}

// Stats returns a snapshot of request counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Requests: map[string]int{}, Sessions: len(s.sessions)}
	for k, v := range s.stats.requests {
		st.Requests[k] = v
	}
	st.Unknown = append(st.Unknown, s.stats.unknown...)
	st.LoginPlatforms = append(st.LoginPlatforms, s.stats.platforms...)
	return st
}

// ServeHTTP routes the endpoints gosnowflake uses; anything else is a 404
// that is logged, so a test relying on an unknown endpoint fails loudly.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.Path
	if strings.HasPrefix(r.URL.Path, "/queries/") && strings.HasSuffix(r.URL.Path, "/result") {
		key = r.Method + " /queries/{qid}/result"
	} else if strings.HasPrefix(r.URL.Path, "/monitoring/queries/") {
		key = r.Method + " /monitoring/queries/{qid}"
	}
	s.mu.Lock()
	s.stats.requests[key]++
	s.mu.Unlock()
	s.log.Trace("request", "method", r.Method, "path", r.URL.Path)
	switch key {
	case "POST /session/v1/login-request":
		s.handleLogin(w, r)
	case "POST /queries/v1/query-request":
		s.handleQuery(w, r)
	case "POST /session":
		if r.URL.Query().Get("delete") != "true" {
			s.notFound(w, r)
			return
		}
		s.handleDelete(w, r)
	case "POST /session/token-request":
		s.handleRenew(w, r)
	case "POST /session/heartbeat":
		if _, ok := s.auth(w, r); ok {
			writeOK(w, nil)
		}
	case "POST /telemetry/send":
		writeOK(w, nil)
	case "POST /queries/v1/abort-request":
		s.handleAbort(w, r)
	case "GET /queries/{qid}/result":
		s.handleResult(w, r, strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/queries/"), "/result"))
	case "GET /monitoring/queries/{qid}":
		s.handleMonitoring(w, r, strings.TrimPrefix(r.URL.Path, "/monitoring/queries/"))
	default:
		s.notFound(w, r)
	}
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.unknown = append(s.stats.unknown, r.Method+" "+r.URL.Path)
	s.mu.Unlock()
	s.log.Error("unknown endpoint: answered 404", "method", r.Method, "path", r.URL.Path)
	http.Error(w, "sfserver: unknown endpoint "+r.Method+" "+r.URL.Path, http.StatusNotFound)
}

// envelope is Snowflake's response wrapper.
type envelope struct {
	Data    any     `json:"data"`
	Code    *string `json:"code"`
	Message *string `json:"message"`
	Success bool    `json:"success"`
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func writeOK(w http.ResponseWriter, data any) {
	writeJSON(w, envelope{Data: data, Success: true})
}

// writeFail answers HTTP 200 with success:false, a numeric string code and
// data.sqlState / data.queryId, which the driver turns into a SnowflakeError.
func writeFail(w http.ResponseWriter, code, sqlState, msg, queryID string) {
	data := map[string]any{}
	if sqlState != "" {
		data["sqlState"] = sqlState
	}
	if queryID != "" {
		data["queryId"] = queryID
	}
	writeJSON(w, envelope{Data: data, Code: &code, Message: &msg, Success: false})
}

// Requests lists the "METHOD /path" keys seen, sorted (for logs and tests).
func (st Stats) RequestKeys() []string {
	keys := make([]string, 0, len(st.Requests))
	for k := range st.Requests {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
