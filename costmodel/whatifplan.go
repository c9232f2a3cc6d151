package costmodel

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// WhatIfSet is what an operator fixes for a what-if run (`anycostd cost
// what-if --set`). A nil field was not set.
type WhatIfSet struct {
	Socket    *bool    // a socket of the service is bound
	RQueue    *float64 // its receive-queue fill, 0..1
	DropRate  *float64 // its drops per second
	ProbeOK   *bool
	ProbeMS   *float64 // latency of a good probe, in milliseconds
	External  *float64 // the external load figure
	ExtErr    bool     // the external load cannot be read
	CPU       *float64 // the CPU utilisation
	CPUErr    bool     // the CPU utilisation cannot be read
	Drain     *bool    // the operator's manual drain
	DrainFile *bool    // the drain file exists
}

// MonitorMissingError is returned by PlanWhatIf for an input the service
// has no monitor for: the daemon would never see it, so it cannot be set.
type MonitorMissingError struct {
	Service string
	Input   InputKind // InputSocket, InputProbe, InputExternal, InputCPU or InputDrainFile
}

func (e *MonitorMissingError) Error() string {
	return fmt.Sprintf("service %s has no %s input, so the daemon never sees it", e.Service, e.Input)
}

// WhatIfInput is one input of a what-if run: how it is shown (and its JSON
// form), and the samples it stands for.
type WhatIfInput struct {
	Input    string `json:"input"`
	Value    string `json:"value"`
	Every    string `json:"every"` // sampling interval, or "once"
	Assumed  bool   `json:"assumed"`
	template Sample
	interval time.Duration // 0: once, at the start
	dropRate float64       // socket: drops per second, spread over the samples
}

// WhatIfPlan is a what-if run: the service's parameters, its inputs and
// how long to run.
type WhatIfPlan struct {
	Service  string
	Params   Params
	Inputs   []WhatIfInput
	Duration time.Duration
	Why      string // what the duration is long enough for
	// Farm, when set, is the farm view the run holds constant
	// (WhatIfFarm): the peers `anycostd cost what-if --peer` gives.
	Farm *FarmView
}

// whatIfSource is the source the samples of a what-if run carry.
const whatIfSource = "what-if"

// PlanWhatIf checks set against the service's monitors (p's Socket, Probe,
// External and CPU, and hasDrainFile) and fills in the inputs left out: a
// monitor the service has and set leaves alone is assumed healthy and idle
// (socket present and empty, probe good in 0 ms, external load 0, CPU
// utilisation 0). The run
// lasts dur, or with dur 0 long enough for the model to settle
// (SettleTime); a service without inputs needs no time at all.
func PlanWhatIf(service string, p Params, hasDrainFile bool, set WhatIfSet, dur time.Duration) (*WhatIfPlan, error) {
	pl := &WhatIfPlan{Service: service, Params: p}
	need := func(has bool, in InputKind) error {
		if has {
			return nil
		}
		return &MonitorMissingError{Service: service, Input: in}
	}

	// The socket monitor.
	if set.Socket != nil || set.RQueue != nil || set.DropRate != nil {
		if err := need(p.Socket.Enabled, InputSocket); err != nil {
			return nil, err
		}
	}
	if p.Socket.Enabled {
		in := WhatIfInput{Input: "socket", interval: p.Socket.Interval, Assumed: set.Socket == nil && set.RQueue == nil && set.DropRate == nil}
		if set.Socket != nil && !*set.Socket {
			in.template, in.Value = SocketGone(), "absent"
		} else {
			rq := 0.0
			if set.RQueue != nil {
				rq = *set.RQueue
			}
			if set.DropRate != nil {
				in.dropRate = *set.DropRate
			}
			in.template = SocketSample(rq, 0)
			in.Value = fmt.Sprintf("present, rqueue %.3f, drops %g/s", rq, in.dropRate)
		}
		pl.Inputs = append(pl.Inputs, in)
	}

	// The probe.
	if set.ProbeOK != nil || set.ProbeMS != nil {
		if err := need(p.Probe.Enabled, InputProbe); err != nil {
			return nil, err
		}
	}
	if p.Probe.Enabled {
		in := WhatIfInput{Input: "probe", interval: p.Probe.Interval, Assumed: set.ProbeOK == nil && set.ProbeMS == nil}
		if set.ProbeOK != nil && !*set.ProbeOK {
			in.template, in.Value = ProbeResult(false, 0), "fail"
		} else {
			ms := 0.0
			if set.ProbeMS != nil {
				ms = *set.ProbeMS
			}
			lat := time.Duration(ms * float64(time.Millisecond))
			in.template, in.Value = ProbeResult(true, lat), fmt.Sprintf("ok in %v", lat)
		}
		pl.Inputs = append(pl.Inputs, in)
	}

	// The external load and the CPU utilisation.
	for _, f := range []struct {
		kind    InputKind
		m       Monitor
		x       *float64
		failed  bool
		what    string
		sample  func(float64) Sample
		failure func(error) Sample
	}{
		{InputExternal, p.External, set.External, set.ExtErr, "load", ExternalLoad, ExternalError},
		{InputCPU, p.CPU, set.CPU, set.CPUErr, "utilisation", CPULoad, CPUError},
	} {
		if f.x != nil || f.failed {
			if err := need(f.m.Enabled, f.kind); err != nil {
				return nil, err
			}
		}
		if !f.m.Enabled {
			continue
		}
		in := WhatIfInput{Input: f.kind.String(), interval: f.m.Interval, Assumed: f.x == nil && !f.failed}
		switch {
		case f.failed:
			in.template, in.Value = f.failure(errors.New("what-if: set to error")), "error"
		default:
			x := 0.0
			if f.x != nil {
				x = *f.x
			}
			in.template, in.Value = f.sample(x), fmt.Sprintf("%s %.3f", f.what, x)
		}
		pl.Inputs = append(pl.Inputs, in)
	}

	// The drains: states, set once at the start, before the first
	// measurements, so the service is drained from the start.
	var drains []WhatIfInput
	if set.Drain != nil {
		drains = append(drains, WhatIfInput{Input: "manual_drain", Value: onOff(*set.Drain),
			template: ManualDrain(*set.Drain)})
	}
	if set.DrainFile != nil {
		if err := need(hasDrainFile, InputDrainFile); err != nil {
			return nil, err
		}
		drains = append(drains, WhatIfInput{Input: "drain_file", Value: onOff(*set.DrainFile),
			template: DrainFile(*set.DrainFile)})
	}
	pl.Inputs = append(drains, pl.Inputs...)
	for i := range pl.Inputs {
		in := &pl.Inputs[i]
		in.template = in.template.WithSource(whatIfSource)
		in.Every = "once"
		if in.interval > 0 {
			in.Every = in.interval.String()
		}
	}

	switch {
	case len(pl.Inputs) == 0:
		// Nothing changes over time: the model's first decision is its
		// last.
		pl.Why = "the service has no inputs, so its first decision is final"
	case dur > 0:
		pl.Duration, pl.Why = dur, "as --for asked"
	default:
		pl.Duration, pl.Why = SettleTime(p)
	}
	return pl, nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// SettleTime is how long constant inputs take, at most, to bring a new
// model to its final advertisement: the probe's rise, one tier move per
// tier (each waits for the dwell time and for pacing), the smoothing of
// the load terms (ten time constants), and a last paced change. It is
// rounded up to a whole second; the text says what it is made of.
func SettleTime(p Params) (time.Duration, string) {
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

// Samples lays the inputs out from start for the plan's duration: each
// input at its interval (the drains once, at start), in time order. The
// socket's drops per second become whole per-sample counts whose sum
// follows the rate, as the kernel counter's growth would.
func (pl *WhatIfPlan) Samples(start time.Time) []Sample {
	var out []Sample
	end := start.Add(pl.Duration)
	for _, in := range pl.Inputs {
		if in.interval <= 0 {
			out = append(out, in.template.WithTime(start))
			continue
		}
		prevDrops := uint64(0)
		for at := start; !at.After(end); at = at.Add(in.interval) {
			s := in.template.WithTime(at)
			if s.Input == InputSocket && s.Present {
				total := uint64(math.Floor(in.dropRate * at.Sub(start).Seconds()))
				s.Drops, prevDrops = total-prevDrops, total
			}
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Run runs the plan through WhatIf from start.
func (pl *WhatIfPlan) Run(start time.Time) (WhatIfResult, error) {
	return WhatIfFarm(pl.Service, pl.Params, pl.Samples(start), start.Add(pl.Duration), pl.Farm)
}
