package lab

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// zebra's routes for a prefix with their next hops' weights, read through
// vtysh: the router agent's route (protocol sharp) beside OSPF's.

// WeightedHop is one next hop and its weight, as zebra or the kernel shows
// it.
type WeightedHop struct {
	Addr   string
	Weight int
}

// ZebraRoute is one of zebra's routes for a prefix: its protocol, whether
// it is selected, its distance and its next hops with their weights.
type ZebraRoute struct {
	Protocol string
	Selected bool
	Distance int
	Hops     []WeightedHop // sorted by address
}

// ZebraRIB returns every route zebra holds for prefix (`show ipv6 route
// PREFIX json`), selected or not.
func ZebraRIB(f *FRR, prefix netip.Prefix) ([]ZebraRoute, error) {
	out, err := f.Vtysh("show ipv6 route " + prefix.String() + " json")
	if err != nil {
		return nil, err
	}
	var m map[string][]struct {
		Protocol string `json:"protocol"`
		Selected bool   `json:"selected"`
		Distance int    `json:"distance"`
		Nexthops []struct {
			IP     string `json:"ip"`
			Weight int    `json:"weight"`
		} `json:"nexthops"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return nil, fmt.Errorf("show ipv6 route json: %w (%q)", err, out)
	}
	var rib []ZebraRoute
	for _, routes := range m {
		for _, r := range routes {
			zr := ZebraRoute{Protocol: r.Protocol, Selected: r.Selected, Distance: r.Distance}
			for _, nh := range r.Nexthops {
				zr.Hops = append(zr.Hops, WeightedHop{nh.IP, nh.Weight})
			}
			slices.SortFunc(zr.Hops, func(a, b WeightedHop) int { return strings.Compare(a.Addr, b.Addr) })
			rib = append(rib, zr)
		}
	}
	return rib, nil
}

// ZebraWeights returns the next hops of zebra's selected route for
// prefix with their weights and the route's protocol and distance.
func ZebraWeights(f *FRR, prefix netip.Prefix) (hops []WeightedHop, protocol string, distance int, err error) {
	rib, err := ZebraRIB(f, prefix)
	for _, r := range rib {
		if r.Selected {
			hops, protocol, distance = append(hops, r.Hops...), r.Protocol, r.Distance
		}
	}
	slices.SortFunc(hops, func(a, b WeightedHop) int { return strings.Compare(a.Addr, b.Addr) })
	return hops, protocol, distance, err
}
