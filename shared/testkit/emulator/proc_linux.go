package emulator

import "syscall"

// childAttr kills a child when the process that started it dies, so an
// interrupted test run leaves no server behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

func killGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }
