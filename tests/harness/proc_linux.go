package harness

import "syscall"

// sysProcAttr kills a child when the test binary dies, so a crashed or
// timed-out test leaves no natverk or nats-server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
