// Package retry owns fbctl's waits: retrying an operation with backoff
// (Do) and polling until a condition holds (Poll), both through a
// context.
//
// The first try is made at once; a wait is never started after the
// context is done, nor past a policy's MaxElapsed. A caller is told of
// each failed try that will be retried (Policy.OnRetry), so it logs as it
// sees fit; the package itself never logs. It does not decide what is
// retryable: an operation says so by returning Permanent(err).
//
// It knows nothing of benchmarks and imports nothing of fbctl. Periodic
// work (a heartbeat every second, a sampler on a ticker) is not a wait and
// does not belong here.
package retry
