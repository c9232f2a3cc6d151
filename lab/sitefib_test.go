package lab

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
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
// service address, given the prefixes A's servers advertise and those of
// B's servers (other), which B summarises with the same ranges. A range
// is active while a route of its area has it as its best-matching range
// (bestRange). Active, FRR installs A's discard route for it, and B's
// summary of the same prefix is ignored (RFC 2328 16.2 step 3);
// inactive, B's summary, if B has one, is A's route, via the core.
// Routes for a prefix in r.FIBDeny stay out of the kernel.
func abrFIB(r SiteRouter, servers, other []netip.Prefix) map[netip.Prefix]abrNext {
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
				active = active || (p.IsValid() && bestRange(ranges, p) == rg.Prefix)
			}
			if _, own := fib[rg.Prefix]; own {
				continue
			}
			summarised := false // by B, whose ranges are A's
			for _, p := range other {
				summarised = summarised || bestRange(ranges, p) == rg.Prefix
			}
			switch {
			case active:
				fib[rg.Prefix] = toDrop
			case summarised:
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

// bestRange is the most specific of ranges that holds p: FRR 8.4 counts
// a route of the area only toward that range (ospf6_abr_originate_summary
// updates the best-matching range), so the /125 has no discard route
// while the farm's only routes are /128s (the lab's route monitor agrees).
func bestRange(ranges []SiteRange, p netip.Prefix) netip.Prefix {
	var best netip.Prefix
	for _, rg := range ranges {
		if rg.Prefix.Bits() <= p.Bits() && rg.Prefix.Contains(p.Addr()) && (!best.IsValid() || rg.Prefix.Bits() > best.Bits()) {
			best = rg.Prefix
		}
	}
	return best
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

// A layout says what a server of the farm advertises: spare (below its
// dearest tier) or not (in its dearest tier, or drained with max-tier).
type layout func(spare bool) []netip.Prefix

// layoutBefore is the tier-prefix layout before part 2 of the fix
// (docs/sites.md): the /128 below the dearest tier, the dearest tier's
// prefix instead of it there.
func layoutBefore(spare bool) []netip.Prefix {
	if spare {
		return []netip.Prefix{Anycast}
	}
	return []netip.Prefix{SiteOverflow}
}

// layoutAnycostd is what anycostd advertises with the lab's site service
// (SiteServiceTOML, parsed by the config package): the prefixes of
// config.Service.AdvertisedAs at the cheapest tier's metric (spare) or at
// the dearest tier's (in it, or drained with max-tier, whose metric is
// the dearest tier's).
func layoutAnycostd(t *testing.T) layout {
	t.Helper()
	cfg, err := config.Parse("site.toml", []byte("router_id = \"192.0.2.11\"\n\n[ospf]\ninterface = \"eth0\"\n\n"+SiteServiceTOML("/run/dns/load", 2*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	svc := cfg.Services[0]
	if svc.DrainAction != costmodel.DrainMaxTier {
		t.Fatalf("the site service drains with %v, want max-tier", svc.DrainAction)
	}
	at := func(metric uint16) []netip.Prefix {
		var out []netip.Prefix
		for _, pm := range svc.AdvertisedAs(metric) {
			out = append(out, pm.Prefix)
		}
		return out
	}
	spare, dearest := at(svc.Tiers[0].Metric), at(svc.Tiers[len(svc.Tiers)-1].Metric)
	return func(s bool) []netip.Prefix {
		if s {
			return spare
		}
		return dearest
	}
}

func (l layout) prefixes(spare []bool) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range spare {
		out = append(out, l(s)...)
	}
	return out
}

// drainLoops walks a max-tier drain of a farm of n servers and returns
// each kernel state (steady or transient) in which ABR A does not send the
// service into its farm although a server still answers there. together:
// the ABR computes every server's change in one pass (what the lab's
// route monitor showed when all of A's servers got SIGTERM at once);
// otherwise one server's change at a time.
func drainLoops(r SiteRouter, l layout, n int, together bool) []string {
	state := slices.Repeat([]bool{true}, n)
	var bad []string
	step := func(what string, next []bool) {
		other := l.prefixes(slices.Repeat([]bool{true}, 3)) // B has spare capacity
		for _, fib := range transients(abrFIB(r, l.prefixes(state), other), abrFIB(r, l.prefixes(next), other)) {
			if got := lookup(fib, Anycast.Addr()); got != toFarm {
				bad = append(bad, fmt.Sprintf("%s: %s (%s)", what, got, fibString(fib)))
			}
		}
		state = next
	}
	if together {
		step(fmt.Sprintf("all %d servers leaving the /128", n), make([]bool, n))
		return bad
	}
	for i := range n {
		next := slices.Clone(state)
		next[i] = false
		step(fmt.Sprintf("server %d of %d leaving the /128", i+1, n), next)
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

// TestSitesDrainNeverLeavesTheFarm: with the recommended ABR config and
// the layout anycostd advertises with the lab's site service (the
// dearest tier's prefix always, the /128 beside it below the dearest
// tier), in
// every kernel state of a max-tier drain of a whole farm (the servers'
// changes computed one at a time or all in one pass, each prefix's route
// reaching the kernel in any order), ABR A sends the service into its
// farm: no query the core still sends to A is dropped or sent back before
// the core moves (docs/sites.md, "The transient loop of a whole-site
// drain").
func TestSitesDrainNeverLeavesTheFarm(t *testing.T) {
	r := ABRRouter("192.0.2.2", "0.0.0.1")
	if !slices.Equal(r.FIBDeny, []netip.Prefix{SiteSpare}) {
		t.Errorf("the ABR keeps %v out of its kernel, want exactly the spare-capacity range %s", r.FIBDeny, SiteSpare)
	}
	l := layoutAnycostd(t)
	if got, want := l(true), []netip.Prefix{Anycast, SiteOverflow}; !slices.Equal(got, want) {
		t.Errorf("below its dearest tier a site's server advertises %v, want %v", got, want)
	}
	if got, want := l(false), []netip.Prefix{SiteOverflow}; !slices.Equal(got, want) {
		t.Errorf("in its dearest tier (or drained) a site's server advertises %v, want %v", got, want)
	}
	for n := 1; n <= 4; n++ {
		for _, together := range []bool{false, true} {
			for _, b := range drainLoops(r, l, n, together) {
				t.Error(b)
			}
		}
	}
}

// TestSitesDrainModelNeedsBoth: the model has the losses the bench
// measured, and each half of the fix alone leaves some. The layout before
// part 2 with the /127 in the ABR's kernel (the config before
// sitefib.go): the discard route and B's summary via the core win when
// the last server leaves the /128. That layout with the /127 kept out:
// fine one server at a time, but when the ABR computes all servers'
// changes in one pass it deletes the /128 before it has the /126 (the
// no-route drops of the bench at 8000 qps after the filter). anycostd's
// layout with the /127 in the kernel: the /127's discard route still
// wins.
func TestSitesDrainModelNeedsBoth(t *testing.T) {
	filtered := ABRRouter("192.0.2.2", "0.0.0.1")
	plain := filtered
	plain.FIBDeny = nil
	for _, c := range []struct {
		what     string
		r        SiteRouter
		l        layout
		together bool
		want     []abrNext
	}{
		{"the layout before part 2, /127 in the kernel, one at a time", plain, layoutBefore, false, []abrNext{toCore, toDrop}},
		{"the layout before part 2, /127 kept out, in one pass", filtered, layoutBefore, true, []abrNext{toNoway}},
		{"anycostd's layout, /127 in the kernel, one at a time", plain, layoutAnycostd(t), false, []abrNext{toCore, toDrop}},
	} {
		bad := drainLoops(c.r, c.l, 3, c.together)
		for _, w := range c.want {
			if !slices.ContainsFunc(bad, func(b string) bool { return strings.Contains(b, ": "+string(w)+" (") }) {
				t.Errorf("%s: want a state sending the service to %q, got %q", c.what, w, bad)
			}
		}
	}
	if bad := drainLoops(filtered, layoutBefore, 3, false); len(bad) > 0 {
		t.Errorf("the layout before part 2, /127 kept out, one at a time: %q", bad)
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
