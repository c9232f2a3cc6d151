package sim

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/anycostd/anycostd/costmodel"
)

// Policy is how the router picks the server for a query.
type Policy uint8

const (
	// RoundRobin sends queries to the servers in turn.
	RoundRobin Policy = iota
	// Random sends each query to a uniformly random server: ECMP over equal
	// static metrics with many flows.
	Random
	// LeastConn sends each query to the server with the fewest queries in
	// it (waiting and in service), known exactly and instantly; ties are
	// broken at random.
	LeastConn
	// PowerOfTwo picks two distinct servers at random and sends the query
	// to the one with fewer queries in it (JSQ(2)); ties at random.
	PowerOfTwo
	// Cheapest sends every query to the server with the fewest queries as
	// last reported: all servers report at once every ReportInterval (the
	// periodic-update bulletin board); ties at random.
	Cheapest
	// Anycostd routes by the metrics the servers' cost models advertise:
	// uniformly at random among the servers with the lowest metric.
	Anycostd
	// AnycostdRouter is Anycostd with the router agent: the router splits
	// among the servers at the lowest metric by the agent's weights
	// (router.go).
	AnycostdRouter
)

var policyNames = [...]string{
	RoundRobin: "round-robin",
	Random:     "random",
	LeastConn:  "least-conn",
	PowerOfTwo: "jsq2",
	Cheapest:   "cheapest",
	Anycostd:   "anycostd",

	AnycostdRouter: "anycostd+router",
}

// String returns the name ParsePolicy accepts.
func (p Policy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return fmt.Sprintf("Policy(%d)", uint8(p))
}

// ParsePolicy parses a policy name: round-robin (rr), random, least-conn
// (lc), jsq2 (power-of-two), cheapest, anycostd.
func ParsePolicy(s string) (Policy, error) {
	switch strings.ToLower(s) {
	case "rr", "roundrobin":
		return RoundRobin, nil
	case "lc", "leastconn", "least-connections":
		return LeastConn, nil
	case "power-of-two", "p2c", "two-choices":
		return PowerOfTwo, nil
	}
	for i, n := range policyNames {
		if strings.EqualFold(s, n) {
			return Policy(i), nil
		}
	}
	return 0, fmt.Errorf("policy %q: %w (want round-robin, random, least-conn, jsq2, cheapest, anycostd or anycostd+router)",
		s, ErrInvalidConfig)
}

// Config describes one simulation run. Start from DefaultConfig.
type Config struct {
	// Seed selects the random streams; the same Config gives the same Result.
	Seed uint64
	// Duration is the simulated time; arrivals stop and the run ends at
	// Duration. Queries still in the farm then are counted as in flight.
	Duration time.Duration
	// Warmup is left out of every statistic: only queries arriving at or
	// after Warmup are measured, and utilisation and metric changes are
	// counted over [Warmup, Duration].
	Warmup time.Duration
	// Capacities are the servers' relative capacities, one per server.
	Capacities []float64
	// Workers are the servers' worker counts (nil: one each).
	Workers []int
	// Degraded, when set, is the fraction of its capacity each server
	// really has (one per server, 0 < f <= 1; nil: 1 each): a degraded
	// server (starved of CPU by a neighbour, a slow disk) serves at
	// Capacities[i] × Degraded[i] while its cost model and its server
	// load LSA still say Capacities[i], as a daemon's configured capacity
	// does. Load stays a fraction of the configured total (TotalCapacity),
	// as a load test sized from the configuration is.
	Degraded []float64
	// HangAt, when set, is when each server's process hangs (0: never),
	// as under SIGSTOP: from then on it takes no query from its receive
	// queue (a query already in service finishes) and answers no probe,
	// while its socket stays. Result.Servers[i].HungWithdrawnAfter says
	// how long its cost model took to withdraw it.
	HangAt []time.Duration
	// CFSShare, when above 0, caps every server's process by CFS
	// bandwidth control to Capacities[i] × CFSShare of one CPU (0.01: a
	// 1 ms quota per 100 ms period for a server of capacity 1), as a
	// container's CPU limit does (cfs.go): the process runs at its full
	// speed, BaseRate / CFSShare, until its quota is used up, and sleeps
	// for the rest of the period (and, after an overrun, the periods that
	// pay it back), its receive queue filling meanwhile. Needs one worker
	// per server.
	CFSShare float64
	// CFSPeriod is the cap's period (0: DefaultCFSPeriod); CFSTick the
	// scheduler tick at which a process past its quota is caught (0:
	// DefaultCFSTick), below the period.
	CFSPeriod, CFSTick time.Duration
	// BaseRate is the throughput, in queries per second, of a server of
	// capacity 1.
	BaseRate float64
	// Load is the arrival rate as a fraction of the farm's total capacity.
	Load float64
	// Buffer is how many queries may wait at each server (its socket
	// receive queue); 0 means unlimited (no drops). Anycostd needs it.
	Buffer int
	// Policy is the dispatch policy.
	Policy Policy
	// ReportInterval is how often the servers report their queue lengths
	// to the bulletin board (Cheapest only).
	ReportInterval time.Duration

	// Params configures every server's cost model (Anycostd only). The
	// socket is sampled every Params.Socket.Interval; with
	// Params.Probe.Enabled a probe is sent every Params.Probe.Interval.
	Params costmodel.Params
	// ProbeTimeout is the probe's configured timeout: how long a probe
	// waits for its answer before it counts as failed while the server's
	// receive queue is shallow; behind a congested queue, or one the
	// server is seen reading, it waits what the cost model's ProbeWait
	// says (up to HungAfter/Fall, or a few probe intervals), as the
	// daemon's probe does, another probe starting every interval meanwhile.
	ProbeTimeout time.Duration
	// FixedProbeWait makes every probe wait ProbeTimeout whatever the
	// queue (the daemon's probe before issue 14), for comparison.
	FixedProbeWait bool
	// RouteDelay is the fixed part of the time from a reported change to
	// the router forwarding by it (LSA flooding, SPF, FIB update).
	RouteDelay time.Duration
	// RouteJitter is the mean of an exponential delay added to RouteDelay.
	RouteJitter time.Duration
	// NoFarmView runs the cost models without a farm view (each server
	// blind to its peers, as before the farm view existed). By default
	// each server's model sees its peers' advertisements and server load
	// LSAs, delayed as the router's routes are (see farmPeer).
	NoFarmView bool
	// LoadStep is how far a server's load figure must move before its
	// server load LSA is originated again at once (the daemon's server
	// load step); LoadSettle how long a smaller move, of more than a
	// tenth of the step, must last before it is (the engine's settle).
	LoadStep   float64
	LoadSettle time.Duration

	// RouterMetrics is what the servers advertise under AnycostdRouter
	// (router.go); by default their tiers, held at the base metric while
	// the agent weighs the prefix, as the daemon does.
	RouterMetrics RouterMetrics

	// OnChange, when set, is called with every change a cost model reports
	// (Anycostd only), in simulated-time order, during Run.
	OnChange func(Change)
}

// Change is one change a server's cost model reported.
type Change struct {
	// At is the simulated time of the report, RouteAt the time the router
	// starts forwarding by it.
	At, RouteAt time.Duration
	// Server is the server's index in Config.Capacities.
	Server int
	// Model is the model's record of the change (its times are the
	// model's clock: simulated time 0 is 2000-01-01 00:00:00 UTC).
	Model costmodel.Change
}

// Default values used by DefaultConfig.
const (
	DefaultBaseRate     = 5000
	DefaultBuffer       = 256
	DefaultRouteDelay   = 15 * time.Millisecond
	DefaultRouteJitter  = 5 * time.Millisecond
	DefaultProbeTimeout = 100 * time.Millisecond
)

// DefaultParams returns the cost model parameters the simulator uses by
// default: costmodel.DefaultParams with the socket monitor enabled (sampled
// every 100 ms) and no probe.
func DefaultParams() costmodel.Params {
	p := costmodel.DefaultParams()
	p.Socket.Enabled = true
	p.FarmRules = true // the simulator's anycostd is the farm-aware model
	return p
}

// DefaultConfig returns a 60 s run (10 s warm-up) of four servers of
// capacities 1, 1, 2 and 0.5 at 70% load, 5000 queries/s per unit of
// capacity, one worker and 256 buffered queries per server (about what a
// default 208 KiB socket buffer holds of small DNS queries, counting the
// kernel's per-packet overhead), routed by Anycostd with DefaultParams,
// 15 ms + exp(5 ms) routing delay and a 100 ms probe timeout, each server
// seeing its peers through a farm view (server load LSAs re-originated on a
// 0.05 step).
func DefaultConfig() Config {
	return Config{
		Seed:           1,
		Duration:       60 * time.Second,
		Warmup:         10 * time.Second,
		Capacities:     []float64{1, 1, 2, 0.5},
		BaseRate:       DefaultBaseRate,
		Load:           0.7,
		Buffer:         DefaultBuffer,
		Policy:         Anycostd,
		ReportInterval: time.Second,
		Params:         DefaultParams(),
		ProbeTimeout:   DefaultProbeTimeout,
		RouteDelay:     DefaultRouteDelay,
		RouteJitter:    DefaultRouteJitter,
		LoadStep:       DefaultLoadStep,
		LoadSettle:     DefaultLoadSettle,
	}
}

// MaxArrivalRate is the highest arrival rate, in queries per second, that
// Validate accepts: simulated time counts whole nanoseconds, so a faster
// stream would no longer be Poisson (and a run would never end).
const MaxArrivalRate = 1e8

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("invalid simulation config")

// Validate checks the config and returns every problem found, joined.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalidConfig))
	}
	if c.RouterMetrics > RouterBlindTiers {
		bad("router metrics %d unknown", c.RouterMetrics)
	}
	if c.Duration <= 0 {
		bad("duration: must be above 0, got %v", c.Duration)
	}
	if c.Warmup < 0 || c.Warmup >= c.Duration {
		bad("warmup: must be within 0..duration (%v), got %v", c.Duration, c.Warmup)
	}
	if len(c.Capacities) == 0 {
		bad("capacities: no servers")
	}
	for i, v := range c.Capacities {
		if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			bad("capacities[%d]: must be above 0, got %g", i, v)
		}
	}
	if c.Workers != nil && len(c.Workers) != len(c.Capacities) {
		bad("workers: %d values for %d servers", len(c.Workers), len(c.Capacities))
	}
	if c.Degraded != nil && len(c.Degraded) != len(c.Capacities) {
		bad("degraded: %d values for %d servers", len(c.Degraded), len(c.Capacities))
	}
	for i, f := range c.Degraded {
		if !(f > 0 && f <= 1) {
			bad("degraded[%d]: must be within 0 (excluded) and 1, got %g", i, f)
		}
	}
	if c.HangAt != nil && len(c.HangAt) != len(c.Capacities) {
		bad("hang at: %d values for %d servers", len(c.HangAt), len(c.Capacities))
	}
	for i, at := range c.HangAt {
		if at < 0 || at >= c.Duration {
			bad("hang at[%d]: must be within 0..duration (%v), got %v", i, c.Duration, at)
		}
	}
	for i, w := range c.Workers {
		if w < 1 {
			bad("workers[%d]: must be at least 1, got %d", i, w)
		}
	}
	if math.IsNaN(c.CFSShare) || c.CFSShare < 0 || c.CFSShare > 1 {
		bad("cfs share: must be within 0..1, got %g", c.CFSShare)
	}
	for i, v := range c.Capacities {
		if c.CFSShare > 0 && c.CFSShare*v > 1 {
			bad("cfs share: capacities[%d] × %g is more than one CPU", i, c.CFSShare)
		}
	}
	if c.CFSShare > 0 {
		period, tick := c.cfsTimes()
		if period <= 0 || tick <= 0 || tick >= period {
			bad("cfs period %v and tick %v: want 0 < tick < period", c.CFSPeriod, c.CFSTick)
		}
		for i, w := range c.Workers {
			if w != 1 {
				bad("workers[%d]: the CPU cap (cfs share) models one worker per server, got %d", i, w)
			}
		}
	}
	if math.IsNaN(c.BaseRate) || math.IsInf(c.BaseRate, 0) || c.BaseRate <= 0 {
		bad("base rate: must be above 0, got %g", c.BaseRate)
	}
	if math.IsNaN(c.Load) || math.IsInf(c.Load, 0) || c.Load <= 0 {
		bad("load: must be above 0, got %g", c.Load)
	}
	if r := c.Load * c.TotalCapacity(); r > MaxArrivalRate {
		bad("arrival rate: load × total capacity is %g queries/s, at most %g (the clock ticks in nanoseconds)", r, float64(MaxArrivalRate))
	}
	if c.Buffer < 0 {
		bad("buffer: must not be negative, got %d", c.Buffer)
	}
	switch c.Policy {
	case RoundRobin, Random, LeastConn, PowerOfTwo:
	case Cheapest:
		if c.ReportInterval <= 0 {
			bad("report interval: must be above 0 for cheapest, got %v", c.ReportInterval)
		}
	case Anycostd, AnycostdRouter:
		if c.Buffer == 0 {
			bad("buffer: anycostd needs a finite buffer (the receive-queue fill is its input)")
		}
		if err := c.Params.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("params: %w: %w", ErrInvalidConfig, err))
		}
		if c.Params.Probe.Enabled && (c.ProbeTimeout <= 0 || c.ProbeTimeout > c.Params.Probe.Interval) {
			bad("probe timeout: must be within 0..probe interval (%v), got %v",
				c.Params.Probe.Interval, c.ProbeTimeout)
		}
		if c.RouteDelay < 0 {
			bad("route delay: must not be negative, got %v", c.RouteDelay)
		}
		if c.RouteJitter < 0 {
			bad("route jitter: must not be negative, got %v", c.RouteJitter)
		}
		if !(c.LoadStep >= 0 && c.LoadStep <= 1) {
			bad("load step: must be within 0..1, got %g", c.LoadStep)
		}
		if c.LoadSettle < 0 {
			bad("load settle: must not be negative, got %v", c.LoadSettle)
		}
	default:
		bad("policy: unknown %d", uint8(c.Policy))
	}
	return errors.Join(errs...)
}

// cfsTimes are the CPU cap's period and tick, defaults applied.
func (c Config) cfsTimes() (period, tick time.Duration) {
	period, tick = c.CFSPeriod, c.CFSTick
	if period == 0 {
		period = DefaultCFSPeriod
	}
	if tick == 0 {
		tick = DefaultCFSTick
	}
	return period, tick
}

// RealCapacities are the capacities the servers really have: Capacities
// scaled by Degraded.
func (c Config) RealCapacities() []float64 {
	out := append([]float64(nil), c.Capacities...)
	for i, f := range c.Degraded {
		if i < len(out) {
			out[i] *= f
		}
	}
	return out
}

// TotalCapacity is the farm's configured throughput in queries per second
// (Degraded left out).
func (c Config) TotalCapacity() float64 {
	var sum float64
	for _, v := range c.Capacities {
		sum += v
	}
	return sum * c.BaseRate
}
