package executor

import (
	"runtime"
	"syscall"
	"time"
)

const prSetTimerSlack = 29 // PR_SET_TIMERSLACK

// preciseSleepSetup locks the pacer to its thread and lowers the thread's
// timer slack to 1 µs; the returned func restores both.
func preciseSleepSetup() func() {
	runtime.LockOSThread()
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1000, 0)
	return func() {
		syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 0, 0) // 0: back to the default
		runtime.UnlockOSThread()
	}
}

// preciseSleepUntil sleeps in the kernel until t (again after a signal,
// such as the runtime's preemption signal, cuts a sleep short).
func preciseSleepUntil(t time.Time) {
	for d := time.Until(t); d > 0; d = time.Until(t) {
		ts := syscall.NsecToTimespec(int64(d))
		syscall.Nanosleep(&ts, nil)
	}
}
