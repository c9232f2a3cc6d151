package ospf

import (
	"net/netip"
	"slices"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// The Link-LSA's prefixes (RFC 5340 4.4.3.8). The DR lists the prefixes of
// every Link-LSA on the link in the Intra-Area-Prefix-LSA it originates for
// the network (RFC 5340 4.4.3.9), at metric 0: a prefix here is routed to
// the link by every router, whatever our services' metrics say, and stays
// routed when a service is withdrawn. So the list follows the interface's
// addresses as they change, and never holds a service prefix.

// setLinkPrefixes takes the interface's global addresses after a change
// and wants a Link-LSA that lists them (paced like every own LSA).
func (e *engine) setLinkPrefixes(now time.Time, ps []netip.Prefix) {
	if slices.Equal(ps, e.cfg.Link.Prefixes) {
		return
	}
	e.log.Info("interface addresses changed", "interface", e.cfg.Link.Name, "from", e.cfg.Link.Prefixes, "to", ps)
	e.cfg.Link.Prefixes = slices.Clone(ps)
	e.originateLink(now)
}

// linkPrefixes returns the prefixes the Link-LSA lists: those of the
// interface's global IPv6 addresses, each once, less every prefix that is
// a service's (its prefix or fallback), or was read from an address that
// is a service's (a service /128 put on the interface with a shorter
// length would otherwise bring its covering prefix in).
func (e *engine) linkPrefixes() []lsa.Prefix {
	var out []lsa.Prefix
	for _, p := range e.cfg.Link.Prefixes {
		a := p.Addr()
		if !a.Is6() || a.Is4In6() || a.IsLinkLocalUnicast() || e.isServiceAddr(p) {
			continue
		}
		lp := lsa.Prefix{Prefix: p.Masked()}
		if !slices.Contains(out, lp) {
			out = append(out, lp)
		}
	}
	return out
}

// isServiceAddr reports whether p, an interface address with its prefix
// length, is a service's prefix, fallback or address.
func (e *engine) isServiceAddr(p netip.Prefix) bool {
	for _, s := range e.services {
		if p.Masked() == s.Prefix.Masked() || p.Addr().WithZone("") == s.Prefix.Addr() {
			return true
		}
		if fb, ok := s.fallback(); ok && p.Masked() == fb {
			return true
		}
	}
	return false
}
