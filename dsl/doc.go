// Package dsl is the FlakeBench scenario language: HCL files (*.fb.hcl)
// declaring variables, locals, connections, templates (workloads) and
// scenarios (how a template is driven). Load parses, decodes, evaluates and
// validates them into a Config; Format rewrites a file in canonical form.
//
// The layout follows Packer's hcl2template: schema.go holds one
// hcl.BodySchema per block type, each block type has its own decoder file
// (types.variable.go, types.connection.go, types.template.go,
// types.scenario.go, types.phase.go), eval.go resolves variables and locals
// in dependency order, functions.go and generators.go hold the expression
// functions, diagnostics.go and refs.go build the diagnostics, format.go
// formats.
//
// Decoding runs in a fixed order so every reference can be checked against
// complete sets: variables (with -var > -var-file > FB_VAR_NAME > default),
// locals (topologically, with cycles reported), connections, results,
// templates, scenarios. Every problem is reported as an hcl.Diagnostic with
// the exact source range, and Load returns all of them at once.
//
// The package is pure: it imports no database driver, no engine package and
// no command-line framework (see deps_test.go). The language itself is
// documented in docs/language.md.
package dsl
