package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// darkSetting is one way the dark row runs the farm: without BFD (the
// OSPF dead interval detects the dark server) or with the daemon's
// [ospf.bfd] and the router's `ipv6 ospf6 bfd` at one interval.
type darkSetting struct {
	key, label string
	interval   time.Duration // 0: no BFD
	mult       int
}

// darkSettings are the dark row's settings, in the order they run (the
// router's bfdd starts with the first BFD one and stays).
var darkSettings = []darkSetting{
	{key: "dead-interval", label: "no BFD: OSPF dead interval (hello 1 s, dead 4 s)"},
	{key: "bfd-50ms", label: "BFD 50 ms x 3 (anycostd `[ospf.bfd]`, router profile)", interval: 50 * time.Millisecond, mult: 3},
	{key: "bfd-100ms", label: "BFD 100 ms x 3 (anycostd `[ospf.bfd]`, router profile)", interval: 100 * time.Millisecond, mult: 3},
}

// darkRow measures a server going dark (issue 18): FRR 8.4.4 as the link
// router, three anycostd servers (hello 1 s, dead 4 s, the /128 with a
// static metric), for each setting in turn. A trial drops one server's
// link by netlink in its namespace (nothing on it can speak any more, as
// with a power loss or a cut cable) and times it from time.Now() just
// before the change to the route monitor's first message for the /128
// whose next hops no longer include the server. A random wait of 0-1 s
// before each drop spreads it over the Hello and BFD cycles; the servers
// take turns; the link comes back, and the next trial waits for every
// server in the FIB again and, with BFD, the router's session with the
// next server Up at the setting's interval.
func (b *bench) darkRow(r *row) {
	b.r = r
	f := newFarm(r, farmOptions{servers: 3, noDAD: true})
	for _, set := range darkSettings {
		b.dark(f, set)
	}
}

// dark runs one setting's trials.
func (b *bench) dark(f *farm, set darkSetting) {
	f.ospfExtra = ""
	if set.interval > 0 {
		f.ospfExtra = fmt.Sprintf("\n[ospf.bfd]\ninterval = %q\nmultiplier = %d\n", set.interval, set.mult)
		f.r.check(f.rfrr.TryAddBFDD())
		must(f.rfrr.Vtysh(lab.FRRBFDOSPFCommands("servers", set.interval, set.mult, "eth0")...))
	}
	b.logf("dark: %s, %d trials", set.label, b.cfg.darkTrials)
	for _, s := range f.servers {
		s.writeConfig(s.anycostdTOML(staticServiceTOML(10)))
		s.startAnycostd()
	}
	f.waitFIB(90*time.Second, set.label+": every server in the router's FIB", exactly(f.servers...))
	for trial := 1; trial <= b.cfg.darkTrials; trial++ {
		s := f.servers[(trial-1)%len(f.servers)]
		if set.interval > 0 {
			f.waitBFDUp(s, set)
		}
		time.Sleep(rand.N(time.Second))
		stall := startStall()
		t0 := time.Now()
		f.r.check(s.h.TrySetLink("eth0", false))
		ev, err := f.mon.waitEvent(t0, 15*time.Second, func(ev routeEvent) bool {
			return !ev.Deleted && len(ev.Hops) > 0 && !s.inHops(ev.Hops)
		})
		if err != nil {
			f.r.failf("%s trial %d (%s dark): %v", set.key, trial, s.h.Name(), err)
		}
		ms := float64(ev.At.Sub(t0).Microseconds()) / 1000
		stallMS := stall.ms()
		b.res.add(sample{Row: "dark", Alt: set.key, Trial: trial, Metric: "dark_to_fib_ms", Value: ms, Unit: "ms"})
		b.res.add(sample{Row: "dark", Alt: set.key, Trial: trial, Metric: "cpu_stall_ms", Value: stallMS, Unit: "ms"})
		b.logf("dark: %s trial %d (%s): %.1f ms, CPU stall %.0f ms; FIB: %s", set.key, trial, s.h.Name(), ms, stallMS, ev.Raw)
		f.r.check(s.h.TrySetLink("eth0", true))
		f.waitFIB(90*time.Second, s.h.Name()+"'s link back: every server in the router's FIB", exactly(f.servers...))
	}
	for _, s := range f.servers {
		s.stopAnycostd()
	}
	f.waitFIB(30*time.Second, set.label+": the /128 gone from the router's FIB", exactly())
}

// waitBFDUp waits until the router's bfdd has its session with s Up at
// the setting's interval both ways.
func (f *farm) waitBFDUp(s *server, set darkSetting) {
	ms := int(set.interval.Milliseconds())
	must(lab.Wait(30*time.Second, "bfdd's session with "+s.h.Name()+" up at "+set.interval.String(), func() (bool, error) {
		p, ok, err := f.rfrr.BFDPeer(s.ll)
		up := ok && p.Status == "up" && p.TransmitInterval == ms && p.RemoteTransmit == ms && p.RemoteMultiplier == set.mult
		return err == nil && up, fmt.Errorf("session %+v (found %v, %v)", p, ok, err)
	}))
}
