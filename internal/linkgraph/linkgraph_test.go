package linkgraph

import (
	"testing"

	"github.com/anycostd/anycostd/lsa"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The tests read an area as SPF does (RFC 5340 4.8.1, RFC 2328 16.1): a
// link between two vertices counts only when each one's LSA names the
// other, the two-way check of 16.1 (2)(b). Router n is 192.0.2.n, a label:
// 1..3 are link routers (the DRs), 11..14 servers, 100 and up router
// agents. The server doing the reading (self) is 11 unless a case says.

// rid is the router ID of router n, 192.0.2.n.
func rid(n int) uint32 { return 0xc0000200 + uint32(n) }

// rtr is router n's Router-LSA (Link State ID 0) with links (RFC 5340
// A.4.3).
func rtr(n int, links ...lsa.RouterLink) lsa.LSA { return rtrID(n, 0, links...) }

// rtrID is router n's Router-LSA of Link State ID id: a router may
// originate several, whose links SPF reads together (RFC 5340 4.4.3.2).
func rtrID(n, id int, links ...lsa.RouterLink) lsa.LSA {
	return lsa.LSA{
		Header: lsa.Header{Type: lsa.TypeRouter, ID: uint32(id), AdvRouter: rid(n)},
		Body:   &lsa.Router{Options: lsa.OptV6 | lsa.OptE | lsa.OptR, Links: links},
	}
}

// netw is the Network-LSA of DR dr whose interface ID on the link is ifID
// (the Link State ID), listing the routers fully adjacent to the DR, the
// DR among them (RFC 5340 A.4.4).
func netw(dr, ifID int, attached ...int) lsa.LSA {
	rs := make([]uint32, len(attached))
	for i, a := range attached {
		rs[i] = rid(a)
	}
	return lsa.LSA{
		Header: lsa.Header{Type: lsa.TypeNetwork, ID: uint32(ifID), AdvRouter: rid(dr)},
		Body:   &lsa.Network{Options: lsa.OptV6 | lsa.OptE | lsa.OptR, AttachedRouters: rs},
	}
}

// transit is a Router-LSA's link from interface ifID to the transit
// network of DR dr, whose interface ID there is drIfID (A.4.3).
func transit(ifID, dr, drIfID int) lsa.RouterLink {
	return lsa.RouterLink{Type: lsa.LinkTransit, Metric: 1, InterfaceID: uint32(ifID), NeighborInterfaceID: uint32(drIfID), NeighborRouterID: rid(dr)}
}

// p2p is a Router-LSA's point-to-point link from interface ifID to
// router nbr's interface nbrIfID (A.4.3).
func p2p(ifID, nbr, nbrIfID int) lsa.RouterLink {
	return lsa.RouterLink{Type: lsa.LinkPointToPoint, Metric: 1, InterfaceID: uint32(ifID), NeighborInterfaceID: uint32(nbrIfID), NeighborRouterID: rid(nbr)}
}

// virtual is a Router-LSA's virtual link (A.4.3 link type 4).
func virtual(ifID, nbr, nbrIfID int) lsa.RouterLink {
	l := p2p(ifID, nbr, nbrIfID)
	l.Type = lsa.LinkVirtual
	return l
}

// liveLink is a broadcast link while all its routers live: DR dr's
// Network-LSA (the DR's interface ID drIfID) listing attached, and each
// router's Router-LSA with a transit link to it, from interface 20 (the
// DR from drIfID).
func liveLink(dr, drIfID int, attached ...int) []lsa.LSA {
	out := []lsa.LSA{netw(dr, drIfID, attached...)}
	for _, a := range attached {
		ifID := 20
		if a == dr {
			ifID = drIfID
		}
		out = append(out, rtr(a, transit(ifID, dr, drIfID)))
	}
	return out
}

// join concatenates LSA lists.
func join(parts ...[]lsa.LSA) []lsa.LSA {
	var out []lsa.LSA
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// nid names the Network-LSA of DR dr whose interface ID is ifID.
func nid(dr, ifID int) NetID { return NetID{rid(dr), uint32(ifID)} }

// set is the router set of routers ns.
func set(ns ...int) map[uint32]bool {
	out := map[uint32]bool{}
	for _, n := range ns {
		out[rid(n)] = true
	}
	return out
}

// equateEmpty lets an empty result match a want of none.
var equateEmpty = cmpopts.EquateEmpty()

// view is what a case expects of the graph as router self sees it; a nil
// field is not checked.
type view struct {
	networks map[uint32]NetID // Networks(self), by self's interface ID
	members  []int            // LinkRouters(self)
	routers  map[NetID][]int  // Routers(n, self) for each n
}

// checkView compares g, read by self, with want.
func checkView(t *testing.T, g Graph, self int, want view) {
	t.Helper()
	if want.networks != nil {
		if diff := cmp.Diff(want.networks, g.Networks(rid(self)), equateEmpty); diff != "" {
			t.Errorf("Networks(%d) (-want +got):\n%s", self, diff)
		}
	}
	if want.members != nil {
		if diff := cmp.Diff(set(want.members...), g.LinkRouters(rid(self)), equateEmpty); diff != "" {
			t.Errorf("LinkRouters(%d) (-want +got):\n%s", self, diff)
		}
	}
	for n, rs := range want.routers {
		if diff := cmp.Diff(set(rs...), g.Routers(n, rid(self)), equateEmpty); diff != "" {
			t.Errorf("Routers(%v, %d) (-want +got):\n%s", n, self, diff)
		}
	}
}

// none is a want of no networks.
var none = map[uint32]NetID{}

// TestSelfsTransitNetworks: self's transit networks are those its
// Router-LSA names by a transit link (Neighbor Router ID and Neighbor
// Interface ID of the DR, RFC 5340 A.4.3) whose Network-LSA exists
// (16.1 (2)(b): a vertex with no LSA is skipped) and lists self back
// (A.4.4), keyed by self's own interface ID.
func TestSelfsTransitNetworks(t *testing.T) {
	cases := []struct {
		name string
		lsas []lsa.LSA
		want map[uint32]NetID
	}{
		{
			name: "named and listed, keyed by self's interface ID",
			lsas: []lsa.LSA{netw(1, 3, 1, 11, 12), rtr(11, transit(5, 1, 3))},
			want: map[uint32]NetID{5: nid(1, 3)},
		},
		{
			name: "self the DR of its own network",
			lsas: []lsa.LSA{netw(11, 5, 11, 12), rtr(11, transit(5, 11, 5))},
			want: map[uint32]NetID{5: nid(11, 5)},
		},
		{
			// The DR is not fully adjacent to self (yet, or any longer).
			name: "Network-LSA does not list self",
			lsas: []lsa.LSA{netw(1, 3, 1, 12), rtr(11, transit(5, 1, 3))},
			want: none,
		},
		{
			// Self names the new DR before its Network-LSA has arrived.
			name: "no Network-LSA of the network self names",
			lsas: []lsa.LSA{netw(1, 3, 1, 11), rtr(11, transit(5, 2, 4))},
			want: none,
		},
		{
			// The DR restarted and took a new interface ID; its old
			// Network-LSA is not flushed yet (RFC 2328 13.4).
			name: "Network-LSA of the DR's other interface ID",
			lsas: []lsa.LSA{netw(1, 3, 1, 11), netw(1, 6, 1, 11), rtr(11, transit(5, 1, 6))},
			want: map[uint32]NetID{5: nid(1, 6)},
		},
		{
			name: "only the DR's old interface ID has a Network-LSA",
			lsas: []lsa.LSA{netw(1, 3, 1, 11), rtr(11, transit(5, 1, 6))},
			want: none,
		},
		{
			name: "two interfaces on two networks",
			lsas: []lsa.LSA{netw(1, 3, 1, 11), netw(2, 4, 2, 11), rtr(11, transit(5, 1, 3), transit(6, 2, 4))},
			want: map[uint32]NetID{5: nid(1, 3), 6: nid(2, 4)},
		},
		{
			name: "two interfaces, one network lists self",
			lsas: []lsa.LSA{netw(1, 3, 1, 11), netw(2, 4, 2), rtr(11, transit(5, 1, 3), transit(6, 2, 4))},
			want: map[uint32]NetID{5: nid(1, 3)},
		},
		{
			name: "a point-to-point link is no transit network",
			lsas: []lsa.LSA{netw(1, 3, 1, 11), rtr(11, p2p(5, 1, 3))},
			want: none,
		},
		{
			name: "a virtual link is no transit network",
			lsas: []lsa.LSA{netw(1, 3, 1, 11), rtr(11, virtual(5, 1, 3))},
			want: none,
		},
		{
			// Listed by the Network-LSA, named by another router's
			// Router-LSA: nothing of self's names it.
			name: "no Router-LSA of self",
			lsas: []lsa.LSA{netw(1, 3, 1, 11, 12), rtr(1, transit(3, 1, 3)), rtr(12, transit(5, 1, 3))},
			want: none,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkView(t, New(c.lsas), 11, view{networks: c.want})
		})
	}
}

// TestMembersNameTheNetworkBack: the routers of self's network n are
// those n's Network-LSA lists (A.4.4) whose own Router-LSA has a transit
// link back to a network listing both them and self (RFC 2328 16.1
// (2)(b)); self is not among them. A router listed whose Router-LSA does
// not point back is dropped, and a router that names n but is no longer
// listed (its DR's dead interval for it ran out) is no member.
func TestMembersNameTheNetworkBack(t *testing.T) {
	n := nid(1, 3)
	// DR 1 and self, each naming n; each case adds n's Network-LSA.
	base := []lsa.LSA{rtr(1, transit(3, 1, 3)), rtr(11, transit(20, 1, 3))}
	cases := []struct {
		name string
		lsas []lsa.LSA
		want []int
	}{
		{
			name: "every listed router names it back",
			lsas: liveLink(1, 3, 1, 11, 12, 13),
			want: []int{1, 12, 13},
		},
		{
			name: "self alone with the DR",
			lsas: liveLink(1, 3, 1, 11),
			want: []int{1},
		},
		{
			name: "listed router with no Router-LSA",
			lsas: join(base, []lsa.LSA{netw(1, 3, 1, 11, 12)}),
			want: []int{1},
		},
		{
			name: "listed router whose Router-LSA has no links",
			lsas: join(base, []lsa.LSA{netw(1, 3, 1, 11, 12), rtr(12)}),
			want: []int{1},
		},
		{
			// 12 is on another link (DR 2) that does not list self.
			name: "listed router names another network that lists it, not self",
			lsas: join(base, liveLink(2, 9, 2, 12), []lsa.LSA{netw(1, 3, 1, 11, 12)}),
			want: []int{1},
		},
		{
			name: "listed router names a network that lists self, not it",
			lsas: join(base, []lsa.LSA{netw(1, 3, 1, 11, 12), netw(2, 9, 2, 11), rtr(12, transit(20, 2, 9))}),
			want: []int{1},
		},
		{
			name: "listed router names a network with no Network-LSA",
			lsas: join(base, []lsa.LSA{netw(1, 3, 1, 11, 12), rtr(12, transit(20, 2, 9))}),
			want: []int{1},
		},
		{
			// Its link names the DR's interface 4, of which there is no
			// Network-LSA; interface 3's lists it.
			name: "listed router names another interface ID of the DR",
			lsas: join(base, []lsa.LSA{netw(1, 3, 1, 11, 12), rtr(12, transit(20, 1, 4))}),
			want: []int{1},
		},
		{
			name: "listed router has a point-to-point link to the DR only",
			lsas: join(base, []lsa.LSA{netw(1, 3, 1, 11, 12), rtr(12, p2p(20, 1, 3))}),
			want: []int{1},
		},
		{
			// A dead server's Router-LSA stays until MaxAge, still naming
			// n; the DR dropped it from n's Network-LSA.
			name: "router names it but is not listed",
			lsas: join(base, []lsa.LSA{netw(1, 3, 1, 11), rtr(12, transit(20, 1, 3))}),
			want: []int{1},
		},
		{
			name: "network without a Network-LSA",
			lsas: join(base, []lsa.LSA{rtr(12, transit(20, 1, 3))}),
			want: nil,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkView(t, New(c.lsas), 11, view{routers: map[NetID][]int{n: c.want}})
		})
	}
}

// TestDeadDR: the LSAs of a dead router are flushed by no one; they stay
// until MaxAge, an hour (RFC 5340 4.4.2, RFC 2328 14), still naming the
// routers they named. Once self's Router-LSA names the new DR (or, with no
// DR left, no transit network, RFC 2328 12.4.1.2), the dead DR's
// Network-LSA is not self's link, and the routers it alone names are no
// members. Stale LSAs here: DR 1's Network-LSA (interface 3) listing
// servers 11, 12 and 14, DR 1's Router-LSA, and dead server 14's.
func TestDeadDR(t *testing.T) {
	stale := []lsa.LSA{netw(1, 3, 1, 11, 12, 14), rtr(1, transit(3, 1, 3)), rtr(14, transit(20, 1, 3))}
	cases := []struct {
		name string
		lsas []lsa.LSA
		want view
	}{
		{
			name: "new DR elected, everyone names it",
			lsas: join(stale[:2], liveLink(2, 4, 2, 11, 12), stale[2:]),
			want: view{networks: map[uint32]NetID{20: nid(2, 4)}, members: []int{2, 12}},
		},
		{
			name: "no DR left",
			lsas: join(stale, []lsa.LSA{rtr(11), rtr(12)}),
			want: view{networks: none, members: []int{}},
		},
		{
			// Within the dead interval: self still names DR 1, whose
			// Router-LSA has reached MaxAge before its Network-LSA (the
			// caller leaves those out). The DR, having no Router-LSA,
			// does not point back; the servers that name the network
			// do.
			name: "self still names the DR, which has no Router-LSA",
			lsas: []lsa.LSA{netw(1, 3, 1, 11, 12, 14), rtr(11, transit(20, 1, 3)), rtr(12, transit(20, 1, 3)), rtr(14, transit(20, 1, 3))},
			want: view{networks: map[uint32]NetID{20: nid(1, 3)}, members: []int{12, 14}},
		},
		{
			// Server 12 has not noticed yet and still names DR 1; the
			// new DR 2 lists it (RFC 2328 7.4: as BDR it was adjacent
			// to all). Server 14 died with DR 1 and is not listed by 2.
			name: "new DR elected, one server still names the dead DR",
			lsas: join(stale, []lsa.LSA{netw(2, 4, 2, 11, 12), rtr(2, transit(4, 2, 4)), rtr(11, transit(20, 2, 4)), rtr(12, transit(20, 1, 3))}),
			want: view{
				networks: map[uint32]NetID{20: nid(2, 4)},
				members:  []int{2, 12},
				routers:  map[NetID][]int{nid(2, 4): {2, 12}},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkView(t, New(c.lsas), 11, c.want)
		})
	}
}

// TestDRChange: during a DR change two Network-LSAs claim the link. The
// new DR originates its own, listing the routers it is fully adjacent to
// (as BDR it already was to all, RFC 2328 7.4), and each router names the
// new DR in its Router-LSA when it next originates it (12.4). A router
// still naming the other DR's network is a member while that network
// lists both it and self: the DR that lists it and its own Router-LSA
// both say it is on the link. Old DR 1 (interface 3) and new DR 2
// (interface 4) both live and both list servers 11, 12 and 13.
func TestDRChange(t *testing.T) {
	oldNet, newNet := nid(1, 3), nid(2, 4)
	nets := []lsa.LSA{netw(1, 3, 1, 2, 11, 12, 13), netw(2, 4, 1, 2, 11, 12, 13)}
	cases := []struct {
		name string
		lsas []lsa.LSA
		want view
	}{
		{
			name: "self names the new DR, 12 the old",
			lsas: join(nets, []lsa.LSA{rtr(1, transit(20, 2, 4)), rtr(2, transit(4, 2, 4)),
				rtr(11, transit(20, 2, 4)), rtr(12, transit(20, 1, 3)), rtr(13, transit(20, 2, 4))}),
			want: view{
				networks: map[uint32]NetID{20: newNet},
				members:  []int{1, 2, 12, 13},
				routers:  map[NetID][]int{newNet: {1, 2, 12, 13}, oldNet: {1, 2, 12, 13}},
			},
		},
		{
			name: "self names the old DR, 12 the new",
			lsas: join(nets, []lsa.LSA{rtr(1, transit(3, 1, 3)), rtr(2, transit(20, 1, 3)),
				rtr(11, transit(20, 1, 3)), rtr(12, transit(20, 2, 4)), rtr(13, transit(20, 1, 3))}),
			want: view{
				networks: map[uint32]NetID{20: oldNet},
				members:  []int{1, 2, 12, 13},
			},
		},
		{
			// 13 names the old network, which does not list it: the new
			// DR's listing alone does not make it a member, as 13 names
			// no network that lists both it and self.
			name: "the other network does not list the router",
			lsas: []lsa.LSA{netw(1, 3, 1, 2, 11, 12), netw(2, 4, 1, 2, 11, 12, 13),
				rtr(1, transit(3, 1, 3)), rtr(2, transit(4, 2, 4)), rtr(11, transit(20, 2, 4)), rtr(12, transit(20, 1, 3)), rtr(13, transit(20, 1, 3))},
			want: view{members: []int{1, 2, 12}},
		},
		{
			// The new DR's Network-LSA has not reached self: self names
			// DR 2 alone, and DR 1's does not count for self.
			name: "self names the new DR before its Network-LSA",
			lsas: []lsa.LSA{netw(1, 3, 1, 2, 11, 12), rtr(1, transit(3, 1, 3)), rtr(2, transit(4, 2, 4)),
				rtr(11, transit(20, 2, 4)), rtr(12, transit(20, 1, 3))},
			want: view{networks: none, members: []int{}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkView(t, New(c.lsas), 11, c.want)
		})
	}
}

// TestLinkRoutersOverSelfsNetworks: LinkRouters is the union of the
// members of every one of self's networks, self not among them.
func TestLinkRoutersOverSelfsNetworks(t *testing.T) {
	cases := []struct {
		name string
		lsas []lsa.LSA
		want []int
	}{
		{
			name: "one network",
			lsas: liveLink(1, 3, 1, 11, 12, 13),
			want: []int{1, 12, 13},
		},
		{
			name: "two networks from two interfaces",
			lsas: []lsa.LSA{netw(1, 3, 1, 11, 12), netw(2, 4, 2, 11, 13), rtr(1, transit(3, 1, 3)), rtr(2, transit(4, 2, 4)),
				rtr(11, transit(5, 1, 3), transit(6, 2, 4)), rtr(12, transit(20, 1, 3)), rtr(13, transit(20, 2, 4))},
			want: []int{1, 2, 12, 13},
		},
		{
			name: "self the DR",
			lsas: liveLink(11, 5, 11, 12, 13),
			want: []int{12, 13},
		},
		{
			// Servers of another link of the area share no link with self.
			name: "another link of the area",
			lsas: join(liveLink(1, 3, 1, 11, 12), liveLink(2, 4, 2, 13, 14)),
			want: []int{1, 12},
		},
		{
			name: "self on no network",
			lsas: join(liveLink(1, 3, 1, 12, 13), []lsa.LSA{rtr(11)}),
			want: []int{},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkView(t, New(c.lsas), 11, view{members: c.want})
		})
	}
}

// adjacency is a case of Adjacent: whether, in a graph of lsas, router
// a is adjacent to router r.
type adjacency struct {
	name string
	lsas []lsa.LSA
	r, a int
	want bool
}

// checkAdjacent runs cases of Adjacent.
func checkAdjacent(t *testing.T, cases []adjacency) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := New(c.lsas).Adjacent(rid(c.r), rid(c.a)); got != c.want {
				t.Errorf("Adjacent(%d, %d) = %v, want %v", c.r, c.a, got, c.want)
			}
		})
	}
}

// TestAdjacentOverTransitNetwork: SPF reaches router a from router r over
// a network r names by a transit link to itself as the DR (A.4.3), whose
// Network-LSA lists a (A.4.4), and to which a's Router-LSA has a transit
// link back (RFC 2328 16.1 (2)(b)). Router 1 is DR of agent 100's link
// (its interface 7) unless a case says.
func TestAdjacentOverTransitNetwork(t *testing.T) {
	cases := []adjacency{
		{
			name: "agent on the DR's network",
			lsas: liveLink(1, 7, 1, 100),
			r:    1, a: 100, want: true,
		},
		{
			// From the agent to router 1: the agent is the DR of no
			// network (it is the network vertex SPF passes, not the
			// agent, that names router 1).
			name: "from the agent, which is not the DR",
			lsas: liveLink(1, 7, 1, 100),
			r:    100, a: 1, want: false,
		},
		{
			name: "a router is not adjacent to itself",
			lsas: liveLink(1, 7, 1, 100),
			r:    1, a: 1, want: false,
		},
		{
			// The DR dropped the agent (its dead interval ran out); the
			// agent's stale Router-LSA still names the network.
			name: "Network-LSA does not list the agent",
			lsas: []lsa.LSA{netw(1, 7, 1), rtr(1, transit(7, 1, 7)), rtr(100, transit(2, 1, 7))},
			r:    1, a: 100, want: false,
		},
		{
			name: "no Router-LSA of the agent",
			lsas: []lsa.LSA{netw(1, 7, 1, 100), rtr(1, transit(7, 1, 7))},
			r:    1, a: 100, want: false,
		},
		{
			// A dead router's Network-LSA and an agent's stale Router-LSA
			// naming it: the router's Router-LSA is gone.
			name: "no Router-LSA of the DR",
			lsas: []lsa.LSA{netw(1, 7, 1, 100), rtr(100, transit(2, 1, 7))},
			r:    1, a: 100, want: false,
		},
		{
			// Router 1 restarted and its interface is 8 now; its
			// Network-LSA of interface 7 is not flushed yet (RFC 2328
			// 13.4), and the agent's stale Router-LSA still names it.
			name: "DR's Network-LSA of an interface ID its Router-LSA does not name",
			lsas: []lsa.LSA{netw(1, 7, 1, 100), netw(1, 8, 1), rtr(1, transit(8, 1, 8)), rtr(100, transit(2, 1, 7))},
			r:    1, a: 100, want: false,
		},
		{
			// Router 2's interface 7 is the agent's DR; router 1's
			// Network-LSA of its own interface 7 lists the agent
			// (stale), and the agent names the other router.
			name: "agent names another DR by the same interface ID",
			lsas: []lsa.LSA{netw(1, 7, 1, 100), rtr(1, transit(7, 1, 7)), rtr(100, transit(2, 2, 7))},
			r:    1, a: 100, want: false,
		},
		{
			// Router 1 and the agent are on router 2's network: SPF
			// reaches the agent from router 2's network, not router 1.
			name: "both on a third router's network, from the other",
			lsas: liveLink(2, 4, 2, 1, 100),
			r:    1, a: 100, want: false,
		},
		{
			name: "both on a third router's network, from the DR",
			lsas: liveLink(2, 4, 2, 1, 100),
			r:    2, a: 100, want: true,
		},
		{
			// The agent names the network by a point-to-point link.
			name: "agent's link back is not transit",
			lsas: []lsa.LSA{netw(1, 7, 1, 100), rtr(1, transit(7, 1, 7)), rtr(100, p2p(2, 1, 7))},
			r:    1, a: 100, want: false,
		},
		{
			name: "agent's link names the DR by another interface ID",
			lsas: []lsa.LSA{netw(1, 7, 1, 100), rtr(1, transit(7, 1, 7)), rtr(100, transit(2, 1, 9))},
			r:    1, a: 100, want: false,
		},
	}
	checkAdjacent(t, cases)
}

// TestAdjacentOverPointToPoint: a point-to-point link counts when each
// end's Router-LSA has a point-to-point link to the other between the same
// two interfaces (A.4.3: Interface ID and Neighbor Interface ID; RFC 2328
// 16.1 (2)(b)). Router 1's interface 5 faces agent 100's interface 2.
func TestAdjacentOverPointToPoint(t *testing.T) {
	cases := []adjacency{
		{
			name: "both ends name each other",
			lsas: []lsa.LSA{rtr(1, p2p(5, 100, 2)), rtr(100, p2p(2, 1, 5))},
			r:    1, a: 100, want: true,
		},
		{
			name: "both ends name each other, from the agent",
			lsas: []lsa.LSA{rtr(1, p2p(5, 100, 2)), rtr(100, p2p(2, 1, 5))},
			r:    100, a: 1, want: true,
		},
		{
			name: "agent names the router, the router not the agent",
			lsas: []lsa.LSA{rtr(1), rtr(100, p2p(2, 1, 5))},
			r:    1, a: 100, want: false,
		},
		{
			name: "router names the agent, which has no Router-LSA",
			lsas: []lsa.LSA{rtr(1, p2p(5, 100, 2))},
			r:    1, a: 100, want: false,
		},
		{
			name: "router's link names another of the agent's interfaces",
			lsas: []lsa.LSA{rtr(1, p2p(5, 100, 3)), rtr(100, p2p(2, 1, 5))},
			r:    1, a: 100, want: false,
		},
		{
			name: "router's link is from another of its interfaces",
			lsas: []lsa.LSA{rtr(1, p2p(6, 100, 2)), rtr(100, p2p(2, 1, 5))},
			r:    1, a: 100, want: false,
		},
		{
			name: "router's link names another router",
			lsas: []lsa.LSA{rtr(1, p2p(5, 101, 2)), rtr(100, p2p(2, 1, 5))},
			r:    1, a: 100, want: false,
		},
		{
			name: "agent's link names another router",
			lsas: []lsa.LSA{rtr(1, p2p(5, 100, 2)), rtr(100, p2p(2, 2, 5))},
			r:    1, a: 100, want: false,
		},
		{
			name: "router's link back is transit",
			lsas: []lsa.LSA{rtr(1, transit(5, 100, 2)), rtr(100, p2p(2, 1, 5))},
			r:    1, a: 100, want: false,
		},
		{
			name: "agent's link is transit, the router's point-to-point",
			lsas: []lsa.LSA{rtr(1, p2p(5, 100, 2)), rtr(100, transit(2, 1, 5))},
			r:    1, a: 100, want: false,
		},
		{
			name: "agent's link is virtual, the router's point-to-point",
			lsas: []lsa.LSA{rtr(1, p2p(5, 100, 2)), rtr(100, virtual(2, 1, 5))},
			r:    1, a: 100, want: false,
		},
		{
			name: "virtual links both ways",
			lsas: []lsa.LSA{rtr(1, virtual(5, 100, 2)), rtr(100, virtual(2, 1, 5))},
			r:    1, a: 100, want: false,
		},
		{
			name: "a router is not adjacent to itself",
			lsas: []lsa.LSA{rtr(1, p2p(5, 1, 5))},
			r:    1, a: 1, want: false,
		},
	}
	checkAdjacent(t, cases)
}

// TestSeveralRouterLSAs: a router may originate several Router-LSAs,
// told apart by Link State ID, and SPF reads all their links together
// (RFC 5340 4.4.3.2, 4.8.1). A link in the second counts as much as one
// in the first.
func TestSeveralRouterLSAs(t *testing.T) {
	cases := []struct {
		name string
		lsas []lsa.LSA
		want view
	}{
		{
			name: "self's two transit links in two Router-LSAs",
			lsas: []lsa.LSA{netw(1, 3, 1, 11, 12), netw(2, 4, 2, 11, 13), rtr(1, transit(3, 1, 3)), rtr(2, transit(4, 2, 4)),
				rtr(12, transit(20, 1, 3)), rtr(13, transit(20, 2, 4)), rtrID(11, 0, transit(5, 1, 3)), rtrID(11, 1, transit(6, 2, 4))},
			want: view{networks: map[uint32]NetID{5: nid(1, 3), 6: nid(2, 4)}, members: []int{1, 2, 12, 13}},
		},
		{
			name: "a member's link back in its first Router-LSA, another link in its second",
			lsas: []lsa.LSA{netw(1, 3, 1, 11, 12), rtr(1, transit(3, 1, 3)), rtr(11, transit(5, 1, 3)),
				rtrID(12, 0, transit(20, 1, 3)), rtrID(12, 1, p2p(4, 2, 4))},
			want: view{networks: map[uint32]NetID{5: nid(1, 3)}, members: []int{1, 12}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkView(t, New(c.lsas), 11, c.want)
		})
	}
	checkAdjacent(t, []adjacency{{
		name: "the DR's transit link in its first Router-LSA, another link in its second",
		lsas: []lsa.LSA{netw(1, 7, 1, 100), rtrID(1, 0, transit(7, 1, 7)), rtrID(1, 1, p2p(5, 2, 5)), rtr(100, transit(2, 1, 7))},
		r:    1, a: 100, want: true,
	}})
}

// TestEmptyGraph: with no Router- or Network-LSAs there is no link.
// Routers' result is a set the caller may add to (the router agent's
// BuildView adds the link router), so it is never nil.
func TestEmptyGraph(t *testing.T) {
	others := []lsa.LSA{
		{Header: lsa.Header{Type: lsa.TypeLink, ID: 5, AdvRouter: rid(11)}, Body: &lsa.Link{}},
		{Header: lsa.Header{Type: lsa.TypeIntraAreaPrefix, AdvRouter: rid(11)},
			Body: &lsa.IntraAreaPrefix{RefType: lsa.TypeRouter, RefAdvRouter: rid(11)}},
		{Header: lsa.Header{Type: lsa.TypeRouter, AdvRouter: rid(12)}}, // no body
	}
	for _, c := range []struct {
		name string
		lsas []lsa.LSA
	}{
		{"nil", nil},
		{"no LSAs", []lsa.LSA{}},
		{"LSAs of other types only", others},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := New(c.lsas)
			checkView(t, g, 11, view{networks: none, members: []int{}, routers: map[NetID][]int{nid(1, 3): nil}})
			if g.Routers(nid(1, 3), rid(11)) == nil {
				t.Error("Routers of no network is a nil map; want an empty one")
			}
			if g.Adjacent(rid(1), rid(11)) || g.Adjacent(rid(11), rid(12)) {
				t.Error("Adjacent is true in an empty graph")
			}
		})
	}
}

// TestDuplicates: the same router listed twice, a link given twice, or an
// LSA read twice name no more than once: the results are sets.
func TestDuplicates(t *testing.T) {
	live := liveLink(1, 3, 1, 11, 12)
	members := map[NetID][]int{nid(1, 3): {1, 12}}
	cases := []struct {
		name string
		lsas []lsa.LSA
		want view
	}{
		{
			name: "each LSA twice",
			lsas: join(live, live),
			want: view{networks: map[uint32]NetID{20: nid(1, 3)}, members: []int{1, 12}, routers: members},
		},
		{
			name: "routers listed twice",
			lsas: join(live[1:], []lsa.LSA{netw(1, 3, 1, 12, 11, 12, 1, 11)}),
			want: view{networks: map[uint32]NetID{20: nid(1, 3)}, members: []int{1, 12}, routers: members},
		},
		{
			name: "a link twice in a Router-LSA",
			lsas: join(live[:2], []lsa.LSA{rtr(11, transit(20, 1, 3), transit(20, 1, 3)), rtr(12, transit(20, 1, 3), transit(20, 1, 3))}),
			want: view{networks: map[uint32]NetID{20: nid(1, 3)}, members: []int{1, 12}, routers: members},
		},
		{
			// DR 1 of two links, both with self and 12 on them.
			name: "the same routers on two of self's networks",
			lsas: []lsa.LSA{netw(1, 3, 1, 11, 12), netw(1, 4, 1, 11, 12), rtr(1, transit(3, 1, 3), transit(4, 1, 4)),
				rtr(11, transit(20, 1, 3), transit(21, 1, 4)), rtr(12, transit(20, 1, 3), transit(21, 1, 4))},
			want: view{networks: map[uint32]NetID{20: nid(1, 3), 21: nid(1, 4)}, members: []int{1, 12}, routers: members},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkView(t, New(c.lsas), 11, c.want)
		})
	}
	checkAdjacent(t, []adjacency{{
		name: "agent listed twice, its link twice",
		lsas: []lsa.LSA{netw(1, 7, 1, 100, 100), rtr(1, transit(7, 1, 7)), rtr(100, transit(2, 1, 7), transit(2, 1, 7))},
		r:    1, a: 100, want: true,
	}})
}
