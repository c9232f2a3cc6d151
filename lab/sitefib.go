package lab

import (
	"fmt"
	"net/netip"
	"strings"
)

// An ABR of the two-site design forwards the service by its farm's own
// routes only; the spare-capacity range (SiteSpare) is a signal to the
// core and never a route in the ABR's kernel (docs/sites.md, "The
// transient loop of a whole-site drain: cause and fix").
//
// Why: the core picks a farm by the longest match, SiteSpare, which is
// more specific than SiteOverflow, the prefix a server in its dearest
// tier (or drained with max-tier) still advertises. When the last server
// of farm A leaves the /128, ABR A's range over SiteSpare turns inactive
// and ABR A flushes its summary; in the same step its FIB loses the /128
// and, while its range was active, held the range's discard route, and
// once inactive it takes the other farm's summary of the same prefix
// (RFC 2328 16.2 step 3 ignores another ABR's summary of an active range
// only): a route via the core. Both are more specific than SiteOverflow,
// so until the core has processed the flush (up to 0.7 ms measured) the
// queries it still sends to A are dropped (discard route) or sent back to
// the core, which sends them to A again until their hop limit runs out.
// No order of the servers' changes avoids it: whatever keeps a route of
// A's inside SiteSpare keeps the range active and the core on A, so the
// ABR's route into its farm after the flush is less specific than
// SiteSpare, and anything the ABR holds for SiteSpare wins over it.
// Keeping SiteSpare out of the ABR's FIB (zebra still has the routes,
// ospf6d still originates, flushes and examines the summaries) leaves
// SiteOverflow, the farm's route to its drained servers, as the ABR's
// longest match while they answer, once SiteOverflow is in its kernel:
// anycostd advertises it beside the /128 from the start
// (config.Service.AdvertisedAs, part 2 of the fix in docs/sites.md), so it
// is there before any server leaves the /128; advertised only from the
// dearest tier on, it came in the same computation that deleted the /128
// when all servers drained at once, and after the deletion.

// fibDenyName names the prefix-list and the route-map of FIBDeny.
const fibDenyName = "ospf6-fib-deny"

// signalRanges returns the ranges of an ABR that only signal the core:
// those more specific than overflow, the prefix a farm's servers still
// advertise when they have no spare capacity or drain, and less specific
// than service, the prefix they advertise otherwise (a range over the
// service prefix itself is the farm's own route too). The ABR must not
// forward by them.
func signalRanges(ranges []SiteRange, overflow, service netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, rg := range ranges {
		if rg.Prefix.Bits() > overflow.Bits() && rg.Prefix.Bits() < service.Bits() && overflow.Contains(rg.Prefix.Addr()) {
			out = append(out, rg.Prefix)
		}
	}
	return out
}

// renderFIBDeny writes the zebra lines that keep ospf6 routes for the
// prefixes out of the kernel: an exact-match prefix-list, a route-map
// denying it and permitting the rest, and `ipv6 protocol ospf6
// route-map` (zebra applies it to every ospf6 route's next hops, discard
// routes too).
func renderFIBDeny(b *strings.Builder, prefixes []netip.Prefix) {
	if len(prefixes) == 0 {
		return
	}
	for i, p := range prefixes {
		fmt.Fprintf(b, "ipv6 prefix-list %s seq %d permit %s\n", fibDenyName, 5*(i+1), p)
	}
	fmt.Fprintf(b, "route-map %s deny 10\n", fibDenyName)
	fmt.Fprintf(b, " match ipv6 address prefix-list %s\n", fibDenyName)
	fmt.Fprintf(b, "route-map %s permit 20\n", fibDenyName)
	fmt.Fprintf(b, "ipv6 protocol ospf6 route-map %s\n", fibDenyName)
}
