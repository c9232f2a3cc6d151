package sim

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/costmodel"
)

// short returns DefaultConfig shortened to a few simulated seconds.
func short(p Policy) Config {
	c := DefaultConfig()
	c.Policy = p
	c.Duration = 12 * time.Second
	c.Warmup = 2 * time.Second
	return c
}

func TestDeterminism(t *testing.T) {
	probe := short(Anycostd)
	probe.Params.Probe.Enabled = true
	probe.Load = 0.9
	cheap := short(Cheapest)
	cheap.ReportInterval = 500 * time.Millisecond
	for _, cfg := range []Config{probe, cheap, short(PowerOfTwo)} {
		t.Run(cfg.Policy.String(), func(t *testing.T) {
			a, err := Run(cfg)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Run(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("same seed, different results (-first +second):\n%s", diff)
			}
			cfg.Seed++
			c, err := Run(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if c.Measured == a.Measured && c.MeanResponse == a.MeanResponse {
				t.Errorf("seeds %d and %d gave the same counts %+v and mean %v", cfg.Seed-1, cfg.Seed, c.Measured, c.MeanResponse)
			}
		})
	}
}

// TestCommonArrivals checks that every policy sees the same queries for a
// seed: the arrivals have their own random stream.
func TestCommonArrivals(t *testing.T) {
	var want Counts
	for i, p := range []Policy{RoundRobin, Random, LeastConn, PowerOfTwo, Cheapest, Anycostd} {
		r, err := Run(short(p))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			want = r.Total
			continue
		}
		if r.Total.Arrived != want.Arrived {
			t.Errorf("%v: %d arrivals, round robin had %d", p, r.Total.Arrived, want.Arrived)
		}
	}
}

// TestConservation checks that every query is accounted for, in every
// policy, with drops (small buffer, overload) and losses (probes that
// withdraw every server).
func TestConservation(t *testing.T) {
	var cfgs []Config
	for _, p := range []Policy{RoundRobin, Random, LeastConn, PowerOfTwo, Cheapest, Anycostd} {
		c := short(p)
		c.Load = 1.1
		c.Buffer = 20
		c.Workers = []int{1, 2, 1, 3}
		cfgs = append(cfgs, c)
	}
	// Measured from time 0: every server is withdrawn until its model
	// has seen Rise good probes and the router has its advertisement.
	lossy := short(Anycostd)
	lossy.Load = 1.4
	lossy.Warmup = 0
	lossy.Params.Probe.Enabled = true
	cfgs = append(cfgs, lossy)
	for i, c := range cfgs {
		r, err := Run(c)
		if err != nil {
			t.Fatal(err)
		}
		name := c.Policy.String()
		if i == len(cfgs)-1 {
			name += "+probe"
			if r.Measured.Lost == 0 {
				t.Errorf("anycostd+probe lost no query, though no server is advertised at the start")
			}
		}
		for _, n := range []struct {
			name string
			c    Counts
		}{{"total", r.Total}, {"measured", r.Measured}} {
			if got := n.c.Answered + n.c.Dropped + n.c.Lost + n.c.InFlight; got != n.c.Arrived {
				t.Errorf("%s %s: answered %d + dropped %d + lost %d + in flight %d = %d, arrived %d",
					name, n.name, n.c.Answered, n.c.Dropped, n.c.Lost, n.c.InFlight, got, n.c.Arrived)
			}
		}
		if r.Measured.Arrived > r.Total.Arrived || r.Measured.Arrived == 0 {
			t.Errorf("%s: measured %d of %d arrivals", name, r.Measured.Arrived, r.Total.Arrived)
		}
		if r.Measured.Dropped == 0 {
			t.Errorf("%s: no drops at load %g with a %d-query buffer", name, c.Load, c.Buffer)
		}
		var routed, answered, dropped uint64
		var share float64
		for j, s := range r.Servers {
			routed += s.Routed
			answered += s.Answered
			dropped += s.Dropped
			share += s.Share
			if s.Utilization < 0 || s.Utilization > 1+1e-9 {
				t.Errorf("%s: server %d utilisation %g", name, j, s.Utilization)
			}
			if s.Answered+s.Dropped > s.Routed {
				t.Errorf("%s: server %d answered %d + dropped %d > routed %d", name, j, s.Answered, s.Dropped, s.Routed)
			}
		}
		if routed != r.Measured.Arrived-r.Measured.Lost || answered != r.Measured.Answered || dropped != r.Measured.Dropped {
			t.Errorf("%s: servers routed %d, answered %d, dropped %d; farm: %d arrived - %d lost, %d answered, %d dropped",
				name, routed, answered, dropped, r.Measured.Arrived, r.Measured.Lost, r.Measured.Answered, r.Measured.Dropped)
		}
		if math.Abs(share-1) > 1e-9 {
			t.Errorf("%s: shares sum to %g", name, share)
		}
		if sum := r.AnsweredFraction + r.DropFraction + r.LostFraction; math.Abs(sum-1) > 1e-9 {
			t.Errorf("%s: fractions sum to %g", name, sum)
		}
		if c.Policy == Anycostd {
			for j, s := range r.Servers {
				var held time.Duration
				for _, d := range s.RouteTime {
					held += d
				}
				if held != r.Window() {
					t.Errorf("%s: server %d route times add up to %v, window %v", name, j, held, r.Window())
				}
			}
		}
	}
}

// TestAnycostdShedsSlowServer runs a farm with one server of a quarter of
// the others' capacity at 70% of the total: equal shares would give it
// 2.3 times its capacity. Its cost model must move it to a higher tier,
// the router must then send it less than an equal share, and the farm must
// drop far less than with random (equal-metric ECMP) routing, which keeps
// overloading it.
func TestAnycostdShedsSlowServer(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Capacities = []float64{1, 1, 1, 0.25}
	cfg.Load = 0.7
	cfg.Duration = 60 * time.Second
	var moves []string
	cfg.OnChange = func(c Change) {
		if c.Server == 3 && len(moves) < 5 {
			moves = append(moves, c.Model.Reason)
		}
	}
	r, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Policy, cfg.OnChange = Random, nil
	rnd, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	slow := r.Servers[3]
	t.Logf("slow server: max metric %d, share %.3f, route times %v, changes %d; first changes %q",
		slow.MaxMetric, slow.Share, slow.RouteTime, slow.MetricChanges, moves)
	t.Logf("drops: anycostd %.4f, random %.4f", r.DropFraction, rnd.DropFraction)
	if slow.MaxMetric < 20 {
		t.Errorf("slow server's highest metric at the router = %d, want 20 or more", slow.MaxMetric)
	}
	if higher := r.Window() - slow.RouteTime[costmodel.Advert{Metric: 10}]; higher < r.Window()/2 {
		t.Errorf("slow server spent %v of %v above metric 10 (or withdrawn), want at least half", higher, r.Window())
	}
	if slow.Share > 0.15 {
		t.Errorf("slow server got %.3f of the traffic, want well below an equal 0.25", slow.Share)
	}
	for i, s := range r.Servers[:3] {
		if s.MaxMetric != 10 {
			t.Errorf("fast server %d reached metric %d, want it to stay at 10", i, s.MaxMetric)
		}
	}
	if r.DropFraction > rnd.DropFraction/4 {
		t.Errorf("anycostd dropped %.4f of the queries, random %.4f: want at most a quarter", r.DropFraction, rnd.DropFraction)
	}
	if r.LostFraction != 0 {
		t.Errorf("anycostd lost %.4f of the queries with no server withdrawn", r.LostFraction)
	}
}

// TestCheapestHerds reproduces Mitzenmacher's lesson ("How useful is old
// information?", IEEE TPDS 11(1), 2000): sending every query to the server
// that looked least loaded on information T old is worse than choosing at
// random once T is long against a service time, and worse the older the
// information. Homogeneous farm, load 0.9, unlimited buffers.
func TestCheapestHerds(t *testing.T) {
	mean := func(p Policy, report time.Duration) float64 {
		c := short(p)
		c.Capacities = []float64{1, 1, 1, 1, 1, 1, 1, 1}
		c.Load = 0.9
		c.Buffer = 0
		c.ReportInterval = report
		r, err := Run(c)
		if err != nil {
			t.Fatal(err)
		}
		return r.MeanResponse.Seconds()
	}
	random := mean(Random, 0)
	lc := mean(LeastConn, 0)
	jsq2 := mean(PowerOfTwo, 0)
	fresh := mean(Cheapest, time.Millisecond/10) // half a mean service time
	stale := mean(Cheapest, 100*time.Millisecond)
	staler := mean(Cheapest, time.Second)
	t.Logf("mean response: least-conn %.5f, jsq2 %.5f, random %.5f, cheapest@0.1ms %.5f, @100ms %.5f, @1s %.5f",
		lc, jsq2, random, fresh, stale, staler)
	if !(lc < jsq2 && jsq2 < random) {
		t.Errorf("want least-conn < jsq2 < random, got %.5f, %.5f, %.5f", lc, jsq2, random)
	}
	if fresh >= random {
		t.Errorf("cheapest on fresh information (%.5f) should beat random (%.5f)", fresh, random)
	}
	if stale < 5*random || staler < stale {
		t.Errorf("cheapest on stale information should herd: random %.5f, @100ms %.5f, @1s %.5f", random, stale, staler)
	}
}

func TestValidate(t *testing.T) {
	bad := func(f func(*Config)) Config {
		c := DefaultConfig()
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no servers", bad(func(c *Config) { c.Capacities = nil })},
		{"zero capacity", bad(func(c *Config) { c.Capacities = []float64{1, 0} })},
		{"NaN capacity", bad(func(c *Config) { c.Capacities = []float64{math.NaN()} })},
		{"workers count", bad(func(c *Config) { c.Workers = []int{1} })},
		{"zero workers", bad(func(c *Config) { c.Workers = []int{1, 1, 0, 1} })},
		{"zero duration", bad(func(c *Config) { c.Duration = 0 })},
		{"warmup too long", bad(func(c *Config) { c.Warmup = c.Duration })},
		{"negative warmup", bad(func(c *Config) { c.Warmup = -time.Second })},
		{"zero load", bad(func(c *Config) { c.Load = 0 })},
		{"infinite load", bad(func(c *Config) { c.Load = math.Inf(1) })},
		{"zero rate", bad(func(c *Config) { c.BaseRate = 0 })},
		{"arrival rate too high", bad(func(c *Config) { c.BaseRate = 1e9 })},
		{"negative buffer", bad(func(c *Config) { c.Buffer = -1 })},
		{"unknown policy", bad(func(c *Config) { c.Policy = 99 })},
		{"cheapest without interval", bad(func(c *Config) { c.Policy, c.ReportInterval = Cheapest, 0 })},
		{"anycostd without buffer", bad(func(c *Config) { c.Buffer = 0 })},
		{"anycostd bad params", bad(func(c *Config) { c.Params.MinDwell = 0 })},
		{"probe timeout too long", bad(func(c *Config) { c.Params.Probe.Enabled, c.ProbeTimeout = true, time.Second })},
		{"negative route delay", bad(func(c *Config) { c.RouteDelay = -1 })},
		{"negative route jitter", bad(func(c *Config) { c.RouteJitter = -1 })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v, want an error wrapping ErrInvalidConfig", err)
			}
			if _, err := Run(tc.cfg); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Run() error = %v, want ErrInvalidConfig", err)
			}
		})
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
}

func TestParsePolicy(t *testing.T) {
	for p := RoundRobin; p <= Anycostd; p++ {
		got, err := ParsePolicy(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePolicy(%q) = %v, %v; want %v", p.String(), got, err, p)
		}
	}
	for s, want := range map[string]Policy{"rr": RoundRobin, "LC": LeastConn, "p2c": PowerOfTwo, "power-of-two": PowerOfTwo} {
		if got, err := ParsePolicy(s); err != nil || got != want {
			t.Errorf("ParsePolicy(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := ParsePolicy("weighted"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("ParsePolicy(weighted) error = %v, want ErrInvalidConfig", err)
	}
	if got := Policy(42).String(); got != "Policy(42)" {
		t.Errorf("Policy(42).String() = %q", got)
	}
}
