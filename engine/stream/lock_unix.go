//go:build unix

package stream

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on a journal while its
// streamer writes it, so that a replay by another process skips it; the
// lock ends with the process, so a killed worker's journal is replayable.
func lockFile(f *os.File) func() {
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return nil
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
}

// tryLock takes the lock of a journal found on disk; false: a live
// streamer holds it.
func tryLock(f *os.File) (unlock func(), ok bool) {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil, false
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }, true
}

// freeBytes is the space left to an unprivileged writer on dir's file
// system.
func freeBytes(dir string) (int64, bool) {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
