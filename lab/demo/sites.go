package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// The two-site variant (-sites, `make demo-sites`): the lab of
// docs/sites.md (lab.OpenSites). Site A (area 0.0.0.1) and site B (area
// 0.0.0.2), three servers each behind an FRR area border router, both
// ABRs joined to a core FRR router that is nearer to A (cost 10) than to
// B (15), the client behind the core. Each server runs the site service
// of docs/sites.md: three tiers whose dearest advertises the overflow
// /126 instead of the service /128, an external load file (the demo's
// way to load a site), and drain_action "max-tier".

// sitesQPS is the two-site demo's default offered load (as the lab's
// two-site tests).
const sitesQPS = 2000

// sitesCoreCost are the core's costs toward ABR A and ABR B.
var sitesCoreCost = [2]int{10, 15}

// setupSites builds the two sites, starts anycostd on every server and
// waits until the core sends the service to site A.
func (d *demo) setupSites(ctx context.Context) error {
	d.scr.say(line{{"anycostd demo, two sites", boldCy}, {fmt.Sprintf(": site A (area 0.0.0.1: ABR ra, servers a1 a2 a3) and site B (area 0.0.0.2: ABR rb, servers b1 b2 b3), NSD and anycostd on every server, both ABRs joined to a core FRR router (cost %d to A, %d to B) with a dnsperf client behind it; docs/sites.md.",
		sitesCoreCost[0], sitesCoreCost[1]), plain}}, 2)
	d.scr.say(line{{"building anycostd and the lab...", dim}}, 0)
	t0 := time.Now()
	var err error
	if d.bin, err = lab.Build(); err != nil {
		return err
	}
	s, err := lab.OpenSites(&d.log, lab.SitesOptions{CoreCostA: sitesCoreCost[0], CoreCostB: sitesCoreCost[1]})
	if err != nil {
		return err
	}
	d.sites, d.lab, d.client, d.servers, d.labName = s, s.Lab, s.Client, s.Servers(), s.Lab.Name()
	if err := s.TryUseSiteService(2 * time.Second); err != nil {
		return err
	}
	if err := s.TryStartServers(); err != nil {
		return err
	}
	for _, srv := range d.servers {
		d.rec.names = append(d.rec.names, srv.Name())
	}
	d.scr.say(line{{fmt.Sprintf("lab %s up in %.1f s: each ABR summarises its farm into area 0 as two fixed-cost ranges, %s (a server below its dearest tier) and %s (a server that answers); a server in its dearest tier advertises %s instead of the /128. Daemon logs go to %s.",
		d.labName, time.Since(t0).Seconds(), lab.SiteSpare, lab.SiteAlive, lab.SiteOverflow, s.Lab.Dir()), dim}}, 2)

	t1 := time.Now()
	err = d.poll(ctx, 90*time.Second, func() (bool, error) {
		c, err := s.CoreChoice()
		return err == nil && c.String() == coreOn("a").String(), err
	})
	if err != nil {
		return fmt.Errorf("the core on site A: %w", err)
	}
	d.scr.say(line{{fmt.Sprintf("the core sends %s to site A after %.1f s (OSPF adjacencies, anycostd's advertisements, ABR A's summary).",
		lab.Anycast.Addr(), time.Since(t1).Seconds()), dim}}, 2)
	d.operatorView(ctx, "at start")
	d.scr.say(line{}, 0)

	d.rec.setStart(time.Now())
	d.smp = newSampler(d.servers, d.sitesRoutes, d.rec, d.refresh)
	d.smp.start()
	return nil
}

// coreOn is the core's choice when it sends the service to site alone
// over the spare-capacity range.
func coreOn(site string) lab.CoreChoice {
	return lab.CoreChoice{Prefix: lab.SiteSpare, Sites: []string{site}}
}

// sitesRoutes reads the core's choice and each ABR's next hops for the
// service /128.
func (d *demo) sitesRoutes(smp *sample) {
	if c, err := d.sites.CoreChoice(); err == nil {
		smp.Core, smp.CoreOK = c, true
	}
	for k, site := range d.sites.Sites() {
		hops, err := site.RouterHost.FIBNextHops(lab.Anycast)
		if err != nil {
			continue
		}
		for _, h := range hops {
			if i := serverOf(d.servers, h); i >= 0 {
				smp.ABR[k] = append(smp.ABR[k], i)
			}
		}
		slices.Sort(smp.ABR[k])
	}
}

// sitesScript is the two-site demo's scenes (about 60 s).
func (d *demo) sitesScript() []step {
	a := d.sites.A
	return []step{
		{
			title: "steady load",
			detail: fmt.Sprintf("dnsperf sends %d queries/s to %s through the core. Both sites have spare capacity; the core is nearer to A, so every query goes to A, where ABR ra spreads them over a1, a2 and a3.",
				d.opt.qps, lab.Anycast.Addr()),
			short: "steady load", dur: 8 * time.Second,
			follow: d.lookAt(6 * time.Second),
		},
		{
			title:  "overload site A",
			detail: "Every server of A reads a load of 0.95 (its external load file): anycostd climbs a tier every 2 s, to metric 20, then to its dearest tier, which advertises the overflow /126 instead of the /128. When the last server of A leaves the /128, ABR ra flushes its /127 summary and the core moves to site B.",
			short:  "site A overloaded", dur: 14 * time.Second,
			act:    func(context.Context) error { return a.TrySetLoad(0.95) },
			follow: d.coreMoves("b", "the load rose"),
		},
		{
			title:  "site A recovers",
			detail: "A's load falls to 0.05. After its 5 s down dwell each server of A steps down to metric 20 on the /128; the first one brings ABR ra's /127 back and the core returns to A.",
			short:  "site A recovers", dur: 14 * time.Second,
			act:    func(context.Context) error { return a.TrySetLoad(0.05) },
			follow: d.coreMoves("a", "the load fell"),
		},
		{
			title:  "drain site A",
			detail: "`anycostd drain dns` on a1, a2 and a3. With drain_action max-tier a drained server advertises the overflow /126 (so ABR ra still reaches it) instead of withdrawing: the core moves to B while A's NSDs answer what is still on its way. Not one query lost.",
			short:  "site A drained", dur: 10 * time.Second,
			act:    func(context.Context) error { return d.eachServer(a, "drain", "dns") },
			follow: d.coreMoves("b", "the drains"),
		},
		{
			title:  "undrain site A",
			detail: "`anycostd undrain dns` on a1, a2 and a3: they advertise the /128 at metric 10 again and the core comes back to A.",
			short:  "site A undrained", dur: 10 * time.Second,
			act:    func(context.Context) error { return d.eachServer(a, "undrain", "dns") },
			follow: d.coreMoves("a", "the undrains"),
		},
	}
}

// eachServer runs an anycostd client command on every server of site.
func (d *demo) eachServer(site *lab.Site, args ...string) error {
	for _, srv := range site.Servers {
		if err := cli(srv, args...); err != nil {
			return err
		}
	}
	return nil
}

// coreMoves is a step's follow: it waits until the core sends the
// service to site, says how long that took after the action, and prints
// the operator's view 1 s later.
func (d *demo) coreMoves(site, after string) func(context.Context, time.Time) {
	return func(ctx context.Context, since time.Time) {
		err := d.poll(ctx, time.Until(deadlineOf(ctx)), func() (bool, error) {
			c, err := d.sites.CoreChoice()
			return err == nil && c.String() == coreOn(site).String(), err
		})
		if err != nil {
			if ctx.Err() == nil || deadlineOf(ctx).Before(time.Now()) {
				c, _ := d.sites.CoreChoice()
				d.scr.say(line{{clock(d.rec.since()) + "      ", dim}, {fmt.Sprintf("the core did not move to site %s within the step: it sends %s over %s", strings.ToUpper(site), lab.Anycast.Addr(), c), red}}, 6)
			}
			return
		}
		d.scr.say(line{{clock(d.rec.since()) + "      ", dim}, {fmt.Sprintf("the core's FIB moved %s to site %s %.1f s after %s (its route: %s).",
			lab.Anycast.Addr(), strings.ToUpper(site), time.Since(since).Seconds(), after, coreOn(site)), green}}, 6)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		d.operatorView(ctx, "")
	}
}

// lookAt is a step's follow that prints the operator's view after wait.
func (d *demo) lookAt(wait time.Duration) func(context.Context, time.Time) {
	return func(ctx context.Context, _ time.Time) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		d.operatorView(ctx, "")
	}
}

// deadlineOf is ctx's deadline (now when it has none).
func deadlineOf(ctx context.Context) time.Time {
	if t, ok := ctx.Deadline(); ok {
		return t
	}
	return time.Now()
}

// operatorView prints what an operator would look at: the kernel routes
// of the core and of ABR ra for the service's prefixes, and the services
// table of `anycostd status` on one server of each site.
func (d *demo) operatorView(ctx context.Context, when string) {
	var out []line
	cmd := []string{"ip", "-6", "route", "show", "root", "2001:db8:53::/64"}
	for _, h := range []*lab.Host{d.sites.Core, d.sites.A.RouterHost} {
		b, err := h.Run(ctx, cmd...)
		out = append(out, line{{fmt.Sprintf("  %s# %s", h.Name(), strings.Join(cmd, " ")), bold}, {" " + when, dim}})
		out = append(out, d.indented(string(b), err, d.hopNames)...)
		when = ""
	}
	for _, site := range d.sites.Sites() {
		srv := site.Servers[0]
		b, err := srv.CLI("status")
		out = append(out, line{{fmt.Sprintf("  %s# anycostd status", srv.Name()), bold}, {" (its services)", dim}})
		out = append(out, d.indented(servicesTable(string(b)), err, nil)...)
	}
	if ctx.Err() != nil {
		return
	}
	d.scr.sayBlock(out)
}

// indented turns a command's output into dim lines indented by four
// spaces, each passed through edit when set; an error is one red line.
func (d *demo) indented(out string, err error, edit func(string) string) []line {
	if err != nil {
		return []line{{{"    " + err.Error(), red}}}
	}
	var ls []line
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if edit != nil {
			l = edit(l)
		}
		ls = append(ls, line{{"    " + l, dim}})
	}
	if len(ls) == 0 || out == "" {
		return []line{{{"    (nothing)", dim}}}
	}
	return ls
}

// hopNames appends to a route line the name of the ABR or server its
// next hop is and drops the columns an operator does not need here.
func (d *demo) hopNames(l string) string {
	for _, site := range d.sites.Sites() {
		if h := site.Hop().String(); strings.Contains(l, h) {
			l = strings.Replace(l, h, h+" (ABR r"+site.Name+")", 1)
		}
	}
	for _, site := range d.sites.Sites() {
		if h := site.CoreIf.LinkLocal.String(); strings.Contains(l, h+" ") {
			l = strings.Replace(l, h, h+" (core)", 1)
		}
	}
	l = d.hopName(l)
	for _, junk := range []string{" pref medium"} {
		l = strings.ReplaceAll(l, junk, "")
	}
	return l
}

// servicesTable is the services table of `anycostd status` (from its
// "Service" header to the blank line after it).
func servicesTable(status string) string {
	i := strings.Index(status, "\nService ")
	if i < 0 {
		return status
	}
	t := status[i+1:]
	if j := strings.Index(t, "\n\n"); j >= 0 {
		t = t[:j]
	}
	return t
}

// sitesDashboard is the live block of the two-site demo: the servers by
// site, the core's route and each ABR's.
func (d *demo) sitesDashboard() []line {
	samples, _ := d.rec.snapshot()
	cur, ok := d.rec.last()
	block := d.tableHead("anycostd demo, two sites", samples)
	n := 0
	for k, site := range d.sites.Sites() {
		block = append(block, line{{fmt.Sprintf("   site %s", strings.ToUpper(site.Name)), bold},
			{fmt.Sprintf("  area %s, ABR r%s, core cost %d", site.Area, site.Name, sitesCoreCost[k]), dim}})
		for range site.Servers {
			block = append(block, d.serverRow(n, d.rec.names[n], samples, cur, ok))
			n++
		}
	}
	block = append(block, line{})
	core := line{{"   core     ", bold}, {lab.Anycast.Addr().String() + " ", plain}}
	switch {
	case !ok || !cur.CoreOK:
		core = append(core, seg{"(reading the FIB...)", dim})
	case !cur.Core.Prefix.IsValid():
		core = append(core, seg{"no route", red})
	default:
		st := green
		if cur.Core.Prefix != lab.SiteSpare {
			st = yellow // only the "alive" range: no site has spare capacity
		}
		core = append(core, seg{fmt.Sprintf("over %s via site %s", cur.Core.Prefix, strings.ToUpper(strings.Join(cur.Core.Sites, "+"))), st})
	}
	block = append(block, core)
	for k, site := range d.sites.Sites() {
		r := line{{fmt.Sprintf("   ABR r%s   ", site.Name), bold}, {lab.Anycast.String() + " ", plain}}
		switch {
		case !ok:
		case len(cur.ABR[k]) == 0:
			r = append(r, seg{"no route (no server of the site below its dearest tier)", yellow})
		default:
			var via []string
			for _, i := range cur.ABR[k] {
				via = append(via, d.rec.names[i])
			}
			r = append(r, seg{"via " + strings.Join(via, ", "), green})
		}
		block = append(block, r)
	}
	return append(block, d.stepLine()...)
}

// poll evaluates cond every 100 ms until it holds, ctx ends or timeout
// passes.
func (d *demo) poll(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("not after %v: %w", timeout.Round(time.Millisecond), err)
			}
			return fmt.Errorf("not after %v", timeout.Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
