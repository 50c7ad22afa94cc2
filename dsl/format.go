package dsl

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// format checks src for syntax errors, then returns hclwrite's canonical
// layout: aligned equals signs, two-space indentation, normalised spacing
// around operators and braces, and exactly one newline at the end of a
// non-empty file. The result is idempotent: formatting is repeated until it
// reaches a fixed point (hclwrite settles a few constructs, such as trailing
// blanks before the end of the file, only on a second pass).
func format(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	if len(src) > MaxFileSize {
		return nil, hcl.Diagnostics{tooLargeDiag(filename, "scenario file")}
	}
	if diags := checkSource(src, filename); diags.HasErrors() {
		return nil, diags
	}
	_, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	out := formatOnce(src)
	for i := 0; i < 4; i++ {
		next := formatOnce(out)
		if bytes.Equal(next, out) {
			break
		}
		out = next
	}
	return out, nil
}

func formatOnce(src []byte) []byte {
	out := bytes.TrimRight(hclwrite.Format(src), "\n")
	if len(bytes.TrimSpace(out)) == 0 {
		return []byte{}
	}
	return append(out, '\n')
}
