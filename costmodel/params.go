package costmodel

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// MaxLoad is the ceiling of every load term and of the combined load figure.
// A load of 1.0 means "saturated" (a full receive queue, a probe answering at
// ProbeLatencyFull, DropRateFull drops per second, an external load of 1, or
// all the CPU the service may use);
// weights above 1 may push a term past 1.0, up to MaxLoad.
const MaxLoad = 2.0

// MaxMetric is the largest prefix metric an Intra-Area-Prefix-LSA can carry:
// the field is 16 bits wide (RFC 5340, appendix A.4.10).
const MaxMetric = 65535

// MaxWeight bounds each weight so that a typo cannot make one input dominate
// every other by orders of magnitude.
const MaxWeight = 10

// historySize is how many reported changes a Model keeps for Explain.
const historySize = 20

// Tier is one cost tier. Tiers are ordered from the cheapest (least loaded)
// to the most expensive.
//
// Up is the load at or above which the model moves from this tier to the next
// (higher) one. Down is the load below which the model comes back to this tier
// from the next one. Down < Up gives the hysteresis band. The last tier has no
// next tier: its Up and Down are not used (leave them zero).
type Tier struct {
	Metric uint16  `json:"metric"`
	Up     float64 `json:"up"`
	Down   float64 `json:"down"`
}

// DrainAction says what a drained service advertises.
type DrainAction uint8

const (
	// DrainWithdraw withdraws the service's prefix while it is drained.
	DrainWithdraw DrainAction = iota
	// DrainMaxTier keeps the prefix but advertises the highest tier's metric
	// (MaxMetric when the service has no tiers), so the router prefers every
	// other server yet can still use this one if no other is left.
	DrainMaxTier
)

// String returns the config spelling: "withdraw" or "max-tier".
func (a DrainAction) String() string {
	switch a {
	case DrainWithdraw:
		return "withdraw"
	case DrainMaxTier:
		return "max-tier"
	}
	return fmt.Sprintf("DrainAction(%d)", uint8(a))
}

// ParseDrainAction parses "withdraw" or "max-tier" (also "max_tier").
func ParseDrainAction(s string) (DrainAction, error) {
	switch s {
	case "withdraw":
		return DrainWithdraw, nil
	case "max-tier", "max_tier":
		return DrainMaxTier, nil
	}
	return 0, fmt.Errorf("drain action %q: %w (want withdraw or max-tier)", s, ErrInvalidParams)
}

// MarshalText encodes the action as its String form.
func (a DrainAction) MarshalText() ([]byte, error) {
	if a > DrainMaxTier {
		return nil, fmt.Errorf("drain action %d: %w", uint8(a), ErrInvalidParams)
	}
	return []byte(a.String()), nil
}

// UnmarshalText decodes the forms ParseDrainAction accepts.
func (a *DrainAction) UnmarshalText(b []byte) error {
	v, err := ParseDrainAction(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Weights say how the load terms combine into one load figure:
//
//	load = max( RQueue   × rqueue fill,
//	            Drops    × drops per second / DropRateFull,
//	            Latency  × probe latency / ProbeLatencyFull,
//	            External × external load,
//	            CPU      × CPU utilisation )
//
// over the terms whose input is fresh, each term smoothed and clamped to
// [0, MaxLoad]. The maximum (not a sum or an average) is used because any one
// symptom of saturation is enough: a full queue must not be diluted by a fast
// probe. A weight of 0 leaves that term out; a weight below 1 makes the input
// count for less (e.g. 0.8 lets that input alone reach at most 0.8).
//
// The first three are congestion signals: near 0 while the service keeps
// up, they rise only near saturation. The CPU term is a utilisation: it
// grows with the load from idle on, so that below saturation the load
// figure still says how busy the server is (what the router agent's
// weights need, docs/router-agent.md). A term whose input the service does
// not have never counts, whatever its weight.
type Weights struct {
	RQueue   float64 `json:"rqueue"`
	Drops    float64 `json:"drops"`
	Latency  float64 `json:"latency"`
	External float64 `json:"external"`
	CPU      float64 `json:"cpu"`
}

// Monitor describes one measured input (socket monitor, probe, external load,
// CPU utilisation).
type Monitor struct {
	// Enabled says the service has this monitor. Until its first sample the
	// model then assumes the worst: no socket (withdraw), probe not up
	// (withdraw until Rise good checks). Samples of a monitor that is not
	// enabled are still used; only the starting assumption differs.
	Enabled bool `json:"enabled"`
	// Interval is how often the caller samples this input. An input whose
	// latest sample is StaleAfter × Interval old or older is stale.
	Interval time.Duration `json:"interval"`
}

// Params configures a Model. Build it from DefaultParams and change what
// differs; check it with Validate. The field names in Validate's errors are
// the snake_case config keys.
type Params struct {
	// StaticMetric is advertised when Tiers is empty.
	StaticMetric uint16
	// Tiers, ordered, cheapest first. Empty means "always StaticMetric".
	// Keep them few and coarse: the whole range bounded to about 3:1..4:1
	// (the revised ARPANET metric's lesson), ECMP spreads load within a tier.
	Tiers []Tier
	// MinDwell is the minimum time spent in a tier before moving again, up or
	// down. The model also moves at most one tier per decision.
	MinDwell time.Duration
	// DownDwell is the time spent in a tier before the first downward move
	// (0: MinDwell). A server that left the cheapest tier under load sees
	// almost no load there, which says nothing about how it would fare back
	// in it; so it waits longer before going down than before going up.
	DownDwell time.Duration
	// MaxDwell caps the back-off on downward moves: each time the model moves
	// up again less than MaxDwell after a downward move (the load came straight
	// back), the time it must spend in a tier before its next downward move
	// is multiplied by BackOff, from DownDwell up to MaxDwell. Upward moves
	// always need only MinDwell. MaxDwell == DownDwell disables the back-off.
	MaxDwell time.Duration
	// BackOff multiplies the downward dwell after each quick reversal (0: 2).
	BackOff float64
	// MinInterval is the least time between two changes reported to the
	// engine for this service. It must exceed the routers' MinLSArrival
	// (RFC 2328 appendix B: 1 s), or the router discards the newer LSA
	// instance (RFC 2328 section 13, step 5a) until a retransmission.
	MinInterval time.Duration
	// Rise and Fall are the numbers of consecutive good and failed probe
	// checks that make the service up and down.
	Rise, Fall int
	// DrainAction is what a drained service (manual or drain file) advertises.
	DrainAction DrainAction
	// Weights combine the load terms; see Weights.
	Weights Weights
	// ProbeLatencyFull is the probe latency that counts as load 1.0.
	ProbeLatencyFull time.Duration
	// DropRateFull is the receive-queue drop rate, per second, that counts
	// as load 1.0.
	DropRateFull float64
	// Smoothing is the time constant of the exponential moving average each
	// load term goes through (a sample dt after the previous one gets weight
	// 1-exp(-dt/Smoothing)). 0 turns smoothing off.
	Smoothing time.Duration
	// StaleAfter is the number of its intervals after which an input without
	// a new sample is stale. A stale socket or external input leaves the load
	// figure (the socket's last known presence is kept); a stale probe counts
	// as failing: the service is down until Rise fresh good checks.
	StaleAfter int
	// HungAfter is how long a service whose probe fails while its receive
	// queue is congested (full, or dropping), or non-empty and seen read
	// within the last second (a CPU-throttled process that reads it in
	// bursts), stays up without a good check: such failures are load (a
	// server offered more than it answers, or throttled, delays or drops
	// the probe behind its queue), until no check has passed for
	// HungAfter, when the service counts as hung and is withdrawn
	// (probehealth.go). 0 counts every failed check towards Fall, whatever
	// the queue.
	HungAfter time.Duration
	// Socket, Probe, External and CPU describe the measured inputs.
	Socket, Probe, External, CPU Monitor

	// Capacity is this server's capacity for the service, in a unit the
	// whole farm shares (cores, measured queries/s, ...); 0 means 1. The
	// farm view weighs the servers by it (see FarmView).
	Capacity float64
	// FarmRules lets the farm view shape the tier moves for load
	// (farmplan.go: hold a climb the peers could not absorb, keep the
	// cheapest tier occupied, stagger, climb together when saturated,
	// let a degraded server out on a trial: farmdegraded.go). Off (the
	// default), the view is still read and explained, and moves are as
	// without it. It is off because the absorb check once read the
	// farm's offered rate from this server's own overload and its
	// configured capacity, so that a server degraded below that capacity
	// (starved of CPU by a neighbour) was held in the cheapest tier and
	// dropped its share while its peers sat idle (lab
	// TestOverloadShiftsTraffic, 2026-12-07); the degraded-server rule
	// answers that in the simulator, and turning the rules on by default
	// waits for the lab's evidence.
	FarmRules bool
	// FarmSlot is the width of one slot of the farm's stagger: with a farm
	// view, the servers take turns, one slot each in router ID order, and
	// a server changes tier for load only within the first half of its
	// own slot. 0 means MinInterval; otherwise at least MinInterval, so
	// that at most one server of the farm changes tier for load per pacing
	// interval.
	FarmSlot time.Duration
	// FarmMaxAge is how old a farm view may be (from its AsOf) and still
	// be used; 0 means 10 s.
	FarmMaxAge time.Duration
}

// DefaultParams returns the defaults: three tiers with metrics 10, 20 and 40
// (a 4:1 range), up at 0.6 and 0.85, back below 0.4 and 0.65; MinDwell 2 s
// up, 5 s before the first move down, multiplied by 4 after each quick
// reversal up to MaxDwell 60 s; MinInterval 1.1 s; Rise 3, Fall 2;
// withdraw on drain; every weight 1; ProbeLatencyFull 50 ms; DropRateFull 20
// drops/s; Smoothing 500 ms; StaleAfter 3; HungAfter 3 s; intervals socket 100 ms, probe
// 200 ms, external 1 s, cpu 1 s, none of them enabled; Capacity, FarmSlot and
// FarmMaxAge unset (capacity 1, the stagger slot MinInterval, the farm
// view's maximum age 10 s).
func DefaultParams() Params {
	return Params{
		StaticMetric: DefaultStaticMetric,
		Tiers: []Tier{
			{Metric: 10, Up: 0.6, Down: 0.4},
			{Metric: 20, Up: 0.85, Down: 0.65},
			{Metric: 40},
		},
		MinDwell:         2 * time.Second,
		DownDwell:        5 * time.Second,
		MaxDwell:         60 * time.Second,
		BackOff:          4,
		MinInterval:      DefaultMinInterval,
		Rise:             DefaultRise,
		Fall:             DefaultFall,
		DrainAction:      DrainWithdraw,
		Weights:          Weights{RQueue: 1, Drops: 1, Latency: 1, External: 1, CPU: 1},
		ProbeLatencyFull: 50 * time.Millisecond,
		DropRateFull:     20,
		Smoothing:        500 * time.Millisecond,
		StaleAfter:       3,
		HungAfter:        DefaultHungAfter,
		Socket:           Monitor{Interval: DefaultSocketInterval},
		Probe:            Monitor{Interval: DefaultProbeInterval},
		External:         Monitor{Interval: DefaultExternalInterval},
		CPU:              Monitor{Interval: DefaultCPUInterval},
	}
}

// ErrInvalidParams is wrapped by every error Validate returns.
var ErrInvalidParams = errors.New("invalid cost model parameters")

// ParamError is one invalid field. Field is the snake_case config key, with
// an index for tiers ("tier[1].down").
type ParamError struct {
	Field string
	Msg   string
}

func (e *ParamError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap lets errors.Is(err, ErrInvalidParams) match.
func (e *ParamError) Unwrap() error { return ErrInvalidParams }

// Validate checks every field and returns nil or all problems joined
// (errors.Join of *ParamError), each naming its field, e.g.
// "tier[1].down: must be below tier[1].up (0.6)".
func (p Params) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ParamError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if p.StaticMetric == 0 {
		bad("static_metric", "must be within 1..%d", MaxMetric)
	}
	for i, t := range p.Tiers {
		f := fmt.Sprintf("tier[%d]", i)
		if t.Metric == 0 {
			bad(f+".metric", "must be within 1..%d", MaxMetric)
		}
		if i > 0 && t.Metric <= p.Tiers[i-1].Metric {
			bad(f+".metric", "must be above tier[%d].metric (%d)", i-1, p.Tiers[i-1].Metric)
		}
		last := i == len(p.Tiers)-1
		if last && t.Up == 0 && t.Down == 0 {
			continue // the last tier's thresholds are unused
		}
		if !finite(t.Up) || t.Up <= 0 || t.Up > MaxLoad {
			bad(f+".up", "must be above 0 and at most %g, got %g", MaxLoad, t.Up)
		}
		if !finite(t.Down) || t.Down <= 0 {
			bad(f+".down", "must be above 0, got %g", t.Down)
		} else if t.Down >= t.Up {
			bad(f+".down", "must be below %s.up (%g)", f, t.Up)
		}
		if i > 0 {
			prev := p.Tiers[i-1]
			if t.Up <= prev.Up {
				bad(f+".up", "must be above tier[%d].up (%g)", i-1, prev.Up)
			}
			if t.Down <= prev.Down {
				bad(f+".down", "must be above tier[%d].down (%g)", i-1, prev.Down)
			}
		}
	}
	if p.MinDwell <= 0 {
		bad("min_dwell", "must be above 0, got %v", p.MinDwell)
	}
	if p.MaxDwell < p.MinDwell {
		bad("max_dwell", "must be at least min_dwell (%v), got %v", p.MinDwell, p.MaxDwell)
	}
	if p.MinInterval <= 0 {
		bad("min_interval", "must be above 0, got %v", p.MinInterval)
	}
	if p.Rise < 1 {
		bad("rise", "must be at least 1, got %d", p.Rise)
	}
	if p.Fall < 1 {
		bad("fall", "must be at least 1, got %d", p.Fall)
	}
	if p.DrainAction > DrainMaxTier {
		bad("drain_action", "must be withdraw or max-tier, got %d", uint8(p.DrainAction))
	}
	for _, w := range []struct {
		name string
		v    float64
	}{
		{"weights.rqueue", p.Weights.RQueue},
		{"weights.drops", p.Weights.Drops},
		{"weights.latency", p.Weights.Latency},
		{"weights.external", p.Weights.External},
		{"weights.cpu", p.Weights.CPU},
	} {
		if !finite(w.v) || w.v < 0 || w.v > MaxWeight {
			bad(w.name, "must be within 0..%d, got %g", MaxWeight, w.v)
		}
	}
	if p.ProbeLatencyFull <= 0 {
		bad("probe_latency_full", "must be above 0, got %v", p.ProbeLatencyFull)
	}
	if !finite(p.DropRateFull) || p.DropRateFull <= 0 {
		bad("drop_rate_full", "must be above 0, got %g", p.DropRateFull)
	}
	if p.Smoothing < 0 {
		bad("smoothing", "must not be negative, got %v", p.Smoothing)
	}
	if p.StaleAfter < 1 {
		bad("stale_after", "must be at least 1, got %d", p.StaleAfter)
	}
	if p.HungAfter < 0 {
		bad("hung_after", "must not be negative, got %v", p.HungAfter)
	}
	for _, m := range []struct {
		name string
		v    time.Duration
	}{
		{"socket.interval", p.Socket.Interval},
		{"probe.interval", p.Probe.Interval},
		{"external.interval", p.External.Interval},
		{"cpu.interval", p.CPU.Interval},
	} {
		if m.v <= 0 {
			bad(m.name, "must be above 0, got %v", m.v)
		}
	}
	if !finite(p.Capacity) || p.Capacity < 0 || p.Capacity > MaxCapacity {
		bad("capacity", "must be within 0..%g (0: 1), got %g", float64(MaxCapacity), p.Capacity)
	}
	if p.FarmSlot < 0 || p.FarmSlot > 0 && p.FarmSlot < p.MinInterval {
		bad("farm_slot", "must be at least min_interval (%v), got %v", p.MinInterval, p.FarmSlot)
	}
	if p.FarmMaxAge < 0 {
		bad("farm_max_age", "must not be negative, got %v", p.FarmMaxAge)
	}
	return errors.Join(errs...)
}

// normalized returns p with every invalid part replaced by its default, so a
// Model is always well defined even when the caller skipped Validate. Invalid
// tiers are dropped as a whole (the model then advertises StaticMetric).
func (p Params) normalized() (Params, error) {
	err := p.Validate()
	if err == nil {
		p.Tiers = append([]Tier(nil), p.Tiers...)
		return p, nil
	}
	d := DefaultParams()
	fields := map[string]bool{}
	for _, e := range flatten(err) {
		var pe *ParamError
		if errors.As(e, &pe) {
			f := pe.Field
			if strings.HasPrefix(f, "tier[") {
				f = "tier"
			}
			fields[f] = true
		}
	}
	fix := func(name string, apply func()) {
		if fields[name] {
			apply()
		}
	}
	fix("static_metric", func() { p.StaticMetric = d.StaticMetric })
	if fields["tier"] {
		p.Tiers = nil
	} else {
		p.Tiers = append([]Tier(nil), p.Tiers...)
	}
	fix("min_dwell", func() { p.MinDwell = d.MinDwell })
	if p.MaxDwell < p.MinDwell {
		p.MaxDwell = max(d.MaxDwell, p.MinDwell)
	}
	fix("min_interval", func() { p.MinInterval = d.MinInterval })
	fix("rise", func() { p.Rise = d.Rise })
	fix("fall", func() { p.Fall = d.Fall })
	fix("drain_action", func() { p.DrainAction = d.DrainAction })
	fix("weights.rqueue", func() { p.Weights.RQueue = d.Weights.RQueue })
	fix("weights.drops", func() { p.Weights.Drops = d.Weights.Drops })
	fix("weights.latency", func() { p.Weights.Latency = d.Weights.Latency })
	fix("weights.external", func() { p.Weights.External = d.Weights.External })
	fix("weights.cpu", func() { p.Weights.CPU = d.Weights.CPU })
	fix("probe_latency_full", func() { p.ProbeLatencyFull = d.ProbeLatencyFull })
	fix("drop_rate_full", func() { p.DropRateFull = d.DropRateFull })
	fix("smoothing", func() { p.Smoothing = d.Smoothing })
	fix("stale_after", func() { p.StaleAfter = d.StaleAfter })
	fix("hung_after", func() { p.HungAfter = d.HungAfter })
	fix("socket.interval", func() { p.Socket.Interval = d.Socket.Interval })
	fix("probe.interval", func() { p.Probe.Interval = d.Probe.Interval })
	fix("external.interval", func() { p.External.Interval = d.External.Interval })
	fix("cpu.interval", func() { p.CPU.Interval = d.CPU.Interval })
	fix("capacity", func() { p.Capacity = d.Capacity })
	fix("farm_slot", func() { p.FarmSlot = 0 })
	fix("farm_max_age", func() { p.FarmMaxAge = 0 })
	return p, err
}

// flatten unpacks an errors.Join result.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// downDwell is DownDwell, or MinDwell when unset.
func (p Params) downDwell() time.Duration {
	if p.DownDwell > 0 {
		return p.DownDwell
	}
	return p.MinDwell
}

// backOff is BackOff, or 2 when unset.
func (p Params) backOff() float64 {
	if p.BackOff >= 1 {
		return p.BackOff
	}
	return 2
}

// capacity is Capacity, or 1 when unset.
func (p Params) capacity() float64 {
	if p.Capacity > 0 {
		return p.Capacity
	}
	return 1
}

// farmSlot is FarmSlot, or MinInterval when unset.
func (p Params) farmSlot() time.Duration {
	if p.FarmSlot > 0 {
		return p.FarmSlot
	}
	return p.MinInterval
}

// farmMaxAge is FarmMaxAge, or 10 s when unset.
func (p Params) farmMaxAge() time.Duration {
	if p.FarmMaxAge > 0 {
		return p.FarmMaxAge
	}
	return 10 * time.Second
}
