// Command anycost-sim runs the discrete-event simulation of a server farm
// behind one router (package costmodel/sim) and prints a comparison of
// anycostd's cost model with round robin, random (ECMP over equal static
// metrics), least connections, power-of-two choices and cheapest-only on
// stale information, after checking the simulator against the supermarket
// model. Beside the policies it prints the ECMP bound: the most any tier
// policy can answer behind a plain OSPF router (sim.ECMPBound).
//
//	anycost-sim [-quick] [-seed N] [-duration D] [-warmup D]
//	            [-capacities 1,1,2,0.5] [-degraded 1,0.2,1,1] [-servers 4]
//	            [-hang N@T] [-cfs 0.01] [-cfs-tick 4ms]
//	            [-loads 0.5,0.7,0.9,1]
//	            [-rate 5000] [-buffer 256] [-stale 100ms,1s,5s]
//	            [-policies rr,random,lc,jsq2,cheapest,anycostd,anycostd+probe,anycostd+router]
//	            (also anycostd-solo, anycostd+probe-solo: without the farm view;
//	            anycostd+router+static: the router agent with the servers at a static metric;
//	            anycostd+router+tiers: with servers whose tiers the agent does not hold)
//	            [-route-delay 15ms] [-route-jitter 5ms] [-min-dwell 2s]
//	            [-max-dwell 32s] [-min-interval 1.1s] [-hung-after 3s]
//	            [-fixed-probe-wait] [-validate=true]
//	            [-csv FILE]
//
// Exit codes: 0 success, 1 failure, 2 bad usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/anycostd/anycostd/costmodel/sim"
)

func main() {
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the parsed flags.
type options struct {
	quick       bool
	seed        uint64
	duration    time.Duration
	warmup      time.Duration
	capacities  []float64
	degraded    []float64
	servers     int
	loads       []float64
	rate        float64
	buffer      int
	stale       []time.Duration
	policies    []string
	routeDelay  time.Duration
	routeJitter time.Duration
	validate    bool
	csvPath     string
	minDwell    time.Duration
	maxDwell    time.Duration
	minInterval time.Duration
	// hangServer (1-based; 0: none) hangs at hangAt in every farm.
	hangServer int
	hangAt     time.Duration
	// hungAfter is the cost model's HungAfter; fixedProbeWait makes
	// every probe wait its timeout (sim.Config.FixedProbeWait).
	hungAfter      time.Duration
	fixedProbeWait bool
	// cfsShare caps every server's CPU (sim.Config.CFSShare), cfsTick
	// its scheduler tick.
	cfsShare float64
	cfsTick  time.Duration
}

// Simulated durations of a full and a quick run.
const (
	fullDuration  = 120 * time.Second
	fullWarmup    = 20 * time.Second
	quickDuration = 25 * time.Second
	quickWarmup   = 5 * time.Second
)

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("anycost-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.quick, "quick", false, fmt.Sprintf("short runs (%v each, %v warm-up) and a short validation", quickDuration, quickWarmup))
	fs.Uint64Var(&o.seed, "seed", 1, "random seed (the same seed gives the same table)")
	fs.DurationVar(&o.duration, "duration", 0, fmt.Sprintf("simulated time per run (default %v, -quick %v)", fullDuration, quickDuration))
	fs.DurationVar(&o.warmup, "warmup", 0, fmt.Sprintf("warm-up left out of the statistics (default %v, -quick %v)", fullWarmup, quickWarmup))
	caps := fs.String("capacities", "1,1,2,0.5", "relative capacities of the heterogeneous farm (empty: none)")
	degraded := fs.String("degraded", "", "fractions of their -capacities the heterogeneous farm's servers really have, one per server\n(a degraded server: its cost model and load LSA still say its configured capacity; empty: none)")
	hang := fs.String("hang", "", "`N@T`: the Nth server of every farm hangs at simulated time T (as under SIGSTOP: it takes\nnothing from its queue); the table's last section says when each cost model withdrew it")
	fs.Float64Var(&o.cfsShare, "cfs", 0, "cap every server's CPU by CFS bandwidth control to its capacity × this `share` of a core per 100 ms period\n(0.01: 1 ms a period for capacity 1, as the lab's NSDs; 0: no cap)")
	fs.DurationVar(&o.cfsTick, "cfs-tick", sim.DefaultCFSTick, "-cfs: the scheduler tick at which a process past its quota is caught (4 ms: HZ 250)")
	fs.IntVar(&o.servers, "servers", 4, "servers in the homogeneous farm of capacity 1 each (0: none)")
	loads := fs.String("loads", "0.5,0.7,0.9,1", "offered loads, fractions of the farm's total capacity")
	fs.Float64Var(&o.rate, "rate", 5000, "queries per second a server of capacity 1 answers")
	fs.IntVar(&o.buffer, "buffer", 256, "queries each server's socket receive queue holds")
	stale := fs.String("stale", "100ms,1s,5s", "report intervals for cheapest-only")
	pols := fs.String("policies", "rr,random,lc,jsq2,cheapest,anycostd,anycostd+probe,anycostd+router",
		"policies: rr, random, lc, jsq2, cheapest (one row per -stale interval) or cheapest@D, anycostd, anycostd+probe, anycostd+router;\nanycostd-solo and anycostd+probe-solo run the cost model without the farm view, anycostd+router+static runs the servers at a static metric under the agent,\nanycostd+router+tiers with tiers the agent does not hold (servers blind to it)")
	fs.DurationVar(&o.routeDelay, "route-delay", 15*time.Millisecond, "anycostd: fixed delay from a reported change to the router's FIB")
	fs.DurationVar(&o.routeJitter, "route-jitter", 5*time.Millisecond, "anycostd: mean of the exponential delay added to -route-delay")
	def := sim.DefaultParams()
	fs.DurationVar(&o.minDwell, "min-dwell", def.MinDwell, "anycostd: cost model min_dwell")
	fs.DurationVar(&o.maxDwell, "max-dwell", def.MaxDwell, "anycostd: cost model max_dwell")
	fs.DurationVar(&o.minInterval, "min-interval", def.MinInterval, "anycostd: cost model min_interval (pacing)")
	fs.DurationVar(&o.hungAfter, "hung-after", def.HungAfter, "anycostd+probe: cost model hung_after (0: every failed probe counts towards fall, as before issue 14)")
	fs.BoolVar(&o.fixedProbeWait, "fixed-probe-wait", false, "anycostd+probe: every probe waits its 100 ms timeout, also behind a congested queue (as before issue 14)")
	fs.BoolVar(&o.validate, "validate", true, "check the simulator against the supermarket model first")
	fs.StringVar(&o.csvPath, "csv", "", "also write the results, one row per server and run, to this CSV `FILE`")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	var err error
	if o.capacities, err = parseFloats(*caps); err != nil {
		return o, fmt.Errorf("-capacities: %w", err)
	}
	if o.degraded, err = parseFloats(*degraded); err != nil {
		return o, fmt.Errorf("-degraded: %w", err)
	}
	if len(o.degraded) > 0 && len(o.degraded) != len(o.capacities) {
		return o, fmt.Errorf("-degraded: %d values for %d -capacities", len(o.degraded), len(o.capacities))
	}
	if *hang != "" {
		if o.hangServer, o.hangAt, err = parseHang(*hang); err != nil {
			return o, fmt.Errorf("-hang: %w", err)
		}
	}
	if o.loads, err = parseFloats(*loads); err != nil {
		return o, fmt.Errorf("-loads: %w", err)
	}
	if len(o.loads) == 0 {
		return o, fmt.Errorf("-loads: no load given")
	}
	for _, f := range split(*stale) {
		d, err := time.ParseDuration(f)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("-stale: %q is not a positive duration", f)
		}
		o.stale = append(o.stale, d)
	}
	o.policies = split(*pols)
	if o.servers < 0 {
		return o, fmt.Errorf("-servers: must not be negative, got %d", o.servers)
	}
	if len(o.capacities) == 0 && o.servers == 0 {
		return o, fmt.Errorf("no farm: give -capacities or -servers")
	}
	if o.duration == 0 {
		o.duration = fullDuration
		if o.quick {
			o.duration = quickDuration
		}
	}
	if o.warmup == 0 {
		o.warmup = min(fullWarmup, o.duration/5)
		if o.quick {
			o.warmup = min(quickWarmup, o.duration/5)
		}
	}
	return o, nil
}

func split(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseHang parses N@T: a server's position in its farm (from 1) and a
// positive simulated time.
func parseHang(s string) (int, time.Duration, error) {
	n, t, ok := strings.Cut(s, "@")
	server, err := strconv.Atoi(n)
	if !ok || err != nil || server < 1 {
		return 0, 0, fmt.Errorf("%q: want N@T, N a server's position from 1", s)
	}
	at, err := time.ParseDuration(t)
	if err != nil || at <= 0 {
		return 0, 0, fmt.Errorf("%q: want N@T, T a positive duration", s)
	}
	return server, at, nil
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range split(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// runMain runs the command with args (without the program name) and returns
// the exit code, so that tests can run it in-process.
func runMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "anycost-sim: %v\n", err)
		return 2
	}
	runs, err := plan(o)
	if err != nil {
		fmt.Fprintf(stderr, "anycost-sim: %v\n", err)
		return 2
	}
	start := time.Now()
	if o.validate {
		if err := validate(stdout, o); err != nil {
			fmt.Fprintf(stderr, "anycost-sim: %v\n", err)
			return 1
		}
	}
	results, err := execute(runs)
	if err != nil {
		fmt.Fprintf(stderr, "anycost-sim: %v\n", err)
		return 1
	}
	printTable(stdout, o, results)
	fmt.Fprintf(stdout, "\n%d runs in %v of wall time (simulated %v each, %v warm-up, seed %d).\n",
		len(results), time.Since(start).Round(100*time.Millisecond), o.duration, o.warmup, o.seed)
	if o.csvPath != "" {
		if err := writeCSVFile(o.csvPath, results); err != nil {
			fmt.Fprintf(stderr, "anycost-sim: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "CSV: %s\n", o.csvPath)
	}
	return 0
}
