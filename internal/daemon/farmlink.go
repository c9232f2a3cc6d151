package daemon

import (
	"slices"

	"github.com/anycostd/anycostd/lsa"
)

// The area's Router- and Network-LSAs as SPF reads them (RFC 5340 4.8.1,
// RFC 2328 16.1): a link between two vertices is used only when each
// vertex's LSA names the other (the two-way check of 16.1 (2)(b)). The
// farm view needs it because the LSAs of a dead router are flushed by no
// one: they stay in every database until they reach MaxAge, an hour (RFC
// 5340 4.4.2 and RFC 2328 14), still naming the routers they named. A live
// router names a dead one no longer once its dead interval has run out,
// so a link named from both ends is a link of two routers alive then.

// netID names a Network-LSA: its DR and the DR's interface ID on the link,
// the Network-LSA's Link State ID, as a Router-LSA's transit link names it
// (Neighbor Router ID and Neighbor Interface ID, RFC 5340 A.4.3).
type netID struct{ dr, ifID uint32 }

// linkGraph holds the live Router- and Network-LSAs of an area.
type linkGraph struct {
	links    map[uint32][]lsa.RouterLink // each router's links, over all its Router-LSAs
	networks map[netID][]uint32          // each Network-LSA's attached routers
}

// newLinkGraph reads the Router- and Network-LSAs among ls (liveLSAs).
func newLinkGraph(ls []lsa.LSA) linkGraph {
	g := linkGraph{links: map[uint32][]lsa.RouterLink{}, networks: map[netID][]uint32{}}
	for _, l := range ls {
		switch b := l.Body.(type) {
		case *lsa.Router:
			g.links[l.Header.AdvRouter] = append(g.links[l.Header.AdvRouter], b.Links...)
		case *lsa.Network:
			g.networks[netID{l.Header.AdvRouter, l.Header.ID}] = b.AttachedRouters
		}
	}
	return g
}

// transitTo reports whether router r's Router-LSA has a transit link to
// the network n.
func (g linkGraph) transitTo(r uint32, n netID) bool {
	return slices.ContainsFunc(g.links[r], func(l lsa.RouterLink) bool {
		return l.Type == lsa.LinkTransit && l.NeighborRouterID == n.dr && l.NeighborInterfaceID == n.ifID
	})
}

// linkRouters returns the routers, other than self, of the transit links
// router self is on, each named from both ends: self's Router-LSA has a
// transit link to the network, the network's Network-LSA lists self, and
// the router's own Router-LSA has a transit link to the network too. A
// dead DR's Network-LSA that still lists self is not self's link: self's
// Router-LSA names the DR it is fully adjacent to now (RFC 5340 4.4.3.2),
// or no network at all when there is none.
func (g linkGraph) linkRouters(self uint32) map[uint32]bool {
	out := map[uint32]bool{}
	for _, l := range g.links[self] {
		n := netID{l.NeighborRouterID, l.NeighborInterfaceID}
		attached, ok := g.networks[n]
		if l.Type != lsa.LinkTransit || !ok || !slices.Contains(attached, self) {
			continue
		}
		for _, r := range attached {
			if r != self && g.transitTo(r, n) {
				out[r] = true
			}
		}
	}
	return out
}

// adjacent reports whether router r names router a in a link that a names
// back, as SPF reaches a from r: a network r's Router-LSA names by a
// transit link to itself as the DR, whose Network-LSA lists a, and to
// which a's Router-LSA has a transit link; or a point-to-point link of
// r's Router-LSA to a, where a's Router-LSA has the link back between the
// same two interfaces. A Network-LSA of r's that r's Router-LSA does not
// name (one of an interface ID r had before it restarted, not yet flushed)
// is not r's link. A router is not adjacent to itself.
func (g linkGraph) adjacent(r, a uint32) bool {
	if r == a {
		return false
	}
	for _, l := range g.links[a] {
		switch l.Type {
		case lsa.LinkTransit:
			n := netID{r, l.NeighborInterfaceID}
			if l.NeighborRouterID == r && g.transitTo(r, n) && slices.Contains(g.networks[n], a) {
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
