package daemon

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/anycostd/anycostd/ospf"
)

// TestTierPrefixReachesOSPF: a tier's prefix (config/tierprefix.go) goes
// from the configuration through the service manager's Wanted to the
// OSPF instance's service: the dearest tier's prefix as the fallback
// beside the /128 below the dearest tier, alone in it (here by a
// max-tier drain), and the /128 comes back with the cheaper tier; the
// address on the interface is the /128 throughout.
func TestTierPrefixReachesOSPF(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS+`drain_action = "max-tier"

[[service.tier]]
metric = 10
up = 0.6
down = 0.4

[[service.tier]]
metric = 40
prefix = "2001:db8:53::50/126"
`)
	td := newTestDaemon(t, cfgPath, nil)
	host := netip.MustParsePrefix("2001:db8:53::53/128")
	wide := netip.MustParsePrefix("2001:db8:53::50/126")
	wait := func(what string, want ospf.Service) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			td.sp.mu.Lock()
			svcs := append([]ospf.Service(nil), td.sp.svcs...)
			td.sp.mu.Unlock()
			if len(svcs) == 1 {
				// The server load LSA's fields are not what this test is about.
				svcs[0].Capacity, svcs[0].Load, svcs[0].Drained = 0, 0, false
			}
			if len(svcs) == 1 && svcs[0] == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the instance has %+v, want %+v", what, svcs, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	below := ospf.Service{Name: "dns", Prefix: host, Metric: 10, Fallback: wide, FallbackMetric: 40}
	wait("at start", below)
	if _, err := client(cfgPath).Drain(context.Background(), "dns", true); err != nil {
		t.Fatal(err)
	}
	wait("drained to the dearest tier", ospf.Service{Name: "dns", Prefix: wide, Metric: 40})
	if _, err := client(cfgPath).Drain(context.Background(), "dns", false); err != nil {
		t.Fatal(err)
	}
	wait("undrained", below)
	if n := td.rec.count("add lo 2001:db8:53::53/128"); n != 1 {
		t.Errorf("the /128 was added %d times: %q", n, td.rec.list())
	}
	for _, e := range td.rec.list() {
		if e == "add lo "+wide.String() || e == "del lo 2001:db8:53::53/128" {
			t.Errorf("the address followed the tier prefix: %q", e)
		}
	}
}
