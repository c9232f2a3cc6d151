package weights

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func inputs(caps []float64, loads []float64) []Input {
	in := make([]Input, len(caps))
	for i, c := range caps {
		in[i] = Input{RouterID: uint32(i + 1), Capacity: c}
		if loads != nil {
			in[i].HasLoad, in[i].Load = true, loads[i]
		}
	}
	return in
}

func weightsOf(ws []Weight) []int {
	out := make([]int, len(ws))
	for i, w := range ws {
		out[i] = w.Weight
	}
	return out
}

// At start the weights follow capacity, the largest at MaxWeight.
func TestWeightsStartByCapacity(t *testing.T) {
	w := New(DefaultParams())
	ws, ch := w.Update(t0, inputs([]float64{1, 1, 2, 0.5}, nil))
	if got, want := weightsOf(ws), []int{128, 128, 255, 64}; !cmp.Equal(got, want) {
		t.Errorf("weights %v, want %v", got, want)
	}
	if len(ch) != 4 {
		t.Fatalf("%d changes, want 4", len(ch))
	}
	for _, c := range ch {
		if c.From != 0 || !strings.HasPrefix(c.Why, "joined: capacity") {
			t.Errorf("change %+v", c)
		}
	}
	// Shares sum to 1.
	var sum float64
	for _, x := range ws {
		sum += x.Share
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("shares sum to %v", sum)
	}
	// A member leaves: the others keep their ratios, no change of weight
	// for those whose integer weight is the same.
	ws, ch = w.Update(t0.Add(time.Second), inputs([]float64{1, 1, 2}, nil))
	if got, want := weightsOf(ws), []int{128, 128, 255}; !cmp.Equal(got, want) || len(ch) != 0 {
		t.Errorf("after a departure: weights %v changes %v", got, ch)
	}
	// A capacity change applies at once.
	ws, ch = w.Update(t0.Add(2*time.Second), inputs([]float64{1, 1, 4}, nil))
	if got, want := weightsOf(ws), []int{64, 64, 255}; !cmp.Equal(got, want) {
		t.Errorf("after capacity 2 -> 4: weights %v, want %v", got, want)
	}
	for _, c := range ch {
		if c.RouterID == 3 {
			t.Errorf("top member's weight changed: %+v", c)
		}
		if c.RouterID != 3 && c.Why != "membership changed" {
			t.Errorf("change %+v, want 'membership changed'", c)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, edit := range []func(*Params){
		func(p *Params) { p.MaxWeight = 0 },
		func(p *Params) { p.MaxWeight = 257 },
		func(p *Params) { p.Interval = 0 },
		func(p *Params) { p.Gain = 0 },
		func(p *Params) { p.Gain = math.NaN() },
		func(p *Params) { p.MaxStep = 1.5 },
		func(p *Params) { p.DeadBand = 1 },
		func(p *Params) { p.LoadFloor = 0 },
		func(p *Params) { p.MinFactor = 2 },
		func(p *Params) { p.MaxFactor = 0.5 },
		func(p *Params) { p.MaxFactor = math.Inf(1) },
	} {
		p := DefaultParams()
		edit(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}

// plant is a farm the loop drives: the true capacities may differ from
// the declared ones; the load figure each server reports is made from the
// weights of the previous interval (the servers' smoothing and LSA pacing
// delay it).
type plant struct {
	trueCap []float64
	offered float64 // arrival rate as a fraction of the true total capacity
	// figure maps a utilisation to the load figure a server reports.
	figure func(u float64) float64
}

// util returns each server's utilisation under weights ws.
func (p plant) util(ws []Weight) []float64 {
	var total, sum float64
	for _, c := range p.trueCap {
		total += c
	}
	for _, w := range ws {
		sum += float64(w.Weight)
	}
	u := make([]float64, len(ws))
	for i, w := range ws {
		u[i] = p.offered * total * float64(w.Weight) / sum / p.trueCap[i]
	}
	return u
}

func linearFigure(u float64) float64 { return min(u, 2) }

// queueFigure is a queue-like figure: u/(1-u) scaled so that 0.9 gives
// 0.9, saturating at 2.
func queueFigure(u float64) float64 {
	if u >= 0.99 {
		return 2
	}
	return min(2, 0.1*u/(1-u))
}

// run drives the loop for steps intervals and returns the utilisations
// after each step and the weights' history.
func run(t *testing.T, p plant, declared []float64, params Params, steps int) ([][]float64, [][]int, int) {
	t.Helper()
	w := New(params)
	ws, _ := w.Update(t0, inputs(declared, nil))
	var utils [][]float64
	var hist [][]int
	changes := 0
	for k := 1; k <= steps; k++ {
		u := p.util(ws)
		loads := make([]float64, len(u))
		for i := range u {
			loads[i] = p.figure(u[i])
		}
		var ch []Change
		ws, ch = w.Update(t0.Add(time.Duration(k)*params.Interval), inputs(declared, loads))
		for _, c := range ch {
			if c.Why == "" {
				t.Fatalf("change without a reason: %+v", c)
			}
			if c.To < 1 || c.To > params.MaxWeight {
				t.Fatalf("weight %d outside 1..%d", c.To, params.MaxWeight)
			}
		}
		changes += len(ch)
		utils = append(utils, p.util(ws))
		hist = append(hist, weightsOf(ws))
	}
	return utils, hist, changes
}

func spread(u []float64) float64 {
	lo, hi := math.Inf(1), 0.0
	for _, x := range u {
		lo, hi = min(lo, x), max(hi, x)
	}
	return hi / lo
}

// Correct capacities: capacity-proportional weights are already balanced
// and the loop leaves them alone.
func TestWeightsStayWhenBalanced(t *testing.T) {
	caps := []float64{1, 1, 2, 0.5}
	for _, fig := range []func(float64) float64{linearFigure, queueFigure} {
		_, hist, changes := run(t, plant{trueCap: caps, offered: 0.9, figure: fig}, caps, DefaultParams(), 50)
		if changes != 0 {
			t.Errorf("%d changes on a balanced farm; last weights %v", changes, hist[len(hist)-1])
		}
	}
}

// An idle farm whose load figures differ by what a server load LSA may
// carry off a settled figure (up to 0.01: a tenth of the load step plus
// the daemon's resend step, ospf/serverload.go) keeps its capacity
// weights (issue 13: with a floor of 0.05, 0.018 against the farm's
// 0.009 cut the first server's weight).
func TestWeightsIdleWithinResolution(t *testing.T) {
	caps := []float64{1, 2, 0.5}
	loads := []float64{0.018, 0.004, 0.01}
	w := New(DefaultParams())
	start, _ := w.Update(t0, inputs(caps, nil))
	for i := 1; i <= 20; i++ {
		ws, changes := w.Update(t0.Add(time.Duration(i)*DefaultParams().Interval), inputs(caps, loads))
		if len(changes) > 0 {
			t.Fatalf("interval %d: weights %v -> %v (%v) for idle figures %v", i, weightsOf(start), weightsOf(ws), changes, loads)
		}
	}
}

// Declared capacities wrong (all 1, the truth 1/1/2/0.5): the loop finds
// equal utilisation, step by bounded step, and then stays.
func TestWeightsConverge(t *testing.T) {
	trueCap := []float64{1, 1, 2, 0.5}
	declared := []float64{1, 1, 1, 1}
	for name, fig := range map[string]func(float64) float64{"linear": linearFigure, "queue": queueFigure} {
		t.Run(name, func(t *testing.T) {
			p := DefaultParams()
			utils, hist, _ := run(t, plant{trueCap: trueCap, offered: 0.7, figure: fig}, declared, p, 80)
			first := spread(plant{trueCap: trueCap, offered: 0.7}.util([]Weight{{Weight: 1}, {Weight: 1}, {Weight: 1}, {Weight: 1}}))
			last := spread(utils[len(utils)-1])
			t.Logf("%s: utilisation spread %.2f -> %.2f, weights %v", name, first, last, hist[len(hist)-1])
			if last > 1.25 {
				t.Errorf("utilisation spread %.2f after 80 intervals, want <= 1.25 (dead band 10%% each side)", last)
			}
			// Settled: the last 30 intervals change nothing.
			for k := len(hist) - 30; k < len(hist); k++ {
				if !cmp.Equal(hist[k], hist[len(hist)-1]) {
					t.Errorf("weights still moving at interval %d: %v then %v", k, hist[k], hist[len(hist)-1])
					break
				}
			}
		})
	}
}

// The property: on random farms (2..8 servers, true capacities 0.25..4,
// declared ones off by up to 2x either way, offered load 0.3..0.95, a
// linear or a queue-like figure, whose slope near saturation is ten times
// the utilisation's), the loop does not oscillate: each correction against
// the previous one halves the step, so a weight reverses direction a few
// times with shrinking amplitude (at most 8: 20% halved 8 times is below a
// weight unit) and then settles for good; each interval moves each share by
// a bounded ratio; and it ends no less balanced than it started.
func TestWeightsNoOscillationProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	p := DefaultParams()
	for trial := range 300 {
		n := 2 + rng.IntN(7)
		trueCap := make([]float64, n)
		declared := make([]float64, n)
		for i := range n {
			trueCap[i] = 0.25 * math.Pow(16, rng.Float64())
			declared[i] = trueCap[i] * math.Pow(2, 2*rng.Float64()-1)
		}
		fig := linearFigure
		if rng.IntN(2) == 0 {
			fig = queueFigure
		}
		pl := plant{trueCap: trueCap, offered: 0.3 + 0.65*rng.Float64(), figure: fig}
		name := fmt.Sprintf("trial %d: true %.2f declared %.2f offered %.2f", trial, trueCap, declared, pl.offered)
		utils, hist, _ := run(t, pl, declared, p, 120)

		// Bounded step: a share moves by at most (1+MaxStep)^2 per
		// interval (the step, then the renormalisation), plus integer
		// rounding.
		prevShare := func(k int) []float64 {
			var sum float64
			for _, w := range hist[k] {
				sum += float64(w)
			}
			out := make([]float64, n)
			for i, w := range hist[k] {
				out[i] = float64(w) / sum
			}
			return out
		}
		for k := 1; k < len(hist); k++ {
			a, b := prevShare(k-1), prevShare(k)
			for i := range n {
				r := b[i] / a[i]
				lim := (1 + p.MaxStep) * (1 + p.MaxStep) * (1 + 2.0/float64(max(1, min(hist[k-1][i], hist[k][i]))))
				if r > lim || 1/r > lim {
					t.Fatalf("%s: share of %d moved x%.3f at interval %d (limit %.3f)", name, i, r, k, lim)
				}
			}
		}
		// No oscillation: damped reversals, then nothing.
		for i := range n {
			dir, reversals := 0, 0
			for k := 1; k < len(hist); k++ {
				d := hist[k][i] - hist[k-1][i]
				switch {
				case d > 0 && dir < 0, d < 0 && dir > 0:
					reversals++
				}
				if d != 0 {
					dir = d
				}
			}
			if reversals > 8 {
				t.Errorf("%s: weight %d reversed %d times: %v", name, i, reversals, column(hist, i))
			}
		}
		// Settled: nothing moves over the last 60 intervals.
		for k := len(hist) - 60; k < len(hist); k++ {
			if !cmp.Equal(hist[k], hist[len(hist)-1]) {
				t.Errorf("%s: still moving at interval %d", name, k)
				break
			}
		}
		// Not worse than capacity-proportional by more than the dead band.
		start := spread(pl.util(weightsFrom(declared, p.MaxWeight)))
		if end := spread(utils[len(utils)-1]); end > max(start, 1.25)*1.05 {
			t.Errorf("%s: utilisation spread %.2f at the end, %.2f at the start", name, end, start)
		}
	}
}

func column(hist [][]int, i int) []int {
	out := make([]int, len(hist))
	for k := range hist {
		out[k] = hist[k][i]
	}
	return out
}

func weightsFrom(caps []float64, maxW int) []Weight {
	top := 0.0
	for _, c := range caps {
		top = max(top, c)
	}
	out := make([]Weight, len(caps))
	for i, c := range caps {
		out[i] = Weight{Weight: max(1, int(math.Round(float64(maxW)*c/top)))}
	}
	return out
}

// Corrections wait for Interval, and a share moves only when Confirm
// corrections in a row found the same imbalance; membership changes do
// not wait.
func TestWeightsInterval(t *testing.T) {
	p := DefaultParams()
	w := New(p)
	caps := []float64{1, 1}
	w.Update(t0, inputs(caps, nil))
	ws, ch := w.Update(t0.Add(p.Interval/2), inputs(caps, []float64{0.9, 0.1}))
	if len(ch) != 0 {
		t.Fatalf("corrected before Interval: %v", ch)
	}
	for k := 1; k < p.Confirm; k++ {
		ws, ch = w.Update(t0.Add(time.Duration(k)*p.Interval), inputs(caps, []float64{0.9, 0.1}))
		if len(ch) != 0 {
			t.Fatalf("moved after %d of %d corrections: %v", k, p.Confirm, ch)
		}
	}
	ws, ch = w.Update(t0.Add(time.Duration(p.Confirm)*p.Interval-time.Millisecond), inputs(caps, []float64{0.9, 0.1}))
	if len(ch) != 0 {
		t.Fatalf("moved before the %dth Interval: %v", p.Confirm, ch)
	}
	ws, ch = w.Update(t0.Add(time.Duration(p.Confirm)*p.Interval), inputs(caps, []float64{0.9, 0.1}))
	if len(ch) == 0 || ws[0].Weight >= ws[1].Weight {
		t.Fatalf("no correction after %d Intervals: %v", p.Confirm, ws)
	}
	if !strings.Contains(ws[0].Why, "above the farm's") {
		t.Errorf("why %q", ws[0].Why)
	}
	// One step is bounded: the loaded server's share fell by at most
	// MaxStep (and renormalisation).
	if r := float64(ws[1].Weight) / float64(ws[0].Weight); r > (1+p.MaxStep)*(1+p.MaxStep)+0.01 {
		t.Errorf("weights %d/%d after one step", ws[0].Weight, ws[1].Weight)
	}
}

// A settled loop still follows a real change: one server gets half as
// fast after the weights settled, and the loop moves traffic off it.
func TestWeightsFollowRealChange(t *testing.T) {
	p := DefaultParams()
	caps := []float64{1, 1, 2, 0.5}
	pl := plant{trueCap: []float64{1, 1, 2, 0.5}, offered: 0.8, figure: queueFigure}
	w := New(p)
	ws, _ := w.Update(t0, inputs(caps, nil))
	step := func(k int) {
		u := pl.util(ws)
		loads := make([]float64, len(u))
		for i := range u {
			loads[i] = pl.figure(u[i])
		}
		ws, _ = w.Update(t0.Add(time.Duration(k)*p.Interval), inputs(caps, loads))
	}
	for k := 1; k <= 40; k++ {
		step(k)
	}
	before := spread(pl.util(ws))
	pl.trueCap[2] = 1 // the big server halves
	hit := spread(pl.util(ws))
	for k := 41; k <= 120; k++ {
		step(k)
	}
	after := spread(pl.util(ws))
	t.Logf("spread %.2f settled, %.2f when server 3 halved, %.2f after; weights %v", before, hit, after, weightsOf(ws))
	if after > 1.25 {
		t.Errorf("utilisation spread %.2f after the change, want <= 1.25", after)
	}
}

// SetParams (a configuration reload): a new MaxWeight rescales every
// weight at the next Update with the reload as the reason; new factor
// bounds hold the corrections the loop has made so far.
func TestSetParams(t *testing.T) {
	w := New(DefaultParams())
	caps := []float64{1, 1}
	now := t0
	// Server 1 far above the farm's load: its share shrinks, step by
	// step, toward the 1/4 bound.
	for range 20 {
		w.Update(now, inputs(caps, []float64{0.9, 0.1}))
		now = now.Add(DefaultParams().Interval)
	}
	ws, _ := w.Update(now, inputs(caps, []float64{0.9, 0.1}))
	if ws[0].Factor >= 0.9 || ws[0].Weight >= ws[1].Weight {
		t.Fatalf("no correction after 20 intervals: %+v", ws)
	}
	p := DefaultParams()
	p.MaxWeight = 100
	w.SetParams(p, "configuration reloaded")
	ws, ch := w.Update(now.Add(time.Millisecond), inputs(caps, []float64{0.9, 0.1}))
	if ws[1].Weight != 100 || len(ch) != 2 {
		t.Fatalf("after max weight 100: weights %v, changes %+v", weightsOf(ws), ch)
	}
	for _, c := range ch {
		if c.Why != "configuration reloaded" {
			t.Errorf("change %+v, want the reload as the reason", c)
		}
	}
	// Bounds 1..1: no correction at all, the capacity shares.
	p.MinFactor, p.MaxFactor = 1, 1
	w.SetParams(p, "configuration reloaded")
	ws, _ = w.Update(now.Add(2*time.Millisecond), inputs(caps, []float64{0.9, 0.1}))
	if got := weightsOf(ws); !cmp.Equal(got, []int{100, 100}) || ws[0].Factor != 1 {
		t.Errorf("factor bounds 1..1: weights %v factor %v, want [100 100] and 1", got, ws[0].Factor)
	}
	// The reason is the reload's only once: later changes have their own.
	ws, _ = w.Update(now.Add(time.Hour), inputs([]float64{1, 2}, []float64{0.9, 0.1}))
	if ws[0].Weight != 50 || ws[0].Why != "membership changed" {
		t.Errorf("after the reload, server 2's capacity doubled: server 1 weight %d why %q, want 50 and membership changed", ws[0].Weight, ws[0].Why)
	}
}

// A streak of readings on one side is cut by one inside the dead band or
// on the other side: the share moves only after Confirm readings in a row
// on one side, by the smallest of their deviations.
func TestWeightsConfirmStreak(t *testing.T) {
	p := DefaultParams()
	caps := []float64{1, 1}
	for _, tc := range []struct {
		name  string
		loads []float64 // server 1's load at each correction; server 2's is 0.5
		moved int       // the correction (1-based) at which server 1 first moves; 0: never
	}{
		{"three above", []float64{0.9, 0.9, 0.9}, 3},
		{"cut by the band", []float64{0.9, 0.9, 0.5, 0.9, 0.9, 0.9}, 6},
		{"cut by the other side", []float64{0.9, 0.9, 0.2, 0.9, 0.9}, 0},
		{"alternating", []float64{0.9, 0.2, 0.9, 0.2, 0.9, 0.2, 0.9, 0.2}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := New(p)
			w.Update(t0, inputs(caps, nil))
			moved := 0
			for k, l := range tc.loads {
				ws, ch := w.Update(t0.Add(time.Duration(k+1)*p.Interval), inputs(caps, []float64{l, 0.5}))
				if len(ch) > 0 && moved == 0 {
					moved = k + 1
					if ws[0].Weight >= ws[1].Weight && l > 0.5 {
						t.Errorf("correction %d: server 1 (load %v) weight %d, server 2 %d", k+1, l, ws[0].Weight, ws[1].Weight)
					}
				}
			}
			if moved != tc.moved {
				t.Errorf("first move at correction %d, want %d", moved, tc.moved)
			}
		})
	}
}

// Noise past saturation: the servers' load figures follow their
// utilisation but swing by +-30% from one reading to the next, as three
// CFS-capped NSDs' did in the lab bench (1.16-1.94 at the same
// utilisation). Capacity weights are right; the loop should not chase the
// noise away from them. Over 20 seeded farms of five minutes each, the
// worst share error of a farm (the largest of any server at any time, off
// its capacity share) averages under 10% with the default Confirm, and
// above 12% with Confirm 1 (a move on every reading beyond the band),
// which also makes more weight changes (497 against 271 when written).
func TestWeightsIgnoreNoisePastSaturation(t *testing.T) {
	caps := []float64{1, 1, 2}
	farms := func(confirm int) (meanWorst float64, changes int) {
		for seed := range uint64(20) {
			p := DefaultParams()
			p.Confirm = confirm
			rng := rand.New(rand.NewPCG(seed, 7))
			pl := plant{trueCap: caps, offered: 0.9}
			w := New(p)
			ws, _ := w.Update(t0, inputs(caps, nil))
			worst := 0.0
			for k := 1; k <= 150; k++ {
				u := pl.util(ws)
				loads := make([]float64, len(caps))
				for i := range loads {
					loads[i] = 1.5 * u[i] / 0.9 * (1 + 0.3*(2*rng.Float64()-1))
				}
				var ch []Change
				ws, ch = w.Update(t0.Add(time.Duration(k)*p.Interval), inputs(caps, loads))
				changes += len(ch)
				for i, x := range ws {
					worst = max(worst, math.Abs(x.Share/(caps[i]/4)-1))
				}
			}
			meanWorst += worst / 20
		}
		return meanWorst, changes
	}
	def, defChanges := farms(DefaultParams().Confirm)
	one, oneChanges := farms(1)
	t.Logf("mean worst share error %.1f%% (%d weight changes) with Confirm %d, %.1f%% (%d) with Confirm 1",
		100*def, defChanges, DefaultParams().Confirm, 100*one, oneChanges)
	if def >= 0.10 {
		t.Errorf("the default loop chased the noise: mean worst share error %.1f%%", 100*def)
	}
	if one <= 0.12 || oneChanges <= defChanges {
		t.Errorf("with Confirm 1: %.1f%%, %d changes: the case does not tell the rule apart", 100*one, oneChanges)
	}
}
