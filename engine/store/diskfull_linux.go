package store

import (
	"os"
	"syscall"
)

// allocate gives f size bytes of real disk blocks (no writes).
func allocate(f *os.File, size int64) error { return syscall.Fallocate(int(f.Fd()), 0, 0, size) }

// diskSpace is the free space left to unprivileged writers and the size
// of dir's file system.
func diskSpace(dir string) (free, total int64, ok bool) {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return 0, 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), int64(st.Blocks) * int64(st.Bsize), true
}
