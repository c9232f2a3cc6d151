package lab

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sitesQPS is the offered load of the two-site tests (issue 17).
const sitesQPS = 2000

// perfRun is a dnsperf run going on in the background.
type perfRun struct {
	done chan struct{}
	res  PerfResult
	err  error
}

// goPerf starts dnsperf from the client toward the service address.
func (s *Sites) goPerf(d time.Duration) *perfRun {
	r := &perfRun{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.res, r.err = s.Client.DNSPerf(context.Background(), PerfOptions{
			Server: Anycast.Addr(), Duration: d, QPS: sitesQPS, Clients: 40, Timeout: time.Second})
	}()
	return r
}

// wait returns the run's result, failing the test if dnsperf failed.
func (r *perfRun) wait(t *testing.T, what string) PerfResult {
	t.Helper()
	<-r.done
	if r.err != nil {
		t.Fatalf("%s: dnsperf: %v", what, r.err)
	}
	t.Logf("%s: sent %d, completed %d, lost %d at %d qps", what, r.res.Sent, r.res.Completed, r.res.Lost, sitesQPS)
	return r.res
}

// whoamiIs checks that the client's answer comes from site.
func whoamiIs(t *testing.T, s *Sites, what, site string) {
	t.Helper()
	got, err := s.WhoamiSite()
	if err != nil {
		t.Fatalf("%s: whoami: %v", what, err)
	}
	if got != site {
		t.Errorf("%s: answered by site %q, want %q", what, got, site)
	}
}

// Issue 17: two farms in areas 1 and 2 behind FRR ABRs, a core in area 0
// nearer to A (cost 10) than to B (15), with the config of docs/sites.md.
// The core sends the service to A; when every server of A climbs to its
// dearest tier it moves to B and comes back when A recovers, losing
// nothing; when every NSD of A dies it moves to B; before the drain ABR A
// has the /126 to all of A's servers; a drain of A at 2000 qps loses
// nothing. Times are logged; the bench measures them.
func TestSitesSteering(t *testing.T) {
	s := NewSites(t, SitesOptions{CoreCostA: 10, CoreCostB: 15})
	s.UseSiteService(2 * time.Second)
	s.StartServers()
	took := s.WaitCore(60*time.Second, "the core to send the service to the nearer site A", SiteSpare, "a")
	t.Logf("core on A (%s) %v after the servers started", SiteSpare, took.Round(time.Millisecond))
	whoamiIs(t, s, "both sites healthy", "a")
	if r := s.goPerf(3*time.Second).wait(t, "baseline"); r.Lost != 0 || r.Sent == 0 {
		t.Fatalf("baseline lost %d of %d queries", r.Lost, r.Sent)
	}

	// (2) A's servers all climb to their dearest tier and come back.
	perf := s.goPerf(40 * time.Second)
	time.Sleep(2 * time.Second)
	s.A.SetLoad(0.95)
	up := s.WaitCore(30*time.Second, "the core to move to B when A is overloaded", SiteSpare, "b")
	whoamiIs(t, s, "A overloaded", "b")
	c, err := s.CoreChoice()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("A overloaded: core moved to B %v after the load rose (%s)", up.Round(time.Millisecond), c)
	s.A.SetLoad(0.05)
	back := s.WaitCore(40*time.Second, "the core to return to A when A recovers", SiteSpare, "a")
	t.Logf("A recovered: core back on A %v after the load fell", back.Round(time.Millisecond))
	whoamiIs(t, s, "A recovered", "a")
	if r := perf.wait(t, "overload and recovery"); r.Lost != 0 {
		t.Errorf("%d queries lost while the core moved to B and back", r.Lost)
	}

	// (3) Every NSD of A killed: A withdraws, the core moves to B.
	time.Sleep(2 * time.Second)
	start := time.Now()
	for _, n := range s.A.NSD {
		n.Kill()
	}
	killed := time.Since(start)
	gone := s.WaitCore(30*time.Second, "the core to move to B when every NSD of A is dead", SiteSpare, "b")
	t.Logf("A's NSDs killed (over %v): core on B %v after the last kill", killed.Round(time.Millisecond), gone.Round(time.Millisecond))
	whoamiIs(t, s, "A dead", "b")
	for _, n := range s.A.NSD {
		n.Start()
	}
	back = s.WaitCore(30*time.Second, "the core to return to A when its NSDs are back", SiteSpare, "a")
	t.Logf("A's NSDs restarted: core back on A %v later", back.Round(time.Millisecond))

	// A drained at 2000 qps: nothing lost. Before it, with every server
	// of A below its dearest tier, ABR A already forwards the /126 to all
	// of them (their fallback beside the /128, docs/sites.md, part 2 of
	// the fix): the /128's removal at the drain falls back on it.
	fibIs(t, s.A.Farm, SiteOverflow, 15*time.Second, "ABR A's route for "+SiteOverflow.String()+" via all of A's servers before the drain", LinkLocals(s.A.Servers...))
	time.Sleep(2 * time.Second)
	perf = s.goPerf(10 * time.Second)
	time.Sleep(3 * time.Second)
	start = time.Now()
	for _, srv := range s.A.Servers {
		srv.Signal(syscall.SIGTERM)
	}
	moved := s.WaitCore(30*time.Second, "the core to move to B when A is drained", SiteSpare, "b")
	t.Logf("A drained (SIGTERM to each anycostd): core on B %v later", moved.Round(time.Millisecond))
	for _, srv := range s.A.Servers {
		if err := srv.Proc.WaitTimeout(20 * time.Second); err != nil {
			t.Errorf("%s: anycostd after SIGTERM: %v", srv.Name(), err)
		}
	}
	if r := perf.wait(t, "drain of A"); r.Lost != 0 {
		t.Errorf("%d queries lost in the drain of site A", r.Lost)
	}
}

// Issue 17 (1): with equal costs from the core to both ABRs, FRR before
// 10.1 installs only one of the two equal inter-area paths (the next hop
// of the summary it read last, docs/sites.md); from 10.1 on both.
func TestSitesEqualCost(t *testing.T) {
	s := NewSites(t, SitesOptions{Servers: 1})
	s.UseSiteService(time.Second)
	s.StartServers()
	WaitFor(t, 60*time.Second, "the core to route the service over "+SiteSpare.String(), func() (bool, error) {
		c, err := s.CoreChoice()
		return err == nil && c.Prefix == SiteSpare, err
	})
	// Both summaries must be in the core's database before its choice
	// says anything.
	s.WaitBothSummaries(30*time.Second, SiteSpare)
	time.Sleep(2 * time.Second)
	c, err := s.CoreChoice()
	if err != nil {
		t.Fatal(err)
	}
	ver, err := s.CoreFRR.Vtysh("show version")
	if err != nil {
		t.Fatal(err)
	}
	old := strings.Contains(ver, "FRRouting 8.") || strings.Contains(ver, "FRRouting 9.") || strings.Contains(ver, "FRRouting 10.0")
	t.Logf("equal costs: the core sends the service over %s (%s)", c, strings.SplitN(strings.TrimSpace(ver), "\n", 2)[0])
	switch {
	case old && len(c.Sites) != 1:
		t.Errorf("FRR before 10.1 with equal costs: the core uses %s; docs/sites.md says one site only", c)
	case !old && len(c.Sites) != 2:
		t.Errorf("FRR 10.1 or later with equal costs: the core uses %s, want both sites (ECMP)", c)
	}
}
