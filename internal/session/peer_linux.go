package session

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// checkPeer accepts only processes of the kernel's own user (the folder's mode already keeps others
// out; this holds even if it were opened up).
func checkPeer(conn net.Conn) error {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return nil
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if cerr != nil {
		return cerr
	}
	if int(cred.Uid) != os.Getuid() {
		return fmt.Errorf("peer user id %d is not the kernel's (%d)", cred.Uid, os.Getuid())
	}
	return nil
}
