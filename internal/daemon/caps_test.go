package daemon

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestMissingCapabilities(t *testing.T) {
	const raw, admin = 1 << unix.CAP_NET_RAW, 1 << unix.CAP_NET_ADMIN
	for _, tc := range []struct {
		name string
		eff  uint64
		want []string
	}{
		{"none", 0, []string{"CAP_NET_RAW", "CAP_NET_ADMIN"}},
		{"raw only", raw, []string{"CAP_NET_ADMIN"}},
		{"admin only", admin, []string{"CAP_NET_RAW"}},
		{"both", raw | admin, nil},
		{"root's full set", 1<<41 - 1, nil},
		{"everything but the two", ^uint64(raw | admin), []string{"CAP_NET_RAW", "CAP_NET_ADMIN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, missingCapabilities(tc.eff)); d != "" {
				t.Errorf("missingCapabilities(%#x) (-want +got):\n%s", tc.eff, d)
			}
		})
	}
}

func TestCapabilitiesError(t *testing.T) {
	got := capabilitiesError([]string{"CAP_NET_ADMIN"})
	want := "anycostd run needs CAP_NET_RAW and CAP_NET_ADMIN (missing: CAP_NET_ADMIN); run as root or grant them, see contrib/anycostd.service"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// The test process's own set, read as /proc/self/status shows it: the
// two readings agree on the two capabilities.
func TestEffectiveCapabilities(t *testing.T) {
	eff, err := effectiveCapabilities()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var proc string
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			proc = strings.TrimSpace(v)
		}
	}
	fromProc, err := strconv.ParseUint(proc, 16, 64)
	if err != nil {
		t.Fatalf("CapEff %q: %v", proc, err)
	}
	if eff != fromProc {
		t.Errorf("capget says %#x, /proc says CapEff %s", eff, proc)
	}
	if os.Geteuid() == 0 && len(missingCapabilities(eff)) == 0 {
		if err := CheckCapabilities(); err != nil {
			t.Errorf("CheckCapabilities as root with both: %v", err)
		}
	}
}
