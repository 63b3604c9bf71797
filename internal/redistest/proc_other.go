//go:build !linux

package redistest

import "syscall"

// dieWithParent is a no-op where Pdeathsig does not exist: the test's cleanup kills children.
func dieWithParent() *syscall.SysProcAttr { return nil }
