package monitor

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/anycostd/anycostd/internal/testns"
)

// holderEnv makes the test binary a helper process that binds a UDP socket
// on the address in the variable, prints "ready" and holds the socket until
// killed or until its standard input closes: a stand-in for a DNS server.
const holderEnv = "ANYCOSTD_MONITOR_HOLDER"

// netnsEnv carries "<test name> <parent netns>" to a test's child process.
const netnsEnv = "ANYCOSTD_MONITOR_NETNS"

func TestMain(m *testing.M) {
	if addr := os.Getenv(holderEnv); addr != "" {
		os.Exit(holdSocket(addr))
	}
	os.Exit(m.Run())
}

func holdSocket(addr string) int {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// inNetns returns true when the caller runs in a fresh network namespace
// (testns.Run) and should do its work, false in the parent after the child
// has run. In the namespace, lo is up and carries 2001:db8:53::53/128.
func inNetns(t *testing.T) bool {
	t.Helper()
	if !testns.Run(t, netnsEnv, 3*time.Minute) {
		return false
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatalf("lo: %v", err)
	}
	a, _ := netlink.ParseAddr("2001:db8:53::53/128")
	a.Flags = syscall.IFA_F_NODAD
	if err := netlink.AddrAdd(lo, a); err != nil {
		t.Fatalf("adding %v to lo: %v", a, err)
	}
	return true
}
