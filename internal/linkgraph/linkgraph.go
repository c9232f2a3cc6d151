// Package linkgraph reads an area's Router- and Network-LSAs as SPF reads
// links (RFC 5340 4.8.1, RFC 2328 16.1): a link between two vertices is
// used only when each vertex's LSA names the other (the two-way check of
// 16.1 (2)(b)). The servers' farm view (internal/daemon) and the router
// agent's view (agent) both need it, because the LSAs of a dead router
// are flushed by no one: they stay in every database until they reach
// MaxAge, an hour (RFC 5340 4.4.2 and RFC 2328 14), still naming the
// routers they named. A live router names a dead one no longer once its
// dead interval has run out, so a link named from both ends is a link of
// two routers alive then. Pure: it reads parsed LSAs and nothing else.
package linkgraph

import (
	"slices"

	"github.com/anycostd/anycostd/lsa"
)

// NetID names a Network-LSA: its DR and the DR's interface ID on the
// link, the Network-LSA's Link State ID, as a Router-LSA's transit link
// names it (Neighbor Router ID and Neighbor Interface ID, RFC 5340 A.4.3).
type NetID struct{ DR, InterfaceID uint32 }

// Graph holds the Router- and Network-LSAs of an area.
type Graph struct {
	links    map[uint32][]lsa.RouterLink // each router's links, over all its Router-LSAs
	networks map[NetID][]uint32          // each Network-LSA's attached routers
}

// New reads the Router- and Network-LSAs among ls, which the caller has
// left at those not at MaxAge (they are being flushed); other LSAs are
// skipped.
func New(ls []lsa.LSA) Graph {
	g := Graph{links: map[uint32][]lsa.RouterLink{}, networks: map[NetID][]uint32{}}
	for _, l := range ls {
		switch b := l.Body.(type) {
		case *lsa.Router:
			g.links[l.Header.AdvRouter] = append(g.links[l.Header.AdvRouter], b.Links...)
		case *lsa.Network:
			g.networks[NetID{l.Header.AdvRouter, l.Header.ID}] = b.AttachedRouters
		}
	}
	return g
}

// transitTo reports whether router r's Router-LSA has a transit link to
// the network n.
func (g Graph) transitTo(r uint32, n NetID) bool {
	return slices.ContainsFunc(g.links[r], func(l lsa.RouterLink) bool {
		return l.Type == lsa.LinkTransit && l.NeighborRouterID == n.DR && l.NeighborInterfaceID == n.InterfaceID
	})
}

// lists reports whether the Network-LSA of n exists and lists every one
// of rs.
func (g Graph) lists(n NetID, rs ...uint32) bool {
	attached, ok := g.networks[n]
	if !ok {
		return false
	}
	for _, r := range rs {
		if !slices.Contains(attached, r) {
			return false
		}
	}
	return true
}

// Networks returns, by self's interface ID, the transit networks self is
// on, each named from both ends: self's Router-LSA has a transit link
// from that interface to the network (the DR self is fully adjacent to
// there, RFC 5340 4.4.3.2), and the network's Network-LSA lists self
// (A.4.4). A dead DR's Network-LSA that still lists self is not among
// them once self's Router-LSA names the new DR, or no network at all when
// none is left; nor is a link router's own Network-LSA of an interface ID
// it had before a restart, not yet flushed (RFC 2328 13.4).
func (g Graph) Networks(self uint32) map[uint32]NetID {
	out := map[uint32]NetID{}
	for _, l := range g.links[self] {
		n := NetID{l.NeighborRouterID, l.NeighborInterfaceID}
		if l.Type == lsa.LinkTransit && g.lists(n, self) {
			out[l.InterfaceID] = n
		}
	}
	return out
}

// Routers returns the routers, other than self, of the network n, one of
// self's Networks: those n's Network-LSA lists whose own Router-LSA has a
// transit link back to a network that lists both them and self, n itself
// (the two-way check) or, while a DR change is in flight, the other DR's
// network of the same link. A DR change is seen at different times: the
// new DR originates its Network-LSA, listing the routers it is fully
// adjacent to (as BDR it already was to all, RFC 2328 7.4), and each
// router, self included, names the new DR in its Router-LSA when it next
// originates it (RFC 2328 12.4, within MinLSInterval). Meanwhile a router
// that names the other network is still on the link by the word of both:
// the DR that lists it and its own. So membership does not flap while
// the Router-LSAs follow the new DR one by one; SPF itself loses such a
// router for that while (16.1 (2)(b)). A router that died is dropped from
// n's Network-LSA when n's DR's dead interval for it runs out, whatever
// network its stale Router-LSA names. Routers and self are taken to have
// one interface on the link each (servers and the agent have one OSPF
// interface): a network that lists both is of their common link.
func (g Graph) Routers(n NetID, self uint32) map[uint32]bool {
	out := map[uint32]bool{}
	for _, r := range g.networks[n] {
		if r == self {
			continue
		}
		if slices.ContainsFunc(g.links[r], func(l lsa.RouterLink) bool {
			return l.Type == lsa.LinkTransit && g.lists(NetID{l.NeighborRouterID, l.NeighborInterfaceID}, r, self)
		}) {
			out[r] = true
		}
	}
	return out
}

// LinkRouters returns the Routers of every one of self's Networks.
func (g Graph) LinkRouters(self uint32) map[uint32]bool {
	out := map[uint32]bool{}
	for _, n := range g.Networks(self) {
		for r := range g.Routers(n, self) {
			out[r] = true
		}
	}
	return out
}

// Adjacent reports whether router r names router a in a link that a
// names back, as SPF reaches a from r: a network r's Router-LSA names by
// a transit link to itself as the DR, whose Network-LSA lists a, and to
// which a's Router-LSA has a transit link; or a point-to-point link of
// r's Router-LSA to a, where a's Router-LSA has the link back between the
// same two interfaces. A Network-LSA of r's that r's Router-LSA does not
// name (one of an interface ID r had before it restarted, not yet
// flushed) is not r's link. A router is not adjacent to itself.
func (g Graph) Adjacent(r, a uint32) bool {
	if r == a {
		return false
	}
	for _, l := range g.links[a] {
		switch l.Type {
		case lsa.LinkTransit:
			n := NetID{r, l.NeighborInterfaceID}
			if l.NeighborRouterID == r && g.transitTo(r, n) && g.lists(n, a) {
				return true
			}
		case lsa.LinkPointToPoint:
			if l.NeighborRouterID == r && slices.ContainsFunc(g.links[r], func(back lsa.RouterLink) bool {
				return back.Type == lsa.LinkPointToPoint && back.NeighborRouterID == a &&
					back.InterfaceID == l.NeighborInterfaceID && back.NeighborInterfaceID == l.InterfaceID
			}) {
				return true
			}
		}
	}
	return false
}
