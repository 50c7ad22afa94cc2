//go:build !linux

package executor

import "time"

func preciseSleepSetup() func() { return func() {} }

// preciseSleepUntil falls back to the runtime's timers.
func preciseSleepUntil(t time.Time) {
	for d := time.Until(t); d > 0; d = time.Until(t) {
		time.Sleep(d)
	}
}
