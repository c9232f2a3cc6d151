package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// failover measures row 1: NSD killed (SIGKILL to its process group) ->
// the router's kernel FIB no longer has the server as a next hop. The
// kill time is time.Now() just before kill(2); the FIB time is the
// timestamp `ip -ts -6 monitor route` printed for the kernel's
// notification in the router's namespace. Both are CLOCK_REALTIME.
func (b *bench) failover(f *farm, alts []alternative) {
	for _, alt := range alts {
		if onlyAlts != nil && !onlyAlts[alt.key] {
			continue
		}
		if alt.needs != "" {
			b.note("failover", "%s: not measured: %s", alt.label, alt.needs)
			continue
		}
		trials := b.cfg.failTrials
		if alt.jitter >= 5*time.Second && b.cfg.quick {
			trials = max(1, trials-1)
		}
		b.logf("failover: %s, %d trials", alt.label, trials)
		f.startAll(alt)
		time.Sleep(b.cfg.settle)
		for trial := 1; trial <= trials; trial++ {
			s := f.servers[(trial-1)%len(f.servers)]
			time.Sleep(time.Duration(rand.Int64N(int64(alt.jitter))))
			exited := make(chan time.Time, 1)
			go func(done <-chan struct{}) { <-done; exited <- time.Now() }(s.nsd.Proc.Done())
			stall := startStall()
			t0 := b.killNSD(f, s)
			// zebra replaces the route in one message (the lab starts it
			// with --v6-rr-semantics; without, the kernel reports the old
			// route Deleted and the new one about 0.1 ms later). The new
			// route's message is the one timed.
			ev, err := f.mon.waitEvent(t0, 60*time.Second, func(ev routeEvent) bool {
				return !ev.Deleted && len(ev.Hops) > 0 && !s.inHops(ev.Hops)
			})
			if err != nil {
				f.r.failf("%s trial %d: %v", alt.label, trial, err)
			}
			if alt.agent {
				// The change timed must be the agent's route: had zebra
				// fallen back to OSPF's, the trial timed OSPF alone.
				f.r.check(f.waitAgentWithout(s))
			}
			ms := float64(ev.At.Sub(t0).Microseconds()) / 1000
			stallMS := stall.ms()
			b.res.add(sample{Row: "failover", Alt: alt.key, Trial: trial, Metric: "cpu_stall_ms", Value: stallMS, Unit: "ms"})
			why := ""
			if alt.key == "anycostd" || alt.agent {
				why = b.anycostdDecision("failover", alt.key, s, trial, t0)
			}
			b.res.add(sample{Row: "failover", Alt: alt.key, Trial: trial, Metric: "kill_to_fib_ms", Value: ms, Unit: "ms", Note: why})
			b.logf("failover: %s trial %d (%s): %.1f ms%s, CPU stall %.0f ms; FIB: %s", alt.key, trial, s.h.Name(), ms, why, stallMS, ev.Raw)
			if err := s.nsd.Proc.WaitTimeout(5 * time.Second); errors.Is(err, lab.ErrTimeout) {
				f.r.failf("NSD on %s survived SIGKILL", s.h.Name())
			}
			// When NSD's main process was reaped: a slow trial whose NSD took
			// long to die is the kernel's time, not the alternative's.
			exit := float64((<-exited).Sub(t0).Microseconds()) / 1000
			b.res.add(sample{Row: "failover", Alt: alt.key, Trial: trial, Metric: "kill_to_exit_ms", Value: exit, Unit: "ms"})
			if exit > 20 {
				b.logf("failover: %s trial %d (%s): NSD's main process was reaped %.1f ms after the kill", alt.key, trial, s.h.Name(), exit)
			}
			f.r.check(s.nsd.TryStart())
			f.waitFIB(90*time.Second, alt.label+": server back after NSD restart", exactly(f.servers...))
			if alt.agent {
				f.waitAgentRoute(30*time.Second, alt.label+": the agent's route over every server again", f.servers...)
			}
			time.Sleep(b.cfg.settle)
		}
		f.stopAll(alt)
	}
}

// anycostdDecision records when the server's anycostd decided to withdraw
// (from its log, millisecond resolution) and which input fired, so that a
// slow trial shows whether detection or the router took the time. It
// returns a note for the trial's log line ("" when the log has none).
func (b *bench) anycostdDecision(row, alt string, s *server, trial int, t0 time.Time) string {
	if s.acd == nil {
		return ""
	}
	d, err := firstDecision(s.acd.LogPath(), t0, "withdrawn")
	if err != nil {
		b.logf("%s: %s trial %d (%s): decision not found in %s: %v", row, alt, trial, s.h.Name(), s.acd.LogPath(), err)
		return ""
	}
	ms := float64(d.At.Sub(t0.Truncate(time.Millisecond)).Milliseconds())
	b.res.add(sample{Row: row, Alt: alt, Trial: trial, Metric: "kill_to_decision_ms", Value: ms, Unit: "ms", Note: d.Source})
	return fmt.Sprintf(" (decided after %.0f ms by %s)", ms, d.Source)
}
