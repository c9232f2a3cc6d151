package lab

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// abrNext is where ABR A's kernel sends a query for the service.
type abrNext string

const (
	toFarm  abrNext = "farm"     // a route of A's servers
	toDrop  abrNext = "discard"  // a range's discard route
	toCore  abrNext = "core"     // B's summary: back to the core
	toNoway abrNext = "no route" // nothing matches
)

// abrFIB models ABR A's kernel routes for the prefixes around the
// service address, given the prefixes A's servers advertise (one entry
// per server: Anycast, SiteOverflow or nothing) and with site B having
// spare capacity (B's summaries of both ranges in area 0). A range of
// A's is active while a route of the area lies inside it: FRR installs
// its discard route, and B's summary of the same prefix is ignored (RFC
// 2328 16.2 step 3); inactive, B's summary is A's route, via the core.
// Routes for a prefix in r.FIBDeny stay out of the kernel.
func abrFIB(r SiteRouter, servers []netip.Prefix) map[netip.Prefix]abrNext {
	fib := map[netip.Prefix]abrNext{}
	for _, p := range servers {
		if p.IsValid() {
			fib[p] = toFarm
		}
	}
	for _, ranges := range r.Ranges {
		for _, rg := range ranges {
			active := false
			for _, p := range servers {
				active = active || (p.IsValid() && rg.Prefix.Bits() <= p.Bits() && rg.Prefix.Contains(p.Addr()))
			}
			if _, own := fib[rg.Prefix]; own {
				continue
			}
			if active {
				fib[rg.Prefix] = toDrop
			} else {
				fib[rg.Prefix] = toCore
			}
		}
	}
	for _, p := range r.FIBDeny {
		if fib[p] != toFarm {
			delete(fib, p)
		}
	}
	return fib
}

// lookup is the kernel's longest match for addr.
func lookup(fib map[netip.Prefix]abrNext, addr netip.Addr) abrNext {
	best, out := -1, toNoway
	for p, n := range fib {
		if p.Contains(addr) && p.Bits() > best {
			best, out = p.Bits(), n
		}
	}
	return out
}

// transients returns every kernel state between from and to when the
// changed prefixes reach the kernel one at a time, in any order: for each
// changed prefix, its old or its new route.
func transients(from, to map[netip.Prefix]abrNext) []map[netip.Prefix]abrNext {
	var changed []netip.Prefix
	for p := range from {
		if to[p] != from[p] {
			changed = append(changed, p)
		}
	}
	for p := range to {
		if _, ok := from[p]; !ok {
			changed = append(changed, p)
		}
	}
	var out []map[netip.Prefix]abrNext
	for mask := 0; mask < 1<<len(changed); mask++ {
		fib := map[netip.Prefix]abrNext{}
		for p, n := range from {
			fib[p] = n
		}
		for i, p := range changed {
			if mask&(1<<i) == 0 {
				continue
			}
			if n, ok := to[p]; ok {
				fib[p] = n
			} else {
				delete(fib, p)
			}
		}
		out = append(out, fib)
	}
	return out
}

// drainLoops walks a max-tier drain of a farm of n servers, one server's
// advertisement at a time from the /128 to SiteOverflow, and returns each
// kernel state (steady or transient) in which ABR A does not send the
// service into its farm although a server still answers there.
func drainLoops(r SiteRouter, n int) []string {
	state := slices.Repeat([]netip.Prefix{Anycast}, n)
	var bad []string
	for i := range n {
		next := slices.Clone(state)
		next[i] = SiteOverflow
		for _, fib := range transients(abrFIB(r, state), abrFIB(r, next)) {
			if got := lookup(fib, Anycast.Addr()); got != toFarm {
				bad = append(bad, fmt.Sprintf("server %d of %d leaving the /128: %s (%s)", i+1, n, got, fibString(fib)))
			}
		}
		state = next
	}
	return bad
}

func fibString(fib map[netip.Prefix]abrNext) string {
	var s []string
	for _, p := range slices.SortedFunc(maps.Keys(fib), func(a, b netip.Prefix) int { return b.Bits() - a.Bits() }) {
		s = append(s, fmt.Sprintf("%s %s", p, fib[p]))
	}
	return strings.Join(s, ", ")
}

// TestSitesDrainNeverLeavesTheFarm: with the recommended ABR config, in
// every kernel state of a max-tier drain of a whole farm of two or more
// servers (each server's change reaching the ABR in turn, each prefix's
// route reaching the kernel in any order), ABR A sends the service into
// its farm: no query the core still sends to A is dropped or sent back
// before the core moves (docs/sites.md, "The transient loop of a
// whole-site drain").
func TestSitesDrainNeverLeavesTheFarm(t *testing.T) {
	r := ABRRouter("192.0.2.2", "0.0.0.1")
	if !slices.Equal(r.FIBDeny, []netip.Prefix{SiteSpare}) {
		t.Errorf("the ABR keeps %v out of its kernel, want exactly the spare-capacity range %s", r.FIBDeny, SiteSpare)
	}
	for n := 2; n <= 4; n++ {
		for _, b := range drainLoops(r, n) {
			t.Error(b)
		}
	}
}

// TestSitesDrainModelLoopsWithoutFIBDeny: the same model with the ranges
// in the ABR's kernel (the config before sitefib.go) has the states the
// bench captured at 8000 qps: when the last server leaves the /128, the
// range's discard route and B's summary via the core win over
// SiteOverflow.
func TestSitesDrainModelLoopsWithoutFIBDeny(t *testing.T) {
	r := ABRRouter("192.0.2.2", "0.0.0.1")
	r.FIBDeny = nil
	bad := drainLoops(r, 3)
	var core, drop bool
	for _, b := range bad {
		if !strings.HasPrefix(b, "server 3 of 3") {
			t.Errorf("a state before the last server's move: %s", b)
		}
		core = core || strings.Contains(b, ": core (")
		drop = drop || strings.Contains(b, ": discard (")
	}
	if !core || !drop {
		t.Errorf("want the loop (core) and the drop (discard) in the last server's move, got %q", bad)
	}
}

// TestSignalRanges: only a range more specific than the overflow prefix
// and less specific than the service /128 is a signal; the range over the
// overflow prefix is a route the ABR needs (its discard route, or the
// other farm's summary when no server of its own answers), and a range
// over the /128 itself is the farm's own route.
func TestSignalRanges(t *testing.T) {
	ranges := []SiteRange{{Prefix: SiteSpare}, {Prefix: SiteAlive}, {Prefix: netip.MustParsePrefix("2001:db8:54::/127")}, {Prefix: Anycast}}
	if got := signalRanges(ranges, SiteOverflow, Anycast); !slices.Equal(got, []netip.Prefix{SiteSpare}) {
		t.Errorf("signalRanges = %v, want [%s]", got, SiteSpare)
	}
}

// TestSiteRouterFIBDenyRendered: the zebra lines of FIBDeny.
func TestSiteRouterFIBDenyRendered(t *testing.T) {
	got := ABRRouter("192.0.2.2", "0.0.0.1").String()
	want := "ipv6 prefix-list ospf6-fib-deny seq 5 permit 2001:db8:53::52/127\n" +
		"route-map ospf6-fib-deny deny 10\n" +
		" match ipv6 address prefix-list ospf6-fib-deny\n" +
		"route-map ospf6-fib-deny permit 20\n" +
		"ipv6 protocol ospf6 route-map ospf6-fib-deny\n" +
		"interface eth0\n"
	if !strings.HasPrefix(got, want) {
		t.Errorf("ABR config starts\n%s\nwant\n%s", got[:min(len(got), len(want)+40)], want)
	}
	if strings.Contains(CoreRouter(coreRouterID, 10, 15).String(), "route-map") {
		t.Error("the core keeps a route out of its kernel: it must forward by the spare-capacity range")
	}
}
