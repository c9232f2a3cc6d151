package lab

import (
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// A descriptor inherited without close-on-exec (dup gives one) is marked.
func TestCloseOnExecAll(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	flags := func() int {
		v, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if flags()&unix.FD_CLOEXEC != 0 {
		t.Fatal("dup gave a close-on-exec descriptor: the test proves nothing")
	}
	closeOnExecAll()
	if flags()&unix.FD_CLOEXEC == 0 {
		t.Error("descriptor still inherited by exec'd children")
	}
}
