package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/anycostd/anycostd/costmodel/sim"
)

// farm is a named set of server capacities.
type farm struct {
	name       string
	capacities []float64
	degraded   []float64 // sim.Config.Degraded (nil: none)
}

// variant is one row kind of the table: a policy and its settings.
type variant struct {
	name   string
	policy sim.Policy
	report time.Duration // cheapest
	probe  bool          // anycostd
	solo   bool          // anycostd without the farm view
	// routerMetrics is what the servers advertise under anycostd+router.
	routerMetrics sim.RouterMetrics
}

// run is one simulation to do.
type run struct {
	farm    farm
	variant variant
	cfg     sim.Config
}

// outcome is a run and its result.
type outcome struct {
	run
	res  sim.Result
	wall time.Duration
}

func farms(o options) []farm {
	var fs []farm
	if len(o.capacities) > 0 {
		name := "het " + slashed(o.capacities)
		if len(o.degraded) > 0 {
			name += " degraded " + slashed(o.degraded)
		}
		fs = append(fs, farm{name: name, capacities: o.capacities, degraded: o.degraded})
	}
	if o.servers > 0 {
		caps := make([]float64, o.servers)
		for i := range caps {
			caps[i] = 1
		}
		fs = append(fs, farm{name: fmt.Sprintf("hom %dx1", o.servers), capacities: caps})
	}
	return fs
}

// slashed writes numbers as 1/1/2/0.5.
func slashed(v []float64) string {
	parts := make([]string, len(v))
	for i, c := range v {
		parts[i] = strconv.FormatFloat(c, 'g', -1, 64)
	}
	return strings.Join(parts, "/")
}

// variants expands the -policies list: "cheapest" gives one variant per
// -stale interval, "cheapest@D" one for D, "anycostd+probe" anycostd with
// the probe enabled, "-solo" after either anycostd without the farm view,
// "anycostd+router+static" the router agent with the servers at a static
// metric, "anycostd+router+tiers" with servers whose tiers the agent does
// not hold (blind to it).
func variants(o options) ([]variant, error) {
	var vs []variant
	for _, name := range o.policies {
		switch {
		case name == "cheapest":
			for _, d := range o.stale {
				vs = append(vs, variant{name: "cheapest@" + d.String(), policy: sim.Cheapest, report: d})
			}
		case strings.HasPrefix(name, "cheapest@"):
			d, err := time.ParseDuration(strings.TrimPrefix(name, "cheapest@"))
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("-policies: %q: want cheapest@DURATION", name)
			}
			vs = append(vs, variant{name: "cheapest@" + d.String(), policy: sim.Cheapest, report: d})
		case name == "anycostd+probe":
			vs = append(vs, variant{name: name, policy: sim.Anycostd, probe: true})
		case name == "anycostd-solo":
			vs = append(vs, variant{name: name, policy: sim.Anycostd, solo: true})
		case name == "anycostd+probe-solo":
			vs = append(vs, variant{name: name, policy: sim.Anycostd, probe: true, solo: true})
		case name == "anycostd+router+static":
			vs = append(vs, variant{name: name, policy: sim.AnycostdRouter, routerMetrics: sim.RouterStaticMetric})
		case name == "anycostd+router+tiers":
			vs = append(vs, variant{name: name, policy: sim.AnycostdRouter, routerMetrics: sim.RouterBlindTiers})
		default:
			p, err := sim.ParsePolicy(name)
			if err != nil {
				return nil, fmt.Errorf("-policies: %w", err)
			}
			vs = append(vs, variant{name: p.String(), policy: p, report: time.Second})
		}
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("-policies: no policy given")
	}
	return vs, nil
}

// plan lists every run, farm by farm, load by load, variant by variant, and
// checks every config before anything runs.
func plan(o options) ([]run, error) {
	vs, err := variants(o)
	if err != nil {
		return nil, err
	}
	var runs []run
	for _, f := range farms(o) {
		for _, load := range o.loads {
			for _, v := range vs {
				c := sim.DefaultConfig()
				c.Seed = o.seed
				c.Duration, c.Warmup = o.duration, o.warmup
				c.Capacities = f.capacities
				c.Degraded = f.degraded
				if o.hangServer > 0 {
					if o.hangServer > len(f.capacities) {
						return nil, fmt.Errorf("%s: -hang: no server %d", f.name, o.hangServer)
					}
					c.HangAt = make([]time.Duration, len(f.capacities))
					c.HangAt[o.hangServer-1] = o.hangAt
				}
				c.BaseRate = o.rate
				c.Load = load
				c.Buffer = o.buffer
				c.CFSShare, c.CFSTick = o.cfsShare, o.cfsTick
				c.Policy = v.policy
				if v.report > 0 {
					c.ReportInterval = v.report
				}
				c.Params.Probe.Enabled = v.probe
				c.Params.HungAfter = o.hungAfter
				c.FixedProbeWait = o.fixedProbeWait
				c.NoFarmView = v.solo
				c.RouterMetrics = v.routerMetrics
				c.Params.MinDwell, c.Params.MaxDwell = o.minDwell, o.maxDwell
				c.Params.MinInterval = o.minInterval
				c.RouteDelay, c.RouteJitter = o.routeDelay, o.routeJitter
				if err := c.Validate(); err != nil {
					return nil, fmt.Errorf("%s, load %g, %s: %w", f.name, load, v.name, err)
				}
				runs = append(runs, run{farm: f, variant: v, cfg: c})
			}
		}
	}
	return runs, nil
}

func execute(runs []run) ([]outcome, error) {
	out := make([]outcome, 0, len(runs))
	for _, r := range runs {
		start := time.Now()
		res, err := sim.Run(r.cfg)
		if err != nil {
			return nil, fmt.Errorf("%s, load %g, %s: %w", r.farm.name, r.cfg.Load, r.variant.name, err)
		}
		out = append(out, outcome{run: r, res: res, wall: time.Since(start)})
	}
	return out, nil
}

// validate runs the supermarket model (100 servers, load 0.9) with one and
// two random choices and prints the means beside the theory.
func validate(w io.Writer, o options) error {
	const n, load = 100, 0.9
	window := 20000 * time.Second
	if o.quick {
		window = 10000 * time.Second
	}
	fmt.Fprintf(w, "Validation: supermarket model, %d servers of service rate 1, load %g, %v measured after %v, seed %d\n",
		n, load, window, sim.SupermarketWarmup, o.seed)
	for _, tc := range []struct {
		name    string
		policy  sim.Policy
		choices int
		note    string
	}{
		{"one random choice", sim.Random, 1, "M/M/1, exact at any n"},
		{"two choices (jsq2)", sim.PowerOfTwo, 2, "limit n->inf; about +1% at n=100"},
	} {
		c := sim.Supermarket(n, load, tc.policy, window)
		c.Seed = o.seed
		r, err := sim.Run(c)
		if err != nil {
			return fmt.Errorf("validation %s: %w", tc.name, err)
		}
		want := sim.SupermarketLimit(load, tc.choices)
		got := r.MeanResponse.Seconds()
		fmt.Fprintf(w, "  %-19s mean time in system %.3f ± %.3f (batch-means std. error), theory %.3f (%s): %+.1f%%\n",
			tc.name, got, r.MeanStdErr.Seconds(), want, tc.note, 100*(got/want-1))
	}
	fmt.Fprintln(w)
	return nil
}
