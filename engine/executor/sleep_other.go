//go:build !linux

package executor

import "time"

func preciseSleepSetup() func() { return func() {} }

// preciseSleepUntil falls back to the runtime's timers.
func preciseSleepUntil(t time.Time) { time.Sleep(time.Until(t)) }
