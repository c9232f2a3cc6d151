package costmodel

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultParamsValues(t *testing.T) {
	want := Params{
		StaticMetric: 10,
		Tiers: []Tier{
			{Metric: 10, Up: 0.6, Down: 0.4},
			{Metric: 20, Up: 0.85, Down: 0.65},
			{Metric: 40},
		},
		MinDwell:         2 * time.Second,
		DownDwell:        5 * time.Second,
		MaxDwell:         60 * time.Second,
		BackOff:          4,
		MinInterval:      1100 * time.Millisecond,
		Rise:             3,
		Fall:             2,
		DrainAction:      DrainWithdraw,
		Weights:          Weights{RQueue: 1, Drops: 1, Latency: 1, External: 1, CPU: 1},
		ProbeLatencyFull: 50 * time.Millisecond,
		DropRateFull:     20,
		Smoothing:        500 * time.Millisecond,
		StaleAfter:       3,
		HungAfter:        3 * time.Second,
		Socket:           Monitor{Interval: 100 * time.Millisecond},
		Probe:            Monitor{Interval: 200 * time.Millisecond},
		External:         Monitor{Interval: time.Second},
		CPU:              Monitor{Interval: time.Second},
	}
	got := DefaultParams()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DefaultParams() mismatch (-want +got):\n%s", diff)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("DefaultParams().Validate() = %v", err)
	}
	// The tier range stays within 4:1 (the revised ARPANET metric's lesson).
	if r := float64(got.Tiers[len(got.Tiers)-1].Metric) / float64(got.Tiers[0].Metric); r > 4 {
		t.Errorf("default tier range %g:1, want at most 4:1", r)
	}
	// MinInterval must exceed the 1 s MinLSArrival of FRR and BIRD.
	if got.MinInterval <= time.Second {
		t.Errorf("default MinInterval %v, want above 1s", got.MinInterval)
	}
	// DefaultParams returns a fresh slice each time.
	got.Tiers[0].Metric = 99
	if DefaultParams().Tiers[0].Metric != 10 {
		t.Error("DefaultParams shares its Tiers slice between calls")
	}
}

// TestDefaultParamsBehaviour checks that each default does what it says,
// through the model.
func TestDefaultParamsBehaviour(t *testing.T) {
	t.Run("static metric without tiers", func(t *testing.T) {
		p := DefaultParams()
		p.Tiers = nil
		_, got := script(t, p, []at{{0, []Sample{ExternalLoad(1)}}})
		if got[0].adv != metric(10) {
			t.Errorf("advertised %v, want metric 10", got[0].adv)
		}
	})
	t.Run("tiers 10 20 40 with thresholds 0.6/0.4 and 0.85/0.65", func(t *testing.T) {
		p := DefaultParams()
		p.Smoothing = 0
		p.External.Interval = time.Hour
		load := func(x float64) []Sample { return []Sample{ExternalLoad(x)} }
		_, got := script(t, p, []at{
			{0, load(0.59)}, {3000, load(0.6)}, {6000, load(0.84)}, {9000, load(0.85)},
			{12000, load(0.65)}, {15000, load(0.64)}, {18000, load(0.4)}, {21000, load(0.39)},
		})
		want := []uint16{10, 20, 20, 40, 40, 20, 20, 10}
		for i, g := range got {
			if g.adv != metric(want[i]) {
				t.Errorf("at %d ms: %v, want metric %d", g.ms, g.adv, want[i])
			}
		}
	})
	t.Run("min dwell 2s", func(t *testing.T) {
		_, got := script(t, quick(), []at{
			{0, []Sample{ExternalLoad(0)}}, {500, []Sample{ExternalLoad(0.7)}}, {1999, nil}, {2000, nil},
		})
		if got[1].next != 2000 || got[2].adv != metric(10) || got[3].adv != metric(20) {
			t.Errorf("got %+v, want the move held until 2000 ms", got)
		}
	})
	t.Run("down dwell 5s, back-off x4, capped at max dwell 60s", func(t *testing.T) {
		// The worst case: saturated whenever it is the cheapest, idle
		// otherwise. Its stays in tier 1 grow from DownDwell by BackOff
		// up to MaxDwell.
		p := quick()
		def := DefaultParams()
		p.DownDwell, p.BackOff = def.DownDwell, def.BackOff
		got := herding(t, p, 220*time.Second)
		want := []time.Duration{5, 20, 60, 60, 60}
		for i := range want {
			want[i] *= time.Second
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("stays in tier 1 (-want +got):\n%s", diff)
		}
	})
	t.Run("min interval 1.1s", func(t *testing.T) {
		p := quick()
		p.MinDwell = 100 * time.Millisecond
		_, got := script(t, p, []at{
			{0, []Sample{ExternalLoad(0)}}, {200, []Sample{ExternalLoad(0.7)}}, {1099, nil}, {1100, nil},
		})
		if got[0].adv != metric(10) || !got[0].changed || got[1].next != 1100 ||
			got[2].changed || !got[3].changed || got[3].adv != metric(20) {
			t.Errorf("got %+v, want the change held until 1100 ms", got)
		}
	})
	t.Run("rise 3", func(t *testing.T) {
		p := DefaultParams()
		p.Probe.Enabled = true
		ok := []Sample{ProbeResult(true, time.Millisecond)}
		_, got := script(t, p, []at{{0, ok}, {200, ok}, {400, ok}})
		if got[1].adv != wd || got[2].adv != metric(10) {
			t.Errorf("got %+v, want advertised after the third good check", got)
		}
	})
	t.Run("fall 2", func(t *testing.T) {
		p := DefaultParams()
		ok := []Sample{ProbeResult(true, time.Millisecond)}
		bad := []Sample{ProbeResult(false, 0)}
		var moments []at
		for n := 0; n <= 1200; n += 200 {
			moments = append(moments, at{n, ok})
		}
		_, got := script(t, p, append(moments, at{1400, bad}, at{1600, bad}))
		got = got[len(got)-2:]
		if got[0].adv != metric(10) || got[1].adv != wd {
			t.Errorf("got %+v, want withdrawn after the second failed check", got)
		}
	})
	t.Run("drain withdraws", func(t *testing.T) {
		_, got := script(t, DefaultParams(), []at{{0, nil}, {2000, []Sample{ManualDrain(true)}}})
		if got[1].adv != wd {
			t.Errorf("drained: %v, want withdrawn", got[1].adv)
		}
	})
	t.Run("weights 1: a full queue alone is load 1", func(t *testing.T) {
		m := New("svc", quick(), t0)
		m.Observe(t0, SocketSample(1, 0))
		if got := m.Explain(t0).Load; got != 1 {
			t.Errorf("load %g, want 1", got)
		}
	})
	t.Run("probe latency full 50ms", func(t *testing.T) {
		m := New("svc", quick(), t0)
		m.Observe(t0, ProbeResult(true, 30*time.Millisecond))
		if got := m.Explain(t0).Load; math.Abs(got-0.6) > 1e-12 {
			t.Errorf("load %g, want 0.6", got)
		}
	})
	t.Run("drop rate full 20/s", func(t *testing.T) {
		m := New("svc", quick(), t0)
		m.Observe(t0, SocketSample(0, 0))
		m.Observe(ms(100), SocketSample(0, 1)) // 1 drop in 100 ms: 10/s
		if got := m.Explain(ms(100)).Load; math.Abs(got-0.5) > 1e-12 {
			t.Errorf("load %g, want 0.5", got)
		}
	})
	t.Run("smoothing 500ms", func(t *testing.T) {
		m := New("svc", DefaultParams(), t0)
		m.Observe(t0, ExternalLoad(0))
		m.Observe(ms(500), ExternalLoad(1))
		want := 1 - math.Exp(-1)
		if got := m.Explain(ms(500)).Load; math.Abs(got-want) > 1e-12 {
			t.Errorf("load %g, want %g", got, want)
		}
	})
	t.Run("stale after 3 intervals", func(t *testing.T) {
		p := DefaultParams()
		for _, c := range []struct {
			k    InputKind
			s    Sample
			want time.Duration
		}{
			{InputSocket, SocketSample(0.5, 0), 300 * time.Millisecond},
			{InputProbe, ProbeResult(true, 0), 600 * time.Millisecond},
			{InputExternal, ExternalLoad(0.5), 3 * time.Second},
			{InputCPU, CPULoad(0.5), 3 * time.Second},
		} {
			m := New("svc", p, t0)
			m.Observe(t0, c.s)
			views := m.Explain(t0.Add(c.want - 1)).Inputs
			fresh := views[c.k-1].Stale
			views = m.Explain(t0.Add(c.want)).Inputs
			if fresh || !views[c.k-1].Stale {
				t.Errorf("%v: want stale exactly %v after its sample", c.k, c.want)
			}
		}
	})
}

// herding drives a model whose load is 1 while it advertises the lowest
// metric and 0 otherwise (as if the router sent it everything when it is the
// cheapest and nothing when it is not) for d, deciding every 100 ms, and
// returns how long each stay in the second tier lasted.
func herding(t *testing.T, p Params, d time.Duration) []time.Duration {
	t.Helper()
	m := New("svc", p, t0)
	var stays []time.Duration
	var upAt time.Time
	adv := Advert{Withdrawn: true}
	for now := t0; now.Before(t0.Add(d)); now = now.Add(100 * time.Millisecond) {
		load := 0.0
		if adv == metric(p.Tiers[0].Metric) {
			load = 1
		}
		m.Observe(now, ExternalLoad(load))
		dec := m.Decide(now)
		if !dec.Changed {
			continue
		}
		switch {
		case dec.Advert() == metric(p.Tiers[1].Metric) && adv == metric(p.Tiers[0].Metric):
			upAt = now
		case dec.Advert() == metric(p.Tiers[0].Metric) && !upAt.IsZero():
			stays = append(stays, now.Sub(upAt))
		}
		adv = dec.Advert()
	}
	return stays
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *Params)
		want   []string // every message, in order
	}{
		{"defaults", func(*Params) {}, nil},
		{"no tiers", func(p *Params) { p.Tiers = nil }, nil},
		{"one tier", func(p *Params) { p.Tiers = []Tier{{Metric: 10}} }, nil},
		{"last tier thresholds given and sane", func(p *Params) { p.Tiers[2].Up, p.Tiers[2].Down = 0.95, 0.8 }, nil},
		{"down not below up", func(p *Params) { p.Tiers[1].Down = 0.9 },
			[]string{"tier[1].down: must be below tier[1].up (0.85)"}},
		{"down equal up", func(p *Params) { p.Tiers[0].Down = 0.6 },
			[]string{"tier[0].down: must be below tier[0].up (0.6)"}},
		{"up not increasing", func(p *Params) { p.Tiers[1].Up, p.Tiers[1].Down = 0.55, 0.45 },
			[]string{"tier[1].up: must be above tier[0].up (0.6)"}},
		{"down not increasing", func(p *Params) { p.Tiers[1].Down = 0.3 },
			[]string{"tier[1].down: must be above tier[0].down (0.4)"}},
		{"metric zero", func(p *Params) { p.Tiers[0].Metric = 0 },
			[]string{"tier[0].metric: must be within 1..65535"}},
		{"metric not increasing", func(p *Params) { p.Tiers[2].Metric = 20 },
			[]string{"tier[2].metric: must be above tier[1].metric (20)"}},
		{"up zero", func(p *Params) { p.Tiers[0].Up = 0 },
			[]string{"tier[0].up: must be above 0 and at most 2, got 0", "tier[0].down: must be below tier[0].up (0)"}},
		{"up above max load", func(p *Params) { p.Tiers[1].Up = 2.5 },
			[]string{"tier[1].up: must be above 0 and at most 2, got 2.5"}},
		{"up NaN", func(p *Params) { p.Tiers[0].Up = math.NaN() },
			[]string{"tier[0].up: must be above 0 and at most 2, got NaN"}},
		{"down zero", func(p *Params) { p.Tiers[0].Down = 0 },
			[]string{"tier[0].down: must be above 0, got 0"}},
		{"static metric zero", func(p *Params) { p.StaticMetric = 0 },
			[]string{"static_metric: must be within 1..65535"}},
		{"min dwell zero", func(p *Params) { p.MinDwell = 0 },
			[]string{"min_dwell: must be above 0, got 0s"}},
		{"max dwell below min dwell", func(p *Params) { p.MaxDwell = time.Second },
			[]string{"max_dwell: must be at least min_dwell (2s), got 1s"}},
		{"min interval zero", func(p *Params) { p.MinInterval = 0 },
			[]string{"min_interval: must be above 0, got 0s"}},
		{"rise zero", func(p *Params) { p.Rise = 0 }, []string{"rise: must be at least 1, got 0"}},
		{"fall negative", func(p *Params) { p.Fall = -1 }, []string{"fall: must be at least 1, got -1"}},
		{"drain action unknown", func(p *Params) { p.DrainAction = 7 },
			[]string{"drain_action: must be withdraw or max-tier, got 7"}},
		{"weight negative", func(p *Params) { p.Weights.RQueue = -1 },
			[]string{"weights.rqueue: must be within 0..10, got -1"}},
		{"weight infinite", func(p *Params) { p.Weights.External = math.Inf(1) },
			[]string{"weights.external: must be within 0..10, got +Inf"}},
		{"weight too big", func(p *Params) { p.Weights.Latency = 11 },
			[]string{"weights.latency: must be within 0..10, got 11"}},
		{"probe latency full zero", func(p *Params) { p.ProbeLatencyFull = 0 },
			[]string{"probe_latency_full: must be above 0, got 0s"}},
		{"drop rate full zero", func(p *Params) { p.DropRateFull = 0 },
			[]string{"drop_rate_full: must be above 0, got 0"}},
		{"smoothing negative", func(p *Params) { p.Smoothing = -time.Millisecond },
			[]string{"smoothing: must not be negative, got -1ms"}},
		{"stale after zero", func(p *Params) { p.StaleAfter = 0 },
			[]string{"stale_after: must be at least 1, got 0"}},
		{"socket interval zero", func(p *Params) { p.Socket.Interval = 0 },
			[]string{"socket.interval: must be above 0, got 0s"}},
		{"probe interval zero", func(p *Params) { p.Probe.Interval = 0 },
			[]string{"probe.interval: must be above 0, got 0s"}},
		{"external interval negative", func(p *Params) { p.External.Interval = -time.Second },
			[]string{"external.interval: must be above 0, got -1s"}},
		{"several at once", func(p *Params) { p.Rise, p.Fall, p.MinInterval = 0, 0, 0 },
			[]string{"min_interval: must be above 0, got 0s", "rise: must be at least 1, got 0", "fall: must be at least 1, got 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultParams()
			tt.mutate(&p)
			err := p.Validate()
			var got []string
			if err != nil {
				if !errors.Is(err, ErrInvalidParams) {
					t.Errorf("error %v does not wrap ErrInvalidParams", err)
				}
				got = strings.Split(err.Error(), "\n")
				for _, e := range flatten(err) {
					var pe *ParamError
					if !errors.As(e, &pe) || pe.Field == "" {
						t.Errorf("error %q is not a *ParamError with a field", e)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() messages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewNormalizesInvalidParams(t *testing.T) {
	p := DefaultParams()
	p.Tiers[1].Down = 0.9 // invalid tiers: dropped
	p.MinInterval = 0     // invalid: default 1.1 s
	p.Rise = 0
	m := New("svc", p, t0)
	got := m.Params()
	if got.Tiers != nil || got.MinInterval != 1100*time.Millisecond || got.Rise != 3 {
		t.Errorf("normalized params: tiers %v, min interval %v, rise %d", got.Tiers, got.MinInterval, got.Rise)
	}
	m.Observe(t0, ExternalLoad(1))
	if d := m.Decide(t0); d.Advert() != metric(10) || !d.Changed {
		t.Errorf("decision %+v, want the static metric 10", d)
	}
	e := m.Explain(t0)
	if !strings.Contains(e.ParamsError, "tier[1].down") || !strings.Contains(e.ParamsError, "min_interval") {
		t.Errorf("Explain().ParamsError = %q, want the validation problems", e.ParamsError)
	}
	// The caller's slice is not shared with the model.
	valid := DefaultParams()
	m = New("svc", valid, t0)
	valid.Tiers[0].Metric = 99
	if m.Params().Tiers[0].Metric != 10 {
		t.Error("New shares the caller's Tiers slice")
	}
}

func TestDrainActionText(t *testing.T) {
	for _, c := range []struct {
		in   string
		want DrainAction
		err  bool
	}{
		{"withdraw", DrainWithdraw, false},
		{"max-tier", DrainMaxTier, false},
		{"max_tier", DrainMaxTier, false},
		{"", 0, true},
		{"Withdraw", 0, true},
	} {
		var a DrainAction
		err := a.UnmarshalText([]byte(c.in))
		if (err != nil) != c.err || a != c.want {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v, error %v", c.in, a, err, c.want, c.err)
		}
	}
	for _, a := range []DrainAction{DrainWithdraw, DrainMaxTier} {
		b, err := a.MarshalText()
		if err != nil || string(b) != a.String() {
			t.Errorf("MarshalText(%v) = %q, %v", a, b, err)
		}
	}
	if _, err := DrainAction(9).MarshalText(); err == nil {
		t.Error("MarshalText(9): no error")
	}
	if got := DrainAction(9).String(); got != "DrainAction(9)" {
		t.Errorf("String() = %q", got)
	}
}

func TestInputKindText(t *testing.T) {
	want := map[InputKind]string{
		InputSocket: "socket", InputProbe: "probe", InputExternal: "external", InputCPU: "cpu",
		InputManualDrain: "manual_drain", InputDrainFile: "drain_file",
	}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("%d.String() = %q, want %q", k, k.String(), s)
		}
		var back InputKind
		if err := back.UnmarshalText([]byte(s)); err != nil || back != k {
			t.Errorf("UnmarshalText(%q) = %v, %v", s, back, err)
		}
	}
	if _, err := InputKind(0).MarshalText(); err == nil {
		t.Error("MarshalText(0): no error")
	}
	if _, err := ParseInputKind("sockets"); err == nil {
		t.Error(`ParseInputKind("sockets"): no error`)
	}
}
