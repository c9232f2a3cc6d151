package weights

import "math"

// Damping of one member's corrections, so that the loop does not
// oscillate even where a load figure is much steeper than utilisation (a
// queue length near saturation moves ten times faster than the
// utilisation behind it) and where one weight unit is a large share (small
// weights):
//
//   - a correction against the previous one halves the member's step
//     bound (the previous one overshot), and the bound never grows back
//     past its halved value: the search narrows like a bisection;
//   - two in the same direction let the step grow by half, up to the
//     bound;
//   - after settleReversals reversals the member is settled: it sits
//     between two weights the quantum cannot split, and further
//     corrections would only dither by one unit. It stays settled while
//     its load error stays within twice the error it settled with (plus
//     the dead band); an error beyond that for rearmAfter intervals in a
//     row is a real change (a server got slower, traffic moved) and
//     restarts the search at MaxStep.
//
// A membership or capacity change starts the member afresh.
type damper struct {
	step, bound float64 // 0: not started
	dir, prev   int     // signs of the last two corrections
	reversals   int
	settled     bool
	settledErr  float64 // |log r| when it settled
	beyond      int     // intervals in a row beyond the settled error
}

const (
	settleReversals = 4
	rearmAfter      = 3
)

// next returns the step bound of the member's correction for the load
// ratio r (farm over member, with the floor), or false to leave it alone.
// r is outside the dead band.
func (d *damper) next(r float64, p Params) (float64, bool) {
	errMag := math.Abs(math.Log(r))
	if d.settled {
		if errMag <= 2*d.settledErr+math.Log1p(p.DeadBand) {
			d.beyond = 0
			return 0, false
		}
		if d.beyond++; d.beyond < rearmAfter {
			return 0, false
		}
		*d = damper{}
	}
	dir := 1
	if r < 1 {
		dir = -1
	}
	switch {
	case d.bound == 0:
		d.bound, d.step = p.MaxStep, p.MaxStep
	case dir != d.dir:
		d.reversals++
		d.bound /= 2
		d.step = min(d.step/2, d.bound)
		if d.reversals >= settleReversals {
			d.settled, d.settledErr, d.dir, d.prev = true, errMag, dir, d.dir
			return 0, false
		}
	case dir == d.prev:
		d.step = min(d.bound, d.step*1.5)
	}
	d.prev, d.dir = d.dir, dir
	return d.step, true
}
