// Package benchreport turns the raw output of the performance suite
// (scripts/bench.sh: `go test -bench` lines, the pgbench comparison's
// output, the load average and command of every step) into the markdown
// table of docs/benchmarks.md: figure, target, measured median with its
// min–max spread over the rounds, and a verdict. It measures nothing
// itself and holds no numbers: every value comes from the files it reads.
package benchreport
