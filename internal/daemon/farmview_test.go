package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/services"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var farmDNS = netip.MustParsePrefix("2001:db8:53::53/128")

func frid(last int) uint32 { return 0xc0000200 | uint32(last) }

// rawLSA marshals an LSA of router adv with Link State ID id at age.
func rawLSA(t testing.TB, age uint16, adv, id uint32, body lsa.Body) []byte {
	t.Helper()
	raw, err := lsa.Marshal(lsa.LSA{Header: lsa.Header{Age: age, Type: body.Type(), ID: id, AdvRouter: adv, Seq: lsa.InitialSequenceNumber}, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func farmIAP(t testing.TB, i int, metric uint16, opts lsa.PrefixOptions) []byte {
	return rawLSA(t, 1, frid(i), 1, &lsa.IntraAreaPrefix{RefType: lsa.TypeRouter, RefAdvRouter: frid(i),
		Prefixes: []lsa.Prefix{{Prefix: farmDNS, Metric: metric, Options: opts}}})
}

func farmLoad(t testing.TB, i int, st lsa.ServerState, capacity, load float64) []byte {
	return rawLSA(t, 1, frid(i), 1, &lsa.ServerLoad{State: st, Load: lsa.EncodeLoad(load), Capacity: lsa.EncodeCapacity(capacity),
		NextHop: netip.MustParseAddr(fmt.Sprintf("fe80::%x", i)), Prefix: lsa.Prefix{Prefix: farmDNS, Metric: 10}})
}

// TestFarmPeers: the peers of a prefix are the servers on this server's
// link that advertise it or publish a load LSA for it, each with what its
// LSAs say; everything else in the LSDB is left out.
func TestFarmPeers(t *testing.T) {
	raws := cat(farmLink(t, 1, 3, 1, 11, 12, 13, 14, 15, 16), [][]byte{ // the DR (1), self (11) and its peers
		farmIAP(t, 11, 10, 0), // self: not a peer
		farmLoad(t, 11, lsa.ServerAdvertised, 1, 0.9),
		farmIAP(t, 12, 10, 0), // advertised, load known
		farmLoad(t, 12, lsa.ServerAdvertised, 2, 0.25),
		farmIAP(t, 13, 20, 0),                    // advertised, an older anycostd: no load LSA
		farmLoad(t, 14, lsa.ServerDrained, 1, 0), // drained: no advertisement, its load LSA stays
		farmIAP(t, 15, 10, lsa.PrefixNU),         // NU: not an advertisement
		rawLSA(t, lsa.MaxAge, frid(16), 1, &lsa.IntraAreaPrefix{RefType: lsa.TypeRouter, RefAdvRouter: frid(16), // being flushed
			Prefixes: []lsa.Prefix{{Prefix: farmDNS, Metric: 10}}}),
		farmIAP(t, 50, 10, 0), // a server on another link of the area
		farmLoad(t, 50, lsa.ServerAdvertised, 1, 0.1),
		rawLSA(t, 1, frid(1), 2, &lsa.IntraAreaPrefix{RefType: lsa.TypeNetwork, RefAdvRouter: frid(1), RefID: 3, // the link's own prefix
			Prefixes: []lsa.Prefix{{Prefix: netip.MustParsePrefix("2001:db8:1::/64")}}}),
		{0, 1, 2}, // garbage
	})
	got := farmPeers(raws, frid(11))
	want := map[netip.Prefix][]costmodel.Peer{
		farmDNS: {
			{RouterID: costmodel.RouterID(frid(12)), Metric: 10, LoadKnown: true, Load: 0.25, Capacity: 2, State: costmodel.PeerAdvertised},
			{RouterID: costmodel.RouterID(frid(13)), Metric: 20},
			{RouterID: costmodel.RouterID(frid(14)), Withdrawn: true, LoadKnown: true, Capacity: 1, State: costmodel.PeerDrained},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("peers (-want +got):\n%s", diff)
	}
}

// TestFarmPeersFallback: a peer whose one Intra-Area-Prefix-LSA carries
// the service /128 and the dearest tier's prefix (docs/sites.md, the
// fallback) is a peer of each prefix at that prefix's metric; its load
// LSA's figures go with the prefix the load LSA names. The service
// manager merges the entries (services.FarmViews).
func TestFarmPeersFallback(t *testing.T) {
	wide := netip.MustParsePrefix("2001:db8:53::50/126")
	both := func(i int, metric uint16) []byte {
		return rawLSA(t, 1, frid(i), 1, &lsa.IntraAreaPrefix{RefType: lsa.TypeRouter, RefAdvRouter: frid(i),
			Prefixes: []lsa.Prefix{{Prefix: farmDNS, Metric: metric}, {Prefix: wide, Metric: 40}}})
	}
	raws := cat(farmLink(t, 1, 3, 1, 11, 12, 13), [][]byte{
		both(12, 10), farmLoad(t, 12, lsa.ServerAdvertised, 1, 0.25),
		rawLSA(t, 1, frid(13), 1, &lsa.IntraAreaPrefix{RefType: lsa.TypeRouter, RefAdvRouter: frid(13),
			Prefixes: []lsa.Prefix{{Prefix: wide, Metric: 40}}}),
	})
	want := map[netip.Prefix][]costmodel.Peer{
		farmDNS: {{RouterID: costmodel.RouterID(frid(12)), Metric: 10, LoadKnown: true, Load: 0.25, Capacity: 1, State: costmodel.PeerAdvertised}},
		wide:    {{RouterID: costmodel.RouterID(frid(12)), Metric: 40}, {RouterID: costmodel.RouterID(frid(13)), Metric: 40}},
	}
	if diff := cmp.Diff(want, farmPeers(raws, frid(11))); diff != "" {
		t.Errorf("peers (-want +got):\n%s", diff)
	}
}

// TestFarmPeersNoLink: without a Network-LSA listing this server (no DR
// yet, though this server's Router-LSA names the one it is adjacent to)
// there are no peers, whatever else the LSDB holds.
func TestFarmPeersNoLink(t *testing.T) {
	raws := [][]byte{farmNet(t, 1, 3, 1, 12, 13), farmRtr(t, 11, transitTo(1, 3)), farmIAP(t, 12, 10, 0), farmLoad(t, 12, lsa.ServerAdvertised, 1, 0.5)}
	if got := farmPeers(raws, frid(11)); len(got) != 0 {
		t.Errorf("peers %+v, want none", got)
	}
}

// TestPeerSince: a peer keeps its Since while it says the same, and gets a
// new one when anything it says changes.
func TestPeerSince(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := peerSince{}
	read := func(at time.Time, load float64) costmodel.Peer {
		peers := map[netip.Prefix][]costmodel.Peer{farmDNS: {{RouterID: 12, Metric: 10, LoadKnown: true, Load: load, Capacity: 1}}}
		s.stamp(at, peers)
		return peers[farmDNS][0]
	}
	if p := read(t0, 0.5); !p.Since.Equal(t0) {
		t.Errorf("first read: since %v, want %v", p.Since, t0)
	}
	if p := read(t0.Add(time.Second), 0.5); !p.Since.Equal(t0) {
		t.Errorf("unchanged: since %v, want %v", p.Since, t0)
	}
	if p := read(t0.Add(2*time.Second), 0.6); !p.Since.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("changed: since %v, want %v", p.Since, t0.Add(2*time.Second))
	}
	s.stamp(t0.Add(3*time.Second), nil)
	if len(s) != 0 {
		t.Errorf("a prefix gone from the LSDB is still tracked: %v", s)
	}
}

// fakeFarmObserver records the views it is handed.
type fakeFarmObserver struct {
	mu    sync.Mutex
	views []services.FarmViews
	got   chan struct{}
}

func (f *fakeFarmObserver) ObserveFarm(ctx context.Context, v services.FarmViews) error {
	f.mu.Lock()
	f.views = append(f.views, v)
	f.mu.Unlock()
	select {
	case f.got <- struct{}{}:
	default:
	}
	return nil
}

func (f *fakeFarmObserver) wait(t *testing.T, what string, cond func(services.FarmViews) bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		f.mu.Lock()
		ok := len(f.views) > 0 && cond(f.views[len(f.views)-1])
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-f.got:
		case <-deadline:
			t.Fatalf("never handed: %s", what)
		}
	}
}

// TestWatchFarm: the view is read at start and again at each change of
// the database, as OSPF-mode views of this router.
func TestWatchFarm(t *testing.T) {
	sp := &fakeSpeaker{changed: make(chan struct{}, 1)}
	sp.raws = append(farmLink(t, 1, 3, 1, 11, 12), farmIAP(t, 12, 10, 0))
	obs := &fakeFarmObserver{got: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchFarm(ctx, sp, obs, frid(11), time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	obs.wait(t, "the first view", func(v services.FarmViews) bool {
		return v.Mode == config.ModeOSPF && v.Self == costmodel.RouterID(frid(11)) && len(v.Peers[farmDNS]) == 1 && !v.Peers[farmDNS][0].LoadKnown
	})
	sp.setRaws(append(farmLink(t, 1, 3, 1, 11, 12), farmIAP(t, 12, 10, 0), farmLoad(t, 12, lsa.ServerAdvertised, 2, 0.5)))
	obs.wait(t, "the view after the change", func(v services.FarmViews) bool {
		return len(v.Peers[farmDNS]) == 1 && v.Peers[farmDNS][0].LoadKnown && v.Peers[farmDNS][0].Capacity == 2
	})
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("watchFarm did not return after cancel")
	}
}

// TestDaemonFarmView: the daemon hands its OSPF services' cost models the
// peers and the live router agents of its own LSDB (`anycostd cost` shows
// them), and hands the
// instance each service's capacity and load for its server load LSA.
func TestDaemonFarmView(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS+"capacity = 2.5\n")
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.sp.changed = make(chan struct{}, 1)
		td.sp.raws = [][]byte{farmNet(t, 1, 3, 1, 11, 12), farmIAP(t, 12, 10, 0), farmLoad(t, 12, lsa.ServerAdvertised, 2, 0.25),
			// A router agent adjacent to the router (192.0.2.1) weighs the prefix.
			rawLSA(t, 1, frid(1), 7, &lsa.Network{AttachedRouters: []uint32{frid(1), frid(100)}}), farmAnnounce(t, 1, 100),
			// The Router-LSAs naming both links from each end (two-way).
			farmRtr(t, 1, transitTo(1, 3), transitTo(1, 7)), farmRtr(t, 11, transitTo(1, 3)), farmRtr(t, 12, transitTo(1, 3)),
			farmRtr(t, 100, transitTo(1, 7))}
	})
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	deadline := time.Now().Add(5 * time.Second)
	for {
		ex, err := client(cfgPath).Explain(context.Background(), "dns")
		if err != nil {
			t.Fatal(err)
		}
		if f := ex[0].Farm; f != nil && len(f.Peers) == 1 {
			p := f.Peers[0]
			if p.RouterID != costmodel.RouterID(frid(12)) || !p.LoadKnown || p.Capacity != 2 || p.Load != 0.25 || f.Self != costmodel.RouterID(frid(11)) || f.Capacity != 2.5 {
				t.Errorf("farm view %+v", f)
			}
			if len(f.Agents) != 1 || f.Agents[0].RouterID != costmodel.RouterID(frid(100)) || f.Agents[0].Since.IsZero() {
				t.Errorf("farm view's agents %+v, want 192.0.2.100 with its since", f.Agents)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no peer in the cost explanation; log:\n%s", td.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	td.sp.mu.Lock()
	svcs := td.sp.svcs
	td.sp.mu.Unlock()
	if len(svcs) != 1 || svcs[0].Capacity != 2.5 {
		t.Errorf("instance services %+v, want dns with capacity 2.5", svcs)
	}
}

// farmAnnounce is router agent i's announcement that it weighs farmDNS.
func farmAnnounce(t testing.TB, age uint16, i int) []byte {
	return rawLSA(t, age, frid(i), 1, &lsa.ServerLoad{State: lsa.ServerAgent,
		NextHop: netip.MustParseAddr(fmt.Sprintf("fe80::%x", i)), Prefix: lsa.Prefix{Prefix: farmDNS}})
}

// TestFarmAgents: a router agent's announcement counts while a router of
// this server's link lists the agent in an LSA of its own and the agent's
// Router-LSA names the link back (it is adjacent: here the router's
// Network-LSA of the agent's own link, a point-to-point link, or the
// server link's Network-LSA); one that only the agent's own LSAs mention
// (killed, its adjacencies gone after the router's dead interval), one
// adjacent to a router of another link, or one being flushed, does not.
// An agent's announcement is never a peer. (TestFarmAgentsStaleLSAs: the
// LSAs of dead routers.)
func TestFarmAgents(t *testing.T) {
	agentLink := farmNet(t, 1, 7, 1, 100)
	p2p := farmRtr(t, 2, transitTo(1, 3), p2pTo(4, 103, 5))
	ownOnly := farmNet(t, 101, 7, 101, 1)
	raws := [][]byte{
		farmNet(t, 1, 3, 1, 2, 11, 12, 102), // routers 1 and 2, servers 11 and 12, 102 an agent on the server link
		farmRtr(t, 1, transitTo(1, 3), transitTo(1, 7)), farmRtr(t, 11, transitTo(1, 3)), farmRtr(t, 12, transitTo(1, 3)),
		farmIAP(t, 12, 10, 0), farmLoad(t, 12, lsa.ServerAdvertised, 1, 0.5),
		agentLink, farmRtr(t, 100, transitTo(1, 7)), farmAnnounce(t, 1, 100), // adjacent to router 1 over its own link: live
		ownOnly, farmRtr(t, 101, transitTo(101, 7)), farmAnnounce(t, 1, 101), // listed only by its own LSA: dead
		farmRtr(t, 102, transitTo(1, 3)), farmAnnounce(t, lsa.MaxAge, 102), // adjacent, but flushing its announcement
		p2p, farmRtr(t, 103, p2pTo(5, 2, 4)), farmAnnounce(t, 1, 103), // adjacent to router 2 over a point-to-point link: live
	}
	raws = append(append(raws, farmLink(t, 50, 7, 50, 104)...), farmAnnounce(t, 1, 104)) // adjacent to router 50, not on this link
	want := map[netip.Prefix][]costmodel.RouterAgent{farmDNS: {
		{RouterID: costmodel.RouterID(frid(100)), Prefix: farmDNS}, {RouterID: costmodel.RouterID(frid(103)), Prefix: farmDNS}}}
	if diff := cmp.Diff(want, farmAgents(raws, frid(11)), cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
		t.Errorf("agents (-want +got):\n%s", diff)
	}
	raws = append(raws, farmAnnounce(t, 1, 102)) // announced again: listed by the server link's DR
	if got := farmAgents(raws, frid(11))[farmDNS]; len(got) != 3 {
		t.Errorf("agents %+v, want 192.0.2.100, .103 and .102", got)
	}
	if got := farmAgents(raws, frid(60)); len(got) != 0 {
		t.Errorf("a server on no link sees agents %+v", got)
	}
	peers := farmPeers(raws, frid(11))[farmDNS]
	if len(peers) != 1 || peers[0].RouterID != costmodel.RouterID(frid(12)) {
		t.Errorf("peers %+v, want 192.0.2.12 only", peers)
	}
}
