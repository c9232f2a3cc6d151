package lab

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// frrDaemonDir is where Debian's frr package installs the daemons.
const frrDaemonDir = "/usr/lib/frr"

// skipOrFail skips the test, or fails it when ANYCOSTD_LAB=1.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(EnvLab) == "1" {
		t.Fatalf("lab prerequisite missing (%s=1): %s", EnvLab, msg)
	}
	t.Skipf("lab prerequisite missing: %s (set %s=1 to fail instead)", msg, EnvLab)
}

// RequireRoot skips the test unless it runs as root with iproute2's ip
// installed; with ANYCOSTD_LAB=1 it fails instead. New calls it.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "lab tests need root (uid %d)", os.Geteuid())
	}
	if _, err := exec.LookPath("ip"); err != nil {
		skipOrFail(t, "iproute2 ip not found: %v", err)
	}
}

// RequireFRR skips the test unless FRR's zebra, staticd, ospf6d and vtysh
// are installed; with ANYCOSTD_LAB=1 it fails instead. StartFRR calls it.
func RequireFRR(t testing.TB) {
	t.Helper()
	for _, d := range []string{"zebra", "staticd", "ospf6d"} {
		if _, err := os.Stat(frrDaemonDir + "/" + d); err != nil {
			skipOrFail(t, "FRR daemon %s not installed: %v", d, err)
		}
	}
	if _, err := exec.LookPath("vtysh"); err != nil {
		skipOrFail(t, "vtysh not found: %v", err)
	}
}
