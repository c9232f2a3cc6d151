package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ipMonitorOutput is what `ip -ts -6 monitor route` printed in the
// router's namespace when zebra replaced a 3-way ECMP route by a 2-way one
// (FRR 8.4, kernel nexthop objects), plus lines about other prefixes.
const ipMonitorOutput = `[2026-11-27T16:33:14.926441] Deleted 2001:db8:53::53 nhid 13 proto ospf metric 20 pref medium
	nexthop via fe80::1 dev eth0 weight 1 
	nexthop via fe80::2 dev eth0 weight 1 
	nexthop via fe80::3 dev eth0 weight 1 
[2026-11-27T16:33:14.926489] 2001:db8:53::53 nhid 22 proto ospf metric 20 pref medium
	nexthop via fe80::1 dev eth0 weight 1 
	nexthop via fe80::3 dev eth0 weight 1 
[2026-11-27T16:33:15.000001] local fe80::cab:57ff:fe06:9b72 dev d0 table local proto kernel metric 0 pref medium
[2026-11-27T16:33:15.100000] 2001:db8:53::53 via 2001:db8:1::100 dev eth0 proto bgp metric 20 pref medium
[2026-11-27T16:33:15.200000] 2001:db8:53::54 via fe80::9 dev eth0 proto ospf metric 20 pref medium
`

func TestRouteMonitorParse(t *testing.T) {
	m := &routeMonitor{prefix: netip.MustParsePrefix("2001:db8:53::53/128"), changed: make(chan struct{})}
	m.read(strings.NewReader(ipMonitorOutput))
	ts := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02T15:04:05.000000", s, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a := netip.MustParseAddr
	want := []routeEvent{
		{At: ts("2026-11-27T16:33:14.926441"), Deleted: true},
		{At: ts("2026-11-27T16:33:14.926489"), Hops: []netip.Addr{a("fe80::1"), a("fe80::3")}},
		{At: ts("2026-11-27T16:33:15.100000"), Hops: []netip.Addr{a("2001:db8:1::100")}},
	}
	got := m.events
	for i := range got {
		got[i].Raw = "" // compared separately below
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestRouteMonitorAbsent: the time without a route, from the state at
// the start (none before any event) to the end.
func TestRouteMonitorAbsent(t *testing.T) {
	m := &routeMonitor{prefix: netip.MustParsePrefix("2001:db8:53::53/128"), changed: make(chan struct{})}
	m.read(strings.NewReader(ipMonitorOutput))
	ts := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02T15:04:05.000000", "2026-11-27T"+s, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		from, to string
		want     float64
	}{
		{"16:33:14.926000", "16:33:15.200000", 0.489}, // none before the first event
		{"16:33:14.926450", "16:33:15.200000", 0.039}, // deleted at the start
		{"16:33:14.926450", "16:33:14.926470", 0.020}, // deleted throughout
		{"16:33:14.926500", "16:33:15.200000", 0},     // there throughout
	} {
		if got := m.absentMs(ts(tc.from), ts(tc.to)); got != tc.want {
			t.Errorf("absentMs(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestRouteMonitorWaitEvent(t *testing.T) {
	m := &routeMonitor{prefix: netip.MustParsePrefix("2001:db8:53::53/128"), changed: make(chan struct{})}
	m.read(strings.NewReader(ipMonitorOutput))
	server := netip.MustParseAddr("fe80::2")
	start, _ := time.ParseInLocation("2006-01-02T15:04:05", "2026-11-27T16:33:14", time.Local)
	tests := []struct {
		name    string
		after   time.Time
		match   func(routeEvent) bool
		want    string // the event's timestamp, "" for none
		wantErr bool
	}{
		{"first route without the server", start,
			func(ev routeEvent) bool { return !ev.Deleted && len(ev.Hops) > 0 && !containsAddr(ev.Hops, server) },
			"16:33:14.926489", false},
		{"any deletion", start, func(ev routeEvent) bool { return ev.Deleted }, "16:33:14.926441", false},
		{"nothing after the last event", start.Add(time.Hour), func(routeEvent) bool { return true }, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := m.waitEvent(tt.after, 50*time.Millisecond, tt.match)
			if (err != nil) != tt.wantErr {
				t.Fatalf("waitEvent error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && ev.At.Format("15:04:05.000000") != tt.want {
				t.Errorf("waitEvent found the event at %s, want %s", ev.At.Format("15:04:05.000000"), tt.want)
			}
		})
	}
}

func containsAddr(hops []netip.Addr, a netip.Addr) bool {
	for _, h := range hops {
		if h == a {
			return true
		}
	}
	return false
}

// An ABR's discard route for its area range comes and goes as a
// blackhole route, and the other ABR's summary of the range may follow
// it; stateAt says which the kernel had, goneAt when a route went.
func TestRouteMonitorBlackhole(t *testing.T) {
	const out = `[2026-12-07T01:40:00.100000] blackhole 2001:db8:53::52/127 proto ospf metric 20 pref medium
[2026-12-07T01:40:01.200000] Deleted blackhole 2001:db8:53::52/127 proto ospf metric 20 pref medium
[2026-12-07T01:40:01.200100] 2001:db8:53::52/127 nhid 30 via fe80::1 dev eth1 proto ospf metric 30 pref medium
`
	m := &routeMonitor{prefix: netip.MustParsePrefix("2001:db8:53::52/127"), changed: make(chan struct{})}
	m.read(strings.NewReader(out))
	ts := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02T15:04:05.000000", s, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct{ at, want string }{
		{"2026-12-07T01:40:00.000000", "unknown (no event since the monitor started)"},
		{"2026-12-07T01:40:00.500000", "blackhole (since 01:40:00.100000)"},
		{"2026-12-07T01:40:01.200050", "none (since 01:40:01.200000)"},
		{"2026-12-07T01:40:02.000000", "via fe80::1 (since 01:40:01.200100)"},
	} {
		if got := m.stateAt(ts(tc.at)); got != tc.want {
			t.Errorf("stateAt(%s) = %q, want %q", tc.at, got, tc.want)
		}
	}
	from := ts("2026-12-07T01:40:00.000000")
	if at, ok := m.goneAt(from, ts("2026-12-07T01:40:01.200050")); !ok || !at.Equal(ts("2026-12-07T01:40:01.200000")) {
		t.Errorf("goneAt = %v, %v; want 01:40:01.200000, true", at, ok)
	}
	if _, ok := m.goneAt(from, from.Add(time.Minute)); ok {
		t.Errorf("goneAt says gone, but a route came last")
	}
	if ev, ok := m.nextAfter(ts("2026-12-07T01:40:01.200000")); !ok || ev.Deleted || !ev.At.Equal(ts("2026-12-07T01:40:01.200100")) {
		t.Errorf("nextAfter = %+v, %v; want the summary via fe80::1", ev, ok)
	}
}
