// Package testns runs a test in a fresh network namespace: the test binary
// re-runs itself, for that one test, in a child process created with
// CLONE_NEWNET, so the namespace vanishes with the child, also on failure,
// and nothing is left behind. Tests that need root skip without it, or fail
// when ANYCOSTD_LAB=1 says the prerequisites must be there.
package testns

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// Run returns true when the caller runs in the fresh namespace (lo is up)
// and should do its work; false in the parent, after the child has run the
// test and its outcome has been reported. env names the variable that
// carries "<test name> <parent netns>" to the child; each package uses its
// own.
func Run(t *testing.T, env string, timeout time.Duration) bool {
	t.Helper()
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatalf("reading own network namespace: %v", err)
	}
	if v := os.Getenv(env); v != "" {
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
		return true
	}
	lab := os.Getenv("ANYCOSTD_LAB") == "1"
	if os.Geteuid() != 0 {
		if lab {
			t.Fatal("needs root for a network namespace (ANYCOSTD_LAB=1)")
		}
		t.Skip("needs root for a network namespace")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.v", "-test.count=1",
		"-test.timeout="+timeout.String())
	cmd.Env = append(os.Environ(), env+"="+t.Name()+" "+self)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		if lab {
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
