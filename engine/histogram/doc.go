// Package histogram owns how latency is measured and merged: HDR histograms
// (github.com/HdrHistogram/hdrhistogram-go) in microseconds from 1 µs to 1 h
// with 3 significant digits, a per-worker Registry of handles keyed by
// (metric, phase, query, success) that each goroutine records into without
// locks or allocations, exact merging across handles and workers, summary
// snapshots, and a base64 encoding for persistence.
//
// It does not know about databases, executors or stores; it is a leaf
// package with no fbctl imports.
package histogram
