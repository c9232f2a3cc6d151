package lab

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
)

// ipRouteJSON is the part of `ip -j -6 route show` output FIBNextHops reads:
// a single-path route has Gateway, a multipath route has Nexthops.
type ipRouteJSON struct {
	Dst      string `json:"dst"`
	Gateway  string `json:"gateway"`
	Nexthops []struct {
		Gateway string `json:"gateway"`
	} `json:"nexthops"`
}

// FIBNextHops returns the gateways (sorted, one entry per next hop) of the
// kernel's route for exactly prefix in the host's main table, from
// `ip -6 -j route show exact <prefix>`. No route gives no next hops and no
// error; a route without a gateway (directly connected) gives none either.
func (h *Host) FIBNextHops(prefix netip.Prefix) ([]netip.Addr, error) {
	out, err := runCmd("ip", "-n", h.name, "-6", "-j", "route", "show", "exact", prefix.String())
	if err != nil {
		return nil, err
	}
	var routes []ipRouteJSON
	if err := json.Unmarshal(out, &routes); err != nil {
		return nil, fmt.Errorf("parsing ip -j route show output %q: %w", out, err)
	}
	var hops []netip.Addr
	add := func(s string) error {
		if s == "" {
			return nil
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("route %s in %s: gateway %q: %w", prefix, h.name, s, err)
		}
		hops = append(hops, a)
		return nil
	}
	for _, r := range routes {
		if err := add(r.Gateway); err != nil {
			return nil, err
		}
		for _, nh := range r.Nexthops {
			if err := add(nh.Gateway); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(hops, netip.Addr.Compare)
	return hops, nil
}
