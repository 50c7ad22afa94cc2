package dsl

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// format checks src for syntax errors, then returns hclwrite's canonical
// layout: aligned equals signs, two-space indentation, normalised spacing
// around operators and braces. The result is idempotent.
func format(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	_, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	out := hclwrite.Format(src)
	// A second pass settles the rare constructs that hclwrite aligns
	// differently once its own first pass has run.
	if again := hclwrite.Format(out); string(again) != string(out) {
		out = again
	}
	// Exactly one newline at the end of a non-empty file.
	out = bytes.TrimRight(out, "\n")
	if len(bytes.TrimSpace(out)) == 0 {
		return []byte{}, nil
	}
	return append(out, '\n'), nil
}
