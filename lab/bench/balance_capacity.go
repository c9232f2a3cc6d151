package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// capacityShots is how many times a capacity is measured; the capacity is
// the median. One 4 s shot was noisy: two NSDs under the same CPU cap
// measured 2267 and 3293 qps in one run (the CFS period's phase against
// dnsperf's start), and the weights at capacity and the capacity shares
// carried that error.
const capacityShots = 3

// capacityShot is how long one shot offers the load.
const capacityShot = 4 * time.Second

// smallServerTarget is about what the smallest server should answer in a
// closed loop of 20 queries: enough queries per CFS period that its load
// is not a handful of bursts, few enough that dnsperf, the router and the
// three NSDs at 90% of the farm's capacity leave the machine's two cores
// some idle time. The caps are scaled to it (balanceCapacities).
const smallServerTarget = 3000

// balanceCapacities caps the NSDs and measures the capacities the row
// works with, in qps:
//
//  1. Unless -balance-caps gave them, the caps are scaled to the machine:
//     the same NSD under the same cap answered 3558 qps on one machine of
//     this lab's kind and 810 on another (its first server at 1% of a
//     core, in a closed loop of 20 queries), and at 810 a full queue
//     held more than dnsperf's 1 s timeout, so that a capacity measured
//     with the queue full read 0-40 qps. The caps keep their ratio and are
//     multiplied by the whole factor that brings the first server near
//     smallServerTarget in a closed loop.
//  2. Each server alone (serverCapacity).
//  3. All of them at once (farmCapacity): what the row uses. The servers
//     share the machine's two cores and its network stack, and the kernel
//     here charges the softirq time that moves packets to whatever task
//     runs when it does (CONFIG_IRQ_TIME_ACCOUNTING is off), a CFS-capped
//     NSD's quota included: with the farm's whole traffic on the machine a
//     server answers less than alone. Measured (2026-12-07, caps 4/4/8%):
//     each server alone at 90% of its alone capacity answered 100%, the
//     three at once at the same rates straight to their addresses 95.9%,
//     every NSD throttled in 305 of 307 CFS periods. A balance target at
//     90% of the alone capacities is beyond any split in this lab.
//  4. The part of that the servers answer in full, all at once
//     (inFullCapacity): what the row uses. What a server answers with its
//     queue full is more than it answers in full at any steady rate: a
//     CFS-capped NSD spends less CPU per query on a full queue (each of
//     its runs drains more of it), and a rate it can only keep up with
//     on a full queue it answers hundreds of milliseconds late and loses
//     whatever waits past dnsperf's timeout. Measured (2026-12-07 20:42,
//     caps 3/3/6%): at 90% of the full-queue capacities in the farm, the
//     three at once straight to their addresses answered 98.71%, average
//     latencies 33-261 ms; an earlier run that day, 96.82%.
func (b *bench) balanceCapacities(f *farm) []int {
	if !balanceCapsGiven {
		if err := f.l.LimitCPU(nsdGroup(f.servers[0]), balanceBaseQuotas[0], f.servers[0].nsd.Pids()...); err != nil {
			f.r.failf("%v", err)
		}
		closed := b.closedLoopRate(f, f.servers[0])
		factor := math.Max(1, math.Ceil(smallServerTarget/math.Max(1, float64(closed))))
		for i, q := range balanceBaseQuotas {
			balanceQuotas[i] = math.Min(100, q*factor)
		}
		b.logf("balance: %s answered %d qps in a closed loop at %g%% of a core: caps scaled by %g to %v%% (target about %d qps)",
			f.servers[0].h.Name(), closed, balanceBaseQuotas[0], factor, balanceQuotas, smallServerTarget)
	}
	alone := make([]int, len(f.servers))
	for i, s := range f.servers {
		if err := f.l.LimitCPU(nsdGroup(s), balanceQuotas[i], s.nsd.Pids()...); err != nil {
			f.r.failf("%v", err)
		}
		c, closed := b.serverCapacity(f, s)
		alone[i] = c
		b.res.add(sample{Row: "balance", Alt: "capacity-alone", Trial: i + 1, Metric: "capacity_qps", Value: float64(c), Unit: "qps",
			Note: fmt.Sprintf("%s alone, NSD capped at %g%% of a core; %d qps in a closed loop of 20 queries", s.h.Name(), balanceQuotas[i], closed)})
		b.logf("balance: %s answers about %d qps alone when offered more (cap %g%%; %d in a closed loop of 20 queries)", s.h.Name(), c, balanceQuotas[i], closed)
	}
	full := b.farmCapacity(f, alone)
	for i, s := range f.servers {
		b.res.add(sample{Row: "balance", Alt: "capacity-full-queue", Trial: i + 1, Metric: "capacity_qps", Value: float64(full[i]), Unit: "qps",
			Note: fmt.Sprintf("%s with the others, its queue full, NSD capped at %g%% of a core; %d qps alone", s.h.Name(), balanceQuotas[i], alone[i])})
	}
	caps, part := b.inFullCapacity(f, full)
	for i, s := range f.servers {
		b.res.add(sample{Row: "balance", Alt: "capacity", Trial: i + 1, Metric: "capacity_qps", Value: float64(caps[i]), Unit: "qps",
			Note: fmt.Sprintf("%s with the others, answered in full: %g of its %d qps with the queue full", s.h.Name(), part, full[i])})
	}
	return caps
}

// inFullSteps are the parts of the full-queue capacities inFullCapacity
// tries, largest first.
var inFullSteps = []float64{1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6}

// inFullShot is how long one shot of inFullCapacity offers its rates:
// long enough that a rate a server cannot keep up with fills its queue
// past dnsperf's 1 s timeout.
const inFullShot = 8 * time.Second

// inFullCapacity finds the largest part of the full-queue capacities
// (inFullSteps) at which every server, all of them at once, each offered
// that part of its capacity straight to its address from as many sockets
// as a run with the runs' queries, answers at least 99.9% of its queries
// in two shots in a row, and returns the capacities at that part. A shot
// that falls short moves on to the next part; when none is answered in
// full, the smallest part is used and the report says so.
func (b *bench) inFullCapacity(f *farm, full []int) ([]int, float64) {
	part, found := inFullSteps[len(inFullSteps)-1], false
	for _, p := range inFullSteps {
		ok := true
		for shot := 1; shot <= 2 && ok; shot++ {
			rates := make([]int, len(full))
			for i, c := range full {
				rates[i] = int(math.Round(p * float64(c)))
			}
			results, errs := b.offerAtOnce(f, rates, full, inFullShot)
			answered := make([]float64, len(f.servers))
			for i, s := range f.servers {
				if errs[i] != nil {
					f.r.failf("calibrating %s: %v", s.h.Name(), errs[i])
				}
				answered[i] = 100 * float64(results[i].Completed) / float64(max(1, results[i].Sent))
			}
			ok = !slices.ContainsFunc(answered, func(a float64) bool { return a < 99.9 })
			b.logf("balance: all servers at once at %g of their full-queue capacities, shot %d: answered %s", p, shot,
				joinNums(answered, func(x float64) string { return fmt.Sprintf("%.2f%%", x) }))
		}
		if ok {
			part, found = p, true
			break
		}
	}
	if !found {
		b.note("balance", "no part of the full-queue capacities down to %g was answered in full by the servers at once; the row uses %g", part, part)
	}
	caps := make([]int, len(full))
	for i, c := range full {
		caps[i] = int(math.Round(part * float64(c)))
	}
	b.logf("balance: the servers' capacities, answered in full: %v qps (%g of %v with their queues full)", caps, part, full)
	return caps, part
}

// perfRate runs dnsperf from the client straight to server s with the
// row's query and returns the rate it completed: over its whole run, the
// wait for the queries in flight at the end included (the server keeps
// answering at its rate while it drains its queue).
func (b *bench) perfRate(f *farm, s *server, o lab.PerfOptions) int {
	o.Server, o.Duration, o.Timeout = s.global, capacityShot, time.Second
	o.Queries = []string{"whoami.example.org TXT"}
	r, err := f.client.DNSPerf(context.Background(), o)
	if err != nil {
		f.r.failf("calibrating %s: %v", s.h.Name(), err)
	}
	return int(r.QPS)
}

// closedLoopRate is what server s answers with at most 20 queries in
// flight.
func (b *bench) closedLoopRate(f *farm, s *server) int {
	return b.perfRate(f, s, lab.PerfOptions{Clients: 20, Outstanding: 20})
}

// serverCapacity measures what server s answers alone, in qps: first in a
// closed loop (at most 20 queries in flight, no loss: a first estimate),
// then offered twice that from 200 client sockets with up to 2000 queries
// in flight, so that its socket's queue stays full: the rate it answers
// then (the median of capacityShots runs) is its capacity under overload.
// A CFS-capped NSD answers more with a full queue (each of its runs
// drains more of it) than a closed loop lets it.
func (b *bench) serverCapacity(f *farm, s *server) (capacity, closed int) {
	idle0, all0 := machineIdle()
	closed = b.closedLoopRate(f, s)
	var shots []int
	for range capacityShots {
		shots = append(shots, b.perfRate(f, s, lab.PerfOptions{QPS: 2 * closed, Clients: 200, Outstanding: 2000}))
	}
	idle1, all1 := machineIdle()
	b.logf("balance: %s's capacity shots %v qps; the machine idle %.1f%% of its CPU time meanwhile", s.h.Name(), shots,
		100*float64(idle1-idle0)/float64(max(1, all1-all0)))
	return median(shots), closed
}

// farmCapacity measures what each server answers while all of them are
// offered their alone capacity at once, each straight to its address
// (the median of capacityShots shots): each server's capacity in the
// farm, with the machine as busy as the farm at full load makes it.
func (b *bench) farmCapacity(f *farm, alone []int) []int {
	shots := make([][]int, len(f.servers))
	for range capacityShots {
		idle0, all0 := machineIdle()
		rates := make([]int, len(f.servers))
		var wg sync.WaitGroup
		for i, s := range f.servers {
			wg.Go(func() { rates[i] = b.perfRate(f, s, lab.PerfOptions{QPS: alone[i], Clients: 200, Outstanding: 2000}) })
		}
		wg.Wait()
		idle1, all1 := machineIdle()
		b.logf("balance: all servers at once, each offered its alone capacity, answered %v qps; the machine idle %.1f%%", rates,
			100*float64(idle1-idle0)/float64(max(1, all1-all0)))
		for i, r := range rates {
			shots[i] = append(shots[i], r)
		}
	}
	caps := make([]int, len(f.servers))
	for i := range caps {
		caps[i] = median(shots[i])
	}
	b.logf("balance: the servers' capacities in the farm (medians): %v qps (alone: %v)", caps, alone)
	return caps
}

// median is the middle of xs (the upper middle for an even count).
func median(xs []int) int {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
