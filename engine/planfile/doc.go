// Package planfile is the only code that knows the bytes of a saved plan
// (`fbctl plan -out FILE`). It writes and reads the file, refuses one it
// cannot use (UnusablePlanError) and tells whether a plan is stale against
// the current source files and CONFIG state (StalePlanError).
//
// The file is JSON: {format_version, tool_version, created_at, sources,
// config_state, plan}, documented in docs/plan-format.md. It holds no
// secret: the plan carries none (engine.CanonicalConfig never serialises a
// connection's secrets), and a secret is re-read from its source at apply
// time.
//
// It does not build plans (engine does) nor render them (the CLI does).
package planfile
