// Package weights is the router agent's weight loop (docs/router-agent.md):
// integer next-hop weights for the servers of one anycast prefix, split by
// capacity at start and then corrected toward equal load figures. It is
// pure (inputs and a clock value in, weights out), so the agent and the
// simulator (costmodel/sim) drive the same code.
package weights

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// MaxKernelWeight is the largest next-hop weight Linux takes (struct
// rtnexthop's rtnh_hops is weight-1 in 8 bits).
const MaxKernelWeight = 256

// MaxZebraWeight is the largest weight FRR's zebra keeps: the ZAPI
// message carries more, but zebra stores a next hop's weight in 8 bits
// (struct nexthop's uint8_t weight, FRR 8.4), so 256 becomes 0, no weight
// at all (TestAgentZebraBackend found it). The default MaxWeight, so that
// both backends take the same weights.
const MaxZebraWeight = 255

// Params tune the weight loop. Start from DefaultParams.
type Params struct {
	// MaxWeight is the weight of the server with the largest share; the
	// others are scaled to it (1..MaxKernelWeight).
	MaxWeight int
	// Interval is the least time between two load corrections of a
	// prefix: the load figures must have seen the last weights first (the
	// servers smooth their load and pace their LSAs).
	Interval time.Duration
	// Gain is the exponent of the correction: a server at twice the
	// farm's load gets its share multiplied by 2^-Gain (before MaxStep).
	Gain float64
	// MaxStep bounds one correction: a share moves by at most this
	// fraction per Interval.
	MaxStep float64
	// DeadBand: load ratios within 1±DeadBand of the farm's are left alone
	// (noise).
	DeadBand float64
	// LoadFloor is added to every load figure before comparing: loads
	// near idle differ by noise, not by imbalance. Below saturation a
	// server's figure (its receive-queue fill, its probe latency) is a
	// symptom, not its utilisation, and the load LSA carries it to
	// within 0.01 (ospf/serverload.go): the default 0.1 with the 10% dead
	// band leaves differences of about 0.01 at idle alone.
	LoadFloor float64
	// MinFactor and MaxFactor bound the correction: a server's share stays
	// within [MinFactor, MaxFactor] times its capacity share.
	MinFactor, MaxFactor float64
	// Confirm is how many corrections in a row must find a server's load
	// beyond the dead band on the same side of the farm's before its share
	// moves; the move is sized by the smallest of those deviations. A
	// load figure past saturation (queue fill, probe latency) is noisy:
	// three CFS-capped servers at the same utilisation reported 1.16-1.94
	// by turns, and a loop acting on each reading moved one server's
	// weight 125, 112, 119, 113, 129, 151, 137 in 12 s and lost queries
	// the weights at capacity did not (docs/router-agent.md, "Weights").
	Confirm int
}

// DefaultParams returns the defaults: weights up to 255, a
// correction at most every 2 s, gain 0.5, 20% steps, a 10% dead band over a
// 0.1 load floor, shares within 1/4..4 times the capacity share, a move
// only after three corrections in a row found the same imbalance.
func DefaultParams() Params {
	return Params{
		MaxWeight: MaxZebraWeight,
		Interval:  2 * time.Second,
		Gain:      0.5,
		MaxStep:   0.2,
		DeadBand:  0.1,
		LoadFloor: 0.1,
		MinFactor: 0.25,
		MaxFactor: 4,
		Confirm:   3,
	}
}

// ErrBadParams is wrapped by Params.Validate's errors.
var ErrBadParams = errors.New("weights: bad parameters")

// Validate reports the first parameter out of range.
func (p Params) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrBadParams)
	}
	switch {
	case p.MaxWeight < 1 || p.MaxWeight > MaxKernelWeight:
		return bad("max weight %d outside 1..%d", p.MaxWeight, MaxKernelWeight)
	case p.Interval <= 0:
		return bad("interval %s must be positive", p.Interval)
	case !(p.Gain > 0 && p.Gain <= 1):
		return bad("gain %v outside (0, 1]", p.Gain)
	case !(p.MaxStep > 0 && p.MaxStep <= 1):
		return bad("max step %v outside (0, 1]", p.MaxStep)
	case !(p.DeadBand >= 0 && p.DeadBand < 1):
		return bad("dead band %v outside [0, 1)", p.DeadBand)
	case !(p.LoadFloor > 0):
		return bad("load floor %v must be positive", p.LoadFloor)
	case !(p.MinFactor > 0 && p.MinFactor <= 1 && p.MaxFactor >= 1 && !math.IsInf(p.MaxFactor, 0)):
		return bad("factor bounds %v..%v must hold 1 and be positive", p.MinFactor, p.MaxFactor)
	case p.Confirm < 1 || p.Confirm > MaxConfirm:
		return bad("confirm %d outside 1..%d", p.Confirm, MaxConfirm)
	}
	return nil
}

// MaxConfirm bounds Params.Confirm: more rounds than this would leave a
// real imbalance standing for minutes.
const MaxConfirm = 10

// Input is one member server of a prefix as the weights need it.
type Input struct {
	RouterID uint32
	// Capacity is the server's capacity (> 0); without a load LSA the
	// caller passes a default.
	Capacity float64
	// HasLoad: Load is a reported load figure. A server without one is
	// left at its current correction.
	HasLoad bool
	Load    float64
}

// Weight is one member's weight and why it last changed.
type Weight struct {
	RouterID uint32
	Weight   int
	// Share is the fraction of the prefix's traffic the weight stands for.
	Share float64
	// Factor is the load correction: Share over the capacity share.
	Factor float64
	// Why is the reason of the member's last weight change, Changed when
	// it happened.
	Why     string
	Changed time.Time
}

// Change is one weight change, for the log.
type Change struct {
	RouterID uint32
	From, To int
	Why      string
}

// Loop is the weight loop of one prefix. It is pure: inputs and a clock
// value in, weights out; the same calls give the same weights.
type Loop struct {
	p       Params
	members map[uint32]*member
	// corrected is when the last load correction ran.
	corrected time.Time
	// reparam is the reason of the weight changes the next Update makes
	// after SetParams ("" when none is pending).
	reparam string
}

type member struct {
	capacity float64
	factor   float64
	// streak counts the corrections in a row that found this member
	// beyond the dead band on one side (Params.Confirm); least is the
	// ratio of those nearest 1.
	streak  int
	least   float64
	d       damper
	weight  int
	why     string
	changed time.Time
}

// New returns the loop of one prefix; p must be valid.
func New(p Params) *Loop {
	return &Loop{p: p, members: map[uint32]*member{}}
}

// Update takes the members OSPF would use now and their reports, and
// returns their weights (sorted by router ID) and the changes since the
// previous call. Membership and capacity changes apply at once:
// a new member starts at its capacity share, a departed one is forgotten.
// Load corrections apply at most once per Interval, toward equal load
// figures: each share is multiplied by ((farm+floor)/(load+floor))^Gain,
// bounded by MaxStep and by the factor bounds, with ratios inside the dead
// band ignored; the farm's load is the capacity-weighted mean.
func (w *Loop) Update(now time.Time, in []Input) ([]Weight, []Change) {
	seen := make(map[uint32]bool, len(in))
	why := map[uint32]string{}
	for _, x := range in {
		seen[x.RouterID] = true
		m := w.members[x.RouterID]
		switch {
		case m == nil:
			w.members[x.RouterID] = &member{capacity: x.Capacity, factor: 1}
			why[x.RouterID] = fmt.Sprintf("joined: capacity %g", x.Capacity)
		case m.capacity != x.Capacity:
			why[x.RouterID] = fmt.Sprintf("capacity %g -> %g", m.capacity, x.Capacity)
			m.capacity, m.d, m.streak = x.Capacity, damper{}, 0
		}
	}
	left := 0
	for id := range w.members {
		if !seen[id] {
			delete(w.members, id)
			left++
		}
	}
	if len(why) > 0 || left > 0 {
		for id := range w.members {
			if why[id] == "" {
				why[id] = "membership changed"
			}
		}
	}
	if now.Sub(w.corrected) >= w.p.Interval {
		w.correct(in, why)
		w.corrected = now
	}
	if w.reparam != "" {
		for id := range w.members {
			if why[id] == "" {
				why[id] = w.reparam
			}
		}
		w.reparam = ""
	}
	return w.assign(now, why)
}

// SetParams changes the loop's parameters while it runs (a configuration
// reload); p must be valid. Each member keeps its load correction, held
// within the new factor bounds; the weights follow at the next Update
// (a new MaxWeight scales all of them), and a weight that moves then has
// why as its reason unless something else moved it.
func (w *Loop) SetParams(p Params, why string) {
	w.p = p
	for _, m := range w.members {
		m.factor = min(p.MaxFactor, max(p.MinFactor, m.factor))
	}
	w.reparam = why
}

// correct moves the factors toward equal load figures.
func (w *Loop) correct(in []Input, why map[uint32]string) {
	var capSum, loadSum float64
	n := 0
	for _, x := range in {
		if x.HasLoad {
			capSum += x.Capacity
			loadSum += x.Capacity * x.Load
			n++
		}
	}
	if n < 2 {
		return
	}
	farm := loadSum / capSum
	next := make(map[uint32]float64, len(in))
	for _, x := range in {
		if !x.HasLoad {
			continue
		}
		m := w.members[x.RouterID]
		r, ok := m.confirmed((farm+w.p.LoadFloor)/(x.Load+w.p.LoadFloor), w.p)
		if !ok {
			continue
		}
		step, ok := m.d.next(r, w.p)
		if !ok {
			continue
		}
		next[x.RouterID] = m.factor * min(1+step, max(1/(1+step), math.Pow(r, w.p.Gain)))
		if why[x.RouterID] == "" {
			side := "below"
			if x.Load > farm {
				side = "above"
			}
			why[x.RouterID] = fmt.Sprintf("load %.3f %s the farm's %.3f", x.Load, side, farm)
		}
	}
	if len(next) == 0 {
		return
	}
	// Only the ratios of the factors matter; keep their capacity-weighted
	// mean at 1 so that they do not drift together into the bounds.
	var sum, capAll float64
	for id, m := range w.members {
		f, ok := next[id]
		if !ok {
			f = m.factor
		}
		next[id] = f
		sum += m.capacity * f
		capAll += m.capacity
	}
	for id, m := range w.members {
		m.factor = min(w.p.MaxFactor, max(w.p.MinFactor, next[id]*capAll/sum))
		if why[id] == "" {
			why[id] = "rescaled with the others"
		}
	}
}

// confirmed adds the load ratio r (farm over member, with the floor) of
// this correction to the member's streak and returns the ratio to correct
// by once Confirm corrections in a row found it beyond the dead band on
// the same side: of those, the one nearest 1 (the imbalance every one of
// them showed). A ratio inside the band, or on the other side, starts the
// streak again; so does a confirmed one, whether the damper then moves the
// share (the next must see its effect) or holds a settled member (whose
// re-arming, rearmAfter confirmed readings, then takes Confirm times as
// many corrections: 18 s by default).
func (m *member) confirmed(r float64, p Params) (float64, bool) {
	if math.Abs(r-1) <= p.DeadBand {
		m.streak = 0
		return 0, false
	}
	if m.streak == 0 || (m.least > 1) != (r > 1) {
		m.streak, m.least = 0, r
	} else if math.Abs(math.Log(r)) < math.Abs(math.Log(m.least)) {
		m.least = r
	}
	if m.streak++; m.streak < p.Confirm {
		return 0, false
	}
	m.streak = 0
	return m.least, true
}

// assign turns capacities and factors into integer weights and reports the
// members whose weight changed, with why[id] as the reason.
func (w *Loop) assign(now time.Time, why map[uint32]string) ([]Weight, []Change) {
	ids := make([]uint32, 0, len(w.members))
	var total, top float64
	for id, m := range w.members {
		ids = append(ids, id)
		v := m.capacity * m.factor
		total += v
		top = max(top, v)
	}
	slices.SortFunc(ids, cmp.Compare[uint32])
	out := make([]Weight, 0, len(ids))
	var changes []Change
	for _, id := range ids {
		m := w.members[id]
		v := m.capacity * m.factor
		target := float64(w.p.MaxWeight) * v / top
		wt := min(w.p.MaxWeight, max(1, int(math.Round(target))))
		// Hysteresis: a weight moves only when its target is a whole
		// unit away, so a target near a rounding boundary does not make
		// it flicker by one.
		if m.weight > 0 && math.Abs(target-float64(m.weight)) < 1 {
			wt = m.weight
		}
		if wt != m.weight {
			reason := why[id]
			if reason == "" {
				reason = "rescaled with the others"
			}
			if m.weight == 0 && reason == "membership changed" {
				reason = "joined"
			}
			changes = append(changes, Change{RouterID: id, From: m.weight, To: wt, Why: reason})
			m.weight, m.why, m.changed = wt, reason, now
		}
		out = append(out, Weight{RouterID: id, Weight: m.weight, Share: v / total, Factor: m.factor, Why: m.why, Changed: m.changed})
	}
	return out, changes
}
