package sfserver

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// session is one Snowflake session: its own SQLite connection (so
// transactions are per session), its parameters and current objects.
type session struct {
	id      int64
	token   string
	master  string
	user    string
	expired bool

	mu        sync.Mutex // serialises statements of this session
	conn      *sql.Conn
	params    map[string]string // upper-case names
	database  string
	schema    string
	warehouse string
	role      string
}

func (se *session) close() {
	se.mu.Lock()
	defer se.mu.Unlock()
	if se.conn != nil {
		se.conn.Close()
		se.conn = nil
	}
}

func (se *session) env(account string) env {
	return env{Database: se.database, Schema: se.schema, Warehouse: se.warehouse, Role: se.role,
		User: se.user, Account: account, SessionID: se.id}
}

// parameterList is the session parameters as the driver reads them.
func (se *session) parameterList() []map[string]any {
	names := make([]string, 0, len(se.params))
	for k := range se.params {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]map[string]any, 0, len(names))
	for _, k := range names {
		out = append(out, map[string]any{"name": k, "value": se.params[k]})
	}
	return out
}

func newToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}

type loginRequest struct {
	Data struct {
		LoginName         string         `json:"LOGIN_NAME"`
		Password          string         `json:"PASSWORD"`
		Token             string         `json:"TOKEN"`
		Authenticator     string         `json:"AUTHENTICATOR"`
		SessionParameters map[string]any `json:"SESSION_PARAMETERS"`
		ClientEnvironment struct {
			Platform any `json:"PLATFORM"`
		} `json:"CLIENT_ENVIRONMENT"`
	} `json:"data"`
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeFail(w, "390100", "08004", "Malformed login request.", "")
		return
	}
	platform, _ := json.Marshal(req.Data.ClientEnvironment.Platform)
	s.mu.Lock()
	s.stats.platforms = append(s.stats.platforms, string(platform))
	s.mu.Unlock()
	user, refusal := s.authenticate(&req)
	if refusal != "" {
		s.log.Warn("login rejected", "user", req.Data.LoginName, "authenticator", req.Data.Authenticator, "reason", refusal)
		writeFail(w, "390100", "08004", refusal, "")
		return
	}
	conn, err := s.db.Conn(context.Background())
	if err != nil {
		writeFail(w, "390100", "08004", "Local server could not open a database connection.", "")
		s.log.Error("login: open connection", "error", err)
		return
	}
	q := r.URL.Query()
	se := &session{
		token:     newToken(),
		master:    newToken(),
		user:      strings.ToUpper(user),
		conn:      conn,
		params:    map[string]string{"TIMEZONE": "UTC", "CLIENT_SESSION_KEEP_ALIVE": "false", "QUERY_TAG": "", "USE_CACHED_RESULT": "true", "AUTOCOMMIT": "true"},
		database:  strings.ToUpper(q.Get("databaseName")),
		schema:    strings.ToUpper(q.Get("schemaName")),
		warehouse: strings.ToUpper(q.Get("warehouse")),
		role:      strings.ToUpper(q.Get("roleName")),
	}
	if se.database != "" && se.schema == "" {
		se.schema = "PUBLIC"
	}
	if se.role == "" {
		se.role = "PUBLIC"
	}
	for k, v := range req.Data.SessionParameters {
		k = strings.ToUpper(k)
		if k == "CLIENT_VALIDATE_DEFAULT_PARAMETERS" {
			continue
		}
		se.params[k] = fmt.Sprint(v)
	}
	s.mu.Lock()
	se.id = s.nextSess
	s.nextSess++
	s.sessions[se.token] = se
	s.masters[se.master] = se
	if se.warehouse != "" {
		if _, ok := s.whs[se.warehouse]; !ok {
			s.whs[se.warehouse] = &Warehouse{Name: se.warehouse, State: "STARTED", Size: "X-Small", Type: "STANDARD", AutoResume: true, MinClusters: 1, MaxClusters: 1}
		}
	}
	s.mu.Unlock()
	s.log.Debug("login", "user", se.user, "session", se.id)
	writeOK(w, map[string]any{
		"token": se.token, "validityInSeconds": 3600,
		"masterToken": se.master, "masterValidityInSeconds": 14400,
		"sessionId":  se.id,
		"parameters": se.parameterList(),
		"sessionInfo": map[string]string{"databaseName": se.database, "schemaName": se.schema,
			"warehouseName": se.warehouse, "roleName": se.role},
		"serverVersion": serverVersion, "displayUserName": se.user,
	})
}

func authToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	_, tok, _ := strings.Cut(h, `Token="`)
	return strings.TrimSuffix(tok, `"`)
}

// auth finds the session of a request. It answers 390112 for an expired
// token (the driver then renews) and 390104-style errors otherwise.
func (s *Server) auth(w http.ResponseWriter, r *http.Request) (*session, bool) {
	tok := authToken(r)
	s.mu.Lock()
	se := s.sessions[tok]
	expired := se != nil && se.expired
	s.mu.Unlock()
	if se == nil {
		writeFail(w, "390104", "08001", "User must login again to access the service.", "")
		return nil, false
	}
	if expired {
		writeFail(w, "390112", "08001", "Your session has expired. Please login again.", "")
		return nil, false
	}
	return se, true
}

// ExpireSessionTokens makes every current session token answer 390112, so
// the driver exercises its token renewal.
func (s *Server) ExpireSessionTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, se := range s.sessions {
		se.expired = true
	}
}

func (s *Server) handleRenew(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OldSessionToken string `json:"oldSessionToken"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	s.mu.Lock()
	se := s.masters[authToken(r)]
	if se == nil {
		s.mu.Unlock()
		writeFail(w, "390114", "08001", "Authentication token has expired. The user must authenticate again.", "")
		return
	}
	delete(s.sessions, se.token)
	se.token, se.expired = newToken(), false
	s.sessions[se.token] = se
	s.mu.Unlock()
	writeOK(w, map[string]any{"sessionToken": se.token, "validityInSecondsST": 3600,
		"masterToken": se.master, "validityInSecondsMT": 14400, "sessionId": se.id})
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	tok := authToken(r)
	s.mu.Lock()
	se := s.sessions[tok]
	if se != nil {
		delete(s.sessions, tok)
		delete(s.masters, se.master)
	}
	s.mu.Unlock()
	if se != nil {
		se.close()
		s.log.Debug("session closed", "session", se.id)
	}
	writeOK(w, nil)
}

// SessionInfo describes an open session (for tests of session setup).
type SessionInfo struct {
	ID                                int64
	User, Database, Schema, Warehouse string
	Role                              string
	Params                            map[string]string // upper-case names
}

// Sessions lists the open sessions, oldest first.
func (s *Server) Sessions() []SessionInfo {
	s.mu.Lock()
	list := make([]*session, 0, len(s.sessions))
	for _, se := range s.sessions {
		list = append(list, se)
	}
	s.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	out := make([]SessionInfo, 0, len(list))
	for _, se := range list {
		se.mu.Lock()
		info := SessionInfo{ID: se.id, User: se.user, Database: se.database, Schema: se.schema,
			Warehouse: se.warehouse, Role: se.role, Params: map[string]string{}}
		for k, v := range se.params {
			info.Params[k] = v
		}
		se.mu.Unlock()
		out = append(out, info)
	}
	return out
}
