// Package sfserver is a local Snowflake-protocol test server: an HTTP server
// on loopback that the real gosnowflake driver (v1.19.1) can connect to, with
// SQLite (modernc.org/sqlite) doing the storage and query work. It lets tests
// and users drive fbctl's Snowflake path without a Snowflake account.
//
// What it emulates:
//
//   - Endpoints: login-request (password, key-pair JWT verified against
//     registered public keys, and OAuth tokens it issued: auth.go; session + master token,
//     TIMEZONE=UTC and other session parameters), query-request (JSON result
//     format only, with lower-case rowtype metadata, statement type ids and
//     query ids in Snowflake's format), session delete, token-request (renew,
//     see ExpireSessionTokens), heartbeat, telemetry/send, abort-request,
//     GET /queries/<qid>/result (async mode and fetch-by-id) and
//     GET /monitoring/queries/<qid>. Anything else gets a logged 404 and is
//     listed in Stats().Unknown, so a test relying on it fails loudly.
//     Errors use Snowflake's envelope (HTTP 200, success:false, numeric code,
//     sqlState, queryId), never 5xx, which the driver would retry slowly.
//   - Binds: TEXT, FIXED, REAL, BOOLEAN, TIMESTAMP_NTZ/LTZ/TZ, DATE, TIME,
//     BINARY, named binds and array (multi-row) binds. Stage array binding
//     (CLIENT_STAGE_ARRAY_BINDING_THRESHOLD) is refused.
//   - Sessions: each has its own SQLite connection on a shared WAL database
//     file, so BEGIN/COMMIT/ROLLBACK isolate like separate sessions. BEGIN
//     takes SQLite's write lock at once (BEGIN IMMEDIATE), so concurrent
//     read-then-write transactions wait for each other as row locks would,
//     for up to 5 s; a session holding a transaction open blocks other
//     sessions' writes (not their reads) until it ends. ALTER
//     SESSION SET/UNSET (QUERY_TAG, TIMEZONE, USE_CACHED_RESULT, …), USE
//     WAREHOUSE/DATABASE/SCHEMA/ROLE and CURRENT_*() are tracked per session.
//     Databases and schemas are names only: every session sees one SQLite
//     schema, and DB.SCHEMA.TABLE / PUBLIC.TABLE qualifiers are dropped.
//   - SQL: a translator (translate*.go) for a known subset of Snowflake SQL,
//     the statements fbctl emits and common benchmark queries: CREATE
//     [OR REPLACE] [HYBRID|INTERACTIVE|DYNAMIC|TEMP|TRANSIENT] TABLE (hybrid
//     INDEX clauses become CREATE INDEX, table options are dropped, dynamic
//     tables become views), CREATE VIEW, DROP, ALTER TABLE ADD COLUMN [IF NOT
//     EXISTS], TRUNCATE, VARIANT/OBJECT/ARRAY columns stored as JSON text,
//     PARSE_JSON(x) → x, x::type and CAST (dates and timestamps as text),
//     v:a.b paths (json_extract), OBJECT_CONSTRUCT, ARRAY_CONSTRUCT,
//     ARRAY_SIZE, IFF, NVL, ZEROIFNULL, ILIKE, DATEADD, DATEDIFF, YEAR/MONTH/DAY/…,
//     TO_DATE, TO_TIMESTAMP, UNIFORM, RANDOM, RANDSTR, SEQ1-8,
//     TABLE(GENERATOR(ROWCOUNT => n)), CURRENT_TIMESTAMP /
//     SYSDATE(), MERGE INTO … USING … ON … WHEN MATCHED THEN UPDATE / WHEN NOT
//     MATCHED THEN INSERT (emulated by UPDATE … FROM then INSERT … WHERE NOT
//     EXISTS, in one savepoint), INSERT … SELECT … UNION ALL SELECT … (becomes
//     a VALUES list), INFORMATION_SCHEMA.TABLES / COLUMNS (from the SQLite
//     catalog). Anything else is passed to SQLite as is and may fail;
//     unsupported statement kinds fail with code 000002.
//   - Result types come from the declared column type (the translator keeps
//     Snowflake type names in SQLite). Expression columns are typed from
//     their first value; text shaped like "YYYY-MM-DD HH:MM:SS[.f]" is
//     reported as TIMESTAMP_LTZ (so MAX(ts) and CURRENT_TIMESTAMP scan into
//     time.Time). Timestamps are stored as UTC text with nine fractional
//     digits; TIMESTAMP_TZ keeps its offset.
//   - Warehouses: SHOW WAREHOUSES [LIKE], ALTER WAREHOUSE RESUME/SUSPEND/SET,
//     CREATE WAREHOUSE; state settable from Go (SetWarehouse). A statement
//     that needs a SUSPENDED warehouse without AutoResume fails with 000606.
//     "running" counts statements executing on the warehouse.
//   - QUERY_HISTORY: every statement is recorded in memory (QUERY_ID,
//     QUERY_TEXT, QUERY_TAG, SESSION_ID, WAREHOUSE_NAME, times in ms, …).
//     References to [DB.]INFORMATION_SCHEMA.QUERY_HISTORY[_BY_*] (view or
//     TABLE(...) function) read a per-session snapshot; function arguments
//     are ignored except SESSION_ID => n of QUERY_HISTORY_BY_SESSION. As on
//     Snowflake, a statement naming a hybrid table that runs shorter than
//     Options.HybridHistoryMin (1 s) is not recorded there individually.
//   - [SNOWFLAKE.]ACCOUNT_USAGE.AGGREGATE_QUERY_HISTORY: every statement
//     counted per minute and parameterized hash (literals and binds as ?),
//     with calls, time statistics OBJECTs and ERRORS (aggregate.go); served
//     at once, without Snowflake's 45-minute latency.
//     Injected latency is reported as QUEUED_OVERLOAD_TIME. Statements in
//     flight appear too, as QUEUED while injected latency delays them and
//     RUNNING while they execute (not in Server.QueryHistory()).
//   - Faults: InjectLatency, InjectError and Stall, matched on the SQL text.
//
// What it does not emulate: arrow results, result chunks, multi-statement
// requests, PUT/GET and stages, authenticators other than password, key pair and
// OAuth, roles and
// privileges, Time Travel, clustering, real warehouse compute or queueing,
// Snowflake's type coercion and identifier case rules in full (result column
// names are upper-cased). Timings it reports are those of SQLite on this
// machine. It is a test double, not a Snowflake replacement.
//
// The driver must be used with a DSN from Server.DSN (host:port in the
// authority, protocol=http) and with SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true
// and SF_DISABLE_MINICORE=true in the environment.
package sfserver
