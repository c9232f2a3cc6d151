package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anycostd/anycostd/costmodel"
)

// tierMove reports whether a change is a move between tiers (both ends
// advertised): in the simulator, where nothing drains, a move for load.
func tierMove(c Change) bool { return !c.Model.From.Withdrawn && !c.Model.To.Withdrawn }

// TestFarmRules runs farms with the farm view at several loads and seeds
// and checks, over every change the cost models report:
//   - the stagger: no two tier moves fall in the same slot (MinInterval
//     wide, counted from the Unix epoch), so two servers never move
//     together;
//   - no server leaves the cheapest tier empty by a move for load: when a
//     server moves up from metric M, another server's advertisement, as
//     the LSDB held it then (delivered), is at M or below;
//   - every tier move names the farm's reason;
//
// except the climbs of a farm saturated as a whole (costmodel's
// farmsaturated.go), which go together and may empty the cheapest tier
// (they are counted, and never happen below load 1.0 without the probe:
// there the farm has a server with room),
// and a degraded server's returns after a failed trial leave
// (farmdegraded.go), which do not wait for a turn.
func TestFarmRules(t *testing.T) {
	farms := map[string][]float64{"het": {1, 1, 2, 0.5}, "hom": {1, 1, 1, 1}, "wide": {1, 2, 0.5, 1, 0.25, 1.5}}
	for name, caps := range farms {
		for _, load := range []float64{0.5, 0.7, 0.9, 1.0} {
			for _, probe := range []bool{false, true} {
				for seed := range uint64(2) {
					t.Run(fmt.Sprintf("%s/%g/probe=%v/%d", name, load, probe, seed), func(t *testing.T) {
						checkFarmRules(t, caps, nil, load, probe, seed+1)
					})
				}
			}
		}
	}
}

// TestFarmRulesDegraded runs TestFarmRules's checks on farms with a
// degraded server (capacity 1 configured, 0.2 or 0.8 real) at loads where
// its trial leaves succeed (the others absorb its share) and where they
// fail (they cannot: 3 servers from load 2/3 of the configured total on).
func TestFarmRulesDegraded(t *testing.T) {
	for _, degraded := range [][]float64{{1, 0.2, 1}, {1, 0.8, 1}, {1, 0.2, 1, 1}} {
		caps := make([]float64, len(degraded))
		for i := range caps {
			caps[i] = 1
		}
		for _, load := range []float64{0.5, 0.7, 0.9} {
			for seed := range uint64(2) {
				t.Run(fmt.Sprintf("%v/%g/%d", degraded, load, seed), func(t *testing.T) {
					checkFarmRules(t, caps, degraded, load, false, seed+1)
				})
			}
		}
	}
}

func checkFarmRules(t *testing.T, caps, degraded []float64, load float64, probe bool, seed uint64) {
	cfg := DefaultConfig()
	cfg.Seed, cfg.Capacities, cfg.Degraded, cfg.Load = seed, caps, degraded, load
	cfg.Params.Probe.Enabled = probe
	cfg.Duration, cfg.Warmup = 40*time.Second, time.Second
	if testing.Short() {
		cfg.Duration = 15 * time.Second
	}
	slot := int64(cfg.Params.MinInterval)
	var changes []Change
	cfg.OnChange = func(c Change) { changes = append(changes, c) }
	if _, err := Run(cfg); err != nil {
		t.Fatal(err)
	}
	// delivered returns server j's advertisement as the LSDB held it at t.
	delivered := func(j int, at time.Duration) costmodel.Advert {
		a := costmodel.Advert{Withdrawn: true}
		for _, c := range changes {
			if c.Server == j && c.RouteAt <= at {
				a = c.Model.To
			}
		}
		return a
	}
	slots := map[int64]Change{}
	moves, saturated, returns := 0, 0, 0
	for _, c := range changes {
		if !tierMove(c) {
			continue
		}
		moves++
		if strings.Contains(c.Model.Reason, "farm: the farm is saturated") {
			saturated++
			if load < 1 && !probe {
				t.Errorf("server %d at %v: a saturated climb at load %g without the probe: %q", c.Server, c.At, load, c.Model.Reason)
			}
			continue
		}
		if strings.Contains(c.Model.Reason, "trial leave failed at") {
			// A degraded server's return after a failed trial leave
			// takes its share back at once (farmdegraded.go).
			returns++
			if degraded == nil {
				t.Errorf("server %d at %v: a trial return in a farm without a degraded server: %q", c.Server, c.At, c.Model.Reason)
			}
			continue
		}
		j := c.Model.At.UnixNano() / slot
		if prev, ok := slots[j]; ok {
			t.Errorf("server %d at %v and server %d at %v moved in the same slot", prev.Server, prev.At, c.Server, c.At)
		}
		slots[j] = c
		if !strings.Contains(c.Model.Reason, "farm: ") {
			t.Errorf("server %d at %v: move without the farm's reason: %q", c.Server, c.At, c.Model.Reason)
		}
		if c.Model.To.Metric < c.Model.From.Metric {
			continue
		}
		from := c.Model.From.Metric
		held := false
		for j := range caps {
			if a := delivered(j, c.At); j != c.Server && !a.Withdrawn && a.Metric <= from {
				held = true
			}
		}
		if !held {
			t.Errorf("server %d at %v left metric %d with no other server at %d or below: %q",
				c.Server, c.At, from, from, c.Model.Reason)
		}
	}
	t.Logf("%d changes, %d tier moves (%d for a saturated farm, %d returns after a failed trial leave)", len(changes), moves, saturated, returns)
}

// TestFarmViewShedsWithoutHerding: on the heterogeneous farm at 70%, the
// farm view takes the slow server out of the cheapest tier and keeps the
// others in it: the fast servers never leave metric 10 and the router
// never has a single cheapest server; without the farm view every server
// climbs.
func TestFarmViewShedsWithoutHerding(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Duration = 60 * time.Second
	r, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	slow := r.Servers[3]
	t.Logf("farm view: answered %.4f, slow share %.3f, max metrics %v, ECMP time %v", r.AnsweredFraction, slow.Share,
		[]uint16{r.Servers[0].MaxMetric, r.Servers[1].MaxMetric, r.Servers[2].MaxMetric, slow.MaxMetric}, r.ECMPTime)
	for i, s := range r.Servers[:3] {
		if s.MaxMetric != 10 {
			t.Errorf("server %d (capacity %g) reached metric %d, want it kept at 10", i, s.Capacity, s.MaxMetric)
		}
	}
	if slow.Share > 0.1 {
		t.Errorf("slow server's share %.3f, want it mostly out of the cheapest tier", slow.Share)
	}
	if r.ECMPTime[1] != 0 || r.ECMPTime[0] != 0 {
		t.Errorf("ECMP time %v: a single cheapest server (or none) at some point", r.ECMPTime)
	}
	cfg.NoFarmView = true
	solo, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if solo.Servers[0].MaxMetric == 10 {
		t.Errorf("without the farm view server 0 stayed at metric 10: the comparison shows nothing")
	}
}

// TestFarmViewSolo: without the farm view a run is the very run of the
// simulator before the farm view existed. The figures were printed by the
// simulator of commit 10cc1f7 for DefaultConfig over 20 s, without and
// with the probe (the probe's figures again by that simulator with the
// cost model's withdrawals no longer paced, commit cd40822, issue 15);
// with the farm view the same config runs differently. They predate the
// probe's wait behind a congested queue and HungAfter (issue 14): the
// runs turn both off, as that simulator was.
func TestFarmViewSolo(t *testing.T) {
	for _, tc := range []struct {
		probe    bool
		measured Counts
		events   uint64
		changes  []int
	}{
		{false, Counts{Arrived: 157908, Answered: 140916, Dropped: 16720, InFlight: 272}, 601364, []int{2, 2, 2, 2}},
		{true, Counts{Arrived: 157908, Answered: 141609, Dropped: 16034, InFlight: 265}, 598900, []int{4, 4, 4, 11}},
	} {
		cfg := DefaultConfig()
		cfg.Duration = 20 * time.Second
		cfg.Params.Probe.Enabled = tc.probe
		cfg.Params.HungAfter, cfg.FixedProbeWait = 0, true
		cfg.NoFarmView = true
		r, err := Run(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var changes []int
		for _, s := range r.Servers {
			changes = append(changes, s.MetricChanges)
		}
		if r.Measured != tc.measured || r.Events != tc.events || !slices.Equal(changes, tc.changes) {
			t.Errorf("probe %v, no farm view: measured %+v, %d events, changes %v; recorded %+v, %d, %v",
				tc.probe, r.Measured, r.Events, changes, tc.measured, tc.events, tc.changes)
		}
		cfg.NoFarmView = false
		f, err := Run(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if f.Events == r.Events {
			t.Errorf("probe %v: the farm-aware run processed as many events as the solo one (%d)", tc.probe, f.Events)
		}
	}
}

// bruteBound is the ECMP bound by trying every non-empty cheapest tier.
func bruteBound(caps []float64, load float64) float64 {
	var total float64
	for _, c := range caps {
		total += c
	}
	lambda := load * total
	best := 0.0
	for mask := 1; mask < 1<<len(caps); mask++ {
		k := 0
		for i := range caps {
			if mask&(1<<i) != 0 {
				k++
			}
		}
		var ans float64
		for i, c := range caps {
			if mask&(1<<i) != 0 {
				ans += min(lambda/float64(k), c)
			}
		}
		best = max(best, ans/lambda)
	}
	return best
}

func TestECMPBound(t *testing.T) {
	het := []float64{1, 1, 2, 0.5}
	for _, tc := range []struct {
		load     float64
		answered float64
		cheapest []int
	}{
		{0.5, 1, []int{0, 1, 2}},
		{0.7, 3.05 / 3.15, []int{0, 1, 2}},
		{0.9, 3.5125 / 4.05, []int{0, 1, 2, 3}},
		{1.0, 3.625 / 4.5, []int{0, 1, 2, 3}},
	} {
		b := ECMPBound(het, tc.load)
		if math.Abs(b.Answered-tc.answered) > 1e-12 || !slices.Equal(b.Cheapest, tc.cheapest) {
			t.Errorf("load %g: %+v, want answered %.6f with %v", tc.load, b, tc.answered, tc.cheapest)
		}
	}
	if b := ECMPBound([]float64{1, 1, 1, 1}, 0.9); b.Answered != 1 || len(b.Cheapest) != 4 || b.Share[0] != 0.25 || b.Utilization[3] != 0.9 {
		t.Errorf("homogeneous: %+v", b)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		caps := make([]float64, 1+r.IntN(7))
		for i := range caps {
			caps[i] = 0.1 + 3*r.Float64()
		}
		load := 0.1 + 1.4*r.Float64()
		if got, want := ECMPBound(caps, load).Answered, bruteBound(caps, load); math.Abs(got-want) > 1e-12 {
			t.Errorf("capacities %v, load %g: bound %.9f, every tier tried %.9f", caps, load, got, want)
		}
	}
}

func TestMaxInMinute(t *testing.T) {
	s := func(x ...float64) []time.Duration {
		out := make([]time.Duration, len(x))
		for i, v := range x {
			out[i] = time.Duration(v * float64(time.Second))
		}
		return out
	}
	for _, tc := range []struct {
		times []time.Duration
		want  int
	}{
		{nil, 0},
		{s(5), 1},
		{s(0, 60, 120), 2},
		{s(0, 61, 122), 1},
		{s(0, 10, 20, 30, 100, 101), 4},
		{s(0, 50, 55, 59, 100, 105, 110, 115), 6},
	} {
		if got := maxInMinute(tc.times); got != tc.want {
			t.Errorf("maxInMinute(%v) = %d, want %d", tc.times, got, tc.want)
		}
	}
}

// TestFarmDegradedServer is the lab's TestOverloadShiftsTraffic in the
// simulator: three servers of configured capacity 1, one of them starved
// to 0.2 of it, offered half of the configured total. Equal static metrics
// give the starved server a third of the queries and it drops most of
// them (80% answered); the farm rules must take it out of the cheapest
// tier as the model without them does (the ECMP bound is 100%: the two
// healthy servers take 0.75 each). Before the degraded-server rule the
// absorb check held it in the tier ("room 0.00" at idle peers) and the
// farm answered what static metrics answer.
func TestFarmDegradedServer(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Capacities, cfg.Degraded, cfg.Load = []float64{1, 1, 1}, []float64{1, 0.2, 1}, 0.5
	cfg.Duration = 60 * time.Second
	rules, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Policy = Random
	static, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("farm rules: answered %.4f, shares %.3f %.3f %.3f, max metrics %d %d %d; static: %.4f; bound %.4f",
		rules.AnsweredFraction, rules.Servers[0].Share, rules.Servers[1].Share, rules.Servers[2].Share,
		rules.Servers[0].MaxMetric, rules.Servers[1].MaxMetric, rules.Servers[2].MaxMetric,
		static.AnsweredFraction, cfg.ECMPBound().Answered)
	if s := rules.Servers[1].Share; s > 0.05 {
		t.Errorf("the starved server kept a share of %.3f: the farm rules held it in the cheapest tier", s)
	}
	for _, i := range []int{0, 2} {
		if m := rules.Servers[i].MaxMetric; m != 10 {
			t.Errorf("healthy server %d reached metric %d, want it kept at 10", i, m)
		}
	}
	if rules.ECMPTime[1] != 0 || rules.ECMPTime[0] != 0 {
		t.Errorf("ECMP time %v: a single cheapest server (or none) at some point", rules.ECMPTime)
	}
	if rules.AnsweredFraction <= static.AnsweredFraction {
		t.Errorf("farm rules answered %.4f, static metrics %.4f", rules.AnsweredFraction, static.AnsweredFraction)
	}
}

// TestDegradedConfig: a degraded server serves at its real capacity while
// its model and load LSA carry the configured one, and the bound is the
// real farm's.
func TestDegradedConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Capacities, cfg.Degraded, cfg.Load, cfg.Policy = []float64{1, 1, 1}, []float64{1, 0.2, 1}, 0.5, Random
	cfg.Duration = 20 * time.Second
	r, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Fluid limit: each server is offered 0.5; the starved one answers 0.2.
	if got, want := r.AnsweredFraction, 1.2/1.5; math.Abs(got-want) > 0.01 {
		t.Errorf("answered %.4f, want about %.4f", got, want)
	}
	if u := r.Servers[1].Utilization; u < 0.99 {
		t.Errorf("starved server's utilisation %.3f, want it saturated", u)
	}
	if c := r.Servers[1].Capacity; c != 1 {
		t.Errorf("starved server's capacity %g, want the configured 1", c)
	}
	if got := cfg.RealCapacities(); !slices.Equal(got, []float64{1, 0.2, 1}) {
		t.Errorf("real capacities %v", got)
	}
	if b := cfg.ECMPBound(); b.Answered != 1 || !slices.Equal(b.Cheapest, []int{0, 2}) {
		t.Errorf("bound %+v, want 100%% with servers 0 and 2", b)
	}
	cfg.Load = 0.7 // 2.1 offered, 1.05 each to the two healthy servers
	if b := cfg.ECMPBound(); math.Abs(b.Answered-2/2.1) > 1e-12 {
		t.Errorf("bound at 0.7: %.6f, want %.6f", b.Answered, 2/2.1)
	}
	for _, bad := range [][]float64{{1, 0, 1}, {1, 1.5, 1}, {1, 1}, {1, math.NaN(), 1}} {
		cfg.Degraded = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "degraded") {
			t.Errorf("degraded %v: %v, want an error naming degraded", bad, err)
		}
	}
}
