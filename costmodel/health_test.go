package costmodel

import (
	"strings"
	"testing"
	"time"
)

// TestRiseFall feeds probe results every 200 ms and checks, after each, whether
// the service is advertised ('A') or withdrawn ('W'). Pacing is short so that
// it does not hide the health changes.
func TestRiseFall(t *testing.T) {
	tests := []struct {
		name       string
		enabled    bool
		rise, fall int
		checks     string // '+' good, '-' failed
		want       string
	}{
		{"probe enabled starts down, up after rise", true, 3, 2, "+++", "WWA"},
		{"a failure resets the rise count", true, 3, 2, "++-+++", "WWWWWA"},
		{"one failure below fall keeps it up", true, 3, 2, "+++-+-+", "WWAAAAA"},
		{"down after fall consecutive failures", true, 3, 2, "+++--", "WWAAW"},
		{"back only after rise good checks", true, 3, 2, "+++--++-+++", "WWAAWWWWWWA"},
		{"rise 1 fall 1", true, 1, 1, "+-+-", "AWAW"},
		{"fall 3", true, 1, 3, "+--+---", "AAAAAAW"},
		{"probe not enabled starts up", false, 3, 2, "-", "A"},
		{"probe not enabled, down after fall", false, 3, 2, "--+++", "AWWWA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fast()
			p.Probe.Enabled = tt.enabled
			p.Rise, p.Fall = tt.rise, tt.fall
			var moments []at
			for i, c := range tt.checks {
				moments = append(moments, at{i * 200, []Sample{ProbeResult(c == '+', 2*time.Millisecond)}})
			}
			_, steps := script(t, p, moments)
			if got := advertised(steps); got != tt.want {
				t.Errorf("checks %s: got %s, want %s", tt.checks, got, tt.want)
			}
		})
	}
}

// advertised writes, for each step, 'A' when the service is advertised
// and 'W' when it is withdrawn.
func advertised(steps []step) string {
	var b strings.Builder
	for _, s := range steps {
		if s.adv.Withdrawn {
			b.WriteByte('W')
		} else {
			b.WriteByte('A')
		}
	}
	return b.String()
}

func TestProbeStale(t *testing.T) {
	p := fast()
	p.Probe.Enabled = true
	p.Rise = 2
	ok := []Sample{ProbeResult(true, time.Millisecond)}
	m := New("svc", p, t0)
	m.Observe(ms(0), ok[0])
	m.Observe(ms(200), ok[0])
	d := m.Decide(ms(200))
	if d.Advert() != metric(10) {
		t.Fatalf("after rise: %+v", d)
	}
	// No probe result any more: stale StaleAfter × interval after the last.
	if got := sinceT0(d.StaleAt); got != 800 {
		t.Errorf("StaleAt %d ms, want 800", got)
	}
	if d := m.Decide(ms(799)); d.Withdraw {
		t.Errorf("withdrawn at 799 ms, before the probe went stale")
	}
	d = m.Decide(ms(800))
	if !d.Withdraw || !d.Changed || !strings.Contains(d.Reason, "probe stale") {
		t.Errorf("at 800 ms: %+v, want withdrawn because the probe is stale", d)
	}
	// A good check after staleness starts the rise count from zero.
	m.Observe(ms(1000), ok[0])
	if d := m.Decide(ms(1000)); !d.Withdraw {
		t.Errorf("after one good check: %+v, want still withdrawn (rise 2)", d)
	}
	m.Observe(ms(1200), ok[0])
	if d := m.Decide(ms(1200)); d.Withdraw {
		t.Errorf("after two good checks: %+v, want advertised", d)
	}
}

func TestSocketPresence(t *testing.T) {
	t.Run("enabled socket monitor: withdrawn until the socket is seen", func(t *testing.T) {
		p := fast()
		p.Socket.Enabled = true
		_, got := script(t, p, []at{{0, nil}, {100, []Sample{SocketSample(0, 0)}}})
		if got[0].adv != wd || got[1].adv != metric(10) {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("gone: withdrawn at once, no fall count", func(t *testing.T) {
		p := fast()
		p.Fall = 5
		_, got := script(t, p, []at{
			{0, []Sample{SocketSample(0, 0), ProbeResult(true, 0)}},
			{100, []Sample{SocketGone()}},
		})
		if got[1].adv != wd || !got[1].changed {
			t.Errorf("got %+v, want withdrawn in the decision after the socket went", got)
		}
	})
	t.Run("stale socket monitor keeps presence and drops its load", func(t *testing.T) {
		p := fast()
		m := New("svc", p, t0)
		m.Observe(t0, SocketSample(0.5, 0))
		m.Decide(t0)
		e := m.Explain(ms(300))
		if !e.Present || e.Load != 0 || e.Terms[termRQueue].Why != "stale" {
			t.Errorf("stale socket: present %v, load %g, rqueue term %+v", e.Present, e.Load, e.Terms[termRQueue])
		}
		if d := m.Decide(ms(300)); d.Withdraw {
			t.Errorf("stale socket monitor withdrew the service: %+v", d)
		}
	})
}

func TestDrain(t *testing.T) {
	maxTier := fast()
	maxTier.DrainAction = DrainMaxTier
	static := maxTier
	static.Tiers = nil
	tests := []struct {
		name string
		p    Params
		in   [][]Sample // one moment per element, 100 ms apart
		want []Advert
	}{
		{"manual drain withdraws", fast(),
			[][]Sample{nil, {ManualDrain(true)}, {ManualDrain(false)}},
			[]Advert{metric(10), wd, metric(10)}},
		{"drain file withdraws", fast(),
			[][]Sample{nil, {DrainFile(true)}, {DrainFile(false)}},
			[]Advert{metric(10), wd, metric(10)}},
		{"either drain keeps it drained", fast(),
			[][]Sample{{DrainFile(true)}, {ManualDrain(true)}, {DrainFile(false)}, {ManualDrain(false)}},
			[]Advert{wd, wd, wd, metric(10)}},
		{"max tier: highest tier metric at once", maxTier,
			[][]Sample{nil, {ManualDrain(true)}, {ManualDrain(false)}},
			[]Advert{metric(10), metric(40), metric(10)}},
		{"max tier without tiers: the largest metric", static,
			[][]Sample{nil, {DrainFile(true)}},
			[]Advert{metric(10), metric(MaxMetric)}},
		{"max tier: a dead socket still withdraws", maxTier,
			[][]Sample{{ManualDrain(true)}, {SocketGone()}, {SocketSample(0, 0)}},
			[]Advert{metric(40), wd, metric(40)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var moments []at
			for i, in := range tt.in {
				moments = append(moments, at{i * 100, in})
			}
			_, got := script(t, tt.p, moments)
			for i, s := range got {
				if s.adv != tt.want[i] {
					t.Errorf("at %d ms: %v, want %v", s.ms, s.adv, tt.want[i])
				}
			}
		})
	}
}

func TestLoadTerms(t *testing.T) {
	tests := []struct {
		name    string
		p       func(p *Params)
		samples []Sample // all observed at t0, in order
		want    float64
		source  string
	}{
		{"no input: 0", nil, nil, 0, "none"},
		{"rqueue fill", nil, []Sample{SocketSample(0.42, 0)}, 0.42, "rqueue"},
		{"rqueue clamped", nil, []Sample{SocketSample(3, 0)}, 1, "rqueue"},
		{"rqueue NaN counts as 0", nil, []Sample{SocketSample(nan(), 0)}, 0, "rqueue"},
		{"drops over the first interval", nil, []Sample{SocketSample(0, 1)}, 0.5, "drops"},
		{"probe latency", nil, []Sample{ProbeResult(true, 10*time.Millisecond)}, 0.2, "latency"},
		{"failed probe is saturated", nil, []Sample{ProbeResult(false, 0)}, 1, "latency"},
		{"slow probe capped at MaxLoad", nil, []Sample{ProbeResult(true, time.Second)}, MaxLoad, "latency"},
		{"external", nil, []Sample{ExternalLoad(0.3)}, 0.3, "external"},
		{"external error left out", nil, []Sample{ExternalError(errTest)}, 0, "none"},
		{"external NaN is an error", nil, []Sample{ExternalLoad(nan())}, 0, "none"},
		{"maximum of the terms", nil,
			[]Sample{SocketSample(0.3, 0), ProbeResult(true, 35*time.Millisecond), ExternalLoad(0.5)}, 0.7, "latency"},
		{"weight scales", func(p *Params) { p.Weights.RQueue = 0.5 }, []Sample{SocketSample(1, 0)}, 0.5, "rqueue"},
		{"weight 0 leaves a term out", func(p *Params) { p.Weights.Latency = 0 },
			[]Sample{ProbeResult(false, 0), ExternalLoad(0.1)}, 0.1, "external"},
		{"weight above 1 capped", func(p *Params) { p.Weights.External = 10 }, []Sample{ExternalLoad(1)}, MaxLoad, "external"},
		{"cpu utilisation", nil, []Sample{CPULoad(0.35)}, 0.35, "cpu"},
		{"cpu over its limit clamped at MaxLoad", nil, []Sample{CPULoad(7)}, MaxLoad, "cpu"},
		{"cpu error left out", nil, []Sample{SocketSample(0.1, 0), CPUError(errTest)}, 0.1, "rqueue"},
		{"cpu NaN is an error", nil, []Sample{CPULoad(nan())}, 0, "none"},
		{"cpu error after a reading drops the term", nil, []Sample{CPULoad(0.9), CPUError(errTest)}, 0, "none"},
		{"cpu below saturation sets the figure", nil,
			[]Sample{SocketSample(0.02, 0), ProbeResult(true, time.Millisecond), CPULoad(0.7)}, 0.7, "cpu"},
		{"congestion above cpu", nil, []Sample{SocketSample(0.9, 0), CPULoad(0.7)}, 0.9, "rqueue"},
		{"cpu weight 0 leaves it out", func(p *Params) { p.Weights.CPU = 0 }, []Sample{ExternalLoad(0.1), CPULoad(0.7)}, 0.1, "external"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := quick()
			if tt.p != nil {
				tt.p(&p)
			}
			m := New("svc", p, t0)
			for _, s := range tt.samples {
				m.Observe(t0, s)
			}
			e := m.Explain(t0)
			if diff := e.Load - tt.want; diff > 1e-12 || diff < -1e-12 || e.LoadSource != tt.source {
				t.Errorf("load %g from %s, want %g from %s", e.Load, e.LoadSource, tt.want, tt.source)
			}
		})
	}
}

func TestSmoothingRestartsAfterAGap(t *testing.T) {
	p := DefaultParams()
	m := New("svc", p, t0)
	m.Observe(ms(0), SocketSample(1, 0))
	m.Observe(ms(100), SocketSample(0, 0))
	want := 1 - (1 - mathExp(-0.2)) // one step of 100 ms with tau 500 ms
	if got := m.Explain(ms(100)).Load; abs(got-want) > 1e-12 {
		t.Errorf("smoothed load %g, want %g", got, want)
	}
	// 300 ms without a sample: stale, and the average starts over.
	m.Observe(ms(400), SocketSample(0.2, 0))
	if got := m.Explain(ms(400)).Load; abs(got-0.2) > 1e-12 {
		t.Errorf("load after a gap %g, want 0.2", got)
	}
}

func TestClockNeverRunsBackwards(t *testing.T) {
	p := fast()
	m := New("svc", p, ms(1000))
	m.Observe(ms(500), ExternalLoad(0.7)) // taken as 1000 ms
	d := m.Decide(ms(900))
	if d.Advert() != metric(10) || sinceT0(d.NextCheck) != 1010 {
		t.Errorf("decision %+v, want metric 10 with the move due at 1010 ms", d)
	}
	if e := m.Explain(ms(0)); !e.At.Equal(ms(1000)) || e.Inputs[InputExternal-1].At != ms(1000) {
		t.Errorf("Explain at %v, external at %v; want both at the model clock", e.At, e.Inputs[InputExternal-1].At)
	}
}

func TestUnknownInputRejected(t *testing.T) {
	m := New("svc", fast(), t0)
	m.Observe(t0, Sample{Input: 0})
	m.Observe(t0, Sample{Input: 99, Present: true})
	if d := m.Decide(t0); d.Advert() != metric(10) {
		t.Errorf("decision %+v", d)
	}
	if got := m.Explain(t0).RejectedSamples; got != 2 {
		t.Errorf("rejected samples %d, want 2", got)
	}
}
