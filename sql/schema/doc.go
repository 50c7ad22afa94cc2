// Package schema owns the results-store DDL of fbctl: rerunnable migration
// files per dialect under {sqlite,postgres,snowflake}/NNN_name.sql, embedded
// into the binary. It only lists and splits migrations; applying them and
// tracking SCHEMA_VERSION is the job of engine/store.
package schema
