//go:build sitesfrr

package lab

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// These tests reproduce what docs/sites.md reports of FRR 8.4.4 as ABRs
// and core; each fails while the router misbehaves (with FRR 8.4.4 the
// first three fail, the last passes). They are not part of make test:
// `go test -tags sitesfrr -run TestSitesFRR ./lab/` (root, about 4 min).

// followWithin is how long a core that handles summaries right needs at
// most to follow a site's change (it takes tens of milliseconds).
const followWithin = 10 * time.Second

// sitesFRRLab builds two sites of two servers each with static metrics
// (with dns, the lab's DNS service with its monitors instead), the core 10
// from A and costB from B, and ranges as given (nil: plain summaries of
// the /128).
func sitesFRRLab(t *testing.T, ranges []SiteRange, costB int, dns bool) *Sites {
	s := NewSites(t, SitesOptions{Servers: 2, CoreCostA: 10, CoreCostB: costB, Tune: func(name string, r *SiteRouter) {
		if name != "core" {
			r.Ranges = map[string][]SiteRange{r.Ifaces[0].Area: ranges}
			// As these reproductions were measured: they are about
			// the core's summaries, not the ABR's forwarding.
			r.FIBDeny = nil
		}
	}})
	if dns {
		for _, srv := range s.Servers() {
			srv.WriteConfig(srv.TOML(DNSServiceTOML(time.Second)))
		}
	}
	s.StartServers()
	return s
}

// coreFollows waits up to followWithin for the core to send the service
// over p to site, and reports how long it took, or false.
func coreFollows(s *Sites, p netip.Prefix, site string) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < followWithin {
		if c, err := s.CoreChoice(); err == nil && c.Prefix == p && strings.Join(c.Sites, "+") == site {
			return time.Since(start), true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, false
}

// cycleMetrics raises site A's servers to metric 40 and back to 10 three
// times and checks that the core follows each move.
func cycleMetrics(t *testing.T, s *Sites, p netip.Prefix) {
	s.WaitCore(60*time.Second, "the core on A at start", p, "a")
	for i := range 3 {
		for _, step := range []struct {
			metric int
			site   string
		}{{40, "b"}, {10, "a"}} {
			time.Sleep(2 * time.Second)
			SetMetric(s.A.Servers, step.metric)
			took, ok := coreFollows(s, p, step.site)
			ss, _ := s.CoreFRR.Summaries(p)
			var lsas []string
			for _, x := range ss {
				lsas = append(lsas, x.String())
			}
			c, _ := s.CoreChoice()
			if !ok {
				t.Errorf("cycle %d: A at metric %d: the core still sends the service over %s after %v; its summaries: %s",
					i, step.metric, c, followWithin, strings.Join(lsas, "; "))
				continue
			}
			t.Logf("cycle %d: A at metric %d: the core followed in %v", i, step.metric, took.Round(time.Millisecond))
		}
	}
}

// Plain summaries of the /128: the core must follow site A's metric
// rises and falls. FRR 8.4.4 follows the first rise and fall, then keeps
// the stale route (docs/sites.md, item 2).
func TestSitesFRRPlainSummary(t *testing.T) {
	cycleMetrics(t, sitesFRRLab(t, nil, 15, false), Anycast)
}

// A range without a fixed cost advertises the dearest route inside it and
// changes that metric in place (docs/sites.md, item 4).
func TestSitesFRRRangeWithoutCost(t *testing.T) {
	cycleMetrics(t, sitesFRRLab(t, []SiteRange{{Prefix: SiteSpare}}, 15, false), SiteSpare)
}

// Equal costs: the core must move to B when the site it uses dies. With
// FRR before 10.1 it installed one site; if that is the one that dies, the
// route loses its only next hop and zebra keeps it (docs/sites.md, item 3).
func TestSitesFRREqualCostFailover(t *testing.T) {
	s := sitesFRRLab(t, []SiteRange{{Prefix: SiteSpare, Cost: siteRangeCost}}, 10, true)
	s.WaitBothSummaries(60*time.Second, SiteSpare)
	time.Sleep(3 * time.Second)
	c, err := s.CoreChoice()
	if err != nil || len(c.Sites) == 0 {
		t.Fatalf("the core has no route for the service: %v %v", c, err)
	}
	dead := s.A
	other := "b"
	if c.Sites[0] == "b" {
		dead, other = s.B, "a"
	}
	t.Logf("equal costs: the core uses %s; killing every NSD of site %s", c, dead.Name)
	for _, n := range dead.NSD {
		n.Kill()
	}
	if took, ok := coreFollows(s, SiteSpare, other); ok {
		t.Logf("the core moved to site %s in %v", other, took.Round(time.Millisecond))
		return
	}
	c, _ = s.CoreChoice()
	out, _ := s.CoreFRR.Vtysh("show ipv6 ospf6 route " + SiteSpare.String() + " detail")
	t.Errorf("site %s dead for %v: the core still sends the service over %s\n%s", dead.Name, followWithin, c, out)
}

// A range over exactly the service /128: the ABR's discard route for the
// range and its route to the farm's servers are the same prefix; the ABR
// must still forward the service to its servers (docs/sites.md, the
// rejected alternatives: it did in the one run made).
func TestSitesFRRExactRange(t *testing.T) {
	s := sitesFRRLab(t, []SiteRange{{Prefix: Anycast, Cost: siteRangeCost}}, 15, false)
	want := fmt.Sprint(LinkLocals(s.A.Servers...))
	start := time.Now()
	var got string
	for time.Since(start) < 30*time.Second {
		hops, err := s.A.RouterHost.FIBNextHops(Anycast)
		if err == nil && fmt.Sprint(hops) == want {
			t.Logf("ABR A forwards %s to its servers %s", Anycast, want)
			return
		}
		out, _ := s.A.RouterHost.Run(t.Context(), "ip", "-6", "route", "show", Anycast.String())
		got = strings.TrimSpace(string(out))
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("ABR A's kernel route for %s after 30 s: %q, want next hops %s", Anycast, got, want)
}
