// Package warehouse watches and wakes a Snowflake warehouse during a run,
// through plain database/sql on the benchmark connection (no driver
// import):
//
//   - Show reads one SHOW WAREHOUSES row (state, size, running and queued
//     statements, started clusters);
//   - Resume resumes a SUSPENDED warehouse (ALTER WAREHOUSE … RESUME IF
//     SUSPENDED) and waits until it reports STARTED;
//   - Poller samples it every interval into a callback (the results'
//     warehouse timeline) and keeps the latest sample;
//   - QueueSignal turns the samples into a find-max stop: queued
//     statements on the benchmark warehouse mean the step measured the
//     warehouse queue, not the workload.
//
// It does not own where samples are stored, nor when a run resumes a
// warehouse (the template decides; engine/run calls Resume).
package warehouse
