package lab

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// SiteIface is one OSPF interface of a site router (docs/sites.md).
type SiteIface struct {
	Name string
	Area string // dotted quad
	// Cost is `ipv6 ospf6 cost` (0: FRR's default, from the interface
	// speed). Set it on every backbone interface: the core compares the
	// farms by its cost to each ABR plus the ABR's summary cost.
	Cost int
	// Priority is `ipv6 ospf6 priority`; 10 on a farm link makes the
	// router the DR (servers run with priority 0).
	Priority int
	// PointToPoint: `ipv6 ospf6 network point-to-point` (a link between
	// two routers: no DR election, no wait timer).
	PointToPoint bool
	// Passive: the prefix is advertised, no adjacency is formed (the
	// client link behind the core).
	Passive bool
}

// SiteRange is one `area A range P [cost C]` of an ABR: FRR advertises
// one Inter-Area-Prefix-LSA for P while a route of the area lies inside
// it, with metric Cost (0: the dearest such route's cost).
type SiteRange struct {
	Prefix netip.Prefix
	Cost   int
}

// SiteRouter is the FRR config of a router of the two-site topology: a
// farm's ABR or the core (docs/sites.md shows both as rendered).
type SiteRouter struct {
	RouterID string
	Ifaces   []SiteIface
	// Ranges are `area A range P [cost C]` lines, by area ID.
	Ranges map[string][]SiteRange
	// MinArrival is `timers lsa min-arrival` (0: FRR's 1000 ms).
	MinArrival time.Duration
	// SPFDelay, SPFHold, SPFMax are `timers throttle spf` (all zero:
	// FRR's 0 50 5000).
	SPFDelay, SPFHold, SPFMax time.Duration
	// FIBDeny are prefixes whose ospf6 routes zebra keeps out of the
	// kernel (a prefix-list, a route-map and `ipv6 protocol ospf6
	// route-map`): on an ABR, the ranges that only signal the core
	// (sitefib.go).
	FIBDeny []netip.Prefix
	// Extra lines inside `router ospf6`.
	Extra []string
	// Global lines before the interfaces (e.g. `debug ospf6 abr`).
	Global []string
}

// String renders the config.
func (r SiteRouter) String() string {
	var b strings.Builder
	for _, l := range r.Global {
		fmt.Fprintf(&b, "%s\n", l)
	}
	renderFIBDeny(&b, r.FIBDeny)
	for _, ifc := range r.Ifaces {
		fmt.Fprintf(&b, "interface %s\n", ifc.Name)
		fmt.Fprintf(&b, " ipv6 ospf6 area %s\n", ifc.Area)
		if ifc.Passive {
			b.WriteString(" ipv6 ospf6 passive\n")
		} else {
			b.WriteString(" ipv6 ospf6 hello-interval 1\n")
			b.WriteString(" ipv6 ospf6 dead-interval 4\n")
		}
		if ifc.Cost > 0 {
			fmt.Fprintf(&b, " ipv6 ospf6 cost %d\n", ifc.Cost)
		}
		if ifc.Priority > 0 {
			fmt.Fprintf(&b, " ipv6 ospf6 priority %d\n", ifc.Priority)
		}
		if ifc.PointToPoint {
			b.WriteString(" ipv6 ospf6 network point-to-point\n")
		}
	}
	b.WriteString("router ospf6\n")
	fmt.Fprintf(&b, " ospf6 router-id %s\n", r.RouterID)
	b.WriteString(" maximum-paths 64\n")
	if r.MinArrival > 0 {
		fmt.Fprintf(&b, " timers lsa min-arrival %d\n", r.MinArrival.Milliseconds())
	}
	if r.SPFDelay > 0 || r.SPFHold > 0 || r.SPFMax > 0 {
		fmt.Fprintf(&b, " timers throttle spf %d %d %d\n", r.SPFDelay.Milliseconds(), r.SPFHold.Milliseconds(), r.SPFMax.Milliseconds())
	}
	for _, area := range slices.Sorted(maps.Keys(r.Ranges)) {
		for _, rg := range r.Ranges[area] {
			fmt.Fprintf(&b, " area %s range %s", area, rg.Prefix)
			if rg.Cost > 0 {
				fmt.Fprintf(&b, " cost %d", rg.Cost)
			}
			b.WriteString("\n")
		}
	}
	for _, l := range r.Extra {
		fmt.Fprintf(&b, " %s\n", l)
	}
	return b.String()
}
