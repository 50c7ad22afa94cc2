package sfserver

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTranslate(t *testing.T) {
	e := env{Database: "BENCH", Schema: "PUBLIC", Warehouse: "WH", Role: "R", User: "U", Account: "local", SessionID: 7}
	tests := []struct {
		name string
		in   string
		want []string // SQLite statements
		typ  int64
	}{
		{"select passes through", "SELECT a, b FROM t WHERE a = ?", []string{"SELECT a, b FROM t WHERE a = ?"}, typeSelect},
		{"numbered binds", "SELECT :2, :1", []string{"SELECT ?2, ?1"}, typeSelect},
		{"comments dropped", "SELECT /*UB_KIND=read*/ 1 -- trailing", []string{"SELECT 1"}, typeSelect},
		{"string escapes", `SELECT 'it\'s', 'a''b'`, []string{"SELECT 'it''s', 'a''b'"}, typeSelect},
		{"parse_json", "INSERT INTO t (v) SELECT PARSE_JSON(?)", []string{"INSERT INTO t(v) SELECT (?)"}, typeInsert},
		{"current functions", "SELECT CURRENT_WAREHOUSE(), CURRENT_SESSION()", []string{"SELECT 'WH', '7'"}, typeSelect},
		{"current timestamp", "SELECT CURRENT_TIMESTAMP()", []string{"SELECT " + tsExpr}, typeSelect},
		{"sysdate", "SELECT SYSDATE()", []string{"SELECT " + tsExpr}, typeSelect},
		{"qualified names", "SELECT * FROM BENCH.PUBLIC.T JOIN PUBLIC.U ON T.ID = U.ID", []string{"SELECT * FROM T JOIN U ON T.ID = U.ID"}, typeSelect},
		{"cast", "SELECT x::NUMBER(10,2), f(y)::VARCHAR, v::VARIANT FROM t", []string{"SELECT CAST(x AS REAL), CAST(f(y) AS TEXT), v FROM t"}, typeSelect},
		{"date cast and dateadd", "SELECT * FROM L WHERE D <= DATEADD(day, -?, '1998-12-01'::DATE) AND YEAR(O) = ?",
			[]string{"SELECT * FROM L WHERE D <= date(date('1998-12-01'), printf('%+d days', - ?)) AND CAST(strftime('%Y', O) AS INTEGER) = ?"}, typeSelect},
		{"datediff", "SELECT DATEDIFF('second', A, B) FROM T",
			[]string{"SELECT CAST(round((julianday(B) - julianday(A)) * 86400.0 / 1) AS INTEGER) FROM T"}, typeSelect},
		{"generator", "INSERT INTO T SELECT SEQ8() + 1, UNIFORM(1, 10, RANDOM()), RANDSTR(5, RANDOM()) FROM TABLE(GENERATOR(ROWCOUNT => 3))",
			[]string{"INSERT INTO T SELECT (row_number() OVER () - 1) + 1, (CAST(1 AS INTEGER) + abs(random()) % (CAST(10 AS INTEGER) - CAST(1 AS INTEGER) + 1)), " +
				"substr(hex(randomblob(5)), 1, 5) FROM (WITH RECURSIVE sfserver_gen(SEQ) AS (SELECT 0 UNION ALL SELECT SEQ + 1 FROM sfserver_gen WHERE SEQ + 1 < 3) SELECT SEQ FROM sfserver_gen)"}, typeInsert},
		{"semi-structured", "SELECT t.PAYLOAD:run.id::STRING, OBJECT_CONSTRUCT('a', 1) FROM t WHERE x = :name",
			[]string{"SELECT CAST(json_extract(t.PAYLOAD, '$.run.id') AS TEXT), json_object('a', 1) FROM t WHERE x = :name"}, typeSelect},
		{"cast of a rewritten call", "SELECT DATEADD(day, 1, d)::DATE, f(x)::INT::VARCHAR FROM t",
			[]string{"SELECT date((strftime('%Y-%m-%d %H:%M:%f', d, printf('%+d days', 1))||'000000')), CAST(CAST(f(x) AS INTEGER) AS TEXT) FROM t"}, typeSelect},
		{"iff nvl ilike", "SELECT IFF(a, 1, 2), NVL(b, 0) FROM t WHERE c ILIKE 'x%'", []string{"SELECT iif(a, 1, 2), ifnull(b, 0) FROM t WHERE c LIKE 'x%'"}, typeSelect},
		{"query history function", "SELECT QUERY_ID FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 10000)) WHERE QUERY_ID IN (?, ?)",
			[]string{"SELECT QUERY_ID FROM (SELECT " + historySelectList() + " FROM temp.sfserver_query_history) WHERE QUERY_ID IN (?, ?)"}, typeSelect},
		{"query history by session", "SELECT * FROM TABLE(BENCH.INFORMATION_SCHEMA.QUERY_HISTORY_BY_SESSION(SESSION_ID => 42)) h",
			[]string{"SELECT * FROM (SELECT " + historySelectList() + " FROM temp.sfserver_query_history WHERE SESSION_ID = 42) h"}, typeSelect},
		{"query history by warehouse", "SELECT COUNT(*) FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY_BY_WAREHOUSE(WAREHOUSE_NAME => 'bench_wh'))",
			[]string{"SELECT COUNT(*) FROM (SELECT " + historySelectList() + " FROM temp.sfserver_query_history WHERE upper(WAREHOUSE_NAME) = upper('bench_wh'))"}, typeSelect},
		{"query history view", "SELECT COUNT(*) FROM INFORMATION_SCHEMA.QUERY_HISTORY",
			[]string{"SELECT COUNT(*) FROM (SELECT " + historySelectList() + " FROM temp.sfserver_query_history)"}, typeSelect},
		{"hybrid table", `CREATE HYBRID TABLE IF NOT EXISTS RUN_STATUS (
			RUN_ID VARCHAR(64) NOT NULL PRIMARY KEY,
			STATUS STRING,
			CONFIG VARIANT,
			UPDATED_AT TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP(),
			INDEX idx_status (STATUS)
		)`, []string{
			"CREATE TABLE IF NOT EXISTS RUN_STATUS (RUN_ID VARCHAR(64) NOT NULL PRIMARY KEY, STATUS TEXT, CONFIG VARIANT, UPDATED_AT TIMESTAMP_NTZ DEFAULT " + tsExpr + ")",
			`CREATE INDEX IF NOT EXISTS "RUN_STATUS_idx_status" ON RUN_STATUS (STATUS)`,
		}, typeDDL},
		{"hybrid table constraint", "CREATE HYBRID TABLE T (A NUMBER(38,0), B TIMESTAMP, PRIMARY KEY (A)) COMMENT = 'x'",
			[]string{"CREATE TABLE T (A NUMBER(38, 0), B TIMESTAMP_NTZ, PRIMARY KEY (A))"}, typeDDL},
		{"or replace table with options", "CREATE OR REPLACE TRANSIENT TABLE BENCH.PUBLIC.R (ID INT COMMENT 'id') CLUSTER BY (ID) DATA_RETENTION_TIME_IN_DAYS = 0",
			[]string{"DROP TABLE IF EXISTS R", "DROP VIEW IF EXISTS R", "CREATE TABLE R (ID INT)"}, typeDDL},
		{"interactive table", "CREATE INTERACTIVE TABLE IT (K INT, V STRING) CLUSTER BY (K)",
			[]string{"CREATE TABLE IT (K INT, V TEXT)"}, typeDDL},
		{"dynamic table", "CREATE OR REPLACE DYNAMIC TABLE DT TARGET_LAG = '1 minute' WAREHOUSE = WH AS SELECT K, COUNT(*) C FROM T GROUP BY K",
			[]string{"DROP TABLE IF EXISTS DT", "DROP VIEW IF EXISTS DT", "CREATE VIEW DT AS SELECT K, COUNT(*) C FROM T GROUP BY K"}, typeDDL},
		{"ctas", "CREATE TABLE C AS SELECT * FROM T", []string{"CREATE TABLE C AS SELECT * FROM T"}, typeDDL},
		{"drop dynamic", "DROP DYNAMIC TABLE IF EXISTS DT", []string{"DROP VIEW IF EXISTS DT"}, typeDDL},
		{"add column if not exists", "ALTER TABLE T ADD COLUMN IF NOT EXISTS X TIMESTAMP_TZ", []string{"ALTER TABLE T ADD COLUMN X TIMESTAMP_TZ"}, typeDDL},
		{"truncate", "TRUNCATE TABLE IF EXISTS T", []string{"DELETE FROM T"}, typeDDL},
		{"begin", "BEGIN TRANSACTION", []string{"BEGIN IMMEDIATE"}, typeTCL},
		{"union all insert becomes values", "INSERT INTO T (A, B) SELECT ?, PARSE_JSON(?) UNION ALL SELECT ?, PARSE_JSON(?)",
			[]string{"INSERT INTO T(A, B) VALUES (?, (?)), (?, (?))"}, typeInsert},
		{"insert select from stays", "INSERT INTO T (A) SELECT A FROM U UNION ALL SELECT 1",
			[]string{"INSERT INTO T(A) SELECT A FROM U UNION ALL SELECT 1"}, typeInsert},
		{"information_schema tables", "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = CURRENT_SCHEMA() AND TABLE_NAME = ?",
			[]string{"SELECT COUNT(*) FROM " + infoSchemaSource("TABLES", e) + " WHERE TABLE_SCHEMA = 'PUBLIC' AND TABLE_NAME = ?"}, typeSelect},
		{"merge upsert", `MERGE INTO QE t USING (SELECT ? AS ID, ? AS V) s ON t.ID = s.ID
			WHEN MATCHED THEN UPDATE SET t.V = s.V
			WHEN NOT MATCHED THEN INSERT (ID, V) VALUES (s.ID, s.V)`, []string{
			"UPDATE QE AS t SET V = s.V FROM (SELECT ?1 AS ID, ?2 AS V) AS s WHERE (t.ID = s.ID)",
			"INSERT INTO QE (ID, V) SELECT s.ID, s.V FROM (SELECT ?1 AS ID, ?2 AS V) AS s WHERE NOT EXISTS (SELECT 1 FROM QE AS t WHERE t.ID = s.ID)",
		}, typeMerge},
		{"merge from table with condition", `MERGE INTO QE USING SRC ON QE.ID = SRC.ID
			WHEN MATCHED AND SRC.V IS NOT NULL THEN UPDATE SET V = SRC.V
			WHEN NOT MATCHED THEN INSERT (ID) VALUES (SRC.ID)`, []string{
			"UPDATE QE SET V = SRC.V FROM SRC AS SRC WHERE (QE.ID = SRC.ID) AND (SRC.V IS NOT NULL)",
			"INSERT INTO QE (ID) SELECT SRC.ID FROM SRC AS SRC WHERE NOT EXISTS (SELECT 1 FROM QE WHERE QE.ID = SRC.ID)",
		}, typeMerge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := translate(tt.in, e)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range tr.Steps {
				got = append(got, s.SQL)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("SQL mismatch (-want +got):\n%s", d)
			}
			if tr.TypeID != tt.typ {
				t.Errorf("statement type = %#x, want %#x", tr.TypeID, tt.typ)
			}
		})
	}
}

func TestTranslateServerStatements(t *testing.T) {
	e := env{Schema: "PUBLIC"}
	tr, err := translate("ALTER SESSION SET QUERY_TAG = 'flakebench:run=1', TIMEZONE = 'UTC'", e)
	if err != nil || tr.Action != actAlterSession {
		t.Fatalf("ALTER SESSION: %v %+v", err, tr)
	}
	if d := cmp.Diff(map[string]string{"QUERY_TAG": "flakebench:run=1", "TIMEZONE": "UTC"}, tr.Params); d != "" {
		t.Error(d)
	}
	tr, err = translate("SHOW WAREHOUSES LIKE 'bench%'", e)
	if err != nil || tr.Action != actShowWarehouses || tr.Like != "bench%" {
		t.Fatalf("SHOW WAREHOUSES: %v %+v", err, tr)
	}
	tr, err = translate("ALTER WAREHOUSE IF EXISTS bench_wh RESUME IF SUSPENDED", e)
	if err != nil || tr.Action != actAlterWarehouse || tr.Name != "BENCH_WH" || tr.Verb != "RESUME" {
		t.Fatalf("ALTER WAREHOUSE: %v %+v", err, tr)
	}
	tr, err = translate("USE SCHEMA BENCH.RESULTS", e)
	if err != nil || tr.Action != actUse || tr.Name != "RESULTS" || tr.Params["DATABASE"] != "BENCH" {
		t.Fatalf("USE SCHEMA: %v %+v", err, tr)
	}
}

func TestTranslateRejects(t *testing.T) {
	for _, in := range []string{
		"SELECT 1; SELECT 2",
		"PUT file:///x @stage",
		"SHOW SCHEMAS",
		"SELECT 'unterminated",
		"MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE",
	} {
		if _, err := translate(in, env{}); err == nil {
			t.Errorf("translate(%q) succeeded, want an error", in)
		} else if !strings.Contains(err.Error(), "unsupported") && !strings.Contains(err.Error(), "syntax") &&
			!strings.Contains(err.Error(), "multiple") {
			t.Errorf("translate(%q) error %q does not say why", in, err)
		}
	}
}
