package agent

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/internal/linkgraph"
	"github.com/anycostd/anycostd/lsa"
)

// Limits bound what a server load LSA may say before the agent ignores it.
type Limits struct {
	// MaxCapacity is the largest believable capacity (default 1e6: a
	// farm that counts capacity in queries per second stays below it).
	MaxCapacity float64
	// MaxLoad is the largest believable load figure (default
	// costmodel.MaxLoad, the ceiling of every anycostd load figure).
	MaxLoad float64
}

// LinkID names the server link from a router on it: the router's ID and
// its interface ID there. The router's Router-LSA names, from that
// interface, the link's current DR and the DR's interface ID (RFC 5340
// A.4.3), whose Network-LSA is the link's (A.4.4). When the router is the
// DR they are its own: its ID and its interface ID, the Network-LSA's
// Link State ID.
type LinkID struct {
	Router      uint32
	InterfaceID uint32
}

// ViewOptions say how BuildView reads the LSDB.
type ViewOptions struct {
	// Self is the agent's router ID.
	Self uint32
	// Link selects the server link when the agent is not on it (a veth
	// link to the routing daemon, docs/router-agent.md); zero: the link
	// Self's Router-LSA names. Off the server link the servers''
	// Link-LSAs do not reach the agent: a server's next hop is then the
	// one its load LSA gives.
	Link   LinkID
	Limits Limits
}

// DefaultLimits returns the default Limits.
func DefaultLimits() Limits { return Limits{MaxCapacity: 1e6, MaxLoad: costmodel.MaxLoad} }

// Server is one server of an anycast prefix as the LSDB shows it.
type Server struct {
	RouterID uint32
	// NextHop is the server's link-local address, from its Link-LSA.
	NextHop netip.Addr
	// Advertised: a live Intra-Area-Prefix-LSA of the server carries the
	// prefix, with Metric.
	Advertised bool
	Metric     uint16
	// Member: OSPF would use the server for the prefix (on the link,
	// advertised at the cheapest metric). Only members get a weight.
	Member bool
	// Why says why the server is not a member ("" when it is).
	Why string
	// HasLoad: a valid server load LSA of the server carries the prefix,
	// with State, Load and Capacity.
	HasLoad  bool
	State    lsa.ServerState
	Load     float64
	Capacity float64
}

// PrefixView is one anycast prefix and its servers.
type PrefixView struct {
	Prefix netip.Prefix
	// Metric is the cheapest metric advertised on the link (0 with no
	// member).
	Metric uint16
	// Incomplete: a server OSPF would use has no known next hop. The
	// agent then installs no route for the prefix, so that it never
	// leaves out a server OSPF uses.
	Incomplete bool
	// Servers are sorted by router ID.
	Servers []Server
}

// Members returns the servers OSPF would use.
func (p PrefixView) Members() []Server {
	var out []Server
	for _, s := range p.Servers {
		if s.Member {
			out = append(out, s)
		}
	}
	return out
}

// Ignored is one LSA instance the view left out, and why.
type Ignored struct {
	Key lsa.Key
	Seq int32
	// Reason is a short stable word for counters: "malformed",
	// "not-on-link", "no-link-lsa", "next-hop", "capacity", "load".
	Reason string
	// Detail says what was wrong.
	Detail string
}

// View is the farm as one LSDB snapshot shows it to the agent.
type View struct {
	// Linked: the agent (off the link: the router ViewOptions.Link
	// names) is attached to a transit link, its Router-LSA and the link's
	// Network-LSA naming each other. Without it the view has no servers.
	Linked bool
	// Prefixes are sorted by prefix.
	Prefixes []PrefixView
	Ignored  []Ignored
}

// Prefix returns the view of p, and whether the LSDB knows it.
func (v View) Prefix(p netip.Prefix) (PrefixView, bool) {
	for _, pv := range v.Prefixes {
		if pv.Prefix == p {
			return pv, true
		}
	}
	return PrefixView{}, false
}

// BuildView reads the farm from raw LSAs (each with its current age), as
// the agent with router ID self sees them on its one link:
//
//  1. The link is read as SPF reads links, with the two-way check (RFC
//     5340 4.8.1, RFC 2328 16.1 (2)(b), linkgraph.Graph): the transit
//     network self's Router-LSA names (A.4.3; off the link, the one the
//     router's Router-LSA names from the interface opt.Link gives), when
//     its Network-LSA lists self (the router) back (A.4.4). The servers
//     on it are the routers that Network-LSA lists whose Router-LSAs name
//     it back, or, while a DR change is in flight, the other DR's network
//     of the link (linkgraph.Graph.Routers): membership does not flap
//     while the Router-LSAs follow the new DR one by one. A dead DR's
//     Network-LSA, which nobody flushes and which stays until MaxAge (an
//     hour, RFC 5340 4.4.2), is not the link once self's Router-LSA names
//     the new DR (or none), so a server that died since is no member,
//     though its Intra-Area-Prefix-, Link- and load LSAs stay as long.
//  2. Each server's next hop is the link-local address of its Link-LSA
//     (A.4.9), the address OSPF itself would forward to; off the link, the
//     one its load LSA gives.
//  3. A server advertises a prefix by a live Intra-Area-Prefix-LSA
//     referencing its Router-LSA (A.4.10); members are the servers on the
//     link advertising it at the cheapest metric, as OSPF's SPF would pick
//     (the servers all sit at the same distance, behind the same link).
//  4. Server load LSAs add state, load and capacity to a server of the
//     prefix they carry; one that is malformed, from a router not on the
//     link, with a next hop other than the advertiser's link-local address
//     or with an absurd capacity or load is ignored and listed in Ignored.
//
// LSAs at MaxAge are ignored silently (they are being flushed).
func BuildView(raws [][]byte, opt ViewOptions) View {
	self, lim := opt.Self, opt.Limits
	remote := opt.Link != (LinkID{})
	var v View
	var (
		links  []lsa.LSA // Router- and Network-LSAs
		linkLL = map[uint32]netip.Addr{}
		iaps   []lsa.LSA
		loads  []lsa.LSA
	)
	for _, raw := range raws {
		h, err := lsa.ParseHeader(raw)
		if err != nil || h.Age >= lsa.MaxAge {
			continue
		}
		switch h.Type {
		case lsa.TypeRouter, lsa.TypeNetwork, lsa.TypeLink, lsa.TypeIntraAreaPrefix, lsa.TypeServerLoad:
		default:
			continue
		}
		l, err := lsa.Parse(raw)
		if err != nil {
			if h.Type == lsa.TypeServerLoad {
				v.Ignored = append(v.Ignored, Ignored{Key: h.Key(), Seq: h.Seq, Reason: "malformed", Detail: err.Error()})
			}
			continue
		}
		switch b := l.Body.(type) {
		case *lsa.Router, *lsa.Network:
			links = append(links, l)
		case *lsa.Link:
			if b.LinkLocal.IsLinkLocalUnicast() {
				linkLL[h.AdvRouter] = b.LinkLocal
			}
		case *lsa.IntraAreaPrefix:
			if b.RefType == lsa.TypeRouter && b.RefAdvRouter == h.AdvRouter {
				iaps = append(iaps, l)
			}
		case *lsa.ServerLoad:
			if b.State == lsa.ServerAgent {
				continue // a router agent's announcement (this one's, or another's): not a server
			}
			loads = append(loads, l)
		}
	}
	// (1) The link, two-way.
	g := linkgraph.New(links)
	var onLink map[uint32]bool
	if remote {
		if n, ok := g.Networks(opt.Link.Router)[opt.Link.InterfaceID]; ok {
			v.Linked = true
			onLink = g.Routers(n, opt.Link.Router)
			onLink[opt.Link.Router] = true
		}
	} else {
		v.Linked = len(g.Networks(self)) > 0
		onLink = g.LinkRouters(self)
	}
	byPrefix := map[netip.Prefix]map[uint32]*Server{}
	server := func(p netip.Prefix, rid uint32) *Server {
		m := byPrefix[p]
		if m == nil {
			m = map[uint32]*Server{}
			byPrefix[p] = m
		}
		s := m[rid]
		if s == nil {
			s = &Server{RouterID: rid, NextHop: linkLL[rid]}
			m[rid] = s
		}
		return s
	}
	// (3) Advertisements, from servers on the link only.
	for _, l := range iaps {
		rid := l.Header.AdvRouter
		if !onLink[rid] {
			continue
		}
		for _, p := range l.Body.(*lsa.IntraAreaPrefix).Prefixes {
			if p.Options&lsa.PrefixNU != 0 {
				continue
			}
			s := server(p.Prefix, rid)
			if !s.Advertised || p.Metric < s.Metric {
				s.Advertised, s.Metric = true, p.Metric
			}
		}
	}
	// (4) Server load LSAs.
	for _, l := range loads {
		h, b := l.Header, l.Body.(*lsa.ServerLoad)
		ignore := func(reason, format string, args ...any) {
			v.Ignored = append(v.Ignored, Ignored{Key: h.Key(), Seq: h.Seq, Reason: reason, Detail: fmt.Sprintf(format, args...)})
		}
		ll, haveLL := linkLL[h.AdvRouter]
		switch {
		case !v.Linked || !onLink[h.AdvRouter]:
			ignore("not-on-link", "%s from a router not on the link", b.Prefix.Prefix)
		case !haveLL && !remote:
			ignore("no-link-lsa", "%s: the advertiser has no Link-LSA", b.Prefix.Prefix)
		case !b.NextHop.IsLinkLocalUnicast():
			ignore("next-hop", "%s: next hop %s is not link-local", b.Prefix.Prefix, b.NextHop)
		case haveLL && b.NextHop.WithZone("") != ll.WithZone(""):
			ignore("next-hop", "%s: next hop %s, the advertiser's link-local address is %s", b.Prefix.Prefix, b.NextHop, ll)
		case !(b.CapacityFigure() > 0) || b.CapacityFigure() > lim.MaxCapacity:
			ignore("capacity", "%s: capacity %g outside (0, %g]", b.Prefix.Prefix, b.CapacityFigure(), lim.MaxCapacity)
		case b.LoadFigure() > lim.MaxLoad:
			ignore("load", "%s: load %g above %g", b.Prefix.Prefix, b.LoadFigure(), lim.MaxLoad)
		default:
			s := server(b.Prefix.Prefix, h.AdvRouter)
			s.HasLoad, s.State, s.Load, s.Capacity = true, b.State, b.LoadFigure(), b.CapacityFigure()
			if !s.NextHop.IsValid() {
				s.NextHop = b.NextHop.WithZone("")
			}
		}
	}
	for p, m := range byPrefix {
		pv := PrefixView{Prefix: p}
		best := -1
		for _, s := range m {
			if s.Advertised && (best < 0 || int(s.Metric) < best) {
				best = int(s.Metric)
			}
		}
		for _, s := range m {
			switch {
			case !s.Advertised:
				s.Why = "not advertised (Intra-Area-Prefix-LSA flushed or absent)"
				if s.HasLoad && s.State != lsa.ServerAdvertised {
					s.Why = "not advertised (" + s.State.String() + ")"
				}
			case !s.NextHop.IsValid():
				s.Why = "next hop unknown (no Link-LSA, no load LSA)"
				if int(s.Metric) == best {
					pv.Incomplete = true
				}
			case int(s.Metric) > best:
				s.Why = fmt.Sprintf("metric %d above the cheapest %d", s.Metric, best)
			default:
				s.Member = true
			}
			pv.Servers = append(pv.Servers, *s)
		}
		if best >= 0 {
			pv.Metric = uint16(best)
		}
		slices.SortFunc(pv.Servers, func(a, b Server) int { return cmp.Compare(a.RouterID, b.RouterID) })
		v.Prefixes = append(v.Prefixes, pv)
	}
	slices.SortFunc(v.Prefixes, func(a, b PrefixView) int {
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits())
	})
	return v
}
