// IMPLEMENTER NOTE (remove when done): shared rules for everyone working in this checkout are in
// /tmp/common.md — read them before committing (own paths only, never `go mod tidy`, no `git add -A`).

package dsl

import "github.com/hashicorp/hcl/v2"

// FileSuffix is the suffix of scenario files.
const FileSuffix = ".fb.hcl"

// LoadOptions carries the values given outside the files.
type LoadOptions struct {
	// Vars are -var NAME=VALUE arguments in command-line order.
	Vars []string
	// VarFiles are -var-file paths (HCL attribute files) in order.
	VarFiles []string
	// LookupEnv reads the environment for FB_VAR_NAME values and env();
	// nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Load reads every scenario file named by paths (files, or directories whose
// *.fb.hcl files are read, not recursively), then decodes, evaluates and
// validates them. It returns every problem at once. The returned Config is
// never nil: its Files and Sources are set for rendering diagnostics even
// when the diagnostics hold errors.
func Load(paths []string, opts LoadOptions) (*Config, hcl.Diagnostics) {
	panic("not implemented")
}

// Format returns src in canonical form (hclwrite), or the syntax errors that
// stop it from being formatted.
func Format(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	panic("not implemented")
}
