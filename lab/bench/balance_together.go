package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// balanceTogether offers every server at once, straight to its own
// address, each load of the row as % of its measured capacity, for as
// long as a run and from as many client sockets (split by capacity), with
// the runs' query mix: a perfect split of the farm's traffic, with the
// machine as busy as in a run: the most any balancer can answer in this
// lab at that load.
// It also records each NSD's CPU time and CFS throttling and the
// machine's idle time over the window: what the servers got of the CPU
// while they shared it.
func (b *bench) balanceTogether(f *farm, caps []int, dur time.Duration) {
	for _, load := range b.cfg.balanceLoads {
		before := make([]lab.CPUStat, len(f.servers))
		for i, s := range f.servers {
			before[i] = f.l.CPUStat(nsdGroup(s))
		}
		idle0, all0 := machineIdle()
		rates := make([]int, len(caps))
		for i, c := range caps {
			rates[i] = c * load / 100
		}
		results, errs := b.offerAtOnce(f, rates, caps, dur)
		idle1, all1 := machineIdle()
		var sent, completed float64
		var parts []string
		var perServer []sample
		for i, s := range f.servers {
			if errs[i] != nil {
				f.r.failf("%s together at %d%%: %v", s.h.Name(), load, errs[i])
			}
			r := results[i]
			sent += float64(r.Sent)
			completed += float64(r.Completed)
			d := f.l.CPUStat(nsdGroup(s)).Sub(before[i])
			answered := 100 * float64(r.Completed) / float64(max(1, r.Sent))
			note := fmt.Sprintf("%s with the others, offered %d qps (%d%% of its capacity) for %v, avg latency %v; NSD CPU %.2f%% of a core (cap %g%%), throttled in %d of %d periods",
				s.h.Name(), caps[i]*load/100, load, dur, r.AvgLatency.Round(time.Millisecond), 100*d.Usage.Seconds()/dur.Seconds(),
				balanceQuotas[i], d.Throttled, d.Periods)
			perServer = append(perServer, sample{Row: "balance", Alt: fmt.Sprintf("together@%d%%", load), Trial: i + 1, Metric: "answered_pct", Value: answered, Unit: "%", Note: note})
			parts = append(parts, fmt.Sprintf("%s %.2f%% (avg latency %v, CPU %.2f%% of a core, throttled %d/%d periods)", s.h.Name(), answered,
				r.AvgLatency.Round(time.Millisecond), 100*d.Usage.Seconds()/dur.Seconds(), d.Throttled, d.Periods))
		}
		idle := 100 * float64(idle1-idle0) / float64(max(1, all1-all0))
		b.res.add(sample{Row: "balance", Alt: fmt.Sprintf("together@%d%%", load), Trial: 0, Metric: "answered_pct", Value: 100 * completed / max(1, sent), Unit: "%",
			Note: fmt.Sprintf("the three at once, each offered %d%% of its capacity; machine idle %.1f%% of its CPU time", load, idle)})
		for _, x := range perServer {
			b.res.add(x)
		}
		b.logf("balance: all servers at once, each at %d%% of its capacity straight to its address, answered %.2f%%: %s; machine idle %.1f%%",
			load, 100*completed/max(1, sent), strings.Join(parts, ", "), idle)
	}
}

// offerAtOnce offers every server its rate at once, straight to its
// address, for dur, from as many client sockets as a run, split by basis
// (each server's capacity), with the runs' queries and a 1 s timeout: the
// shots of a perfect split.
func (b *bench) offerAtOnce(f *farm, rates, basis []int, dur time.Duration) ([]lab.PerfResult, []error) {
	total := 0
	for _, c := range basis {
		total += c
	}
	results := make([]lab.PerfResult, len(f.servers))
	errs := make([]error, len(f.servers))
	var wg sync.WaitGroup
	for i, s := range f.servers {
		clients := max(200, b.cfg.balanceClients*basis[i]/max(1, total))
		wg.Go(func() {
			results[i], errs[i] = f.client.DNSPerf(context.Background(), lab.PerfOptions{Server: s.global, Duration: dur, QPS: rates[i],
				Clients: clients, Timeout: time.Second, Outstanding: max(2000, rates[i])})
		})
	}
	wg.Wait()
	return results, errs
}

// machineIdle reads the machine's idle and total CPU time (jiffies) from
// /proc/stat.
func machineIdle() (idle, total int64) {
	b, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(b), "\n")
	for i, f := range strings.Fields(line)[1:] {
		n, _ := strconv.ParseInt(f, 10, 64)
		total += n
		if i == 3 || i == 4 { // idle, iowait
			idle += n
		}
	}
	return idle, total
}
