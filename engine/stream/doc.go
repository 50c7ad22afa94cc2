// Package stream owns the per-worker path of operation records into the
// results store's QUERY_EXECUTIONS table: the sampling decision, a bounded
// in-memory buffer fed by a hot path that does not wait in normal operation, a background flusher
// that writes batches through a store Writer with retries and backoff, and a
// local append-only spill journal that takes over when the buffer is full
// and is drained when the store catches up or at Close.
//
// Guarantees (one Streamer per worker):
//
//   - Offer allocates nothing and, while either ring has room, never waits.
//     A record is copied into a preallocated lock-free ring (BufferRows
//     cells; one CAS per record). When that ring is full it is copied into a
//     second ring (the spill queue, SpillRows) that the journal goroutine
//     appends to the journal file. When both are full the worker appends the
//     record to the journal itself, waiting for an append in progress (one
//     write into the page cache): under sustained overload the hot path
//     slows down instead of losing records. When the flusher or the journal
//     goroutine lags (its ring is half full) Offer calls runtime.Gosched once
//     so that a consumer starved of CPU by the workers can run.
//   - Memory is bounded by BufferRows + SpillRows records, one batch of
//     FlushRows rows and one journal read buffer (1 MiB), whatever the store
//     does; the backlog goes to disk. The journal file is truncated each
//     time it has been drained entirely.
//   - Nothing is dropped while the journal can be written. A record is lost
//     only when both rings are full and the journal file cannot be written;
//     such records are counted (Stats.Dropped) and reported by Close
//     (Final.NotWritten and Reason).
//   - A batch is written all-or-nothing (the store's contract) and retried
//     with exponential backoff (100 ms doubling to 10 s, ±20% jitter). A
//     store that refuses every attempt at one batch for RetryBudget makes Run
//     return ErrStoreUnavailable wrapping the last error; rows already
//     written stay, records keep going to the journal, and Close tries each
//     remaining batch once.
//   - Close writes everything (buffer, spill queue, journal) for as long
//     as the store makes progress: it gives up after max(ShutdownTimeout,
//     ShutdownP99Factor × flush p99) without a written batch, or when its
//     context ends, and reports in Final what was not written and why;
//     those rows are left in the journal file named in Final.
//   - The journal has a disk budget (JournalMaxBytes, JournalMinFree): at
//     the budget Offer waits for room in the buffer (backpressure,
//     Stats.Throttled) instead of filling the disk. A store whose disk is
//     nearly full (store.IsDiskFull) fails Run at once.
//   - Every journal file starts with a header naming its run, worker and
//     TEST_ID and is locked while its streamer writes it. Replay writes the
//     journals left in a directory (by Close, a killed worker, a full disk)
//     idempotently and removes them; engine/run.RecoverJournals corrects
//     the result rows afterwards.
//   - Rows committed by the store survive the worker process being killed.
//
// Sampling: errors and warmup operations are always stored with weight 1.
// Measurement operations are stored when Fraction(ExecutionID) < rate, with
// SAMPLE_WEIGHT 1/rate; the rate is fixed once per run (Options.Sampler or
// one SetRate before the first measurement record).
//
// The package does not own the store schema or the insert statements
// (engine/store), the run lifecycle (engine/run) nor rendering Stats.
package stream
