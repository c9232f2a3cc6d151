package main

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// drainAlt is one alternative's planned stop of a server: stop the routing
// side the way its tooling offers, then stop NSD the moment that returns
// (what `systemctl stop` of both, in order, does).
type drainAlt struct {
	alternative
	how     string
	planned func(s *server) // the routing side's graceful stop
	restore func(s *server) // bring the routing side back afterwards
}

func drainAlts(exaNeeds string) []drainAlt {
	acd := anycostdAlt()
	frr := alternative{key: "frr-stopped", label: "FRR ospf6d on the server, stopped",
		start: func(s *server) { s.startFRR() }, stop: func(s *server) { s.stopFRR() }}
	script := frrScriptAlt(time.Second)
	exa := exabgpAlt(exaDefaults, 0, exaNeeds)
	exa.label = "ExaBGP healthcheck, stopped"
	exa.key = "exabgp-stopped"
	return []drainAlt{
		{alternative: acd, how: "SIGTERM to anycostd: withdraw, keep answering for drain_time (2 s), flush, exit",
			planned: func(s *server) { s.stopAnycostd() }, restore: acd.start},
		{alternative: frr, how: "SIGTERM to ospf6d, staticd, zebra (lab FRR.Stop); ospf6d flushes its LSAs on SIGTERM",
			planned: func(s *server) { s.stopFRR() }, restore: frr.start},
		{alternative: script, how: "the script's withdrawal: `ip addr del` of the /128 on lo (ospf6d re-originates its prefixes without it)",
			planned: func(s *server) {
				s.stopScript()
				s.f.run(s.h, "ip", "-6", "addr", "del", lab.Anycast.String(), "dev", "lo")
			},
			restore: func(s *server) {
				s.ensureAnycast()
				s.startScript(time.Second)
			}},
		{alternative: exa, how: "SIGTERM to exabgp: the healthcheck withdraws the route, the BGP session closes",
			planned: func(s *server) { s.stopExaBGP() }, restore: exa.start},
	}
}

// drain measures row 2: queries lost out of all sent by dnsperf at a fixed
// rate through the router while one server is stopped in a planned way.
func (b *bench) drain(f *farm, alts []drainAlt) {
	ctx := context.Background()
	perf := lab.PerfOptions{Server: lab.Anycast.Addr(), Duration: b.cfg.drainRun, QPS: b.cfg.drainQPS, Clients: 50, Timeout: time.Second}
	for ai, alt := range alts {
		if onlyAlts != nil && !onlyAlts[alt.key] {
			continue
		}
		if alt.needs != "" {
			b.note("drain", "%s: not measured: %s", alt.label, alt.needs)
			continue
		}
		b.logf("drain: %s, %d trials", alt.label, b.cfg.drainTrials)
		f.startAll(alt.alternative)
		time.Sleep(b.cfg.settle)
		if ai == 0 {
			// A clean baseline first: no stop, every query answered.
			base := perf
			if b.cfg.quick {
				base.Duration = 3 * time.Second
			}
			r, err := f.client.DNSPerf(ctx, base)
			if err != nil {
				f.r.failf("baseline dnsperf: %v\n%s", err, r.Output)
			}
			b.res.add(sample{Row: "drain", Alt: "baseline", Trial: 1, Metric: "lost", Value: float64(r.Lost), Unit: "queries"})
			b.res.add(sample{Row: "drain", Alt: "baseline", Trial: 1, Metric: "sent", Value: float64(r.Sent), Unit: "queries"})
			b.logf("drain: baseline with %s and no stop: sent %d, lost %d", alt.key, r.Sent, r.Lost)
		}
		for trial := 1; trial <= b.cfg.drainTrials; trial++ {
			s := f.servers[(trial-1)%len(f.servers)]
			type out struct {
				r   lab.PerfResult
				err error
			}
			done := make(chan out, 1)
			go func() {
				r, err := f.client.DNSPerf(ctx, perf)
				done <- out{r, err}
			}()
			time.Sleep(2 * time.Second)
			t0 := time.Now()
			alt.planned(s)
			stopped := time.Since(t0)
			_ = s.nsd.Signal(syscall.SIGTERM)
			if err := s.nsd.Proc.WaitTimeout(5 * time.Second); errors.Is(err, lab.ErrTimeout) {
				s.nsd.Kill()
			}
			o := <-done
			if o.err != nil {
				f.r.failf("%s trial %d: dnsperf: %v\n%s", alt.label, trial, o.err, o.r.Output)
			}
			frac := 0.0
			if o.r.Sent > 0 {
				frac = float64(o.r.Lost) / float64(o.r.Sent)
			}
			b.res.add(sample{Row: "drain", Alt: alt.key, Trial: trial, Metric: "lost", Value: float64(o.r.Lost), Unit: "queries"})
			b.res.add(sample{Row: "drain", Alt: alt.key, Trial: trial, Metric: "sent", Value: float64(o.r.Sent), Unit: "queries"})
			b.res.add(sample{Row: "drain", Alt: alt.key, Trial: trial, Metric: "lost_pct", Value: 100 * frac, Unit: "%"})
			b.res.add(sample{Row: "drain", Alt: alt.key, Trial: trial, Metric: "stop_ms", Value: float64(stopped.Milliseconds()), Unit: "ms",
				Note: "time the routing side's stop took before NSD was stopped"})
			b.logf("drain: %s trial %d (%s): sent %d, lost %d (%.3f%%); routing side stopped in %v",
				alt.key, trial, s.h.Name(), o.r.Sent, o.r.Lost, 100*frac, stopped.Round(time.Millisecond))
			f.r.check(s.nsd.TryStart())
			alt.restore(s)
			f.waitFIB(90*time.Second, alt.label+": server back", exactly(f.servers...))
			time.Sleep(b.cfg.settle)
		}
		f.stopAll(alt.alternative)
	}
}
