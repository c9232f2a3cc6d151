package daemon

import (
	"net/netip"
	"testing"

	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/lsa"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// farmNet is the Network-LSA router dr originates as the DR of a link on
// which its interface ID (the Link State ID) is ifID, listing attached
// (RFC 5340 A.4.4).
func farmNet(t testing.TB, dr, ifID int, attached ...int) []byte {
	rids := make([]uint32, len(attached))
	for i, a := range attached {
		rids[i] = frid(a)
	}
	return rawLSA(t, 1, frid(dr), uint32(ifID), &lsa.Network{Options: lsa.OptV6 | lsa.OptE | lsa.OptR, AttachedRouters: rids})
}

// farmRtr is router i's Router-LSA (Link State ID 0) with links (RFC 5340
// A.4.3); a router whose links are gone has one without links.
func farmRtr(t testing.TB, i int, links ...lsa.RouterLink) []byte {
	return rawLSA(t, 1, frid(i), 0, &lsa.Router{Options: lsa.OptV6 | lsa.OptE | lsa.OptR, Links: links})
}

// transitTo is a Router-LSA's link to the transit network whose DR is dr,
// with interface ID ifID on it: it names that DR's Network-LSA.
func transitTo(dr, ifID int) lsa.RouterLink {
	return lsa.RouterLink{Type: lsa.LinkTransit, Metric: 1, InterfaceID: uint32(ifID), NeighborInterfaceID: uint32(ifID), NeighborRouterID: frid(dr)}
}

// p2pTo is a point-to-point link from interface ifID to router nbr's
// interface nbrIfID.
func p2pTo(ifID, nbr, nbrIfID int) lsa.RouterLink {
	return lsa.RouterLink{Type: lsa.LinkPointToPoint, Metric: 1, InterfaceID: uint32(ifID), NeighborInterfaceID: uint32(nbrIfID), NeighborRouterID: frid(nbr)}
}

// farmLink is a broadcast link as the LSDB holds it while its routers
// live: DR dr's Network-LSA listing attached, and each router's
// Router-LSA with its one transit link to it (dr's own included).
func farmLink(t testing.TB, dr, ifID int, attached ...int) [][]byte {
	out := [][]byte{farmNet(t, dr, ifID, attached...)}
	for _, a := range attached {
		out = append(out, farmRtr(t, a, transitTo(dr, ifID)))
	}
	return out
}

// TestFarmAgentsStaleLSAs: LSAs of a dead router are flushed by no one and
// stay in every database until MaxAge (an hour, RFC 5340 4.4.2 and RFC
// 2328 14). An agent counts only through LSAs that pass SPF's two-way
// check (RFC 5340 4.8.1, RFC 2328 16.1 (2)(b)) starting from this
// server's own Router-LSA, so a dead router's LSAs that name this server
// and an agent do not keep the agent counted. The stale cases come first;
// the rest take away one end of a two-way check each. Server 11 is this
// server, 12 another server; routers 1..3; agents 100 and up.
func TestFarmAgentsStaleLSAs(t *testing.T) {
	cases := []struct {
		name string
		raws [][]byte
		want []int // the agents counted
	}{
		{
			// The DR of the server link and the agent beside it on the
			// same host died together (a power cut); router 2 is the DR
			// now, and a live agent 101 is adjacent to it. Router 1's
			// Network-LSA still lists this server and agent 100.
			name: "dead DR of the server link, its agent on the link",
			raws: cat(farmLink(t, 2, 5, 2, 11, 12, 101), [][]byte{farmAnnounce(t, 1, 101),
				farmNet(t, 1, 3, 1, 2, 11, 12, 100), farmRtr(t, 1, transitTo(1, 3)), farmRtr(t, 100, transitTo(1, 3)), farmAnnounce(t, 1, 100)}),
			want: []int{101},
		},
		{
			name: "dead DR of the server link, its agent on a link of its own",
			raws: cat(farmLink(t, 2, 5, 2, 11, 12), [][]byte{
				farmNet(t, 1, 3, 1, 2, 11, 12), farmNet(t, 1, 7, 1, 100), farmRtr(t, 1, transitTo(1, 3), transitTo(1, 7)),
				farmRtr(t, 100, transitTo(1, 7)), farmAnnounce(t, 1, 100)}),
		},
		{
			name: "dead DR of the server link, its agent point-to-point",
			raws: cat(farmLink(t, 2, 5, 2, 11, 12), [][]byte{
				farmNet(t, 1, 3, 1, 2, 11, 12), farmRtr(t, 1, transitTo(1, 3), p2pTo(4, 100, 5)),
				farmRtr(t, 100, p2pTo(5, 1, 4)), farmAnnounce(t, 1, 100)}),
		},
		{
			// The only router of the link died with its agent: no DR,
			// this server's Router-LSA has no link left, yet router 1's
			// Network-LSA still lists it.
			name: "dead only router of the server link, no DR left",
			raws: [][]byte{farmRtr(t, 11), farmRtr(t, 12),
				farmNet(t, 1, 3, 1, 11, 12, 100), farmRtr(t, 1, transitTo(1, 3)), farmRtr(t, 100, transitTo(1, 3)), farmAnnounce(t, 1, 100)},
		},
		{
			// Router 1 came back with a new interface ID on the link (its
			// interface was made again) and without its agent; its
			// Network-LSA of the old interface ID is its own to flush
			// (RFC 2328 13.4), and stays until it has it back.
			name: "link router restarted with a new interface ID, the old Network-LSA not yet flushed",
			raws: cat(farmLink(t, 1, 9, 1, 11, 12), [][]byte{
				farmNet(t, 1, 3, 1, 11, 12, 100), farmRtr(t, 100, transitTo(1, 3)), farmAnnounce(t, 1, 100)}),
		},
		{
			// Dead router 1's Network-LSA names router 3, dead too, whose
			// own stale LSAs name agent 103.
			name: "second dead router named by the dead DR's Network-LSA",
			raws: cat(farmLink(t, 2, 5, 2, 11, 12), [][]byte{
				farmNet(t, 1, 3, 1, 2, 3, 11, 12), farmRtr(t, 1, transitTo(1, 3)),
				farmRtr(t, 3, transitTo(1, 3), transitTo(3, 7)), farmNet(t, 3, 7, 3, 103), farmRtr(t, 103, transitTo(3, 7)), farmAnnounce(t, 1, 103)}),
		},
		{
			// Two DRs died in turn: 1, then 2, which had listed agent 101
			// on the link; router 3 is the DR now.
			name: "two dead DRs in turn",
			raws: cat(farmLink(t, 3, 8, 3, 11, 12), [][]byte{
				farmNet(t, 1, 3, 1, 2, 3, 11, 12, 100), farmRtr(t, 1, transitTo(1, 3)), farmRtr(t, 100, transitTo(1, 3)), farmAnnounce(t, 1, 100),
				farmNet(t, 2, 5, 2, 3, 11, 12, 101), farmRtr(t, 2, transitTo(2, 5)), farmRtr(t, 101, transitTo(2, 5)), farmAnnounce(t, 1, 101)}),
		},
		{
			// The agent died; the live DR dropped it. Its own Router-LSA
			// still names the DR's network: an agent's own LSAs never
			// make it count.
			name: "dead agent's own Router-LSA naming the DR",
			raws: cat(farmLink(t, 1, 3, 1, 11, 12), [][]byte{farmRtr(t, 100, transitTo(1, 3)), farmAnnounce(t, 1, 100)}),
		},
		{
			// anycostd's agent runs at priority 0 (internal/daemon/router.go)
			// and is never DR (RFC 2328 9.4); an agent of another make
			// might be. Agent 100 was the DR, died with agent 101 on the
			// link, and router 1 is the DR now.
			name: "dead agent that was the DR, its Network-LSA listing another agent",
			raws: cat(farmLink(t, 1, 5, 1, 11, 12), [][]byte{
				farmNet(t, 100, 3, 100, 1, 11, 12, 101), farmRtr(t, 100, transitTo(100, 3)), farmAnnounce(t, 1, 100),
				farmRtr(t, 101, transitTo(100, 3)), farmAnnounce(t, 1, 101)}),
		},
		{
			// Router 1 lists agent 100 on a link of their own, but the
			// agent's Router-LSA names another network: not two-way.
			name: "agent whose Router-LSA does not link back",
			raws: [][]byte{farmNet(t, 1, 3, 1, 11, 12), farmRtr(t, 11, transitTo(1, 3)), farmRtr(t, 12, transitTo(1, 3)),
				farmNet(t, 1, 7, 1, 100), farmRtr(t, 1, transitTo(1, 3), transitTo(1, 7)),
				farmRtr(t, 100, transitTo(50, 7)), farmAnnounce(t, 1, 100)},
		},
		{
			// The DR's Network-LSA does not list this server (not yet, or
			// no longer, fully adjacent), though this server's
			// Router-LSA names it: not two-way, no link yet.
			name: "server link's Network-LSA not listing this server",
			raws: [][]byte{farmNet(t, 1, 3, 1, 12, 100), farmRtr(t, 1, transitTo(1, 3)), farmRtr(t, 11, transitTo(1, 3)),
				farmRtr(t, 12, transitTo(1, 3)), farmRtr(t, 100, transitTo(1, 3)), farmAnnounce(t, 1, 100)},
		},
		{
			// The DR lists router 2, whose Router-LSA does not name the
			// server link: router 2 is not a router of this link.
			name: "listed router whose Router-LSA does not name the server link",
			raws: [][]byte{farmNet(t, 1, 3, 1, 2, 11, 12), farmRtr(t, 1, transitTo(1, 3)), farmRtr(t, 11, transitTo(1, 3)),
				farmRtr(t, 12, transitTo(1, 3)), farmRtr(t, 2, p2pTo(4, 103, 5)), farmRtr(t, 103, p2pTo(5, 2, 4)), farmAnnounce(t, 1, 103)},
		},
		{
			// anycostd's agent is never the DR (priority 0); one of
			// another make that is, with no router on the link, is
			// named by its own LSAs only.
			name: "agent that is the DR of the server link itself",
			raws: cat(farmLink(t, 100, 3, 100, 11, 12), [][]byte{farmAnnounce(t, 1, 100)}),
		},
		{
			// The agent's end of the point-to-point link names router 3.
			name: "point-to-point link back naming another router",
			raws: [][]byte{farmNet(t, 1, 3, 1, 11, 12), farmRtr(t, 11, transitTo(1, 3)), farmRtr(t, 12, transitTo(1, 3)),
				farmRtr(t, 1, transitTo(1, 3), p2pTo(4, 100, 5)), farmRtr(t, 100, p2pTo(5, 3, 4)), farmAnnounce(t, 1, 100)},
		},
		{
			// The router's end of the point-to-point link names router 3.
			name: "point-to-point link of the router's naming another router",
			raws: [][]byte{farmNet(t, 1, 3, 1, 11, 12), farmRtr(t, 11, transitTo(1, 3)), farmRtr(t, 12, transitTo(1, 3)),
				farmRtr(t, 1, transitTo(1, 3), p2pTo(4, 3, 5)), farmRtr(t, 100, p2pTo(5, 1, 4)), farmAnnounce(t, 1, 100)},
		},
		{
			// A point-to-point link back from another interface of the
			// router's is another link.
			name: "point-to-point link back from another interface",
			raws: [][]byte{farmNet(t, 1, 3, 1, 11, 12), farmRtr(t, 11, transitTo(1, 3)), farmRtr(t, 12, transitTo(1, 3)),
				farmRtr(t, 1, transitTo(1, 3), p2pTo(4, 100, 5)), farmRtr(t, 100, p2pTo(5, 1, 6)), farmAnnounce(t, 1, 100)},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want map[netip.Prefix][]costmodel.RouterAgent
			for _, a := range c.want {
				if want == nil {
					want = map[netip.Prefix][]costmodel.RouterAgent{}
				}
				want[farmDNS] = append(want[farmDNS], costmodel.RouterAgent{RouterID: costmodel.RouterID(frid(a)), Prefix: farmDNS})
			}
			got := farmAgents(c.raws, frid(11))
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
				t.Errorf("agents (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFarmPeersStaleLSAs: the peers are the servers of the link this
// server's own Router-LSA names (two-way, RFC 5340 4.8.1), not those a
// dead DR's Network-LSA still lists. Router 1, the DR, died; router 2 is
// the DR now; server 13 died after router 1 and router 2 dropped it, but
// its LSAs, like router 1's, stay until MaxAge.
func TestFarmPeersStaleLSAs(t *testing.T) {
	stale := [][]byte{farmNet(t, 1, 3, 1, 2, 11, 12, 13), farmRtr(t, 1, transitTo(1, 3)),
		farmRtr(t, 13, transitTo(2, 5)), farmIAP(t, 13, 10, 0), farmLoad(t, 13, lsa.ServerAdvertised, 1, 0.5)}
	raws := cat(farmLink(t, 2, 5, 2, 11, 12), stale, [][]byte{farmIAP(t, 12, 10, 0), farmLoad(t, 12, lsa.ServerAdvertised, 2, 0.25)})
	want := map[netip.Prefix][]costmodel.Peer{
		farmDNS: {{RouterID: costmodel.RouterID(frid(12)), Metric: 10, LoadKnown: true, Load: 0.25, Capacity: 2, State: costmodel.PeerAdvertised}},
	}
	if diff := cmp.Diff(want, farmPeers(raws, frid(11))); diff != "" {
		t.Errorf("peers (-want +got):\n%s", diff)
	}
	// Router 2 died too, and no DR is left: this server's Router-LSA
	// names no network, and the dead DRs' Network-LSAs list it in vain.
	raws = cat([][]byte{farmNet(t, 2, 5, 2, 11, 12), farmRtr(t, 2, transitTo(2, 5)), farmRtr(t, 11), farmRtr(t, 12, transitTo(2, 5))},
		stale, [][]byte{farmIAP(t, 12, 10, 0)})
	if got := farmPeers(raws, frid(11)); len(got) != 0 {
		t.Errorf("peers %+v with no DR left, want none", got)
	}
}

// TestFarmPeersDRChangeInFlight: DR 1 died and router 2 took over; the
// Router-LSAs follow the new DR one by one (RFC 2328 12.4), while both
// Network-LSAs list servers 11 and 12. Server 12 stays server 11's peer
// whichever of the two names the new DR first (linkgraph.Graph.Routers):
// the farm view does not flap during a DR change.
func TestFarmPeersDRChangeInFlight(t *testing.T) {
	peer := map[netip.Prefix][]costmodel.Peer{
		farmDNS: {{RouterID: costmodel.RouterID(frid(12)), Metric: 10, LoadKnown: true, Load: 0.25, Capacity: 2, State: costmodel.PeerAdvertised}},
	}
	nets := [][]byte{farmNet(t, 1, 3, 1, 2, 11, 12), farmRtr(t, 1, transitTo(1, 3)), farmNet(t, 2, 5, 2, 11, 12), farmRtr(t, 2, transitTo(2, 5)),
		farmIAP(t, 12, 10, 0), farmLoad(t, 12, lsa.ServerAdvertised, 2, 0.25)}
	for _, c := range []struct {
		name       string
		self, peer lsa.RouterLink
	}{
		{"this server moved first", transitTo(2, 5), transitTo(1, 3)},
		{"the peer moved first", transitTo(1, 3), transitTo(2, 5)},
	} {
		raws := cat(nets, [][]byte{farmRtr(t, 11, c.self), farmRtr(t, 12, c.peer)})
		if diff := cmp.Diff(peer, farmPeers(raws, frid(11))); diff != "" {
			t.Errorf("%s: peers (-want +got):\n%s", c.name, diff)
		}
	}
}

// cat joins lists of raw LSAs.
func cat(lists ...[][]byte) [][]byte {
	var out [][]byte
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
