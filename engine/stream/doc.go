// Package stream owns the per-worker path of operation records into the
// results store's QUERY_EXECUTIONS table: the sampling decision, a bounded
// in-memory buffer fed by a hot path that never blocks, a background flusher
// that writes batches through a store Writer with retries and backoff, and a
// local append-only spill journal that takes over when the buffer is full
// and is drained when the store catches up or at Close.
//
// Guarantees (one Streamer per worker):
//
//   - Offer never blocks and allocates nothing: a record is copied into a
//     fixed-capacity channel (BufferRows). When that is full it is copied
//     into a second fixed-capacity channel (the spill queue, SpillRows)
//     serviced by the journal goroutine, which appends it to the journal
//     file. Memory is bounded by BufferRows + SpillRows + one batch of
//     FlushRows records plus one journal read buffer, whatever the store
//     does; the backlog goes to disk.
//   - Nothing is dropped silently. A record is lost only when both queues
//     are full at once (the journal disk writer itself fell behind the
//     worker by SpillRows records) or the journal file cannot be written;
//     such records are counted (Stats.Dropped, Final.NotWritten with the
//     reason), never hidden.
//   - A batch is written all-or-nothing (the store's contract) and retried
//     with exponential backoff. A store that refuses every write for longer
//     than RetryBudget makes Run return ErrStoreUnavailable wrapping the
//     last error; rows already written stay.
//   - Close writes everything (buffer, spill queue, journal) within the
//     shutdown timeout and reports in Final what was not written and why;
//     those rows stay in the journal file named in Final.
//
// Sampling: errors and warmup operations are always stored with weight 1.
// Measurement operations are stored when Fraction(ExecutionID) < rate, with
// SAMPLE_WEIGHT 1/rate; the rate is fixed once per run (see Sampler).
//
// The package does not own the store schema or the insert statements
// (engine/store), the run lifecycle (engine/run) nor rendering Stats.
package stream
