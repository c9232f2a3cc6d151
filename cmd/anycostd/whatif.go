package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/services"
)

// whatIfKeys documents the keys of --set, in the order help shows them.
var whatIfKeys = []struct{ key, help string }{
	{"socket", "present or absent: a socket of the service is bound (needs [service.socket])"},
	{"rqueue", "receive-queue fill 0..1 of the service's socket (socket present)"},
	{"drops", "datagrams the socket drops per second (socket present)"},
	{"probe", "ok or fail: the probe's checks (needs [service.probe])"},
	{"probe_ms", "milliseconds a good probe takes to get its answer"},
	{"external", "the external load figure 0..1, or error (needs [service.external])"},
	{"drain", "on or off: the operator's manual drain (anycostd drain)"},
	{"drain_file", "on or off: the drain file exists (needs drain_file)"},
}

// whatIfSet is what --set fixed. A nil field was not set.
type whatIfSet struct {
	socket    *bool // present
	rqueue    *float64
	dropRate  *float64 // per second
	probeOK   *bool
	probeMS   *float64
	external  *float64
	extErr    bool
	drain     *bool
	drainFile *bool
}

func onOff(key, v string) (bool, error) {
	switch v {
	case "on", "true", "yes", "1":
		return true, nil
	case "off", "false", "no", "0":
		return false, nil
	}
	return false, fmt.Errorf("--set %s=%s: want on or off", key, v)
}

func number(key, v string, lo, hi float64) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		return 0, fmt.Errorf("--set %s=%s: want a number in %g..%g", key, v, lo, hi)
	}
	return f, nil
}

// parseWhatIfSets reads the --set KEY=VALUE list.
func parseWhatIfSets(list []string) (whatIfSet, error) {
	var s whatIfSet
	seen := map[string]bool{}
	for _, kv := range list {
		key, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || key == "" || v == "" {
			return s, fmt.Errorf("--set %q: want KEY=VALUE", kv)
		}
		if seen[key] {
			return s, fmt.Errorf("--set %s given twice", key)
		}
		seen[key] = true
		var err error
		switch key {
		case "socket":
			switch v {
			case "present":
				s.socket = ptr(true)
			case "absent", "gone":
				s.socket = ptr(false)
			default:
				err = fmt.Errorf("--set socket=%s: want present or absent", v)
			}
		case "rqueue":
			var f float64
			f, err = number(key, v, 0, 1)
			s.rqueue = &f
		case "drops":
			var f float64
			f, err = number(key, v, 0, 1e9)
			s.dropRate = &f
		case "probe":
			switch v {
			case "ok":
				s.probeOK = ptr(true)
			case "fail":
				s.probeOK = ptr(false)
			default:
				err = fmt.Errorf("--set probe=%s: want ok or fail", v)
			}
		case "probe_ms":
			var f float64
			f, err = number(key, v, 0, 3.6e6)
			s.probeMS = &f
		case "external":
			if v == "error" {
				s.extErr = true
				break
			}
			var f float64
			f, err = number(key, v, 0, costmodel.MaxLoad)
			s.external = &f
		case "drain":
			var b bool
			b, err = onOff(key, v)
			s.drain = &b
		case "drain_file":
			var b bool
			b, err = onOff(key, v)
			s.drainFile = &b
		default:
			keys := make([]string, len(whatIfKeys))
			for i, k := range whatIfKeys {
				keys[i] = k.key
			}
			err = fmt.Errorf("--set %s: unknown input (known: %s)", key, strings.Join(keys, ", "))
		}
		if err != nil {
			return s, err
		}
	}
	switch {
	case s.socket != nil && !*s.socket && (s.rqueue != nil || s.dropRate != nil):
		return s, errors.New("--set socket=absent: rqueue and drops need a present socket")
	case s.probeOK != nil && !*s.probeOK && s.probeMS != nil:
		return s, errors.New("--set probe=fail: probe_ms is the latency of a good probe")
	}
	return s, nil
}

func ptr[T any](v T) *T { return &v }

// whatIfInput is one input of a what-if run as it is shown.
type whatIfInput struct {
	Input    string `json:"input"`
	Value    string `json:"value"`
	Every    string `json:"every"` // sampling interval, or "once"
	Assumed  bool   `json:"assumed"`
	template costmodel.Sample
	interval time.Duration // 0: once, at the start
	dropRate float64       // socket: drops per second, spread over the samples
}

// whatIfPlan is a what-if run: the service, its parameters as the daemon
// builds them, the inputs and how long to run.
type whatIfPlan struct {
	service  config.Service
	params   costmodel.Params
	inputs   []whatIfInput
	duration time.Duration
	why      string // what the duration is long enough for
}

// planWhatIf checks set against the service's configuration (an input the
// service has no monitor for cannot be set: the daemon would never see
// it), fills in the inputs left out (a monitor that is configured and
// not set is assumed healthy and idle), and works out how long to run.
// dur 0 picks a duration long enough for the model to settle.
func planWhatIf(cfg *config.Config, name string, set whatIfSet, dur time.Duration) (*whatIfPlan, error) {
	svc := cfg.Service(name)
	if svc == nil {
		known := make([]string, len(cfg.Services))
		for i, s := range cfg.Services {
			known[i] = s.Name
		}
		return nil, fmt.Errorf("no service %q in the configuration (known: %s)", name, strings.Join(known, ", "))
	}
	p, err := services.Params(*svc, services.PacingOf(cfg).For(*svc))
	if err != nil {
		return nil, err
	}
	pl := &whatIfPlan{service: *svc, params: p}
	need := func(has bool, keys, table string) error {
		if has {
			return nil
		}
		return fmt.Errorf("--set %s: service %s has no %s, so the daemon never sees that input", keys, name, table)
	}
	const src = "what-if"

	// The socket monitor.
	if set.socket != nil || set.rqueue != nil || set.dropRate != nil {
		if err := need(svc.Socket != nil, "socket, rqueue and drops", "[service.socket]"); err != nil {
			return nil, err
		}
	}
	if svc.Socket != nil {
		in := whatIfInput{Input: "socket", interval: p.Socket.Interval, Assumed: set.socket == nil && set.rqueue == nil && set.dropRate == nil}
		if set.socket != nil && !*set.socket {
			in.template, in.Value = costmodel.SocketGone(), "absent"
		} else {
			rq := 0.0
			if set.rqueue != nil {
				rq = *set.rqueue
			}
			if set.dropRate != nil {
				in.dropRate = *set.dropRate
			}
			in.template = costmodel.SocketSample(rq, 0)
			in.Value = fmt.Sprintf("present, rqueue %.3f, drops %g/s", rq, in.dropRate)
		}
		pl.inputs = append(pl.inputs, in)
	}

	// The probe.
	if set.probeOK != nil || set.probeMS != nil {
		if err := need(svc.Probe != nil, "probe and probe_ms", "[service.probe]"); err != nil {
			return nil, err
		}
	}
	if svc.Probe != nil {
		in := whatIfInput{Input: "probe", interval: p.Probe.Interval, Assumed: set.probeOK == nil && set.probeMS == nil}
		if set.probeOK != nil && !*set.probeOK {
			in.template, in.Value = costmodel.ProbeResult(false, 0), "fail"
		} else {
			ms := 0.0
			if set.probeMS != nil {
				ms = *set.probeMS
			}
			lat := time.Duration(ms * float64(time.Millisecond))
			in.template, in.Value = costmodel.ProbeResult(true, lat), fmt.Sprintf("ok in %v", lat)
		}
		pl.inputs = append(pl.inputs, in)
	}

	// The external load.
	if set.external != nil || set.extErr {
		if err := need(svc.External != nil, "external", "[service.external]"); err != nil {
			return nil, err
		}
	}
	if svc.External != nil {
		in := whatIfInput{Input: "external", interval: p.External.Interval, Assumed: set.external == nil && !set.extErr}
		switch {
		case set.extErr:
			in.template, in.Value = costmodel.ExternalError(errors.New("what-if: set to error")), "error"
		default:
			x := 0.0
			if set.external != nil {
				x = *set.external
			}
			in.template, in.Value = costmodel.ExternalLoad(x), fmt.Sprintf("load %.3f", x)
		}
		pl.inputs = append(pl.inputs, in)
	}

	// The drains: states, set once at the start, before the first
	// measurements, so the service is drained from the start.
	var drains []whatIfInput
	if set.drain != nil {
		drains = append(drains, whatIfInput{Input: "manual_drain", Value: yesNo(*set.drain, "on", "off"),
			template: costmodel.ManualDrain(*set.drain)})
	}
	if set.drainFile != nil {
		if err := need(svc.DrainFile != "", "drain_file", "drain_file"); err != nil {
			return nil, err
		}
		drains = append(drains, whatIfInput{Input: "drain_file", Value: yesNo(*set.drainFile, "on", "off"),
			template: costmodel.DrainFile(*set.drainFile)})
	}
	pl.inputs = append(drains, pl.inputs...)
	for i := range pl.inputs {
		in := &pl.inputs[i]
		in.template = in.template.WithSource(src)
		in.Every = "once"
		if in.interval > 0 {
			in.Every = in.interval.String()
		}
	}

	pl.duration, pl.why = settleTime(p)
	if dur > 0 {
		pl.duration, pl.why = dur, "as --for asked"
	}
	return pl, nil
}

// settleTime is how long constant inputs take, at most, to bring a new
// model to its final advertisement: the probe's rise, one tier move per
// tier (each waits for the dwell time and for pacing), the smoothing of
// the load terms (ten time constants), and a last paced change. It is
// rounded up to a whole second.
func settleTime(p costmodel.Params) (time.Duration, string) {
	var d time.Duration
	var why []string
	if p.Probe.Enabled {
		d += time.Duration(p.Rise+1) * p.Probe.Interval
		why = append(why, fmt.Sprintf("the probe's rise (%d x %v)", p.Rise, p.Probe.Interval))
	}
	if n := len(p.Tiers); n > 1 {
		step := p.MinDwell + p.MinInterval
		d += time.Duration(n-1) * step
		moves := "tier moves"
		if n == 2 {
			moves = "tier move"
		}
		why = append(why, fmt.Sprintf("%d %s (dwell %v and pacing %v each)", n-1, moves, p.MinDwell, p.MinInterval))
	}
	if p.Smoothing > 0 {
		d += 10 * p.Smoothing
		why = append(why, fmt.Sprintf("smoothing (10 x %v)", p.Smoothing))
	}
	d += 2 * p.MinInterval
	why = append(why, fmt.Sprintf("pacing (2 x %v)", p.MinInterval))
	d = (d + time.Second - 1).Truncate(time.Second)
	return d, "enough for " + strings.Join(why, ", ")
}

// samples lays the inputs out from start for the plan's duration: each
// input at its interval (the drains once, at start), in time order. The
// socket's drops per second become whole per-sample counts whose sum
// follows the rate, as the kernel counter's growth would.
func (pl *whatIfPlan) samples(start time.Time) []costmodel.Sample {
	var out []costmodel.Sample
	end := start.Add(pl.duration)
	for _, in := range pl.inputs {
		if in.interval <= 0 {
			out = append(out, in.template.WithTime(start))
			continue
		}
		prevDrops := uint64(0)
		for at := start; !at.After(end); at = at.Add(in.interval) {
			s := in.template.WithTime(at)
			if s.Input == costmodel.InputSocket && s.Present {
				total := uint64(math.Floor(in.dropRate * at.Sub(start).Seconds()))
				s.Drops, prevDrops = total-prevDrops, total
			}
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// whatIfStart is the simulated start time; the output shows offsets from
// it, never the date.
var whatIfStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// whatIfOutput is the result of a what-if run, and its --json schema.
type whatIfOutput struct {
	Service     string        `json:"service"`
	Config      string        `json:"config"`
	SimulatedMS int64         `json:"simulated_ms"`
	Why         string        `json:"simulated_why"`
	Inputs      []whatIfInput `json:"inputs"`
	// Withdrawn and Metric are the advertisement at the end of the run.
	Withdrawn bool   `json:"withdrawn"`
	Metric    uint16 `json:"metric"`
	// Settled is false when a change was still held by pacing or dwell at
	// the end: a longer run (--for) may end elsewhere.
	Settled bool                   `json:"settled"`
	Result  costmodel.WhatIfResult `json:"result"`
}

// runWhatIf runs the plan through costmodel.WhatIf.
func runWhatIf(pl *whatIfPlan, configPath string) (*whatIfOutput, error) {
	start := whatIfStart
	if len(pl.inputs) == 0 {
		// Nothing changes over time: the model's first decision is its
		// last.
		pl.duration, pl.why = 0, "the service has no inputs, so its first decision is final"
	}
	res, err := costmodel.WhatIf(pl.service.Name, pl.params, pl.samples(start), start.Add(pl.duration))
	if err != nil {
		return nil, err
	}
	return &whatIfOutput{
		Service:     pl.service.Name,
		Config:      configPath,
		SimulatedMS: pl.duration.Milliseconds(),
		Why:         pl.why,
		Inputs:      pl.inputs,
		Withdrawn:   res.Decision.Withdraw,
		Metric:      res.Decision.Metric,
		Settled:     !res.Decision.Held,
		Result:      res,
	}, nil
}

func renderWhatIf(w io.Writer, o *whatIfOutput) {
	if len(o.Inputs) == 0 {
		fmt.Fprintf(w, "What-if for service %s of %s:\n%s.\n\n", o.Service, o.Config, o.Why)
	} else {
		fmt.Fprintf(w, "What-if for service %s of %s: inputs held constant for %s of simulated time\n(%s).\n\n",
			o.Service, o.Config, time.Duration(o.SimulatedMS)*time.Millisecond, o.Why)
	}
	t := newTable(w)
	fmt.Fprintln(t, "  Input\tValue\tEvery\tFrom")
	if len(o.Inputs) == 0 {
		fmt.Fprintln(t, "  (none: the service has no monitors and nothing was set)")
	}
	for _, in := range o.Inputs {
		note := "set"
		if in.Assumed {
			note = "assumed (not set)"
		}
		fmt.Fprintf(t, "  %s\t%s\t%s\t%s\n", in.Input, in.Value, in.Every, note)
	}
	t.Flush()
	e := &o.Result.Explanation
	fmt.Fprintln(w)
	result := fmt.Sprintf("metric %d", o.Metric)
	if o.Withdrawn {
		result = "withdrawn"
	} else if e.Tier >= 0 && !e.Drained {
		result += fmt.Sprintf(" (tier %d)", e.Tier)
	}
	changes := "changes"
	if len(o.Result.Changes) == 1 {
		changes = "change"
	}
	fmt.Fprintf(w, "Result: %s, after %d %s\n", result, len(o.Result.Changes), changes)
	fmt.Fprintf(w, "  Why: %s\n", e.WantedReason)
	if !o.Settled {
		fmt.Fprintf(w, "  Not settled: %s; a longer --for may end elsewhere.\n", o.Result.Decision.Reason)
	}
	fmt.Fprintln(w)
	renderCostView(w, &costView{Explanation: *e}, costClock{origin: whatIfStart})
}

func whatIfCommand() *cli.Command {
	var keys strings.Builder
	for _, k := range whatIfKeys {
		fmt.Fprintf(&keys, "  %-11s %s\n", k.key, k.help)
	}
	return &cli.Command{
		Name:  "what-if",
		Usage: "run a service's cost model offline on inputs you set, to tune tiers before deploying them",
		Description: "Builds the service's cost model from --config exactly as the daemon does, feeds it the\n" +
			"inputs set with --set (each at its configured interval, held constant), long enough for\n" +
			"the probe's rise, the tier moves, pacing and smoothing to pass (or for --for), and prints\n" +
			"the advertisement it ends with and why. A configured monitor that is not set is assumed\n" +
			"healthy and idle (socket present and empty, probe ok in 0 ms, external load 0).\n\n" +
			"--set keys (repeat --set, or separate with commas):\n" + keys.String() + "\n" +
			"Example: anycostd cost what-if -c /etc/anycostd/anycostd.toml --service dns --set rqueue=0.8 --set probe_ms=40",
		Flags: []cli.Flag{
			configFlag(),
			&cli.StringFlag{Name: "service", Aliases: []string{"s"}, Usage: "the service `NAME`", Required: true},
			&cli.StringSliceFlag{Name: "set", Usage: "an input `KEY=VALUE` (the keys are listed above)"},
			&cli.DurationFlag{Name: "for", Usage: "simulated `TIME` to run", DefaultText: "long enough to settle"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
		},
		Action: func(c *cli.Context) error {
			if d := c.Duration("for"); d < 0 || d > 24*time.Hour {
				return usageError("--for %s: want a duration above 0 and at most 24h", d)
			}
			set, err := parseWhatIfSets(c.StringSlice("set"))
			if err != nil {
				return cli.Exit(err.Error(), exitUsage)
			}
			cfg, err := config.Load(c.String("config"))
			if err != nil {
				return configError(err)
			}
			pl, err := planWhatIf(cfg, c.String("service"), set, c.Duration("for"))
			if err != nil {
				// An unknown service, or an input the service does not have.
				return cli.Exit(err.Error(), exitUsage)
			}
			out, err := runWhatIf(pl, c.String("config"))
			if err != nil {
				return cli.Exit(err.Error(), exitFailure)
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, out, true)
			}
			var b bytes.Buffer
			renderWhatIf(&b, out)
			_, err = c.App.Writer.Write(b.Bytes())
			return err
		},
	}
}
