package config

import (
	"fmt"
	"net/netip"
	"slices"
)

// A tier's prefix carries a farm's load across OSPF areas without
// changing any metric the backbone sees. It works around how FRR's ospf6d
// (8.4.4 measured; the code paths below are unchanged on FRR's master
// branch as of late 2025) computes inter-area routes (docs/sites.md has
// the lab runs):
//
//   - An area border router re-originates its Inter-Area-Prefix-LSA in
//     place (same Link State ID, new metric) when the farm's cheapest
//     server gets cheaper, and flushes it for a new Link State ID when it
//     gets dearer (ospf6_abr_originate_summary_to_area).
//   - A router that computes inter-area routes keeps one route entry per
//     LSA and cost. An instance with a lower metric adds an entry beside
//     the old one; flushing the LSA later removes only the last entry of
//     that origin, the stale dearer one, and the live one stays until the
//     flushed copy leaves its database, which ospf6d does on a 60 s timer
//     (ospf6_abr_examin_summary, ospf6_maxage_remover). An instance with a
//     higher metric replaces the entry where it stands, unsorted
//     (ospf6_route_add), so it stays the best. In the lab a core kept a
//     farm whose servers had all moved to a dearer tier, for the 10 s the
//     test waited, every time after the farm's first return from a dearer
//     tier (plain summaries), and every time with a range without a fixed
//     cost; a dead farm's summary is flushed the same way.
//
// So a farm's summary must never change its metric, only come and go.
// The link router summarises the service /128 with an `area A range`
// that has a fixed cost (the range only says "some server here has the
// /128"), and a service in its dearest tier advertises a shorter prefix
// holding the service address instead of the /128, which the core
// reaches only when no farm has a server left in a cheaper tier (longest
// match). Below its dearest tier the service advertises that shorter
// prefix too, beside the /128 (AdvertisedAs: the link router's route
// into its farm must not wait for the /128 to go). Inside the farm the
// longest match picks the same servers the metrics would: the /128 ones.
// Routers that handle metric changes correctly need none of this, and
// services without tier prefixes advertise their /128 alone in every
// tier.
//
// Rejected: summarising the /128 as is (the failure above); an `area A
// range` without a fixed cost (FRR then advertises the dearest component
// route, and changes that metric in place too); a fixed-cost range alone
// (failure and drain move the core, overload never does); a new Link
// State ID for each metric on the server (the link router summarises
// routes, not the servers' LSAs: its summary is the same); anycostd
// withdrawing a busy farm (load never withdraws a service: all farms busy
// must still answer). The reproductions are lab/sites_frr_test.go.

// A PrefixMetric is one prefix of a service's advertisement and its
// metric.
type PrefixMetric struct {
	Prefix netip.Prefix
	Metric uint16
}

// AdvertisedAs is the set of prefixes the service is advertised as while
// its metric is metric, the first one carrying the service's state:
//
//  1. the prefix of the tier with that metric (the service's /128 for a
//     tier without one, or a metric that is no tier's), at metric;
//  2. when the service has tier prefixes and (1) is not the dearest
//     tier's, the dearest tier's prefix beside it, at the dearest tier's
//     metric.
//
// So a service with tier prefixes advertises the dearest tier's prefix
// whenever it is advertised at all, and a link router (an ABR of
// docs/sites.md) has that route into its farm before any server leaves
// the /128: when every server of a farm leaves the /128 in one step (a
// whole-site drain with drain_action "max-tier", or the farm reaching
// its dearest tier), the router's route for the /128 goes and its route
// for the dearest tier's prefix is already there. Advertised only when
// the service reaches its dearest tier, that route would come in the same
// computation that deletes the /128, and FRR 8.4 installs the deletion
// first: tens of microseconds with no route for the service at the
// router (docs/sites.md, "The transient loop of a whole-site drain:
// cause and fix", part 2). Inside the farm the longest match still picks
// the servers that have the /128. A service without tier prefixes
// advertises its /128 alone, at metric.
func (s *Service) AdvertisedAs(metric uint16) []PrefixMetric {
	own := PrefixMetric{Prefix: s.Prefix, Metric: metric}
	for j, t := range s.Tiers {
		if t.Metric == metric && j < len(s.TierPrefixes) && s.TierPrefixes[j].IsValid() {
			own.Prefix = s.TierPrefixes[j]
		}
	}
	out := []PrefixMetric{own}
	if d, ok := s.dearestTierPrefix(); ok && d.Prefix != own.Prefix {
		out = append(out, d)
	}
	return out
}

// dearestTierPrefix is the dearest tier's prefix and metric, if the
// service has tier prefixes (validation makes the dearest tier's the
// shortest, so it has one whenever any tier has).
func (s *Service) dearestTierPrefix() (PrefixMetric, bool) {
	j := len(s.Tiers) - 1
	if j < 0 || j >= len(s.TierPrefixes) || !s.TierPrefixes[j].IsValid() {
		return PrefixMetric{}, false
	}
	return PrefixMetric{Prefix: s.TierPrefixes[j], Metric: s.Tiers[j].Metric}, true
}

// AdvertisedPrefixes is every prefix the service may be advertised as: its
// /128 first, then each tier prefix (each once). A peer advertising any of
// them advertises the service (the farm view matches peers by them).
func (s *Service) AdvertisedPrefixes() []netip.Prefix {
	out := []netip.Prefix{s.Prefix}
	for _, p := range s.TierPrefixes {
		if p.IsValid() && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// minTierPrefixBits bounds how much address space a tier may attract.
const minTierPrefixBits = 64

// tierPrefixes checks the prefixes of [[service.tier]]: each a /64 to
// /127 holding the service address, and none longer than the previous
// tier's (the service /128 standing for a tier without one), so that a
// dearer tier never wins the longest match. It returns one prefix per
// tier, the zero Prefix for a tier without one, or nil when no tier has
// one.
func (v *validator) tierPrefixes(base string, raws []rawTier, service netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for j := range raws {
		if raws[j].Prefix == nil {
			continue
		}
		if out == nil {
			out = make([]netip.Prefix, len(raws))
		}
		key := fmt.Sprintf("%s.tier[%d].prefix", base, j)
		if s, ok := v.str(key, raws[j].Prefix); ok {
			out[j] = v.tierPrefix(key, s, service)
		}
	}
	if out == nil || !service.IsValid() {
		return out
	}
	prev := service
	for j, p := range out {
		if !p.IsValid() {
			if raws[j].Prefix != nil {
				return out // reported above
			}
			p = service
		}
		if j > 0 && p.Bits() > prev.Bits() {
			v.errorf(fmt.Sprintf("%s.tier[%d].prefix", base, j), "%s is longer than the previous tier's %s: a dearer tier must not win the longest match", p, prev)
			return out
		}
		prev = p
	}
	return out
}

// tierPrefix checks a tier's prefix: an IPv6 prefix of /64 to /127,
// written masked, that holds the service address.
func (v *validator) tierPrefix(key, s string, service netip.Prefix) netip.Prefix {
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		v.errorf(key, "%q is not an IPv6 prefix", s)
	case !p.Addr().Is6() || p.Addr().Is4In6() || p.Addr().Zone() != "":
		v.errorf(key, "%q is not an IPv6 prefix", s)
	case p.Bits() < minTierPrefixBits || p.Bits() > 127:
		v.errorf(key, "%q is a /%d: a tier prefix is a /%d to /127 (the service /128 is the default)", s, p.Bits(), minTierPrefixBits)
	case p != p.Masked():
		v.errorf(key, "%q has host bits set: write %q", s, p.Masked().String())
	case service.IsValid() && !p.Contains(service.Addr()):
		v.errorf(key, "%s does not hold the service address %s", p, service.Addr())
	default:
		return p
	}
	return netip.Prefix{}
}
