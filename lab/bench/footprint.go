package main

import (
	"fmt"
	"syscall"
	"time"
)

// footprint measures row 4 on server s1 while every server runs the
// alternative: resident memory (VmRSS) and CPU (utime+stime over a
// window, % of one core) at idle and while the advertised cost changes
// 10 times a second.
//   - anycostd: the config's metric alternates 10/20 and the daemon gets
//     SIGHUP (a reload) every 100 ms; its pacing sends at most one LSA per
//     1.1 s, the rest is coalesced.
//   - FRR: `ipv6 ospf6 cost` of lo alternates 10/20 through vtysh every
//     100 ms (vtysh's own CPU is not counted, as the CLI's is not for
//     anycostd).
func (b *bench) footprint(f *farm) {
	s := f.servers[0]
	acd := anycostdAlt()
	frr := alternative{key: "frr", label: "FRR zebra+ospf6d",
		start: func(s *server) { s.startFRR() }, stop: func(s *server) { s.stopFRR() }}

	// anycostd
	f.startAll(acd)
	time.Sleep(b.cfg.settle + time.Second)
	pid := s.acd.Pid()
	b.measureFootprint("anycostd", []int{pid}, nil)
	metric := 10
	changes := 0
	b.measureFootprint("anycostd", []int{pid}, func(stop <-chan struct{}) {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				b.res.add(sample{Row: "footprint", Alt: "anycostd", Trial: 1, Metric: "cost_changes", Value: float64(changes), Unit: "changes"})
				return
			case <-tick.C:
			}
			metric = 30 - metric
			s.writeConfig(s.anycostdTOML(dnsServiceTOML(metric, 2*time.Second)))
			if s.acd.Signal(syscall.SIGHUP) == nil {
				changes++
			}
		}
	})
	f.stopAll(acd)

	// FRR
	f.startAll(frr)
	time.Sleep(b.cfg.settle + time.Second)
	zebra, ospf6d, staticd := s.frr.Daemon("zebra").Pid(), s.frr.Daemon("ospf6d").Pid(), s.frr.Daemon("staticd").Pid()
	b.measureFootprint("frr", []int{zebra, ospf6d}, nil)
	if kib, err := rssKiB(staticd); err == nil {
		b.res.add(sample{Row: "footprint", Alt: "frr-staticd", Trial: 1, Metric: "rss_idle_kib", Value: float64(kib), Unit: "KiB",
			Note: "staticd, started by the lab with zebra and ospf6d, not counted above"})
	}
	cost := 10
	changes = 0
	b.measureFootprint("frr", []int{zebra, ospf6d}, func(stop <-chan struct{}) {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				b.res.add(sample{Row: "footprint", Alt: "frr", Trial: 1, Metric: "cost_changes", Value: float64(changes), Unit: "changes"})
				return
			case <-tick.C:
			}
			cost = 30 - cost
			if _, err := s.frr.Vtysh("configure terminal", "interface lo", fmt.Sprintf("ipv6 ospf6 cost %d", cost)); err == nil {
				changes++
			}
		}
	})
	f.stopAll(frr)
}

// measureFootprint records RSS (sum over pids) and CPU over one window,
// idle (work nil) or busy.
func (b *bench) measureFootprint(alt string, pids []int, work func(stop <-chan struct{})) {
	phase := "idle"
	if work != nil {
		phase = "busy"
	}
	cpu, err := cpuWindow(pids, b.cfg.window, work)
	if err != nil {
		b.r.failf("footprint %s %s: %v", alt, phase, err)
	}
	rss := 0
	for _, p := range pids {
		k, err := rssKiB(p)
		if err != nil {
			b.r.failf("footprint %s: %v", alt, err)
		}
		rss += k
	}
	b.res.add(sample{Row: "footprint", Alt: alt, Trial: 1, Metric: "cpu_" + phase + "_pct", Value: cpu, Unit: "% of one core",
		Note: fmt.Sprintf("window %v", b.cfg.window)})
	b.res.add(sample{Row: "footprint", Alt: alt, Trial: 1, Metric: "rss_" + phase + "_kib", Value: float64(rss), Unit: "KiB"})
	b.logf("footprint: %s %s: RSS %d KiB, CPU %.2f%% of a core over %v", alt, phase, rss, cpu, b.cfg.window)
}
