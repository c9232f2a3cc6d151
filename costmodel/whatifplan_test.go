package costmodel

import (
	"errors"
	"testing"
	"time"
)

// TestSettleTime: the probe's rise, the tier moves, smoothing and pacing,
// rounded up to a second.
func TestSettleTime(t *testing.T) {
	p := DefaultParams()
	p.Probe = Monitor{Enabled: true, Interval: 200 * time.Millisecond}
	d, why := SettleTime(p)
	// (3+1) x 200ms + 2 x (2s + 1.1s) + 10 x 500ms + 2 x 1.1s = 14.2s -> 15s
	if d != 15*time.Second {
		t.Errorf("SettleTime = %v (%s), want 15s", d, why)
	}
	want := "enough for the probe's rise (3 x 200ms), 2 tier moves (dwell 2s and pacing 1.1s each), smoothing (10 x 500ms), pacing (2 x 1.1s)"
	if why != want {
		t.Errorf("why %q, want %q", why, want)
	}
}

// TestPlanWhatIf: inputs left out are assumed healthy and idle; an input
// without a monitor cannot be set; a service without inputs needs no
// time.
func TestPlanWhatIf(t *testing.T) {
	p := DefaultParams()
	p.Socket = Monitor{Enabled: true, Interval: 100 * time.Millisecond}
	rq := 0.5
	pl, err := PlanWhatIf("dns", p, false, WhatIfSet{RQueue: &rq}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Inputs) != 1 || pl.Inputs[0].Value != "present, rqueue 0.500, drops 0/s" || pl.Inputs[0].Assumed || pl.Duration != 14*time.Second {
		t.Errorf("plan %+v", pl)
	}
	if n := len(pl.Samples(time.Unix(0, 0))); n != 141 {
		t.Errorf("%d samples in 14s every 100ms, want 141", n)
	}
	ok := true
	var missing *MonitorMissingError
	if _, err := PlanWhatIf("dns", p, false, WhatIfSet{ProbeOK: &ok}, 0); !errors.As(err, &missing) || missing.Input != InputProbe {
		t.Errorf("probe set without a probe: %v", err)
	}
	if _, err := PlanWhatIf("dns", p, false, WhatIfSet{DrainFile: &ok}, 0); !errors.As(err, &missing) || missing.Input != InputDrainFile {
		t.Errorf("drain file set without one: %v", err)
	}
	static := DefaultParams()
	pl, err = PlanWhatIf("ntp", static, false, WhatIfSet{}, time.Minute)
	if err != nil || len(pl.Inputs) != 0 || pl.Duration != 0 {
		t.Errorf("no inputs: %+v, %v", pl, err)
	}
}

// TestPlanWhatIfCPU: the cpu key sets the CPU utilisation (or a failed
// reading) of a service with the CPU input, and the run ends on it; a
// service without it refuses the key; left out, it is assumed idle.
func TestPlanWhatIfCPU(t *testing.T) {
	set, err := ParseWhatIfSet([]string{"cpu=0.7"})
	if err != nil || set.CPU == nil || *set.CPU != 0.7 {
		t.Fatalf("ParseWhatIfSet(cpu=0.7) = %+v, %v", set, err)
	}
	p := DefaultParams()
	p.CPU = Monitor{Enabled: true, Interval: time.Second}
	p.Tiers = nil
	pl, err := PlanWhatIf("dns", p, false, set, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Inputs) != 1 || pl.Inputs[0].Input != "cpu" || pl.Inputs[0].Value != "utilisation 0.700" || pl.Inputs[0].Assumed {
		t.Errorf("inputs %+v", pl.Inputs)
	}
	res, err := pl.Run(time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if e := res.Explanation; e.LoadSource != "cpu" || e.Load < 0.699 || e.Load > 0.701 {
		t.Errorf("load %g from %s, want 0.7 from cpu", e.Load, e.LoadSource)
	}
	set, err = ParseWhatIfSet([]string{"cpu=error"})
	if err != nil || !set.CPUErr {
		t.Fatalf("ParseWhatIfSet(cpu=error) = %+v, %v", set, err)
	}
	if pl, err = PlanWhatIf("dns", p, false, set, 0); err != nil || pl.Inputs[0].Value != "error" {
		t.Errorf("cpu=error: %+v, %v", pl, err)
	}
	if pl, err = PlanWhatIf("dns", p, false, WhatIfSet{}, 0); err != nil || !pl.Inputs[0].Assumed || pl.Inputs[0].Value != "utilisation 0.000" {
		t.Errorf("cpu left out: %+v, %v", pl, err)
	}
	var missing *MonitorMissingError
	if _, err := PlanWhatIf("dns", DefaultParams(), false, WhatIfSet{CPU: set.CPU, CPUErr: true}, 0); !errors.As(err, &missing) || missing.Input != InputCPU {
		t.Errorf("cpu set without the input: %v", err)
	}
	if _, err := ParseWhatIfSet([]string{"cpu=3"}); err == nil {
		t.Error("cpu=3 accepted")
	}
}
