//go:build !linux

package replica

import "syscall"

// setUserTimeout: TCP_USER_TIMEOUT is Linux's; elsewhere keepalives alone.
func setUserTimeout(network, address string, c syscall.RawConn) error { return nil }
