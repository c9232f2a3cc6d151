package testns

import (
	"errors"
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// DrainUDP reads every datagram queued on c, without waiting for any more,
// and returns how many it read. It stops at the kernel's EAGAIN (the queue
// is empty), not at a deadline, so a goroutine the scheduler holds back
// cannot stop it halfway.
func DrainUDP(t *testing.T, c *net.UDPConn) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatalf("draining %v: %v", c.LocalAddr(), err)
	}
	n := 0
	buf := make([]byte, 64<<10)
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		for {
			_, _, err := unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT)
			switch {
			case err == nil:
				n++
			case errors.Is(err, unix.EAGAIN):
				return true
			case errors.Is(err, unix.EINTR):
			default:
				rerr = err
				return true
			}
		}
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		t.Fatalf("draining %v after %d datagrams: %v", c.LocalAddr(), n, err)
	}
	return n
}
