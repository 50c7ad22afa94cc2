package run

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHardStopUnderCPULoad is the stress variant of
// TestHardStopDuringStallStillRecordsCancelled: the same hard stop during
// a stall, several times, while goroutines keep every CPU busy. Under
// load a worker used to need longer than the orchestrator's fixed wait
// after a hard stop to write its final row, which was then left RUNNING or
// missing; now the orchestrator waits for workers that still heartbeat. It
// runs in `make race` (./engine/...) and in `go test ./engine/run`.
func TestHardStopUnderCPULoad(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test")
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			// Busy two thirds of the time: the run is starved of CPU but
			// still reaches its stall within the phase.
			for !stop.Load() {
				for t0 := time.Now(); time.Since(t0) < 2*time.Millisecond; {
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	defer func() { stop.Store(true); wg.Wait() }()
	for i := range 2 {
		t.Run(fmt.Sprint(i), checkHardStopDuringStall)
	}
}
