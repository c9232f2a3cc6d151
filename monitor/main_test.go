package monitor

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
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
// and should do its work, false in the parent after the child has run the
// test and its outcome has been reported. The child process is created
// with CLONE_NEWNET, so the namespace vanishes with it, also on failure.
// In the namespace, lo is up and carries 2001:db8:53::53/128.
func inNetns(t *testing.T) bool {
	t.Helper()
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatalf("reading own network namespace: %v", err)
	}
	if v := os.Getenv(netnsEnv); v != "" {
		name, parentNS, _ := strings.Cut(v, " ")
		if name != t.Name() {
			t.Skipf("child process for %s", name)
		}
		if parentNS == self {
			t.Fatalf("child still in the parent's network namespace %s", self)
		}
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			t.Fatalf("lo: %v", err)
		}
		if err := netlink.LinkSetUp(lo); err != nil {
			t.Fatalf("lo up: %v", err)
		}
		a, _ := netlink.ParseAddr("2001:db8:53::53/128")
		a.Flags = syscall.IFA_F_NODAD
		if err := netlink.AddrAdd(lo, a); err != nil {
			t.Fatalf("adding %v to lo: %v", a, err)
		}
		return true
	}
	if os.Geteuid() != 0 {
		if os.Getenv("ANYCOSTD_LAB") == "1" {
			t.Fatal("needs root for a network namespace (ANYCOSTD_LAB=1)")
		}
		t.Skip("needs root for a network namespace")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.v", "-test.count=1", "-test.timeout=3m")
	cmd.Env = append(os.Environ(), netnsEnv+"="+t.Name()+" "+self)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		if os.Getenv("ANYCOSTD_LAB") == "1" {
			t.Fatalf("starting child in a new network namespace: %v", err)
		}
		t.Skipf("cannot start a child in a new network namespace: %v", err)
	}
	t.Logf("in a fresh network namespace:\n%s", out)
	if err != nil {
		t.Fatalf("child failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatal("child did not report a pass")
	}
	return false
}
