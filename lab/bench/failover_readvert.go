package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// readvertRow is the CSV row of row 1's second part.
const readvertRow = "failover-readvert"

// routerSetting is the router's MinLSArrival for a cell of row 1's second
// part, and the anycostd pacing docs/failover-timing.md pairs with it.
type routerSetting struct {
	key        string        // suffix of the CSV alternative ("" for FRR's defaults)
	label      string        // report name
	minArrival int           // `timers lsa min-arrival` (ms); 0: FRR's default (1000)
	minLS      time.Duration // anycostd's min_ls_interval; 0: its default
}

var routerSettings = []routerSetting{
	{key: "", label: "router defaults (MinLSArrival 1 s)"},
	{key: "/min-arrival-50", label: "router `timers lsa min-arrival 50`", minArrival: 50, minLS: 100 * time.Millisecond},
}

// readvertKillWindow is how long after the server's return to the FIB the
// kill may come: uniformly within it.
const readvertKillWindow = 200 * time.Millisecond

// failoverReadvert measures row 1's second part, the kill right after
// (re)advertisement: the server's NSD is killed (to take the server out),
// restarted, and killed again within readvertKillWindow of the server's
// return to the router's FIB, when the alternative has just advertised it.
// Timed as in the first part: the kill (time.Now() just before kill(2)) to
// the kernel route message at the router without the server. Each
// alternative runs with every router setting it is affected by: the OSPF
// ones with the router's defaults and with `timers lsa min-arrival 50`
// (anycostd then with min_ls_interval 100ms, as the docs say); BGP ones
// once.
func (b *bench) failoverReadvert(f *farm, alts []alternative) {
	for _, rs := range routerSettings {
		b.setMinArrival(f, rs.minArrival)
		for _, alt := range alts {
			key := alt.key + rs.key
			if onlyAlts != nil && !onlyAlts[alt.key] && !onlyAlts[key] {
				continue
			}
			if alt.bgp && rs.minArrival != 0 {
				continue // the router's OSPF MinLSArrival does not apply
			}
			if alt.needs != "" {
				if rs.minArrival == 0 {
					b.note("failover", "%s, kill right after (re)advertisement: not measured: %s", alt.label, alt.needs)
				}
				continue
			}
			f.ospfExtra = ""
			if rs.minLS > 0 {
				f.ospfExtra = fmt.Sprintf("min_ls_interval = %q\n", rs.minLS.String())
			}
			b.readvertTrials(f, alt, key, rs)
			f.ospfExtra = ""
		}
	}
	b.setMinArrival(f, 0)
}

// readvertTrials runs the trials of one cell. A trial whose server does
// not leave or come back within its timeout ends the cell with a note (the
// router may keep a withdrawn path: FRR 8.4.4's incremental route removal,
// ospf/nudge.go), so that the other cells still run.
func (b *bench) readvertTrials(f *farm, alt alternative, key string, rs routerSetting) {
	trials := b.cfg.failTrials
	b.logf("failover (kill right after readvertisement): %s, %s, %d trials", alt.label, rs.label, trials)
	f.startAll(alt)
	time.Sleep(b.cfg.settle)
	for trial := 1; trial <= trials; trial++ {
		if err := b.readvertTrial(f, alt, key, trial); err != nil {
			b.note("failover", "%s, %s, kill right after (re)advertisement: stopped at trial %d of %d: %v",
				alt.label, rs.label, trial, trials, err)
			for _, c := range []string{"show ipv6 ospf6 route 2001:db8:53::53/128 detail", "show ipv6 ospf6 database intra-prefix detail",
				"show ipv6 route 2001:db8:53::53/128"} {
				out, _ := f.rfrr.Vtysh(c)
				b.logf("failover (readvert): router: %s:\n%s", c, out)
			}
			break
		}
	}
	f.stopAll(alt)
}

// readvertTrial is one trial of row 1's second part.
func (b *bench) readvertTrial(f *farm, alt alternative, key string, trial int) error {
	s := f.servers[(trial-1)%len(f.servers)]
	// Take the server out, untimed.
	out := b.killNSD(f, s)
	if _, err := f.mon.waitEvent(out, 20*time.Second, func(ev routeEvent) bool {
		return !ev.Deleted && len(ev.Hops) > 0 && !s.inHops(ev.Hops)
	}); err != nil {
		return fmt.Errorf("%s not out of the router's FIB 20 s after its NSD was killed (before the trial): %w%s", s.h.Name(), err, keptPath(f, s))
	}
	if err := s.nsd.Proc.WaitTimeout(5 * time.Second); errors.Is(err, lab.ErrTimeout) {
		f.r.failf("NSD on %s survived SIGKILL", s.h.Name())
	}
	// Bring it back and note when the router's FIB has it again.
	restart := time.Now()
	s.nsd.Start()
	back, err := f.mon.waitEvent(restart, 60*time.Second, func(ev routeEvent) bool {
		return !ev.Deleted && s.inHops(ev.Hops)
	})
	if err != nil {
		return fmt.Errorf("%s not back in the router's FIB 60 s after NSD's restart: %w", s.h.Name(), err)
	}
	// Kill within readvertKillWindow of that.
	time.Sleep(time.Until(back.At.Add(time.Duration(rand.Int64N(int64(readvertKillWindow))))))
	stall := startStall()
	t0 := b.killNSD(f, s)
	ev, err := f.mon.waitEvent(t0, 20*time.Second, func(ev routeEvent) bool {
		return !ev.Deleted && len(ev.Hops) > 0 && !s.inHops(ev.Hops)
	})
	if err != nil {
		return fmt.Errorf("%s not out of the router's FIB 20 s after the kill: %w%s", s.h.Name(), err, keptPath(f, s))
	}
	ms := float64(ev.At.Sub(t0).Microseconds()) / 1000
	after := float64(t0.Sub(back.At).Microseconds()) / 1000
	inFIB := float64(ev.At.Sub(back.At).Microseconds()) / 1000
	why := ""
	if alt.key == "anycostd" {
		why = b.anycostdDecision(readvertRow, key, s, trial, t0)
	}
	b.res.add(sample{Row: readvertRow, Alt: key, Trial: trial, Metric: "kill_to_fib_ms", Value: ms, Unit: "ms", Note: why})
	b.res.add(sample{Row: readvertRow, Alt: key, Trial: trial, Metric: "back_to_kill_ms", Value: after, Unit: "ms"})
	b.res.add(sample{Row: readvertRow, Alt: key, Trial: trial, Metric: "back_to_out_ms", Value: inFIB, Unit: "ms"})
	b.res.add(sample{Row: readvertRow, Alt: key, Trial: trial, Metric: "cpu_stall_ms", Value: stall.ms(), Unit: "ms"})
	b.logf("failover (readvert): %s trial %d (%s): killed %.1f ms after its return to the FIB, out after %.1f ms%s; FIB: %s",
		key, trial, s.h.Name(), after, ms, why, ev.Raw)
	if err := s.nsd.Proc.WaitTimeout(5 * time.Second); errors.Is(err, lab.ErrTimeout) {
		f.r.failf("NSD on %s survived SIGKILL", s.h.Name())
	}
	// Restore before the next trial (on another server).
	s.nsd.Start()
	if err := f.fibWithin(60*time.Second, exactly(f.servers...)); err != nil {
		return fmt.Errorf("%s not back after the trial: %w", s.h.Name(), err)
	}
	time.Sleep(time.Second)
	return nil
}

// keptPath explains a server that stays in the router's FIB although
// the router holds every Intra-Area-Prefix-LSA of it flushed: FRR 8.4.4
// removes the path incrementally and keeps the next hop of the path that
// created the route entry until its next full SPF (anycostd's SPF nudge,
// ospf/nudge.go, works around it; FRR on the server does not). "" when
// that is not the case.
func keptPath(f *farm, s *server) string {
	lsas, err := f.rfrr.LSAs("intra-prefix")
	if err != nil {
		return ""
	}
	n := 0
	for _, l := range lsas {
		if l.AdvRouter != s.rid {
			continue
		}
		if l.Age < 3600 {
			return ""
		}
		n++
	}
	if n == 0 {
		return ""
	}
	return " (the router holds the server's prefix LSA flushed, at MaxAge, yet keeps its path in the FIB: " +
		"FRR 8.4.4's incremental route removal, which anycostd's SPF nudge works around, ospf/nudge.go)"
}

// killNSD SIGKILLs the process group of s's NSD and returns the time just
// before kill(2).
func (b *bench) killNSD(f *farm, s *server) time.Time {
	t0 := time.Now()
	if err := s.nsd.Signal(syscall.SIGKILL); err != nil {
		f.r.failf("kill NSD on %s: %v", s.h.Name(), err)
	}
	return t0
}

// setMinArrival sets the router's `timers lsa min-arrival` (0: back to
// FRR's default, 1000 ms).
func (b *bench) setMinArrival(f *farm, ms int) {
	cmd := "no timers lsa min-arrival"
	if ms > 0 {
		cmd = fmt.Sprintf("timers lsa min-arrival %d", ms)
	}
	if out, err := f.rfrr.Vtysh("configure terminal", "router ospf6", cmd); err != nil {
		f.r.failf("router: %s: %v: %s", cmd, err, out)
	}
}
