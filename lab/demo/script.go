package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// step is one scene of the demo: an action, then dur of load.
type step struct {
	title  string // announced, and shown while it runs
	detail string // what happens, announced after the title
	short  string // its label on the plot
	dur    time.Duration
	act    func(ctx context.Context) error
	// follow, when set, runs beside the load after the action (or from
	// the step's start), with a context that ends with the step: it
	// reports what the action did.
	follow func(ctx context.Context, since time.Time)
}

// stepState is the running step, for the dashboard.
type stepState struct {
	n, of   int
	title   string
	at, dur time.Duration
}

// script is the demo's scenes.
func (d *demo) script() []step {
	srv, nsd := d.farm.Servers, d.farm.NSD
	return []step{
		{
			title: "steady load",
			detail: fmt.Sprintf("dnsperf sends %d queries/s to %s. The three servers advertise the same metric, 10, so r1 spreads the queries over them (ECMP).",
				d.opt.qps, lab.Anycast.Addr()),
			short: "steady load", dur: 15 * time.Second,
		},
		{
			title: "overload s1",
			detail: fmt.Sprintf("s1's NSD may now use only %g%% of one CPU: it answers late and its receive queue fills. anycostd sees it (socket queue, DNS probe) and raises s1's metric, or withdraws it while the probe fails; r1 sends s1's queries to s2 and s3.",
				d.opt.cpu),
			short: "s1 overloaded", dur: 20 * time.Second,
			act: func(context.Context) error {
				return d.farm.Lab.LimitCPU("nsd-s1", d.opt.cpu, nsd[0].Pids()...)
			},
		},
		{
			title:  "s1 recovers",
			detail: "s1's NSD gets its CPU back. anycostd moves s1 back to metric 10 once its load has stayed low for its down dwell: 5 s, four times longer after each quick reversal (up to 60 s), so that an overloaded server does not flap.",
			short:  "s1 gets its CPU back", dur: 15 * time.Second,
			act: func(context.Context) error { return liftCPU(nsd[0].Pids()) },
		},
		{
			title:  "kill NSD on s2",
			detail: "SIGKILL to s2's NSD. anycostd sees its socket vanish and withdraws s2's route at once.",
			short:  "s2's NSD killed", dur: 12 * time.Second,
			act: func(context.Context) error { nsd[1].Kill(); return nil },
		},
		{
			title:  "restart NSD on s2",
			detail: "s2's NSD starts again. After three good DNS probes anycostd advertises s2 again.",
			short:  "s2's NSD restarted", dur: 15 * time.Second,
			act: func(context.Context) error { return nsd[1].TryStart() },
		},
		{
			title:  "drain s3",
			detail: "`anycostd drain dns` on s3 (over its control socket). s3 withdraws its route while NSD keeps answering what is still on its way: not one query is lost.",
			short:  "s3 drained", dur: 15 * time.Second,
			act: func(context.Context) error { return cli(srv[2], "drain", "dns") },
		},
		{
			title:  "undrain s3",
			detail: "`anycostd undrain dns` on s3: it advertises metric 10 again and takes its share back.",
			short:  "s3 undrained", dur: 12 * time.Second,
			act: func(context.Context) error { return cli(srv[2], "undrain", "dns") },
		},
	}
}

// cli runs an anycostd client command on a server.
func cli(s *lab.Server, args ...string) error {
	if out, err := s.CLI(args[0], args[1:]...); err != nil {
		return fmt.Errorf("anycostd %v on %s: %w (%s)", args, s.Name(), err, out)
	}
	return nil
}

// actDelay is how long after a step's dnsperf run starts its action
// comes.
const actDelay = 500 * time.Millisecond

// play runs the script: each step's action, with dnsperf offering the
// load throughout the step. Each step has a dnsperf run of its own, so
// that it has its own count of lost queries; the next step starts when
// the previous run stops sending, while that run may still wait (up to
// its timeout) for late answers, so the load has no gap.
func (d *demo) play(ctx context.Context, steps []step) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	// Ends the dnsperf runs when a step fails.
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	for i, st := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		begin := time.Now()
		at := d.rec.since()
		d.step.Store(&stepState{n: i + 1, of: len(steps), title: st.title, at: at, dur: st.dur})
		d.scr.say(line{
			{clock(at) + "  ", dim},
			{fmt.Sprintf("%s %d/%d  %s", d.glyph("▶", ">"), i+1, len(steps), st.title), boldCy},
			{"  " + st.detail, plain},
		}, 6)
		idx := d.rec.addEvent(event{At: at, N: i + 1, Title: st.title, Short: st.short})
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := d.client.DNSPerf(pctx, lab.PerfOptions{
				Server: lab.Anycast.Addr(), Duration: st.dur, QPS: d.opt.qps,
				Clients: 100, Timeout: time.Second,
			})
			if pctx.Err() == nil {
				d.report(idx, i+1, st.title, r, err)
			}
		}()
		if st.act != nil {
			// Let the previous step's dnsperf run stop sending and get its
			// last answers first, so that its count ends before the action
			// and this step's count holds every query the action affects.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(actDelay):
			}
			if err := st.act(ctx); err != nil {
				return fmt.Errorf("step %d (%s): %w", i+1, st.title, err)
			}
		}
		if st.follow != nil {
			fctx, fcancel := context.WithDeadline(ctx, begin.Add(st.dur))
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer fcancel()
				st.follow(fctx, time.Now())
			}()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(begin.Add(st.dur))):
		}
	}
	wg.Wait()
	d.step.Store(nil)
	return ctx.Err()
}

// report records and says what dnsperf counted during step n.
func (d *demo) report(idx, n int, title string, r lab.PerfResult, err error) {
	end := d.rec.since()
	head := seg{fmt.Sprintf("%s      ", clock(end)), dim}
	what := seg{fmt.Sprintf("%s step %d (%s): ", d.glyph("✓", "-"), n, title), plain}
	if err != nil {
		d.rec.endEvent(idx, 0, 0, false)
		d.scr.say(line{head, what, {"dnsperf failed: " + err.Error(), red}}, 6)
		return
	}
	d.rec.endEvent(idx, r.Sent, r.Lost, true)
	lost := seg{"0 lost", green}
	if r.Lost > 0 {
		lost = seg{fmt.Sprintf("%d lost (%.3f%%)", r.Lost, 100*float64(r.Lost)/float64(max(r.Sent, 1))), yellow}
	}
	d.scr.say(line{head, what, {fmt.Sprintf("dnsperf sent %d queries, ", r.Sent), plain}, lost}, 6)
}

// liftCPU moves pids back to the root of the cgroup hierarchy that
// lab.(*Lab).LimitCPU uses (v2, else v1's cpu controller): they are no
// longer limited. The lab's cgroup stays, empty, until the lab's cleanup.
func liftCPU(pids []int) error {
	procs := "/sys/fs/cgroup/cgroup.procs"
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		procs = "/sys/fs/cgroup/cpu/cgroup.procs"
	}
	var errs []error
	for _, pid := range pids {
		if err := os.WriteFile(procs, []byte(strconv.Itoa(pid)), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("moving %d to %s: %w", pid, procs, err))
		}
	}
	return errors.Join(errs...)
}
