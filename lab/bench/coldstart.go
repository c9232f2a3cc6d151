package main

import (
	"fmt"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// coldStart measures row 3: the daemon(s) started on one server -> the
// first FIB entry at the router with that server as a next hop (from the
// route monitor). Before each trial the router has forgotten the server:
// no route through it and no OSPF neighbor with its router ID.
//
// With warm, the first alternative first makes one untimed warm-up start
// (trial 0, reported apart): the very first contact between a daemon and
// a router that has been alone on its link is slower (seen: ExStart waits
// 2 s while the router's first Hellos still name it DR and BDR). Later
// alternatives use the same router ID, so the router has met it before.
func (b *bench) coldStart(f *farm, alts []alternative, warm bool) {
	s := f.servers[0]
	for i, alt := range alts {
		b.logf("cold start: %s, %d trials", alt.label, b.cfg.coldTrials)
		first := 1
		if warm && i == 0 {
			first = 0
		}
		for trial := first; trial <= b.cfg.coldTrials; trial++ {
			f.waitFIB(30*time.Second, "no route before a cold start", exactly())
			must(lab.Wait(30*time.Second, "the router to forget "+s.rid, func() (bool, error) {
				st, err := f.rfrr.NeighborState(s.rid)
				if st != "" {
					return false, fmt.Errorf("neighbor %s still %s", s.rid, st)
				}
				return err == nil, err
			}))
			time.Sleep(time.Second)
			t0 := time.Now()
			alt.start(s)
			ev, err := f.mon.waitEvent(t0, 90*time.Second, func(ev routeEvent) bool { return s.inHops(ev.Hops) })
			if err != nil {
				f.r.failf("%s cold start trial %d: %v", alt.label, trial, err)
			}
			ms := float64(ev.At.Sub(t0).Microseconds()) / 1000
			metric := "start_to_fib_ms"
			if trial == 0 {
				metric = "warmup_start_to_fib_ms"
			}
			b.res.add(sample{Row: "coldstart", Alt: alt.key, Trial: trial, Metric: metric, Value: ms, Unit: "ms"})
			b.logf("cold start: %s trial %d: %.0f ms", alt.key, trial, ms)
			alt.stop(s)
		}
	}
}
