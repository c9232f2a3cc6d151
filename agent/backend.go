package agent

import (
	"fmt"
	"net/netip"
	"strings"
)

// Nexthop is one weighted next hop of a route: a server's link-local
// address on the interface with index Ifindex.
type Nexthop struct {
	Addr    netip.Addr
	Ifindex int
	// Weight is 1..weights.MaxZebraWeight for zebra, 1..weights.MaxKernelWeight
	// for the kernel.
	Weight int
}

// Route is one anycast prefix with its weighted next hops.
type Route struct {
	Prefix   netip.Prefix
	Nexthops []Nexthop
}

func (r Route) String() string {
	hs := make([]string, len(r.Nexthops))
	for i, h := range r.Nexthops {
		hs[i] = fmt.Sprintf("%s weight %d", h.Addr, h.Weight)
	}
	return r.Prefix.String() + " via " + strings.Join(hs, ", ")
}

// Backend programs the router's forwarding: zebra (FRR, over ZAPI) or
// kernel (netlink, for BIRD or a router without a routing daemon). The
// agent's route must win over the routing daemon's OSPF route while the
// agent runs, and go when it stops.
type Backend interface {
	// Set installs r, replacing the agent's previous route for r.Prefix.
	// r has at least one next hop.
	Set(r Route) error
	// Remove removes the agent's route for p, if any.
	Remove(p netip.Prefix) error
	// Close removes every route the backend installed and releases it.
	Close() error
}

// LossNotifier is a backend whose routes can vanish behind its back: zebra
// drops them when it restarts. Lost is closed then; Run returns (wrapping
// ErrZebraClosed) so that the caller starts again with a new backend,
// whether or not the agent had a route to send meanwhile.
type LossNotifier interface {
	Lost() <-chan struct{}
}
