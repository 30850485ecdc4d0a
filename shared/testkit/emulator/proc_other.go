//go:build !linux

package emulator

import "syscall"

func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

func killGroup(int) error { return nil }
