package view

import (
	"fmt"
	"io"
)

// MirrorCounts are the CONFIG rows an apply wrote: [0] templates, [1]
// scenarios; each created, updated, removed.
type MirrorCounts [2][3]int

// ApplyComplete reports what apply mirrored into CONFIG.
func ApplyComplete(w io.Writer, c MirrorCounts) error {
	_, err := fmt.Fprintf(w, "\nApply complete! Templates: %d created, %d updated, %d removed. Scenarios: %d created, %d updated, %d removed.\n",
		c[0][0], c[0][1], c[0][2], c[1][0], c[1][1], c[1][2])
	return err
}
