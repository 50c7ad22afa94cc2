package sfserver_test

import (
	"testing"
	"time"

	"github.com/flakebench/fbctl/internal/sfserver"
)

// TestShippedScenarioSQL runs the SQL of scenarios/snowflake_hybrid.fb.hcl
// (setup with GENERATOR, SEQ8, UNIFORM, RANDSTR; point, range, insert and
// update queries) and a TPC-H style query of snowflake_analytics.fb.hcl
// (DATEADD, ::DATE, YEAR) through the driver.
func TestShippedScenarioSQL(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	mustExec(t, db, "CREATE OR REPLACE HYBRID TABLE FB_ORDERS (ID NUMBER PRIMARY KEY, CUSTOMER_ID NUMBER NOT NULL, STATUS VARCHAR NOT NULL, AMOUNT NUMBER NOT NULL, NOTE VARCHAR, INDEX FB_ORDERS_CUSTOMER (CUSTOMER_ID))")
	res := mustExec(t, db, "INSERT INTO FB_ORDERS SELECT SEQ8() + 1, UNIFORM(1, 50, RANDOM()), 'NEW', UNIFORM(100, 100000, RANDOM()), RANDSTR(20, RANDOM()) FROM TABLE(GENERATOR(ROWCOUNT => 1000))")
	if n, err := res.RowsAffected(); err != nil || n != 1000 {
		t.Fatalf("generated rows = %d, %v", n, err)
	}
	var minID, maxID, minCust, maxCust, noteLen int64
	if err := db.QueryRow("SELECT MIN(ID), MAX(ID), MIN(CUSTOMER_ID), MAX(CUSTOMER_ID), MAX(LENGTH(NOTE)) FROM FB_ORDERS").Scan(&minID, &maxID, &minCust, &maxCust, &noteLen); err != nil {
		t.Fatal(err)
	}
	if minID != 1 || maxID != 1000 || minCust < 1 || maxCust > 50 || noteLen != 20 {
		t.Errorf("generated ids %d..%d, customers %d..%d, note length %d", minID, maxID, minCust, maxCust, noteLen)
	}
	var id, cust, amount int64
	var status string
	if err := db.QueryRow("SELECT ID, CUSTOMER_ID, STATUS, AMOUNT FROM FB_ORDERS WHERE ID = ?", int64(7)).Scan(&id, &cust, &status, &amount); err != nil || id != 7 || status != "NEW" {
		t.Errorf("lookup = %d %d %s %d, %v", id, cust, status, amount, err)
	}
	rows, err := db.Query("SELECT ID, AMOUNT FROM FB_ORDERS WHERE CUSTOMER_ID = ? AND STATUS = ? LIMIT 50", cust, "NEW")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if n == 0 {
		t.Error("range scan found no rows for a known customer")
	}
	mustExec(t, db, "INSERT INTO FB_ORDERS (ID, CUSTOMER_ID, STATUS, AMOUNT, NOTE) VALUES (?, ?, ?, ?, ?)", int64(1001), int64(3), "NEW", int64(500), "x")
	res = mustExec(t, db, "UPDATE FB_ORDERS SET STATUS = ? WHERE ID = ?", "PAID", int64(1001))
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		t.Errorf("update RowsAffected = %d, %v", n, err)
	}

	mustExec(t, db, "CREATE TABLE LINEITEM (L_ORDERKEY NUMBER, L_SHIPDATE DATE, L_QUANTITY NUMBER(12,2), L_RETURNFLAG VARCHAR(1))")
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	for i, d := range []string{"1998-08-01", "1998-09-15", "1998-11-30"} {
		mustExec(t, db, "INSERT INTO LINEITEM VALUES (?, ?, ?, 'A')", int64(i), day(d), "1.5")
	}
	var cnt int64
	var qty float64
	err = db.QueryRow(`SELECT COUNT(*), SUM(L_QUANTITY) FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.LINEITEM
		WHERE L_SHIPDATE <= DATEADD(day, -?, '1998-12-01'::DATE) AND YEAR(L_SHIPDATE) = ?`, int64(60), int64(1998)).Scan(&cnt, &qty)
	if err != nil || cnt != 2 || qty != 3 {
		t.Errorf("pricing summary count = %d, qty = %v, %v; want 2 rows before 1998-10-02", cnt, qty, err)
	}
}
