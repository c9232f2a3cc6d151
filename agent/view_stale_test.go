package agent

import (
	"fmt"
	"slices"
	"testing"

	"github.com/anycostd/anycostd/lsa"
)

// Routers of the stale-LSA tests beside the DR (ridRouter, 192.0.2.1) and
// the agent (ridAgent, 192.0.2.2): two more link routers.
var (
	ridRouter3 = rid(3)
	ridRouter4 = rid(4)
)

// rtr is router adv's Router-LSA (Link State ID 0) with links (RFC 5340
// A.4.3); a router left without a link has one without links.
func rtr(t testing.TB, adv uint32, links ...lsa.RouterLink) []byte {
	return mk(t, 1, adv, 0, &lsa.Router{Options: lsa.OptV6 | lsa.OptE | lsa.OptR, Links: links})
}

// transit is a Router-LSA's transit link, from the router's interface
// ifID, to the network whose DR is dr with interface ID ifID there.
func transit(dr, ifID uint32) lsa.RouterLink { return transitFrom(ifID, dr, ifID) }

// transitFrom is a transit link from the router's interface own to the
// network whose DR is dr with interface ID drIf there.
func transitFrom(own, dr, drIf uint32) lsa.RouterLink {
	return lsa.RouterLink{Type: lsa.LinkTransit, Metric: 1, InterfaceID: own, NeighborInterfaceID: drIf, NeighborRouterID: dr}
}

// network is the Network-LSA dr originates as the DR of a link on which
// its interface ID (the Link State ID) is ifID, listing attached (A.4.4).
func network(t testing.TB, dr, ifID uint32, attached ...uint32) []byte {
	return mk(t, 1, dr, ifID, &lsa.Network{Options: lsa.OptV6 | lsa.OptE | lsa.OptR, AttachedRouters: attached})
}

// servers are the LSAs with which servers is advertise the DNS prefix,
// alive or dead: each one's Link-LSA, Intra-Area-Prefix-LSA at metric 10 and load
// LSA (capacity 1, load 0.5). A dead server flushes none of them.
func servers(t testing.TB, is ...int) [][]byte {
	var out [][]byte
	for _, i := range is {
		out = append(out, mk(t, 1, rid(i), 3, &lsa.Link{Options: lsa.OptV6 | lsa.OptE, LinkLocal: ll(i)}),
			iap(t, i, 10), load(t, i, lsa.ServerAdvertised, 10, 1, 0.5, ll(i)))
	}
	return out
}

// members lists the members of the DNS prefix by router ID, and whether
// the view is linked.
func members(v View) string {
	pv, _ := v.Prefix(dnsPrefix)
	out := fmt.Sprintf("linked=%v", v.Linked)
	for _, s := range pv.Members() {
		out += " " + lsa.IDString(s.RouterID)
	}
	return out
}

// TestBuildViewStaleLSAs: the LSAs of a dead router are flushed by no one
// and stay in every database until MaxAge (an hour, RFC 5340 4.4.2, RFC
// 2328 14). A dead DR's Network-LSA still lists the agent and the
// servers of its day; a server that died since keeps its Router-,
// Link-, Intra-Area-Prefix- and load LSAs as long. The agent reads the
// link as SPF does, with the two-way check (RFC 5340 4.8.1, RFC 2328 16.1
// (2)(b)) from its own Router-LSA, or off the link from the router's:
// a server that died since is no member, and no next hop of the route.
// Two routers on the server link make it happen: the DR and another one,
// which takes over when the DR dies.
func TestBuildViewStaleLSAs(t *testing.T) {
	dr, a, r3, r4 := uint32(ridRouter), uint32(ridAgent), ridRouter3, ridRouter4
	// DR 1 died with servers 11..13 on the link; router 3 is the DR now
	// and lists the agent and servers 11 and 12, not 13, whose
	// Router-LSA has the link thirteen.
	deadDR := func(thirteen lsa.RouterLink) [][]byte {
		return cat(servers(t, 11, 12, 13), [][]byte{
			network(t, dr, 3, dr, r3, a, rid(11), rid(12), rid(13)), rtr(t, dr, transit(dr, 3)),
			network(t, r3, 5, r3, a, rid(11), rid(12)), rtr(t, r3, transit(r3, 5)), rtr(t, a, transit(r3, 5)),
			rtr(t, rid(11), transit(r3, 5)), rtr(t, rid(12), transit(r3, 5)), rtr(t, rid(13), thirteen)})
	}
	cases := []struct {
		name string
		link LinkID // zero: the agent on the server link
		raws [][]byte
		want string
	}{
		{
			// DR 1 died; router 3 is the DR now, then server 13 died:
			// router 3 dropped it, its Router-LSA names router 3's
			// network, and router 1's Network-LSA still lists it.
			name: "dead DR, a server that died after the DR change",
			raws: deadDR(transit(r3, 5)),
			want: "linked=true 192.0.2.11 192.0.2.12",
		},
		{
			// Server 13 died with DR 1 (a power cut of both): its
			// Router-LSA names router 1's network, which lists it.
			name: "dead DR, a server that died with it",
			raws: deadDR(transit(dr, 3)),
			want: "linked=true 192.0.2.11 192.0.2.12",
		},
		{
			// Two DRs died in turn: 1, with server 13; then 3, with
			// server 14, which had joined under it. Router 4 is the DR.
			name: "two dead DRs in turn, a server dead with each",
			raws: cat(servers(t, 11, 12, 13, 14), [][]byte{
				network(t, dr, 3, dr, r3, r4, a, rid(11), rid(12), rid(13)), rtr(t, dr, transit(dr, 3)), rtr(t, rid(13), transit(dr, 3)),
				network(t, r3, 5, r3, r4, a, rid(11), rid(12), rid(14)), rtr(t, r3, transit(r3, 5)), rtr(t, rid(14), transit(r3, 5)),
				network(t, r4, 8, r4, a, rid(11), rid(12)), rtr(t, r4, transit(r4, 8)), rtr(t, a, transit(r4, 8)),
				rtr(t, rid(11), transit(r4, 8)), rtr(t, rid(12), transit(r4, 8))}),
			want: "linked=true 192.0.2.11 192.0.2.12",
		},
		{
			// The link's only router died: no DR, no Router-LSA names a
			// network; OSPF has no route over the link, and neither has
			// the agent.
			name: "dead only router of the link, no DR left",
			raws: cat(servers(t, 11, 12), [][]byte{
				network(t, dr, 3, dr, a, rid(11), rid(12)), rtr(t, dr, transit(dr, 3)),
				rtr(t, a), rtr(t, rid(11)), rtr(t, rid(12))}),
			want: "linked=false",
		},
		{
			// Router 1 came back with a new interface ID on the link;
			// server 13 died while it was down. Router 1's Network-LSA of
			// the old interface ID is its own to flush (RFC 2328 13.4)
			// and stays until it has it back.
			name: "link router restarted with a new interface ID, the old Network-LSA not yet flushed",
			raws: cat(servers(t, 11, 12, 13), [][]byte{
				network(t, dr, 3, dr, a, rid(11), rid(12), rid(13)), rtr(t, rid(13), transit(dr, 3)),
				network(t, dr, 9, dr, a, rid(11), rid(12)), rtr(t, dr, transit(dr, 9)), rtr(t, a, transit(dr, 9)),
				rtr(t, rid(11), transit(dr, 9)), rtr(t, rid(12), transit(dr, 9))}),
			want: "linked=true 192.0.2.11 192.0.2.12",
		},
		{
			// Off the link (a veth link to the router), the router,
			// router 1, is not the DR of the server link: router 3 is
			// (it was elected first, and OSPF does not preempt, RFC 2328
			// 9.4). Router 1's Router-LSA names router 3's network from
			// its interface 3 on the link.
			name: "off the link, the router not the DR",
			link: LinkID{Router: dr, InterfaceID: 3},
			raws: cat(servers(t, 11, 12), [][]byte{
				network(t, r3, 5, r3, dr, rid(11), rid(12)), rtr(t, r3, transit(r3, 5)), rtr(t, dr, transitFrom(3, r3, 5)),
				rtr(t, rid(11), transit(r3, 5)), rtr(t, rid(12), transit(r3, 5))}),
			want: "linked=true 192.0.2.11 192.0.2.12",
		},
		{
			// Off the link: DR 3 died, with server 13; router 1, the
			// agent's router, is the DR now.
			name: "off the link, dead DR, a server that died with it",
			link: LinkID{Router: dr, InterfaceID: 3},
			raws: cat(servers(t, 11, 12, 13), [][]byte{
				network(t, r3, 5, r3, dr, rid(11), rid(12), rid(13)), rtr(t, r3, transit(r3, 5)), rtr(t, rid(13), transit(r3, 5)),
				network(t, dr, 3, dr, rid(11), rid(12)), rtr(t, dr, transit(dr, 3)),
				rtr(t, rid(11), transit(dr, 3)), rtr(t, rid(12), transit(dr, 3))}),
			want: "linked=true 192.0.2.11 192.0.2.12",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := BuildView(c.raws, ViewOptions{Self: a, Link: c.link, Limits: DefaultLimits()})
			if got := members(v); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

// TestBuildViewDRChangeInFlight: while a DR change is in flight both DRs'
// Network-LSAs exist, and the routers of the link name the new DR in
// their Router-LSAs one by one, each when it next originates it (RFC 2328
// 12.4, MinLSInterval apart at most). DR 1 dies; router 3, the BDR, is
// the DR and lists every router it was adjacent to. In every order of the
// Router-LSAs' moves, the agent's own among them (or, off the link, the
// router's, router 3 being the agent's router then), servers 11..13 stay
// members throughout: membership does not flap.
func TestBuildViewDRChangeInFlight(t *testing.T) {
	dr, a, r3 := uint32(ridRouter), uint32(ridAgent), ridRouter3
	for _, remote := range []bool{false, true} {
		movers := []uint32{a, rid(11), rid(12), rid(13)}
		opt := ViewOptions{Self: a, Limits: DefaultLimits()}
		if remote {
			// The agent off the link: router 3 is its router, on the
			// link by its interface 5, and moves like the servers.
			movers = []uint32{r3, rid(11), rid(12), rid(13)}
			opt.Link = LinkID{Router: r3, InterfaceID: 5}
		}
		onLink := slices.Concat([]uint32{dr, r3}, movers)
		onLink = slices.Compact(slices.Sorted(slices.Values(onLink)))
		for _, order := range permutations(movers) {
			name := fmt.Sprintf("remote=%v order=%v", remote, idStrings(order))
			moved := map[uint32]bool{}
			snapshot := func(dead bool) [][]byte {
				raws := cat(servers(t, 11, 12, 13), [][]byte{network(t, dr, 3, onLink...), rtr(t, dr, transit(dr, 3))})
				if dead {
					raws = append(raws, network(t, r3, 5, slices.DeleteFunc(slices.Clone(onLink), func(r uint32) bool { return r == dr })...))
				}
				for _, r := range onLink {
					if r == dr {
						continue
					}
					switch {
					case moved[r]:
						raws = append(raws, rtr(t, r, transitFrom(5, r3, 5)))
					case r == r3 && !remote && dead:
						raws = append(raws, rtr(t, r, transitFrom(5, r3, 5))) // the new DR, at once
					default:
						raws = append(raws, rtr(t, r, transitFrom(5, dr, 3)))
					}
				}
				return raws
			}
			want := "linked=true 192.0.2.11 192.0.2.12 192.0.2.13"
			check := func(step string, raws [][]byte) {
				if got := members(BuildView(raws, opt)); got != want {
					t.Errorf("%s, %s: got %s, want %s", name, step, got, want)
				}
			}
			check("before", snapshot(false))
			check("router 3's Network-LSA", snapshot(true))
			for _, r := range order {
				moved[r] = true
				check(lsa.IDString(r)+" moved", snapshot(true))
			}
		}
	}
}

// permutations returns every order of rs.
func permutations(rs []uint32) [][]uint32 {
	if len(rs) <= 1 {
		return [][]uint32{slices.Clone(rs)}
	}
	var out [][]uint32
	for i, r := range rs {
		rest := slices.Concat(rs[:i:i], rs[i+1:])
		for _, p := range permutations(rest) {
			out = append(out, append([]uint32{r}, p...))
		}
	}
	return out
}

func idStrings(rs []uint32) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = lsa.IDString(r)
	}
	return out
}

func cat(parts ...[][]byte) [][]byte { return slices.Concat(parts...) }
