package sfserver_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/internal/sfserver"
)

// Short statements on a hybrid table are only aggregated, as on Snowflake;
// statements on a standard table are recorded one by one and aggregated too.
func TestHybridShortStatementsOnlyAggregated(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	mustExec(t, db, "ALTER SESSION SET QUERY_TAG = 'run-7'")
	mustExec(t, db, "CREATE HYBRID TABLE H (ID NUMBER PRIMARY KEY, V VARCHAR)")
	mustExec(t, db, "CREATE TABLE S (ID NUMBER, V VARCHAR)")
	for i := range 5 {
		mustExec(t, db, "INSERT INTO H VALUES (?, ?)", int64(i), "x")
		mustExec(t, db, "INSERT INTO S VALUES (?, ?)", int64(i), "x")
	}
	mustExec(t, db, "SELECT V FROM H WHERE ID = 3")
	mustExec(t, db, "SELECT V FROM H WHERE ID = 4") // same parameterized hash

	inHistory := map[string]int{}
	for _, r := range s.QueryHistory() {
		inHistory[strings.Fields(r.QueryText)[0]+" "+strings.Fields(r.QueryText)[2]]++
	}
	if inHistory["INSERT H"] != 0 || inHistory["SELECT FROM"] != 0 || inHistory["INSERT S"] != 5 || inHistory["CREATE TABLE"] != 1 {
		t.Errorf("QUERY_HISTORY kinds: %v", inHistory)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY()) WHERE QUERY_TEXT LIKE 'INSERT INTO H%'").Scan(&n); err != nil || n != 0 {
		t.Errorf("hybrid inserts in QUERY_HISTORY: %d, %v", n, err)
	}

	rows, err := db.Query(`SELECT QUERY_PARAMETERIZED_HASH, QUERY_TEXT, QUERY_TAG, CALLS, TOTAL_ELAPSED_TIME:"p99"::NUMBER(38,3),
		TOTAL_ELAPSED_TIME, ERRORS, INTERVAL_END_TIME
		FROM SNOWFLAKE.ACCOUNT_USAGE.AGGREGATE_QUERY_HISTORY WHERE QUERY_TAG = 'run-7' ORDER BY CALLS DESC, QUERY_TEXT`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	calls := map[string]int64{}
	hashes := map[string]string{}
	for rows.Next() {
		var (
			hash, text, tag, obj, errs string
			c                          int64
			p99                        float64
			end                        time.Time
		)
		if err := rows.Scan(&hash, &text, &tag, &c, &p99, &obj, &errs, &end); err != nil {
			t.Fatal(err)
		}
		var st map[string]float64
		if err := json.Unmarshal([]byte(obj), &st); err != nil || st["max"] < st["median"] || st["p99"] != p99 {
			t.Errorf("TOTAL_ELAPSED_TIME %s (p99 %v): %v", obj, p99, err)
		}
		key := strings.Join(strings.Fields(text)[:3], " ")
		calls[key] += c
		hashes[key] = hash
		if errs != "[]" {
			t.Errorf("errors %s", errs)
		}
	}
	if calls["INSERT INTO H"] != 5 || calls["INSERT INTO S"] != 5 || calls["SELECT V FROM"] != 2 {
		t.Errorf("aggregated calls %v", calls)
	}
	if len(hashes["INSERT INTO H"]) != 32 || hashes["INSERT INTO H"] == hashes["INSERT INTO S"] {
		t.Errorf("hashes %v", hashes)
	}
	// The individually recorded statements carry the same hash.
	var h string
	if err := db.QueryRow("SELECT MAX(QUERY_PARAMETERIZED_HASH) FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY()) WHERE QUERY_TEXT LIKE 'INSERT INTO S%'").Scan(&h); err != nil || h != hashes["INSERT INTO S"] {
		t.Errorf("QUERY_HISTORY hash %q, aggregate %q (%v)", h, hashes["INSERT INTO S"], err)
	}
}

// A negative HybridHistoryMin records everything individually (the
// server's old behaviour, for tests that need every query id).
func TestHybridHistoryMinNegativeRecordsAll(t *testing.T) {
	s := startServer(t, sfserver.Options{HybridHistoryMin: -1})
	db := openDB(t, s)
	mustExec(t, db, "CREATE HYBRID TABLE H (ID NUMBER PRIMARY KEY)")
	mustExec(t, db, "INSERT INTO H VALUES (1)")
	found := false
	for _, r := range s.QueryHistory() {
		found = found || strings.HasPrefix(r.QueryText, "INSERT INTO H")
	}
	if !found {
		t.Error("the hybrid insert is not in the history")
	}
}
