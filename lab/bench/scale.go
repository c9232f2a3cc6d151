package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/lab"
)

// scaleECMP measures row 5a: n anycostd servers on one link started at
// once -> all n next hops in the router's FIB (from the route monitor),
// and the daemons' memory (part "ecmp"); then the router agent joining
// that farm (part "agent", scaleAgent).
func (b *bench) scaleECMP(n int) error {
	err := runRow(fmt.Sprintf("scale-ecmp-%d", n), b.log, func(r *row) {
		b.r = r
		start := time.Now()
		f := newFarm(r, farmOptions{servers: n, noDAD: true, agent: scaleParts["agent"]})
		b.logf("scale: %d servers set up in %v", n, time.Since(start).Round(time.Millisecond))
		alt := fmt.Sprintf("anycostd-x%d", n)
		trials := b.cfg.scaleTrials
		if !scaleParts["ecmp"] {
			trials = 0
			for _, s := range f.servers {
				s.writeConfig(s.anycostdTOML(staticServiceTOML(10)))
				s.startAnycostd()
			}
			f.waitFIB(180*time.Second, fmt.Sprintf("all %d servers in the FIB", n), exactly(f.servers...))
		}
		for trial := 1; trial <= trials; trial++ {
			for _, s := range f.servers {
				s.writeConfig(s.anycostdTOML(staticServiceTOML(10)))
			}
			t0 := time.Now()
			for _, s := range f.servers {
				s.startAnycostd()
			}
			launched := time.Since(t0)
			first, err := f.mon.waitEvent(t0, 120*time.Second, func(ev routeEvent) bool { return len(ev.Hops) > 0 })
			if err != nil {
				r.failf("scale trial %d: no route at all: %v", trial, err)
			}
			all, err := f.mon.waitEvent(t0, 180*time.Second, func(ev routeEvent) bool { return exactly(f.servers...)(ev.Hops) })
			if err != nil {
				hops, _ := f.fibHops()
				r.failf("scale trial %d: not all %d next hops: %v (FIB now has %d)", trial, n, err, len(hops))
			}
			ms := func(at time.Time) float64 { return float64(at.Sub(t0).Microseconds()) / 1000 }
			b.res.add(sample{Row: "scale", Alt: alt, Trial: trial, Metric: "start_to_first_hop_ms", Value: ms(first.At), Unit: "ms"})
			b.res.add(sample{Row: "scale", Alt: alt, Trial: trial, Metric: "start_to_all_hops_ms", Value: ms(all.At), Unit: "ms",
				Note: fmt.Sprintf("%d daemons launched in %v", n, launched.Round(time.Millisecond))})
			b.logf("scale: %d servers, trial %d: first next hop after %.0f ms, all %d after %.0f ms (launching took %v)",
				n, trial, ms(first.At), n, ms(all.At), launched.Round(time.Millisecond))
			time.Sleep(3 * time.Second)
			var rss []float64
			for _, s := range f.servers {
				k, err := rssKiB(s.acd.Pid())
				if err != nil {
					r.failf("%v", err)
				}
				rss = append(rss, float64(k))
			}
			sm := summarize(rss)
			b.res.add(sample{Row: "scale", Alt: alt, Trial: trial, Metric: "rss_median_kib", Value: sm.Median, Unit: "KiB", Note: "median over the daemons"})
			b.res.add(sample{Row: "scale", Alt: alt, Trial: trial, Metric: "rss_max_kib", Value: sm.Max, Unit: "KiB", Note: "largest daemon"})
			if k, err := rssKiB(f.rfrr.Daemon("ospf6d").Pid()); err == nil {
				b.res.add(sample{Row: "scale", Alt: "router-ospf6d", Trial: trial, Metric: "rss_kib", Value: float64(k), Unit: "KiB",
					Note: fmt.Sprintf("the router's ospf6d with %d neighbors", n)})
			}
			b.logf("scale: anycostd RSS median %.0f KiB, max %.0f KiB", sm.Median, sm.Max)
			if trial < b.cfg.scaleTrials {
				// One SIGTERM each, all at once (a second SIGTERM would
				// skip the drain), then wait for every daemon.
				for _, s := range f.servers {
					_ = s.acd.Signal(syscall.SIGTERM)
				}
				for _, s := range f.servers {
					if err := s.acd.WaitTimeout(30 * time.Second); errors.Is(err, lab.ErrTimeout) {
						s.acd.Kill()
					}
					s.acd = nil
				}
				f.waitFIB(60*time.Second, "every server gone", exactly())
				must(lab.Wait(60*time.Second, "the router to drop every neighbor", func() (bool, error) {
					out, err := f.rfrr.Vtysh("show ipv6 ospf6 neighbor")
					return err == nil && !strings.Contains(out, "192.0.2."), err
				}))
			}
		}
		// The last trial's daemons still run: the agent joins them.
		if scaleParts["agent"] {
			b.scaleAgent(f)
		}
	})
	if err != nil {
		b.note("scale", "%d-way ECMP: %v", n, err)
	}
	return err
}

// scaleAgent measures the router agent on the n-server farm whose
// daemons run: `anycostd router` started -> zebra selects its route over
// all n servers (polled every 50 ms), then, once its status has every
// server's load LSA, its memory (VmRSS 3 s later, every 100 ms over the
// next 10 s, and at their end).
func (b *bench) scaleAgent(f *farm) {
	r, n := f.r, len(f.servers)
	alt := fmt.Sprintf("agent-x%d", n)
	took := f.startAgent(180 * time.Second)
	b.res.add(sample{Row: "scale", Alt: alt, Trial: 1, Metric: "start_to_route_ms", Value: float64(took.Milliseconds()), Unit: "ms",
		Note: fmt.Sprintf("zebra selects the agent's route over all %d servers; polled every 50 ms", n)})
	must(lab.Wait(60*time.Second, fmt.Sprintf("the agent's status: %d next hops, each with its load LSA", n), func() (bool, error) {
		hops, err := f.agentHops()
		if err != nil {
			return false, err
		}
		loads := 0
		for _, h := range hops {
			if h.HasLoad {
				loads++
			}
		}
		return len(hops) == n && loads == n, fmt.Errorf("%d next hops, %d with a load LSA", len(hops), loads)
	}))
	time.Sleep(3 * time.Second)
	pid := f.agent.Proc.Pid()
	m := sampleMemory(r, func() []int { return []int{pid} }, nil, 10*time.Second)
	b.res.add(sample{Row: "scale", Alt: alt, Trial: 1, Metric: "rss_kib", Value: float64(m.rss[0]), Unit: "KiB",
		Note: fmt.Sprintf("anycostd router, 3 s after its route had all %d servers and its status every load LSA", n)})
	b.res.add(sample{Row: "scale", Alt: alt, Trial: 1, Metric: "rss_peak_kib", Value: float64(m.rssPeak), Unit: "KiB",
		Note: "largest of the samples every 100 ms over the next 10 s"})
	b.res.add(sample{Row: "scale", Alt: alt, Trial: 1, Metric: "rss_plus_10s_kib", Value: float64(m.rss[1]), Unit: "KiB"})
	b.logf("scale: the agent with %d servers: route after %v; RSS %d KiB, peak %d KiB, 10 s later %d KiB",
		n, took.Round(time.Millisecond), m.rss[0], m.rssPeak, m.rss[1])
	f.stopAgent()
}

var ospfAsScoped = regexp.MustCompile(`Number of AS scoped LSAs is (\d+)`)

// scaleExternal measures row 5b: a router holding n AS-external LSAs
// (n connected /64s redistributed into ospf6d) -> time for one
// server to reach Full with it, and its memory then; anycostd beside an
// FRR server on the same router.
func (b *bench) scaleExternal(n int) {
	err := runRow(fmt.Sprintf("scale-external-%d", n), b.log, func(r *row) {
		b.r = r
		// FRR 8.4's staticd needs minutes of CPU for 20,000 static routes in
		// its config (seen here: over 10 minutes at 100% of a core without
		// finishing), so the externals are connected prefixes instead: n
		// /64s on an interface outside OSPF, `redistribute connected`.
		start := time.Now()
		f := newFarm(r, farmOptions{servers: 1, noDAD: true, extraCfg: "router ospf6\n redistribute connected\n"})
		f.run(f.router, "ip", "link", "add", "ext0", "type", "veth", "peer", "name", "ext1")
		f.run(f.router, "ip", "link", "set", "ext0", "up")
		f.run(f.router, "ip", "link", "set", "ext1", "up")
		var batch strings.Builder
		for i := range n {
			fmt.Fprintf(&batch, "address add 2001:db8:ff00:%x::1/64 dev ext0 nodad\n", i)
		}
		bf := filepath.Join(f.l.Dir(), "external.batch")
		if err := os.WriteFile(bf, []byte(batch.String()), 0o644); err != nil {
			r.failf("%v", err)
		}
		f.run(f.router, "ip", "-6", "-batch", bf)
		took := must(lab.Wait(300*time.Second, fmt.Sprintf("the router to originate %d AS-external LSAs", n), func() (bool, error) {
			out, err := f.rfrr.Vtysh("show ipv6 ospf6")
			if err != nil {
				return false, err
			}
			m := ospfAsScoped.FindStringSubmatch(out)
			if m == nil {
				return false, fmt.Errorf("no AS-scoped LSA count in show ipv6 ospf6")
			}
			c, _ := strconv.Atoi(m[1])
			if c < n {
				return false, fmt.Errorf("%d AS-scoped LSAs so far", c)
			}
			return true, nil
		}))
		b.logf("external: router up with %d AS-external LSAs in %v (%v after start)", n, took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		if k, err := rssKiB(f.rfrr.Daemon("ospf6d").Pid()); err == nil {
			b.res.add(sample{Row: "external", Alt: "router-ospf6d", Trial: 1, Metric: "rss_kib", Value: float64(k), Unit: "KiB",
				Note: fmt.Sprintf("the router's ospf6d holding %d AS-external LSAs", n)})
		}
		s := f.servers[0]
		alts := []struct {
			key   string
			start func()
			full  func() (bool, error)
			pids  func() []int
			stop  func()
		}{
			{"anycostd",
				func() {
					s.writeConfig(fmt.Sprintf("metrics_listen = %q\n", externalMetrics) + s.anycostdTOML(staticServiceTOML(10)))
					s.startAnycostd()
				},
				func() (bool, error) {
					out, err := s.cli("neighbors", "--json")
					if err != nil {
						return false, err
					}
					var nr control.NeighborsResult
					if err := json.Unmarshal(out, &nr); err != nil {
						return false, err
					}
					for _, nb := range nr.Neighbors {
						if nb.RouterID == routerID {
							return nb.State == "Full", fmt.Errorf("state %s", nb.State)
						}
					}
					return false, fmt.Errorf("no neighbor %s yet", routerID)
				},
				func() []int { return []int{s.acd.Pid()} },
				s.stopAnycostd},
			{"frr",
				s.startFRR,
				func() (bool, error) {
					st, err := s.frr.NeighborState(routerID)
					return st == "Full", err
				},
				func() []int { return []int{s.frr.Daemon("zebra").Pid(), s.frr.Daemon("ospf6d").Pid()} },
				s.stopFRR},
		}
		for i, a := range alts {
			// The first alternative warms up (trial 0, reported apart; see
			// coldStart).
			first := 1
			if i == 0 {
				first = 0
			}
			for trial := first; trial <= b.cfg.externalTrials; trial++ {
				must(lab.Wait(30*time.Second, "the router to forget the server", func() (bool, error) {
					st, err := f.rfrr.NeighborState(s.rid)
					return st == "" && err == nil, err
				}))
				t0 := time.Now()
				a.start()
				must(lab.Wait(300*time.Second, a.key+" to reach Full", a.full))
				// WaitFor polls every 50 ms (anycostd's CLI or vtysh); the
				// figure is at most one poll plus one CLI call late.
				full := time.Since(t0)
				metric := "start_to_full_ms"
				if trial == 0 {
					metric = "warmup_start_to_full_ms"
				}
				b.res.add(sample{Row: "external", Alt: a.key, Trial: trial, Metric: metric, Value: float64(full.Milliseconds()), Unit: "ms",
					Note: fmt.Sprintf("%d AS-external LSAs; polled every 50 ms", n)})
				// Memory at Full, its peak over the next 10 s (FRR floods
				// its whole database to a neighbor again once Full) and
				// 10 s after Full; for anycostd its Go heap in use too.
				var heap func() (int, error)
				if a.key == "anycostd" {
					heap = func() (int, error) { return heapInuseKiB(s) }
				}
				m := sampleMemory(r, a.pids, heap, 10*time.Second)
				b.res.add(sample{Row: "external", Alt: a.key, Trial: trial, Metric: "rss_at_full_kib", Value: float64(m.rss[0]), Unit: "KiB"})
				b.res.add(sample{Row: "external", Alt: a.key, Trial: trial, Metric: "rss_peak_kib", Value: float64(m.rssPeak), Unit: "KiB",
					Note: "largest of the samples every 100 ms from Full to 10 s after"})
				b.res.add(sample{Row: "external", Alt: a.key, Trial: trial, Metric: "rss_full_plus_10s_kib", Value: float64(m.rss[1]), Unit: "KiB"})
				if heap != nil {
					b.res.add(sample{Row: "external", Alt: a.key, Trial: trial, Metric: "heap_inuse_at_full_kib", Value: float64(m.heap[0]), Unit: "KiB"})
					b.res.add(sample{Row: "external", Alt: a.key, Trial: trial, Metric: "heap_inuse_peak_kib", Value: float64(m.heapPeak), Unit: "KiB",
						Note: "go_memstats_heap_inuse_bytes, largest of the samples from Full to 10 s after"})
					b.res.add(sample{Row: "external", Alt: a.key, Trial: trial, Metric: "heap_inuse_full_plus_10s_kib", Value: float64(m.heap[1]), Unit: "KiB"})
				}
				b.logf("external: %s trial %d: Full after %v; RSS at Full %d KiB, peak %d KiB, 10 s later %d KiB; heap in use %d / %d / %d KiB",
					a.key, trial, full.Round(time.Millisecond), m.rss[0], m.rssPeak, m.rss[1], m.heap[0], m.heapPeak, m.heap[1])
				if a.key == "anycostd" {
					// Full must mean the whole database: count it (after
					// the memory samples: answering `anycostd lsdb` with
					// 20,000 LSAs allocates tens of MB itself, so its
					// memory is sampled apart).
					if out, err := s.cli("lsdb", "--json"); err == nil {
						var entries []json.RawMessage
						if json.Unmarshal(out, &entries) == nil {
							b.res.add(sample{Row: "external", Alt: a.key, Trial: trial, Metric: "lsdb_entries_at_full", Value: float64(len(entries)), Unit: "LSAs"})
							b.logf("external: anycostd's LSDB holds %d LSAs at Full", len(entries))
							if len(entries) < n {
								b.note("external", "anycostd reported Full with %d LSAs in its database, fewer than the router's %d AS-external LSAs", len(entries), n)
							}
						}
					}
					l := sampleMemory(r, a.pids, heap, 10*time.Second)
					b.res.add(sample{Row: "external", Alt: a.key, Trial: trial, Metric: "rss_lsdb_peak_kib", Value: float64(l.rssPeak), Unit: "KiB",
						Note: "largest RSS sample in the 10 s after `anycostd lsdb --json` answered"})
					b.res.add(sample{Row: "external", Alt: a.key, Trial: trial, Metric: "rss_lsdb_plus_10s_kib", Value: float64(l.rss[1]), Unit: "KiB"})
					b.logf("external: after anycostd lsdb --json: RSS %d KiB, peak %d KiB, 10 s later %d KiB", l.rss[0], l.rssPeak, l.rss[1])
				}
				a.stop()
			}
		}
	})
	if err != nil {
		b.note("external", "%d AS-external LSAs: %v", n, err)
	}
}

// externalMetrics is where anycostd serves its metrics in the external
// row (its Go heap figures).
const externalMetrics = "[::1]:9153"

// memSamples are a process set's memory at Full ([0]) and 10 s later
// ([1]), and the largest sample in between (KiB).
type memSamples struct {
	rss, heap         [2]int
	rssPeak, heapPeak int
}

// sampleMemory samples the summed RSS of pids every 100 ms for d, and
// heap (when not nil; a metrics scrape allocates) every 500 ms and at the
// end.
func sampleMemory(r *row, pids func() []int, heap func() (int, error), d time.Duration) memSamples {
	var m memSamples
	read := func(i int, withHeap bool) {
		rss := 0
		for _, p := range pids() {
			k, err := rssKiB(p)
			if err != nil {
				r.failf("%v", err)
			}
			rss += k
		}
		m.rss[i] = rss
		m.rssPeak = max(m.rssPeak, rss)
		if heap == nil || !withHeap {
			return
		}
		if k, err := heap(); err == nil {
			m.heap[i] = k
			m.heapPeak = max(m.heapPeak, k)
		}
	}
	read(0, true)
	end := time.Now().Add(d)
	for n := 1; time.Now().Before(end); n++ {
		time.Sleep(100 * time.Millisecond)
		last := !time.Now().Before(end)
		read(1, last || n%5 == 0)
	}
	return m
}

// heapInuseKiB reads go_memstats_heap_inuse_bytes from the server's
// anycostd metrics.
func heapInuseKiB(s *server) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := s.h.Run(ctx, "curl", "-sf", "http://"+externalMetrics+"/metrics")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "go_memstats_heap_inuse_bytes "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int(f / 1024), err
		}
	}
	return 0, errors.New("no go_memstats_heap_inuse_bytes in anycostd's metrics")
}
