package agent

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var cmpOpts = cmp.Options{cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})}

const (
	ridRouter = 0xc0000201 // 192.0.2.1, the DR
	ridAgent  = 0xc0000202 // 192.0.2.2
)

var dnsPrefix = netip.MustParsePrefix("2001:db8:53::53/128")

func rid(last int) uint32    { return 0xc0000200 | uint32(last) }
func ll(last int) netip.Addr { return netip.MustParseAddr(fmt.Sprintf("fe80::%x", last)) }
func mk(t testing.TB, age uint16, adv uint32, id uint32, body lsa.Body) []byte {
	t.Helper()
	raw, err := lsa.Marshal(lsa.LSA{Header: lsa.Header{Age: age, Type: body.Type(), ID: id, AdvRouter: adv, Seq: lsa.InitialSequenceNumber}, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// farmLSDB is a link with the DR, the agent and servers 11..(10+n); each
// server has a Link-LSA, an Intra-Area-Prefix-LSA for the DNS prefix at
// metric 10 and a load LSA with capacity 1 and load 0.5.
type farmLSDB struct {
	t        testing.TB
	attached []uint32
	raws     map[string][]byte
}

func newFarmLSDB(t testing.TB, n int) *farmLSDB {
	f := &farmLSDB{t: t, attached: []uint32{ridRouter, ridAgent}, raws: map[string][]byte{}}
	for i := 11; i < 11+n; i++ {
		f.attached = append(f.attached, rid(i))
		f.set("link", i, mk(t, 1, rid(i), 3, &lsa.Link{Options: lsa.OptV6 | lsa.OptE, LinkLocal: ll(i)}))
		f.set("iap", i, iap(t, i, 10))
		f.set("load", i, load(t, i, lsa.ServerAdvertised, 10, 1, 0.5, ll(i)))
	}
	return f
}

func iap(t testing.TB, i int, metric uint16) []byte {
	return mk(t, 1, rid(i), 1, &lsa.IntraAreaPrefix{RefType: lsa.TypeRouter, RefAdvRouter: rid(i),
		Prefixes: []lsa.Prefix{{Prefix: dnsPrefix, Metric: metric}}})
}

func load(t testing.TB, i int, st lsa.ServerState, metric uint16, capacity, l float64, nh netip.Addr) []byte {
	return mk(t, 1, rid(i), 1, &lsa.ServerLoad{State: st, Load: lsa.EncodeLoad(l), Capacity: lsa.EncodeCapacity(capacity),
		NextHop: nh, Prefix: lsa.Prefix{Prefix: dnsPrefix, Metric: metric}})
}

func (f *farmLSDB) set(kind string, i int, raw []byte) { f.raws[fmt.Sprintf("%s/%d", kind, i)] = raw }

// snapshot is the LSDB: the DR's Network-LSA (Link State ID 3) listing
// the attached routers, first; each attached router's Router-LSA naming
// it; the other LSAs, by key.
func (f *farmLSDB) snapshot() [][]byte {
	out := [][]byte{mk(f.t, 1, ridRouter, 3, &lsa.Network{Options: lsa.OptV6 | lsa.OptE | lsa.OptR, AttachedRouters: f.attached})}
	for _, r := range f.attached {
		out = append(out, rtr(f.t, r, transit(ridRouter, 3)))
	}
	keys := make([]string, 0, len(f.raws))
	for k := range f.raws {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, f.raws[k])
	}
	return out
}

func TestBuildViewFarm(t *testing.T) {
	f := newFarmLSDB(t, 3)
	f.set("load", 12, load(t, 12, lsa.ServerAdvertised, 10, 2, 0.25, ll(12)))
	v := BuildView(f.snapshot(), ViewOptions{Self: ridAgent, Limits: DefaultLimits()})
	if !v.Linked || len(v.Ignored) != 0 || len(v.Prefixes) != 1 {
		t.Fatalf("view %+v", v)
	}
	want := PrefixView{Prefix: dnsPrefix, Metric: 10, Servers: []Server{
		{RouterID: rid(11), NextHop: ll(11), Advertised: true, Metric: 10, Member: true, HasLoad: true, State: lsa.ServerAdvertised, Load: 0.5, Capacity: 1},
		{RouterID: rid(12), NextHop: ll(12), Advertised: true, Metric: 10, Member: true, HasLoad: true, State: lsa.ServerAdvertised, Load: 0.25, Capacity: 2},
		{RouterID: rid(13), NextHop: ll(13), Advertised: true, Metric: 10, Member: true, HasLoad: true, State: lsa.ServerAdvertised, Load: 0.5, Capacity: 1},
	}}
	if diff := cmp.Diff(want, v.Prefixes[0], cmpOpts); diff != "" {
		t.Errorf("view mismatch (-want +got):\n%s", diff)
	}
}

// OSPF decides membership: a flushed Intra-Area-Prefix-LSA or a metric
// above the cheapest leaves a server out, whatever its load LSA says; a
// member without a load LSA stays a member.
func TestBuildViewMembership(t *testing.T) {
	f := newFarmLSDB(t, 4)
	f.set("iap", 11, mk(t, lsa.MaxAge, rid(11), 1, &lsa.IntraAreaPrefix{RefType: lsa.TypeRouter, RefAdvRouter: rid(11),
		Prefixes: []lsa.Prefix{{Prefix: dnsPrefix, Metric: 10}}})) // being flushed
	f.set("load", 11, load(t, 11, lsa.ServerWithdrawn, 0, 1, 0.9, ll(11)))
	f.set("iap", 12, iap(t, 12, 20))
	delete(f.raws, "load/13")
	v := BuildView(f.snapshot(), ViewOptions{Self: ridAgent, Limits: DefaultLimits()})
	pv, _ := v.Prefix(dnsPrefix)
	got := map[uint32]string{}
	for _, s := range pv.Servers {
		got[s.RouterID] = fmt.Sprintf("member=%v why=%q load=%v", s.Member, s.Why, s.HasLoad)
	}
	want := map[uint32]string{
		rid(11): `member=false why="not advertised (withdrawn)" load=true`,
		rid(12): `member=false why="metric 20 above the cheapest 10" load=true`,
		rid(13): `member=true why="" load=false`,
		rid(14): `member=true why="" load=true`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("membership (-want +got):\n%s", diff)
	}
	if len(pv.Members()) != 2 || pv.Metric != 10 {
		t.Errorf("members %v metric %d", pv.Members(), pv.Metric)
	}
}

// Bad input is ignored and listed, never a member with bad figures.
func TestBuildViewIgnoresBadInput(t *testing.T) {
	f := newFarmLSDB(t, 5)
	// 11: next hop of another server.
	f.set("load", 11, load(t, 11, lsa.ServerAdvertised, 10, 1, 0.5, ll(12)))
	// 12: absurd capacity.
	f.set("load", 12, load(t, 12, lsa.ServerAdvertised, 10, 5e6, 0.5, ll(12)))
	// 13: absurd load.
	f.set("load", 13, load(t, 13, lsa.ServerAdvertised, 10, 1, 50, ll(13)))
	// 14: malformed body (version 7).
	raw := load(t, 14, lsa.ServerAdvertised, 10, 1, 0.5, ll(14))
	raw[lsa.HeaderLen] = 7
	lsa.SetChecksum(raw)
	f.set("load", 14, raw)
	// 15: zero capacity.
	f.set("load", 15, load(t, 15, lsa.ServerAdvertised, 10, 0, 0.5, ll(15)))
	// 16: not on the link (no Network-LSA entry), with a Link-LSA and a
	// prefix: never a member.
	f.set("link", 16, mk(t, 1, rid(16), 3, &lsa.Link{LinkLocal: ll(16)}))
	f.set("iap", 16, iap(t, 16, 1))
	f.set("load", 16, load(t, 16, lsa.ServerAdvertised, 1, 1, 0.1, ll(16)))
	v := BuildView(f.snapshot(), ViewOptions{Self: ridAgent, Limits: DefaultLimits()})
	reasons := map[uint32]string{}
	for _, ig := range v.Ignored {
		reasons[ig.Key.AdvRouter] = ig.Reason
		if ig.Detail == "" || ig.Key.Type != lsa.TypeServerLoad {
			t.Errorf("ignored %+v", ig)
		}
	}
	want := map[uint32]string{rid(11): "next-hop", rid(12): "capacity", rid(13): "load", rid(14): "malformed", rid(15): "capacity", rid(16): "not-on-link"}
	if diff := cmp.Diff(want, reasons); diff != "" {
		t.Errorf("ignored (-want +got):\n%s", diff)
	}
	pv, _ := v.Prefix(dnsPrefix)
	for _, s := range pv.Servers {
		if s.HasLoad {
			t.Errorf("server %s kept a load from an ignored LSA: %+v", lsa.IDString(s.RouterID), s)
		}
		if s.RouterID == rid(16) {
			t.Errorf("server not on the link in the view: %+v", s)
		}
		if !s.Member || s.Metric != 10 {
			t.Errorf("server %s: member %v metric %d", lsa.IDString(s.RouterID), s.Member, s.Metric)
		}
	}
}

// Not on any link yet (no Network-LSA lists the agent): no servers.
func TestBuildViewUnlinked(t *testing.T) {
	f := newFarmLSDB(t, 2)
	snap := f.snapshot()[1:] // no Network-LSA
	v := BuildView(snap, ViewOptions{Self: ridAgent, Limits: DefaultLimits()})
	if v.Linked || len(v.Prefixes) != 0 {
		t.Errorf("view %+v", v)
	}
	if len(v.Ignored) != 2 {
		t.Errorf("ignored %d load LSAs, want 2 (not on the link)", len(v.Ignored))
	}
}

// Garbage never panics and never makes a member out of nothing.
func FuzzBuildView(f *testing.F) {
	farm := newFarmLSDB(f, 2)
	for _, raw := range farm.snapshot() {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		snap := append(newFarmLSDB(t, 2).snapshot(), raw)
		v := BuildView(snap, ViewOptions{Self: ridAgent, Limits: DefaultLimits()})
		for _, pv := range v.Prefixes {
			for _, s := range pv.Members() {
				if !s.NextHop.IsLinkLocalUnicast() || !s.Advertised {
					t.Fatalf("member %+v", s)
				}
				if s.HasLoad && (!(s.Capacity > 0) || s.Capacity > 1e6 || s.Load > 2) {
					t.Fatalf("member with absurd figures %+v", s)
				}
			}
		}
	})
}

// Off the server link (the agent on a veth link to the routing daemon):
// the link is named by its DR and interface ID, there are no Link-LSAs,
// and the next hops come from the load LSAs. A server OSPF uses without
// any known next hop makes the prefix incomplete.
func TestBuildViewRemoteLink(t *testing.T) {
	f := newFarmLSDB(t, 3)
	for i := 11; i <= 13; i++ {
		delete(f.raws, "link/"+itoa(i))
	}
	f.attached = slices.DeleteFunc(f.attached, func(r uint32) bool { return r == ridAgent })
	opt := ViewOptions{Self: ridAgent, Link: LinkID{Router: ridRouter, InterfaceID: 3}, Limits: DefaultLimits()}
	v := BuildView(f.snapshot(), opt)
	pv, ok := v.Prefix(dnsPrefix)
	if !v.Linked || !ok || pv.Incomplete || len(pv.Members()) != 3 || len(v.Ignored) != 0 {
		t.Fatalf("view %+v", v)
	}
	for _, s := range pv.Members() {
		if s.NextHop != ll(int(s.RouterID&0xff)) {
			t.Errorf("server %s next hop %s", lsa.IDString(s.RouterID), s.NextHop)
		}
	}
	// The same snapshot read as if on the link: not linked (no
	// Network-LSA lists the agent).
	if v := BuildView(f.snapshot(), ViewOptions{Self: ridAgent, Limits: DefaultLimits()}); v.Linked {
		t.Errorf("linked without a Network-LSA listing the agent")
	}
	// Server 13 without a load LSA: no next hop known; the prefix is
	// incomplete, and the engine installs no route.
	delete(f.raws, "load/13")
	v = BuildView(f.snapshot(), opt)
	pv, _ = v.Prefix(dnsPrefix)
	if !pv.Incomplete {
		t.Fatalf("prefix complete without server 13's next hop: %+v", pv)
	}
	s := newState(testConfig())
	if set, _ := s.update(time.Now(), v); len(set) != 0 {
		t.Errorf("route set for an incomplete prefix: %v", set)
	}
}

// A router agent's announcement (a server load LSA of state agent, its
// own or another agent's on the link) is not a server: no member, no
// load, nothing ignored.
func TestBuildViewSkipsAgentAnnouncements(t *testing.T) {
	f := newFarmLSDB(t, 2)
	f.raws["announce/self"] = mk(t, 1, ridAgent, 1, &lsa.ServerLoad{State: lsa.ServerAgent, NextHop: ll(2),
		Prefix: lsa.Prefix{Prefix: dnsPrefix}})
	f.attached = append(f.attached, rid(20))
	f.set("link", 20, mk(t, 1, rid(20), 3, &lsa.Link{LinkLocal: ll(20)}))
	f.set("announce", 20, mk(t, 1, rid(20), 1, &lsa.ServerLoad{State: lsa.ServerAgent, NextHop: ll(20),
		Prefix: lsa.Prefix{Prefix: dnsPrefix}}))
	v := BuildView(f.snapshot(), ViewOptions{Self: ridAgent, Limits: DefaultLimits()})
	if len(v.Ignored) != 0 {
		t.Errorf("ignored %+v", v.Ignored)
	}
	pv, _ := v.Prefix(dnsPrefix)
	var got []string
	for _, s := range pv.Servers {
		got = append(got, lsa.IDString(s.RouterID))
	}
	if diff := cmp.Diff([]string{"192.0.2.11", "192.0.2.12"}, got); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
}
