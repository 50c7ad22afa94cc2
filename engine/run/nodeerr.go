package run

import (
	"fmt"
	"strings"
)

// nodeErr prefixes err with the node's name once: an error that already
// starts with it (wrapped by an inner layer) is returned as it is, so a
// message never reads "phase.steady: phase.steady: …".
func nodeErr(node string, err error) error {
	if err == nil || strings.HasPrefix(err.Error(), node+": ") {
		return err
	}
	return fmt.Errorf("%s: %w", node, err)
}
