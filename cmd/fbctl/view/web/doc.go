// Package web renders runs as HTML: the self-contained report file of
// `fbctl report` (everything inline, no network needed to open it) and the
// pages of `fbctl serve`. It owns the embedded assets: the hand-written
// report script and style, and uPlot, installed from the npm registry with
// the pinned web/package-lock.json and copied into assets/vendor by `make
// assets` (which checks the copy is what the lock file gives).
//
// It shapes stored results for charts (Build) and renders them; it decides
// nothing and reads no database.
package web
