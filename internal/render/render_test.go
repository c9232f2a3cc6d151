package render

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anycostd/anycostd/agent"
	"github.com/anycostd/anycostd/bfd"
	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/control/controltest"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/internal/goldentest"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/services"
)

// golden compares got with testdata/name, or rewrites it with -update.
// cmd/anycostd's tests compare what the commands print with some of them.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldentest.File(t, filepath.Join("testdata", name), got)
}

func TestRenderGolden(t *testing.T) {
	st := controltest.OSPFStatus()
	var b strings.Builder
	if err := Status(&b, &control.Status{OSPF: &st}, controltest.Now); err != nil {
		t.Fatal(err)
	}
	golden(t, "status.golden", b.String())

	b.Reset()
	if err := LSDB(&b, controltest.LSDB()); err != nil {
		t.Fatal(err)
	}
	golden(t, "lsdb.golden", b.String())

	b.Reset()
	nr := control.NeighborsResult{Interface: "eth0", InterfaceState: "DROther", Neighbors: st.Neighbors}
	if err := Neighbors(&b, &nr, controltest.Now); err != nil {
		t.Fatal(err)
	}
	golden(t, "neighbors.golden", b.String())

	// A daemon with nothing yet.
	b.Reset()
	empty := ospf.Status{RouterID: "192.0.2.11", Area: "0.0.0.0",
		Interface: ospf.InterfaceStatus{Name: "eth0", Index: 2, InterfaceID: 2, State: "Waiting", MTU: 1500, Cost: 10, HelloSec: 10, DeadSec: 40}}
	if err := Status(&b, &control.Status{OSPF: &empty}, controltest.Now); err != nil {
		t.Fatal(err)
	}
	if err := LSDB(&b, nil); err != nil {
		t.Fatal(err)
	}
	if err := Neighbors(&b, &control.NeighborsResult{Interface: "eth0"}, controltest.Now); err != nil {
		t.Fatal(err)
	}
	golden(t, "empty.golden", b.String())
}

// TestRenderBFD: status and neighbors with [ospf.bfd] show the sessions
// after the neighbors.
func TestRenderBFD(t *testing.T) {
	st, bs := controltest.OSPFStatus(), controltest.BFDStatus()
	var b strings.Builder
	if err := Status(&b, &control.Status{OSPF: &st, BFD: &bs}, controltest.Now); err != nil {
		t.Fatal(err)
	}
	golden(t, "status-bfd.golden", b.String())

	b.Reset()
	nr := control.NeighborsResult{Interface: "eth0", InterfaceState: "DROther", Neighbors: st.Neighbors, BFD: &bs}
	if err := Neighbors(&b, &nr, controltest.Now); err != nil {
		t.Fatal(err)
	}
	none := bfd.Status{Interface: "eth0", Sessions: []bfd.SessionStatus{}}
	if err := Neighbors(&b, &control.NeighborsResult{Interface: "eth0", BFD: &none}, controltest.Now); err != nil {
		t.Fatal(err)
	}
	golden(t, "neighbors-bfd.golden", b.String())
}

// TestRouterStatus renders `anycostd router status` from a fake agent.
func TestRouterStatus(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	st := &control.RouterStatus{
		Backend: "zebra",
		OSPF: ospf.Status{RouterID: "192.0.2.2", Interface: ospf.InterfaceStatus{Name: "anycost1", State: "DROther", DR: "192.0.2.1"},
			Neighbors: []ospf.NeighborStatus{{RouterID: "192.0.2.1", State: "Full"}}},
		Agent: agent.Status{RouterID: "192.0.2.2", Linked: true, Prefixes: []agent.PrefixStatus{{
			Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Metric: 10,
			Nexthops: []agent.NexthopStatus{
				{Server: "192.0.2.11", NextHop: netip.MustParseAddr("fe80::11"), Capacity: 1, Load: 0.42, HasLoad: true, Weight: 128, Share: 1.0 / 3, Why: "joined: capacity 1", Changed: now.Add(-90 * time.Second)},
				{Server: "192.0.2.12", NextHop: netip.MustParseAddr("fe80::12"), Capacity: 2, Load: 0.4, HasLoad: true, Weight: 255, Share: 2.0 / 3, Why: "load 0.400 below the farm's 0.410", Changed: now.Add(-4 * time.Second)},
			},
			Excluded: []agent.ExcludedStatus{{Server: "192.0.2.13", Why: "not advertised (withdrawn)"}},
		}}, Announced: []netip.Prefix{netip.MustParsePrefix("2001:db8:53::53/128")},
			Counters: agent.Counters{Updates: 3, WeightChanges: 4, Ignored: map[string]uint64{"next-hop": 1}}},
		Config: control.ConfigLoad{Path: "/etc/anycostd/router.toml", Loaded: now.Add(-time.Hour)},
	}
	var b strings.Builder
	if err := RouterStatus(&b, st, now); err != nil {
		t.Fatal(err)
	}
	// A reload that applied something and refused a key, then one
	// refused whole: the time of the last good load stays.
	st.Config = control.ConfigLoad{Path: "/etc/anycostd/router.toml", Loaded: now.Add(-10 * time.Minute),
		Reloads: 1, LastReload: now.Add(-10 * time.Minute), Refused: []string{"router.backend"}}
	b.WriteString("\n")
	configLoad(&b, &st.Config, now)
	st.Config.Reloads, st.Config.Failed, st.Config.LastReload = 2, 1, now.Add(-time.Minute)
	st.Config.Error, st.Config.Refused = "/etc/anycostd/router.toml:31: router.distance: 110 is out of range 1..109", nil
	configLoad(&b, &st.Config, now)
	golden(t, "router-status.golden", b.String())
}

// TestRenderDrains: the operator's drains follow the modes in status,
// with where they are kept and any problem with the drain state.
func TestRenderDrains(t *testing.T) {
	st := controltest.OSPFStatus()
	var b strings.Builder
	for _, dr := range []*services.DrainReport{
		{Manual: []string{}, Kept: "/var/lib/anycostd/drains.json"}, // nothing drained: nothing written
		{Manual: []string{"dns", "ntp"}, Kept: "/var/lib/anycostd/drains.json"},
		{Manual: []string{"dns", "ntp", "web"}, Kept: "/var/lib/anycostd/drains.json",
			Problem: "cannot restore the manual drains (drain state /var/lib/anycostd/drains.json: not a drain state: unexpected EOF): every service was drained at start; drain or undrain saves a new state"},
	} {
		if err := Drains(&b, dr); err != nil {
			t.Fatal(err)
		}
	}
	if err := Status(&b, &control.Status{OSPF: &st, Drains: &services.DrainReport{Manual: []string{"dns"}}}, controltest.Now); err != nil {
		t.Fatal(err)
	}
	golden(t, "status-drains.golden", b.String())
}

// TestRenderNDGolden: the ND speaker's status, alone (no OSPF) and after
// the OSPF instance's in a daemon running both modes.
func TestRenderNDGolden(t *testing.T) {
	nd := controltest.NDStatus()
	var b strings.Builder
	only := control.Status{ND: &nd}
	if err := Status(&b, &only, controltest.Now); err != nil {
		t.Fatal(err)
	}
	golden(t, "status-nd.golden", b.String())

	b.Reset()
	mixed := controltest.Status()
	if err := Status(&b, &mixed, controltest.Now); err != nil {
		t.Fatal(err)
	}
	golden(t, "status-mixed.golden", b.String())
}

// A neighbor note (a router requiring TTL security) is shown under the
// neighbor table.
func TestRenderNeighborNote(t *testing.T) {
	nbrs := []ospf.NeighborStatus{{RouterID: "192.0.2.1", State: "Init", HopLimit: 255, Note: "needs TTL security"}}
	var b strings.Builder
	if err := renderNeighborTable(&b, "eth0", "DROther", nbrs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Neighbor 192.0.2.1: needs TTL security\n") {
		t.Errorf("no note line in\n%s", b.String())
	}
}

// TestCostWireText: the LSA on the wire and what the instance was told.
func TestCostWireText(t *testing.T) {
	for _, tc := range []struct {
		s    CostWire
		want string
	}{
		{CostWire{services.Wire{Advertised: true, Metric: 20, Wanted: true, WantMetric: 20}, "0.0.0.1", "80000003"},
			"metric 20 (Intra-Area-Prefix-LSA 0.0.0.1, seq 80000003)"},
		{CostWire{services.Wire{Advertised: true, Metric: 20, Wanted: true, WantMetric: 40}, "0.0.0.1", "80000003"},
			"metric 20 (Intra-Area-Prefix-LSA 0.0.0.1, seq 80000003); metric 40 waits for LSA pacing"},
		{CostWire{services.Wire{Advertised: true, Metric: 20}, "0.0.0.1", "80000003"},
			"metric 20 (Intra-Area-Prefix-LSA 0.0.0.1, seq 80000003); withdrawn waits for LSA pacing"},
		{CostWire{services.Wire{Wanted: true, WantMetric: 10}, "0.0.0.1", ""},
			"withdrawn (Intra-Area-Prefix-LSA 0.0.0.1); metric 10 waits for LSA pacing"},
		{CostWire{}, "withdrawn"},
	} {
		v := CostView{Wire: &tc.s}
		if got := wireText(&v); got != tc.want {
			t.Errorf("%+v:\n got %s\nwant %s", tc.s, got, tc.want)
		}
	}

}

// The instance's LSA pacing shows with the model's: ntp of the cost
// sample (cmd/anycostd's sampleCost), advertising again held by pacing.
func TestNextChangeText(t *testing.T) {
	ms := func(n int) time.Time { return controltest.Now.Add(time.Duration(n) * time.Millisecond) }
	v := CostView{
		Explanation: costmodel.Explanation{At: ms(5600), Wanted: costmodel.Advert{Metric: 100},
			Held: true, HeldSince: ms(5300), NextChangeAllowed: ms(5900)},
		Wire: &CostWire{Wire: services.Wire{NextChange: ms(6000)}},
	}
	want := "metric 100 held since 12:00:05.300; pacing lets it out at 12:00:05.900 (in 300ms); " +
		"LSA pacing: next instance at 12:00:06.000 (in 400ms)"
	if got := nextChangeText(&v, Clock{Loc: time.UTC}); got != want {
		t.Errorf("next change:\n got %s\nwant %s", got, want)
	}
}
