package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/internal/daemon"
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
func parseWhatIfSets(list []string) (costmodel.WhatIfSet, error) {
	var s costmodel.WhatIfSet
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
				s.Socket = ptr(true)
			case "absent", "gone":
				s.Socket = ptr(false)
			default:
				err = fmt.Errorf("--set socket=%s: want present or absent", v)
			}
		case "rqueue":
			var f float64
			f, err = number(key, v, 0, 1)
			s.RQueue = &f
		case "drops":
			var f float64
			f, err = number(key, v, 0, 1e9)
			s.DropRate = &f
		case "probe":
			switch v {
			case "ok":
				s.ProbeOK = ptr(true)
			case "fail":
				s.ProbeOK = ptr(false)
			default:
				err = fmt.Errorf("--set probe=%s: want ok or fail", v)
			}
		case "probe_ms":
			var f float64
			f, err = number(key, v, 0, 3.6e6)
			s.ProbeMS = &f
		case "external":
			if v == "error" {
				s.ExtErr = true
				break
			}
			var f float64
			f, err = number(key, v, 0, costmodel.MaxLoad)
			s.External = &f
		case "drain":
			var b bool
			b, err = onOff(key, v)
			s.Drain = &b
		case "drain_file":
			var b bool
			b, err = onOff(key, v)
			s.DrainFile = &b
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
	case s.Socket != nil && !*s.Socket && (s.RQueue != nil || s.DropRate != nil):
		return s, errors.New("--set socket=absent: rqueue and drops need a present socket")
	case s.ProbeOK != nil && !*s.ProbeOK && s.ProbeMS != nil:
		return s, errors.New("--set probe=fail: probe_ms is the latency of a good probe")
	}
	return s, nil
}

func ptr[T any](v T) *T { return &v }

// whatIfNeeds names, for an input a service has no monitor for, the --set
// keys that set it and the configuration table that would monitor it.
var whatIfNeeds = map[costmodel.InputKind]struct{ keys, table string }{
	costmodel.InputSocket:    {"socket, rqueue and drops", "[service.socket]"},
	costmodel.InputProbe:     {"probe and probe_ms", "[service.probe]"},
	costmodel.InputExternal:  {"external", "[service.external]"},
	costmodel.InputDrainFile: {"drain_file", "drain_file"},
}

// planWhatIf builds the what-if run of the named service of cfg, its
// cost model parameters as the daemon builds them.
func planWhatIf(cfg *config.Config, name string, set costmodel.WhatIfSet, dur time.Duration) (*costmodel.WhatIfPlan, error) {
	svc := cfg.Service(name)
	if svc == nil {
		known := make([]string, len(cfg.Services))
		for i, s := range cfg.Services {
			known[i] = s.Name
		}
		return nil, fmt.Errorf("no service %q in the configuration (known: %s)", name, strings.Join(known, ", "))
	}
	p, err := daemon.ModelParams(cfg, *svc)
	if err != nil {
		return nil, err
	}
	pl, err := costmodel.PlanWhatIf(name, p, svc.DrainFile != "", set, dur)
	var missing *costmodel.MonitorMissingError
	if errors.As(err, &missing) {
		n := whatIfNeeds[missing.Input]
		return nil, fmt.Errorf("--set %s: service %s has no %s, so the daemon never sees that input", n.keys, name, n.table)
	}
	return pl, err
}

// whatIfStart is the simulated start time; the output shows offsets from
// it, never the date.
var whatIfStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// whatIfOutput is the result of a what-if run, and its --json schema.
type whatIfOutput struct {
	Service     string                  `json:"service"`
	Config      string                  `json:"config"`
	SimulatedMS int64                   `json:"simulated_ms"`
	Why         string                  `json:"simulated_why"`
	Inputs      []costmodel.WhatIfInput `json:"inputs"`
	// Withdrawn and Metric are the advertisement at the end of the run.
	Withdrawn bool   `json:"withdrawn"`
	Metric    uint16 `json:"metric"`
	// Settled is false when a change was still held by pacing or dwell at
	// the end: a longer run (--for) may end elsewhere.
	Settled bool                   `json:"settled"`
	Result  costmodel.WhatIfResult `json:"result"`
}

// runWhatIf runs the plan from whatIfStart.
func runWhatIf(pl *costmodel.WhatIfPlan, configPath string) (*whatIfOutput, error) {
	res, err := pl.Run(whatIfStart)
	if err != nil {
		return nil, err
	}
	return &whatIfOutput{
		Service:     pl.Service,
		Config:      configPath,
		SimulatedMS: pl.Duration.Milliseconds(),
		Why:         pl.Why,
		Inputs:      pl.Inputs,
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
			&cli.StringSliceFlag{Name: "set", Usage: "an input `KEY=VALUE` (see below)"},
			&cli.DurationFlag{Name: "for", Usage: "simulated `TIME` to run (default: long enough to settle)"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return cli.Exit(fmt.Sprintf("what-if takes no arguments (got %s); inputs are --set KEY=VALUE",
					strings.Join(c.Args().Slice(), " ")), exitFailure)
			}
			if d := c.Duration("for"); d < 0 || d > 24*time.Hour {
				return cli.Exit(fmt.Sprintf("--for %s: want a duration above 0 and at most 24h", d), exitFailure)
			}
			set, err := parseWhatIfSets(c.StringSlice("set"))
			if err != nil {
				return cli.Exit(err.Error(), exitFailure)
			}
			cfg, err := config.Load(c.String("config"))
			if err != nil {
				return configError(err)
			}
			pl, err := planWhatIf(cfg, c.String("service"), set, c.Duration("for"))
			if err != nil {
				return cli.Exit(err.Error(), exitFailure)
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
