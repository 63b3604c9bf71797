package redistest

import "syscall"

// dieWithParent makes a child process receive SIGKILL when the test process dies, so that no
// redis-server or worker outlives a crashed test.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
