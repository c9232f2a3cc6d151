package lab

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// frrDaemonDir is where Debian's frr package installs the daemons.
const frrDaemonDir = "/usr/lib/frr"

// MissingError says that a prerequisite of the lab is missing: root, a
// command, a package. A test skips on it (fails with ANYCOSTD_LAB=1).
type MissingError struct {
	What string
}

func (e *MissingError) Error() string { return "lab prerequisite missing: " + e.What }

func missing(format string, args ...any) error {
	return &MissingError{What: fmt.Sprintf(format, args...)}
}

// skipOrFail skips the test, or fails it when ANYCOSTD_LAB=1.
func skipOrFail(t interface {
	Helper()
	Skipf(string, ...any)
	Fatalf(string, ...any)
}, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(EnvLab) == "1" {
		t.Fatalf("lab prerequisite missing (%s=1): %s", EnvLab, msg)
	}
	t.Skipf("lab prerequisite missing: %s (set %s=1 to fail instead)", msg, EnvLab)
}

// require skips or fails the test when check reports a missing
// prerequisite, and fails it on any other error.
func require(t interface {
	Helper()
	Skipf(string, ...any)
	Fatalf(string, ...any)
}, err error) {
	t.Helper()
	if m, ok := err.(*MissingError); ok {
		skipOrFail(t, "%s", m.What)
	} else if err != nil {
		t.Fatalf("%v", err)
	}
}

// CheckRoot reports a MissingError unless the process runs as root with
// iproute2's ip installed.
func CheckRoot() error {
	if os.Geteuid() != 0 {
		return missing("lab tests need root (uid %d)", os.Geteuid())
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return missing("iproute2 ip not found: %v", err)
	}
	return nil
}

// RequireRoot skips the test unless it runs as root with iproute2's ip
// installed; with ANYCOSTD_LAB=1 it fails instead. New calls it.
func RequireRoot(t testing.TB) {
	t.Helper()
	require(t, CheckRoot())
}

// CheckFRR reports a MissingError unless FRR's zebra, staticd, ospf6d and
// vtysh are installed.
func CheckFRR() error {
	for _, d := range []string{"zebra", "staticd", "ospf6d"} {
		if _, err := os.Stat(frrDaemonDir + "/" + d); err != nil {
			return missing("FRR daemon %s not installed: %v", d, err)
		}
	}
	if _, err := exec.LookPath("vtysh"); err != nil {
		return missing("vtysh not found: %v", err)
	}
	return nil
}

// RequireFRR skips the test unless FRR's zebra, staticd, ospf6d and vtysh
// are installed; with ANYCOSTD_LAB=1 it fails instead. StartFRR calls it.
func RequireFRR(t testing.TB) {
	t.Helper()
	require(t, CheckFRR())
}
