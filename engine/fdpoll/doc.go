// Package fdpoll runs functions that wait for sockets several to a
// goroutine, the way pgbench's -j threads serve their connections: each
// function is a coroutine (iter.Pull) of one of a few group goroutines,
// and a function that would block on a non-blocking descriptor calls Wait,
// which switches back to its group; the group waits once in epoll for all
// of its descriptors and resumes the functions whose descriptors are
// ready. One wake-up of the group's thread then serves every session that
// became ready, where Go's network poller parks and wakes one goroutine per
// round trip.
//
// It owns the grouping and the waiting, not the descriptors: callers read
// and write their own non-blocking descriptors and call Wait after EAGAIN.
// A function in a group must not block on anything but Wait for long (a
// channel, a lock, a sleep, Go's network poller): that holds up every
// function of its group until it returns. engine/executor runs the closed
// model's session loops through Run when every session can wait this way
// (executor.Multiplexer); engine/pgtarget's lean path is one.
//
// Linux only (epoll); elsewhere Supported is false and Run starts one
// goroutine per function.
package fdpoll
