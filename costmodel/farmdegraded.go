package costmodel

import (
	"fmt"
	"time"
)

// A degraded server answers less than its configured capacity: starved of
// CPU by a neighbour, on a failing disk, throttled. The farm's rules read
// the rate the cheapest tier is offered from the members' capacities
// (bracket, upCheck), and a capacity a server does not have breaks that
// arithmetic: the lab's TestOverloadShiftsTraffic starved one NSD of three
// (capacity 1 each) to a third of its share, and its absorb check took the
// rate per server at its own capacity, 1, so that its idle peers (load
// 0.000, capacity 1) had "room 0.00": it held the cheapest tier and dropped
// two thirds of its share while they idled.
//
// Equal-cost multipath offers every member of the cheapest tier the same
// rate (RFC 2328 section 16.1). So a member that is overloaded while a
// member of no more capacity keeps up with an all but empty queue cannot be
// running at its capacity: it is degraded, and what it answers is less than
// the rate, which is less than the idle member's capacity. The rules then:
//
//   - leave its capacity out of the rate's bracket (bracket);
//   - let it leave the cheapest tier when the others could take its whole
//     share at the rate's lower bound, which with no other overloaded
//     member is any room at all (upCheck): a trial leave;
//   - keep it out while the others keep up without it (farmPlan: its
//     configured capacity would let the join check bring it back at once;
//     it rejoins by the trial join after MaxDwell, like a server the join
//     check holds);
//   - when the others do not keep up without it (an overloaded member of
//     the tier it left), count the trial as failed (watchTrialLeave): it
//     rejoins as the join check says, and a further degraded leave waits
//     MaxDwell from the last time it saw the tier overloaded. Its real
//     capacity is unknown (the model does not see what it answers), so
//     whether the farm answers more with it or without it cannot be
//     computed: the trial settles it for the load of the moment.

// idle reports whether the member's queue stayed all but empty throughout
// the headroom window: its load at most a quarter of tier[0].down. A server
// offered close to its capacity fills its queue by turns (its load swings
// across the thresholds, and on the simulator's 4 × 1 farm at load 1.0 one
// server keeps below tier[0].down for a whole window while another stays
// above tier[0].up); one whose load never rose above a quarter of it is
// offered clearly less than its capacity.
func (f *farmCalc) idle(fm farmMember) bool { return fm.known && fm.peak <= f.down/4 }

// degraded reports whether member fm, overloaded, answers less than its
// capacity says: a member of the cheapest tier of no more capacity is idle
// at the same rate. It names that member. Both must have advertised the
// cheapest metric throughout the headroom window, and fm must have been
// overloaded throughout it: right after a change of the tier (a server
// left it, one joined) the loads seen are those of the previous
// configuration, and the peers' lag what their LSAs lag.
func (f *farmCalc) degraded(fm farmMember) (bool, farmMember) {
	if !f.overloaded(fm) || !fm.sustained || !fm.steady {
		return false, farmMember{}
	}
	for _, o := range f.members {
		if o.id != fm.id && f.idle(o) && o.steady && o.capacity <= fm.capacity {
			return true, o
		}
	}
	return false, farmMember{}
}

// trialLeave is the state of a degraded server's trial leaves.
type trialLeave struct {
	// out: it left the cheapest tier degraded and is not back in it.
	out bool
	// failed: when it saw the tier it left overloaded without it, in the
	// current trial (zero: not yet).
	failed time.Time
	// fails counts the failed trials in a row, lastFail is the latest
	// failure.
	fails    int
	lastFail time.Time
}

// maxTrialBackoff caps the doubling of the wait after failed trials:
// MaxDwell × 2^4 (16 min with the default MaxDwell).
const maxTrialBackoff = 4

// next is the earliest time of a further trial leave: MaxDwell after the
// latest failure, doubled for each further failure in a row (a load the
// others could not absorb tends to last), at once without a failure.
func (t trialLeave) next(maxDwell time.Duration) time.Time {
	if t.fails == 0 {
		return time.Time{}
	}
	return t.lastFail.Add(maxDwell << min(t.fails-1, maxTrialBackoff))
}

// watchTrialLeave follows this server's trial leave at a decision: while
// it is out of the cheapest tier it left degraded, an overloaded member of
// that tier fails the trial; back in the cheapest tier (its own join, or
// the others climbing to it), the trial is over, and one that did not fail
// (it rejoined by the trial join after MaxDwell, the others keeping up
// throughout) clears the count of failures.
func (m *Model) watchTrialLeave(now time.Time, load float64) {
	if !m.trial.out {
		return
	}
	f := m.farmCalc(now, load)
	switch {
	case !f.active:
	case f.selfIn:
		m.trial.out = false
		if m.trial.failed.IsZero() {
			m.trial.fails = 0
		}
	case f.anyOverloaded() && m.trial.failed.IsZero():
		m.trial.failed, m.trial.lastFail = now, now
		m.trial.fails++
	}
}

// trialReturn is the move back into the cheapest tier after a failed
// trial leave: at once, without the dwell time (the leave was this
// server's own experiment, not its load's reversal; the others drop what
// they cannot absorb meanwhile) and without waiting for its turn of the
// stagger (which keeps two servers from shedding onto the others at once;
// a return sheds onto nobody, it takes its share back). farmPlan shapes it
// as any move down otherwise.
func (m *Model) trialReturn(now time.Time, load float64) (tierMove, bool) {
	if !m.trial.out || m.trial.failed.IsZero() || m.tier == 0 || load >= m.p.Tiers[m.tier-1].Down {
		return tierMove{}, false
	}
	return tierMove{next: m.tier - 1, trialReturn: true, trigger: fmt.Sprintf("trial leave failed at %s: the tier it left is overloaded without it",
		m.trial.failed.Format(timeFormat))}, true
}
