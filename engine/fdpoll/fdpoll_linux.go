//go:build linux

package fdpoll

import (
	"context"
	"errors"
	"iter"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Supported reports whether Run multiplexes and Wait waits here.
const Supported = true

// checkEvery is how often a group looks at the contexts of its waiting
// functions while descriptors keep becoming ready (when none does, epoll's
// timeout wakes it this often).
const checkEvery = 10 * time.Millisecond

var errStopped = errors.New("fdpoll: the group stopped")

type waitKey struct{}

// coro is one function of a group and the wait it is in.
type coro struct {
	next  func() (struct{}, bool)
	yield func(struct{}) bool
	idx   int32 // in its group, the epoll data of its descriptor
	ep    int   // its group's epoll descriptor

	fd      int
	write   bool
	ctx     context.Context
	waiting bool
	timed   bool // ctx can end: the group checks it
	sleep   bool // the wait is a Sleep, until until
	until   time.Time
	err     error

	reg    int  // the descriptor registered for it (-1: none)
	regOut bool // registered for writability too
}

// group is the poll of one group goroutine. Its epoll descriptor is
// itself on Go's network poller: when none of its descriptors is ready the
// group goroutine parks there, the way a session goroutine parks on its
// socket, rather than blocking its thread in epoll_wait (a thread blocked
// in a system call holds its P until sysmon takes it, and keeps sysmon
// waking every 20 µs).
type group struct {
	ep           int
	file         *os.File        // ep, on Go's poller
	rc           syscall.RawConn // of file
	coros        []*coro
	ready, spare []*coro
	timed        int  // waiting coroutines whose context can end
	sleeping     int  // waiting coroutines in Sleep
	deadline     bool // file has a read deadline
}

func runGroup(ctx context.Context, fns []func(ctx context.Context)) {
	g, err := newGroup(len(fns))
	if err != nil {
		goEach(ctx, fns)
		return
	}
	defer g.file.Close()
	ep := g.ep
	for i, fn := range fns {
		c := &coro{idx: int32(i), ep: ep, reg: -1}
		cctx := context.WithValue(ctx, waitKey{}, c)
		next, stop := iter.Pull(func(yield func(struct{}) bool) {
			c.yield = yield
			fn(cctx)
		})
		defer stop()
		c.next = next
		g.coros[i] = c
	}
	g.ready = append(make([]*coro, 0, len(fns)), g.coros...)
	g.spare = make([]*coro, 0, len(fns))
	g.loop(len(fns))
}

func newGroup(n int) (*group, error) {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(ep, true); err != nil {
		syscall.Close(ep)
		return nil, err
	}
	f := os.NewFile(uintptr(ep), "fdpoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &group{ep: ep, file: f, rc: rc, coros: make([]*coro, n)}, nil
}

// poll returns the ready events: at once when there are some, otherwise
// after parking on Go's poller until there are, or until checkEvery has
// passed when a waiting context can end (then possibly none).
func (g *group) poll(events []syscall.EpollEvent) (int, error) {
	if g.timed > 0 || g.sleeping > 0 {
		_ = g.file.SetReadDeadline(g.wake())
		g.deadline = true
	} else if g.deadline {
		_ = g.file.SetReadDeadline(time.Time{})
		g.deadline = false
	}
	n, werr := 0, error(nil)
	err := g.rc.Read(func(uintptr) bool { // called at once, then after each wake-up
		n, werr = epollNow(g.ep, events)
		return n > 0 || werr != nil
	})
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return n, werr
}

// wake is when the group must look again without a ready descriptor: the
// first Sleep to end, and at most checkEvery from now while a waiting
// context can end.
func (g *group) wake() time.Time {
	var at time.Time
	if g.timed > 0 {
		at = time.Now().Add(checkEvery)
	}
	for _, c := range g.coros {
		if c.waiting && c.sleep && (at.IsZero() || c.until.Before(at)) {
			at = c.until
		}
	}
	return at
}

// epollNow is epoll_wait without waiting: a raw system call, which does
// not hand the thread's P over.
func epollNow(ep int, events []syscall.EpollEvent) (int, error) {
	for {
		n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
		switch e {
		case 0:
			return int(n), nil
		case syscall.EINTR:
			continue
		}
		return 0, e
	}
}

// loop resumes ready coroutines and waits for the descriptors of the
// others until all have returned.
func (g *group) loop(live int) {
	events := make([]syscall.EpollEvent, len(g.coros))
	var checked time.Time
	for {
		for len(g.ready) > 0 {
			batch := g.ready
			g.ready = g.spare[:0]
			for _, c := range batch {
				if _, ok := c.next(); !ok {
					live--
					continue
				}
				if err := g.arm(c); err != nil {
					g.resume(c, err)
				}
			}
			g.spare = batch[:0]
		}
		if live == 0 {
			return
		}
		n, err := g.poll(events)
		if err != nil {
			for _, c := range g.coros {
				if c.waiting {
					g.resume(c, err)
				}
			}
			continue
		}
		for _, ev := range events[:max(n, 0)] {
			if c := g.coros[ev.Fd]; c.waiting && !c.sleep && c.reg == c.fd && ready(ev.Events, c.write) {
				g.resume(c, nil)
			}
		}
		if g.timed > 0 || g.sleeping > 0 {
			if now := time.Now(); n <= 0 || now.Sub(checked) >= checkEvery || g.sleeping > 0 {
				checked = now
				for _, c := range g.coros {
					switch {
					case !c.waiting:
					case c.timed && c.ctx.Err() != nil:
						g.resume(c, c.ctx.Err())
					case c.sleep && !now.Before(c.until):
						g.resume(c, nil)
					}
				}
			}
		}
	}
}

func ready(ev uint32, write bool) bool {
	if ev&(syscall.EPOLLERR|syscall.EPOLLHUP) != 0 {
		return true
	}
	if write {
		return ev&syscall.EPOLLOUT != 0
	}
	return ev&(syscall.EPOLLIN|syscall.EPOLLRDHUP) != 0
}

// arm registers the descriptor c waits for, edge-triggered (a wait always
// follows EAGAIN, so the next change of state is an edge; adding or
// modifying a registration reports a descriptor already ready).
func (g *group) arm(c *coro) error {
	if c.timed = c.ctx.Done() != nil; c.timed {
		g.timed++
	}
	if c.sleep {
		g.sleeping++
		return nil
	}
	if c.reg == c.fd && c.regOut == c.write {
		return nil
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | unix.EPOLLET, Fd: c.idx}
	if c.write {
		ev.Events |= syscall.EPOLLOUT
	}
	op := syscall.EPOLL_CTL_MOD
	if c.reg != c.fd {
		if c.reg >= 0 {
			_ = syscall.EpollCtl(g.ep, syscall.EPOLL_CTL_DEL, c.reg, nil)
		}
		op = syscall.EPOLL_CTL_ADD
	}
	err := syscall.EpollCtl(g.ep, op, c.fd, &ev)
	if err == syscall.EEXIST {
		err = syscall.EpollCtl(g.ep, syscall.EPOLL_CTL_MOD, c.fd, &ev)
	}
	if err != nil {
		c.reg = -1
		return err
	}
	c.reg, c.regOut = c.fd, c.write
	return nil
}

// resume makes c ready with the result of its wait.
func (g *group) resume(c *coro, err error) {
	if c.timed {
		g.timed--
		c.timed = false
	}
	if c.sleep {
		g.sleeping--
		c.sleep = false
	}
	c.waiting, c.err, c.ctx = false, err, nil
	g.ready = append(g.ready, c)
}

// Wait waits until fd is readable (write false) or writable, or ctx ends
// (its error). Call it after a read or write of the non-blocking fd
// returned EAGAIN. With a context of a function of Run it switches to the
// function's group, which waits for all of its descriptors at once;
// otherwise it waits in poll(2).
func Wait(ctx context.Context, fd int, write bool) error {
	c, _ := ctx.Value(waitKey{}).(*coro)
	if c == nil {
		return pollWait(ctx, fd, write)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.fd, c.write, c.ctx, c.waiting = fd, write, ctx, true
	if !c.yield(struct{}{}) {
		return errStopped
	}
	return c.err
}

// Sleep waits for d, or until ctx ends (its error). With a context of a
// function of Run the other functions of its group go on meanwhile.
func Sleep(ctx context.Context, d time.Duration) error {
	c, _ := ctx.Value(waitKey{}).(*coro)
	if c == nil {
		return sleepAlone(ctx, d)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	c.sleep, c.until, c.ctx, c.waiting = true, time.Now().Add(d), ctx, true
	if !c.yield(struct{}{}) {
		return errStopped
	}
	return c.err
}

// Release forgets fd in the group of ctx's function: call it before
// closing a descriptor that Wait has waited for, so a new descriptor of
// the same number is registered again.
func Release(ctx context.Context, fd int) {
	c, _ := ctx.Value(waitKey{}).(*coro)
	if c == nil || c.reg != fd {
		return
	}
	_ = syscall.EpollCtl(c.ep, syscall.EPOLL_CTL_DEL, fd, nil)
	c.reg = -1
}

// pollWait is Wait outside a group: poll(2), a bounded slice at a time
// while ctx can end.
func pollWait(ctx context.Context, fd int, write bool) error {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	if write {
		fds[0].Events = unix.POLLOUT
	}
	timeout := -1
	if ctx.Done() != nil {
		timeout = int(checkEvery / time.Millisecond)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := unix.Poll(fds, timeout)
		if err == unix.EINTR || (err == nil && n == 0) {
			continue
		}
		return err
	}
}

// Read reads from a non-blocking descriptor as a raw system call (one
// that returns at once needs none of the scheduler's hand-off around a
// blocking one). EAGAIN means: Wait, then read again (ReadWait does).
func Read(fd int, p []byte) (int, error) { return rawIO(syscall.SYS_READ, fd, p) }

// Write writes to a non-blocking descriptor as a raw system call, as Read.
func Write(fd int, p []byte) (int, error) { return rawIO(syscall.SYS_WRITE, fd, p) }

// rawIO is read(2) or write(2) of p on fd as a raw system call.
func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
