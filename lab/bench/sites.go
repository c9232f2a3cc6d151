package main

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// sitesLab is the two-site lab of docs/sites.md (lab.OpenSites) with a
// route monitor on the core (the service's SiteSpare range) and three on
// ABR A (the service /128 inside site A, its route for A's SiteSpare
// range, and its route for SiteOverflow into site A).
type sitesLab struct {
	r     *row
	s     *lab.Sites
	core  *routeMonitor
	abrA  *routeMonitor
	abrA2 *routeMonitor // ABR A's routes for SiteSpare (/127): its discard route, or B's summary via the core
	abrA3 *routeMonitor // ABR A's routes for SiteOverflow (/126): A's servers that answer
	hopA  netip.Addr    // the core's next hop toward site A
	hopB  netip.Addr
	drain time.Duration
}

// sitesDebug, with -debug, has ABR A's ospf6d and zebra log each route
// they compute, send and install, with microsecond timestamps.
func sitesDebug(name string, r *lab.SiteRouter) {
	if !debugDaemons || name != "a" {
		return
	}
	r.Global = append(r.Global, "log timestamp precision 6", "debug ospf6 spf process", "debug ospf6 abr",
		"debug ospf6 zebra send", "debug zebra rib", "debug zebra dplane", "debug zebra kernel")
}

// sitesRow runs the "sites" row: site failover, site overload and a
// drain of a whole site, on one lab.
func (b *bench) sitesRow(r *row) {
	b.r = r
	x := &sitesLab{r: r, drain: 2 * time.Second}
	x.s = must(lab.OpenSites(r.log, lab.SitesOptions{CoreCostA: 10, CoreCostB: 15, Tune: sitesDebug}))
	l := x.s.Lab
	r.cleanup(func() {
		if r.hasFailed() {
			r.logf("%s", l.ProcessTails(30))
		}
		if err := l.Close(); err != nil {
			r.logf("lab cleanup: %v", err)
		}
	})
	r.logf("lab %s (two sites of 3 servers)", l.Name())
	if keepLogs != "" {
		// Registered after the lab's own cleanup, so it runs first.
		r.cleanup(func() { copyLogs(l.Dir(), filepath.Join(keepLogs, r.name+"-"+l.Name())) })
	}
	must(lab.Build()) // the servers run the anycostd binary it builds
	x.hopA, x.hopB = x.s.A.Hop(), x.s.B.Hop()
	x.core = must(startRouteMonitor(x.s.Core.Namespace(), lab.SiteSpare))
	r.cleanup(x.core.stop)
	x.abrA = must(startRouteMonitor(x.s.A.RouterHost.Namespace(), lab.Anycast))
	r.cleanup(x.abrA.stop)
	x.abrA2 = must(startRouteMonitor(x.s.A.RouterHost.Namespace(), lab.SiteSpare))
	r.cleanup(x.abrA2.stop)
	x.abrA3 = must(startRouteMonitor(x.s.A.RouterHost.Namespace(), lab.SiteOverflow))
	r.cleanup(x.abrA3.stop)
	r.check(x.s.TryUseSiteService(x.drain))
	r.check(x.s.TryStartServers())
	x.waitCore(90*time.Second, "the core on site A at start", "a")
	time.Sleep(b.cfg.settle)
	if sitesParts["failover"] {
		b.siteFailover(x)
	}
	if sitesParts["overload"] {
		b.siteOverload(x)
	}
	if sitesParts["drain"] {
		b.siteDrain(x)
	}
}

// waitCore waits until the core sends the service over SiteSpare to site.
func (x *sitesLab) waitCore(timeout time.Duration, what, site string) time.Duration {
	return must(x.s.TryWaitCore(timeout, what, lab.SiteSpare, site))
}

// coreTo is a route-event condition: the core's SiteSpare route has
// exactly hop as its next hop.
func coreTo(hop netip.Addr) func(routeEvent) bool {
	return func(ev routeEvent) bool {
		return !ev.Deleted && len(ev.Hops) == 1 && ev.Hops[0] == hop
	}
}

// siteFailover: site A's NSDs are killed one by one. The first kill is a
// server failing inside a farm whose other servers still answer (timed at
// ABR A's FIB: the single-farm failover of this lab); the last kill takes
// the whole site down (timed at the core's FIB: the site failover).
func (b *bench) siteFailover(x *sitesLab) {
	const row = "sites"
	trials := b.cfg.failTrials
	b.logf("site failover: %d trials", trials)
	for trial := 1; trial <= trials; trial++ {
		nsds := x.s.A.NSD
		for i, n := range nsds {
			last := i == len(nsds)-1
			srv := x.s.A.Servers[i]
			t0 := time.Now()
			if err := n.Signal(syscall.SIGKILL); err != nil {
				x.r.failf("kill NSD on %s: %v", srv.Name(), err)
			}
			switch {
			case i == 0:
				ev, err := x.abrA.waitEvent(t0, 30*time.Second, func(ev routeEvent) bool {
					return !ev.Deleted && len(ev.Hops) > 0 && !slices.Contains(ev.Hops, srv.Iface.LinkLocal)
				})
				if err != nil {
					x.r.failf("site failover trial %d: ABR A: %v", trial, err)
				}
				ms := msSince(t0, ev.At)
				b.res.add(sample{Row: row, Alt: "in-site", Trial: trial, Metric: "kill_to_abr_fib_ms", Value: ms, Unit: "ms"})
				b.logf("site failover trial %d: %s's NSD killed, ABR A dropped it after %.1f ms: %s", trial, srv.Name(), ms, ev.Raw)
			case last:
				ev, err := x.core.waitEvent(t0, 30*time.Second, coreTo(x.hopB))
				if err != nil {
					x.r.failf("site failover trial %d: core: %v", trial, err)
				}
				ms := msSince(t0, ev.At)
				b.res.add(sample{Row: row, Alt: "site", Trial: trial, Metric: "kill_to_core_fib_ms", Value: ms, Unit: "ms"})
				b.logf("site failover trial %d: last NSD of A (%s) killed, the core moved to B after %.1f ms: %s", trial, srv.Name(), ms, ev.Raw)
			default:
				// Let ABR A drop it before the next kill, untimed.
				time.Sleep(500 * time.Millisecond)
			}
			n.Proc.WaitTimeout(5 * time.Second)
		}
		for _, n := range nsds {
			x.r.check(n.TryStart())
		}
		x.waitCore(60*time.Second, "the core back on A after its NSDs restarted", "a")
		time.Sleep(b.cfg.settle)
	}
}

// siteOverload: every server of A is put under load (its external load
// file) and climbs to its dearest tier, which advertises the overflow
// prefix instead of the /128; A's fixed-cost range of the /128 goes and
// the core moves to B. Timed from the moment the last server of A logged
// its move to the dearest tier (its log, millisecond resolution) and from
// the load's rise; then the load falls and the core comes back.
func (b *bench) siteOverload(x *sitesLab) {
	const row = "sites"
	trials := max(1, b.cfg.drainTrials)
	b.logf("site overload: %d trials", trials)
	top := fmt.Sprintf("metric %d", 40)
	for trial := 1; trial <= trials; trial++ {
		t0 := time.Now()
		x.r.check(x.s.A.TrySetLoad(0.95))
		ev, err := x.core.waitEvent(t0, 60*time.Second, coreTo(x.hopB))
		if err != nil {
			x.r.failf("site overload trial %d: %v", trial, err)
		}
		var lastTop time.Time
		for _, srv := range x.s.A.Servers {
			d, err := firstDecision(srv.Proc.LogPath(), t0, top)
			if err != nil {
				x.r.failf("site overload trial %d: %s: %v", trial, srv.Name(), err)
			}
			if d.At.After(lastTop) {
				lastTop = d.At
			}
		}
		up := msSince(lastTop.Truncate(time.Millisecond), ev.At)
		b.res.add(sample{Row: row, Alt: "overload", Trial: trial, Metric: "top_tier_to_core_fib_ms", Value: up, Unit: "ms"})
		b.res.add(sample{Row: row, Alt: "overload", Trial: trial, Metric: "load_to_core_fib_ms", Value: msSince(t0, ev.At), Unit: "ms"})
		b.logf("site overload trial %d: last server of A in its dearest tier %.0f ms after the load rose; the core moved to B %.1f ms later: %s",
			trial, msSince(t0, lastTop), up, ev.Raw)
		b.abrDiscard(x, "overload", trial, t0, ev.At)
		t1 := time.Now()
		x.r.check(x.s.A.TrySetLoad(0.05))
		ev, err = x.core.waitEvent(t1, 90*time.Second, coreTo(x.hopA))
		if err != nil {
			x.r.failf("site overload trial %d: back: %v", trial, err)
		}
		first := time.Time{}
		for _, srv := range x.s.A.Servers {
			if d, err := firstDecision(srv.Proc.LogPath(), t1, "metric 20"); err == nil && (first.IsZero() || d.At.Before(first)) {
				first = d.At
			}
		}
		if !first.IsZero() {
			back := msSince(first.Truncate(time.Millisecond), ev.At)
			b.res.add(sample{Row: row, Alt: "overload", Trial: trial, Metric: "below_top_to_core_fib_ms", Value: back, Unit: "ms"})
			b.logf("site overload trial %d: first server of A below its dearest tier %.0f ms after the load fell; the core came back %.1f ms later", trial, msSince(t1, first), back)
		}
		time.Sleep(b.cfg.settle)
	}
}

// siteDrain: dnsperf at drainQPS through the core while every anycostd
// of site A gets SIGTERM (drain: withdraw, keep answering for drain_time,
// flush, exit); counts the queries lost, then restarts them.
func (b *bench) siteDrain(x *sitesLab) {
	const row = "sites"
	trials := max(1, b.cfg.drainTrials)
	b.logf("site drain: %d trials at %d qps", trials, b.cfg.drainQPS)
	for trial := 1; trial <= trials; trial++ {
		type out struct {
			r   lab.PerfResult
			err error
		}
		var caps *siteCaptures
		if sitesCapture {
			caps = must(startSiteCaptures(x, trial))
		}
		done := make(chan out, 1)
		go func() {
			r, err := x.s.Client.DNSPerf(context.Background(), lab.PerfOptions{Server: lab.Anycast.Addr(),
				Duration: b.cfg.drainRun, QPS: b.cfg.drainQPS, Clients: 50, Timeout: time.Second})
			done <- out{r, err}
		}()
		time.Sleep(2 * time.Second)
		t0 := time.Now()
		for _, srv := range x.s.A.Servers {
			x.r.check(srv.TrySignal(syscall.SIGTERM))
		}
		ev, err := x.core.waitEvent(t0, 30*time.Second, coreTo(x.hopB))
		if err != nil {
			x.r.failf("site drain trial %d: %v", trial, err)
		}
		for _, srv := range x.s.A.Servers {
			if err := srv.Proc.WaitTimeout(20 * time.Second); err != nil {
				x.r.failf("site drain trial %d: %s: anycostd after SIGTERM: %v", trial, srv.Name(), err)
			}
		}
		o := <-done
		if caps != nil {
			caps.stop(o.r.Lost > 0)
			if o.r.Lost > 0 {
				b.logf("site drain trial %d: captures kept: %s", trial, strings.Join(caps.files, " "))
			}
		}
		if o.err != nil {
			x.r.failf("site drain trial %d: dnsperf: %v", trial, o.err)
		}
		b.res.add(sample{Row: row, Alt: "drain", Trial: trial, Metric: "sigterm_to_core_fib_ms", Value: msSince(t0, ev.At), Unit: "ms"})
		b.res.add(sample{Row: row, Alt: "drain", Trial: trial, Metric: "lost", Value: float64(o.r.Lost), Unit: "queries"})
		b.res.add(sample{Row: row, Alt: "drain", Trial: trial, Metric: "sent", Value: float64(o.r.Sent), Unit: "queries"})
		b.logf("site drain trial %d: the core moved to B %.1f ms after the SIGTERMs; dnsperf sent %d, lost %d", trial, msSince(t0, ev.At), o.r.Sent, o.r.Lost)
		b.abrDiscard(x, "drain", trial, t0, ev.At)
		for _, srv := range x.s.A.Servers {
			must(srv.TryStart())
		}
		x.waitCore(90*time.Second, "the core back on A after its servers restarted", "a")
		time.Sleep(b.cfg.settle)
	}
}

// abrDiscard times, for a move of the core from A to B caused at t0 that
// reached the core's FIB at coreAt, when ABR A's kernel lost its route
// for the /128 (the last server of A left it). A query for the service
// that reaches ABR A after that and before the core moves matches ABR
// A's route for A's SiteSpare range (/127), if it has one: the range's
// discard route, a blackhole (the query is dropped without a counter or
// an ICMPv6 error), until ospf6d removes it too; or the route to B's
// summary of the range via the core, which sends the query back to A:
// it loops until the core moves or its hop limit runs out (about 60 us
// here; ABR A then sends ICMPv6 Time Exceeded). Without a /127 the /126
// takes it to A's servers, if ABR A has it then: with every server
// advertising the /126 beside the /128 (docs/sites.md, part 2 of the
// fix) it has, long before. -sites-capture shows which.
// It records coreAt minus that time (above 0: the core still sent to A),
// how long the blackhole caught queries that the core still sent, and
// how long ABR A had no /126 between t0 and the core's move.
func (b *bench) abrDiscard(x *sitesLab, alt string, trial int, t0, coreAt time.Time) {
	const row = "sites"
	// ABR A's monitor may report after the core's.
	time.Sleep(time.Until(coreAt.Add(600 * time.Millisecond)))
	gone, ok := x.abrA.goneAt(t0, coreAt.Add(500*time.Millisecond))
	if !ok {
		b.logf("site %s trial %d: ABR A's /128 route did not go within 500 ms of the core's move", alt, trial)
		return
	}
	state := x.abrA2.stateAt(gone)
	blackhole := 0.0
	if strings.HasPrefix(state, "blackhole") {
		end := coreAt
		if next, ok := x.abrA2.nextAfter(gone); ok && next.At.Before(end) {
			end = next.At
		}
		blackhole = max(0, msSince(gone, end))
	}
	noOverflow := x.abrA3.absentMs(t0, coreAt)
	b.res.add(sample{Row: row, Alt: alt, Trial: trial, Metric: "abr_route_gone_to_core_fib_ms", Value: msSince(gone, coreAt), Unit: "ms"})
	b.res.add(sample{Row: row, Alt: alt, Trial: trial, Metric: "abr_blackhole_exposure_ms", Value: blackhole, Unit: "ms"})
	b.res.add(sample{Row: row, Alt: alt, Trial: trial, Metric: "abr_no_overflow_ms", Value: noOverflow, Unit: "ms"})
	b.logf("site %s trial %d: ABR A's /128 went %.3f ms after t0, the core moved %.3f ms after t0 (%.3f ms later); ABR A's /127 then: %s; the discard route caught queries for %.3f ms; ABR A's /126 then: %s, absent for %.3f ms between t0 and the core's move",
		alt, trial, msSince(t0, gone), msSince(t0, coreAt), msSince(gone, coreAt), state, blackhole, x.abrA3.stateAt(gone), noOverflow)
}

// msSince is to - from in milliseconds.
func msSince(from, to time.Time) float64 { return float64(to.Sub(from).Microseconds()) / 1000 }
