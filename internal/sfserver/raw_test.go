package sfserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/internal/sfserver"
)

// post sends a raw request the way the driver does and decodes the envelope.
func post(t *testing.T, s *sfserver.Server, path, token, body string) map[string]any {
	t.Helper()
	req, err := http.NewRequest("POST", "http://"+s.Addr()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", `Snowflake Token="`+token+`"`)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d", path, resp.StatusCode)
	}
	var env map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	return env
}

// TestHousekeepingEndpoints covers the endpoints the driver only calls in
// situations a short test does not reach (keep-alive heartbeat every 15+
// minutes, abort of a statement that already finished).
func TestHousekeepingEndpoints(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	login := post(t, s, "/session/v1/login-request?databaseName=DB&warehouse=WH", "",
		`{"data":{"LOGIN_NAME":"u","PASSWORD":"p","SESSION_PARAMETERS":{"QUERY_TAG":"from-login"},"CLIENT_ENVIRONMENT":{"PLATFORM":["disabled"]}}}`)
	data, _ := login["data"].(map[string]any)
	token, _ := data["token"].(string)
	if login["success"] != true || token == "" {
		t.Fatalf("login = %v", login)
	}
	params := map[string]any{}
	for _, p := range data["parameters"].([]any) {
		m := p.(map[string]any)
		params[m["name"].(string)] = m["value"]
	}
	if params["TIMEZONE"] != "UTC" || params["QUERY_TAG"] != "from-login" {
		t.Errorf("session parameters = %v", params)
	}
	if r := post(t, s, "/session/heartbeat", token, "{}"); r["success"] != true {
		t.Errorf("heartbeat = %v", r)
	}
	if r := post(t, s, "/telemetry/send", token, `{"logs":[]}`); r["success"] != true {
		t.Errorf("telemetry = %v", r)
	}
	if r := post(t, s, "/queries/v1/abort-request", token, `{"requestId":"nope"}`); r["success"] != false || r["code"] != "000605" {
		t.Errorf("abort of a finished statement = %v, want code 000605", r)
	}
	if r := post(t, s, "/session?delete=true", token, ""); r["success"] != true {
		t.Errorf("session delete = %v", r)
	}
	if r := post(t, s, "/queries/v1/query-request", token, `{"sqlText":"SELECT 1"}`); r["success"] != false || r["code"] != "390104" {
		t.Errorf("query on a closed session = %v, want code 390104", r)
	}
	if n := s.Stats().Sessions; n != 0 {
		t.Errorf("%d sessions left after delete", n)
	}
}
