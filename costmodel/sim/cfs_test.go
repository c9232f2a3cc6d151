package sim

import (
	"errors"
	"math"
	"testing"
	"time"
)

// cfsConfig is one server of capacity 1 behind round robin at load,
// capped to a 1 ms quota per 100 ms period, with a large buffer (no drops
// below capacity).
func cfsConfig(load float64) Config {
	c := short(RoundRobin)
	c.Capacities = []float64{1}
	c.Load = load
	c.Buffer = 4096
	c.CFSShare = 0.01
	return c
}

// TestCFSKeepsCapacity: a CPU-capped server still answers its capacity
// over many periods when overloaded (its CPU time is its quota, whatever
// the tick), and below its capacity it answers at its full speed: it runs
// 100 times faster than an uncapped server of the same capacity, so its
// median response is a fraction of that server's.
func TestCFSKeepsCapacity(t *testing.T) {
	for _, tick := range []time.Duration{100 * time.Microsecond, DefaultCFSTick} {
		c := cfsConfig(1.2)
		c.CFSTick = tick
		r, err := Run(c)
		if err != nil {
			t.Fatal(err)
		}
		// The window holds 100 ms of quota; a debt at its end (up to a
		// tick) is a few per cent of it.
		if u := r.Servers[0].Utilization; math.Abs(u-1) > 0.05 {
			t.Errorf("tick %v: overloaded capped server used %.3f of its quota, want 1", tick, u)
		}
	}
	c := cfsConfig(0.9)
	capped, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	c.CFSShare = 0
	free, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if capped.Measured.Dropped != 0 || capped.P50Response*10 > free.P50Response {
		t.Errorf("capped server at 0.9: %+v, p50 %v (uncapped %v): want nothing dropped and answers at full speed",
			capped.Measured, capped.P50Response, free.P50Response)
	}
}

// TestCFSOverrunPaidBack: an overloaded capped server overruns its quota
// until a tick catches it and sleeps the periods that pay the debt back:
// with a 10 ms tick (HZ 100) for a 1 ms quota its queries wait through
// longer sleeps than with a tick shorter than the quota, so the spread of
// response times around the same mean is wider.
func TestCFSOverrunPaidBack(t *testing.T) {
	spread := func(tick time.Duration) time.Duration {
		c := cfsConfig(1.2)
		c.CFSTick = tick
		r, err := Run(c)
		if err != nil {
			t.Fatal(err)
		}
		return r.P99Response - r.P50Response
	}
	fine, coarse := spread(100*time.Microsecond), spread(10*time.Millisecond)
	if coarse < fine+100*time.Millisecond {
		t.Errorf("p99 - p50 with a 0.1 ms tick %v, with a 10 ms tick %v: want the coarse tick's far wider", fine, coarse)
	}
}

func TestCFSValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"negative share", func(c *Config) { c.CFSShare = -0.1 }},
		{"more than a core", func(c *Config) { c.Capacities = []float64{1, 200} }},
		{"two workers", func(c *Config) { c.Workers = []int{2} }},
		{"tick not below the period", func(c *Config) { c.CFSTick = c.CFSPeriod + DefaultCFSPeriod }},
		{"negative period", func(c *Config) { c.CFSPeriod = -time.Millisecond }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfsConfig(0.5)
			tc.edit(&c)
			if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Validate: %v, want an ErrInvalidConfig", err)
			}
		})
	}
	if err := cfsConfig(0.5).Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}
