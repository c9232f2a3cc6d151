package costmodel

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// farmMember is one server of the cheapest tier, as the farm view shows it.
type farmMember struct {
	id       RouterID
	self     bool
	known    bool // load and capacity known
	capacity float64
	load     float64
	low      float64 // the lowest load seen within the headroom window
	peak     float64 // the highest load seen within the headroom window
	drained  bool    // its server load LSA says drained
	// steady: it has advertised its metric throughout the headroom
	// window; sustained: its load stayed at tier[0].up or above
	// throughout the window (this server's from its own decisions).
	steady, sustained bool
}

func (fm farmMember) name() string {
	if fm.self {
		return "this server"
	}
	return fm.id.String()
}

// The load figure is a congestion figure (queue fill, drop rate, probe
// latency): near 0 while a server keeps up with what it is offered, rising
// towards 1 and beyond as its queue fills and it drops. It says whether a
// server keeps up, not how busy it is. So the farm's rules read it against
// the cheapest tier's thresholds:
//   - a server whose load reaches tier[0].up (where it would shed) is
//     overloaded: it is offered at least its capacity;
//   - a server whose load stayed below tier[0].down (where a server comes
//     back to the cheapest tier) throughout the headroom window keeps up:
//     it is offered less than its capacity, and has room for the rest;
//   - in between, or recently above, it has no room and says nothing of
//     the rate.

// overloaded reports whether the member is offered at least its capacity.
func (f *farmCalc) overloaded(fm farmMember) bool { return fm.known && fm.load >= f.up }

// keepsUp reports whether the member has room: offered less than its
// capacity throughout the headroom window.
func (f *farmCalc) keepsUp(fm farmMember) bool { return fm.known && fm.peak < f.down }

// farmCalc is what the farm view says at one moment.
type farmCalc struct {
	// active: the view is used; why says why not.
	active bool
	why    string
	// up and down are tier[0]'s thresholds (see overloaded and keepsUp).
	up, down float64
	// cheapest is the lowest metric the router sees advertised, this
	// server's included (no members: none); members are the servers
	// advertising it (ordered by router ID), selfIn says this server is
	// one of them.
	cheapest uint16
	members  []farmMember
	selfIn   bool
	// peersCheapest is the lowest metric a peer that is not drained
	// advertises, peersAdvertising how many such peers (0: none).
	peersCheapest    uint16
	peersAdvertising int
	// above are the peers the router sees advertising a dearer metric
	// than the cheapest, drained ones aside (see saturated).
	above []farmMember
	// known counts the peers whose load is known; grid is the stagger
	// order: this server and every peer whose load is known, by router ID.
	known int
	grid  []RouterID
}

// selfMember returns this server as a member of the cheapest tier at now.
// Its low and peak are its load now (the rules read this server's load now,
// its peers' over the window); sustained reads its own window.
func (m *Model) selfMember(now time.Time, load float64) farmMember {
	low, _ := m.selfRange(now, load)
	return farmMember{id: m.farm.Self, self: true, known: true, capacity: m.p.capacity(), load: load, low: load, peak: load,
		steady: m.selfSteady(now), sustained: low >= m.p.Tiers[0].Up}
}

// farmCalc reads the farm view at now with this server's load.
func (m *Model) farmCalc(now time.Time, load float64) farmCalc {
	var f farmCalc
	switch {
	case !m.farmSeen:
		f.why = "no farm view"
		return f
	case !m.p.FarmRules:
		f.why = "farm rules off (farm_rules = false)"
		return f
	case len(m.p.Tiers) < 2:
		f.why = "fewer than two tiers: no tier to move to"
		return f
	case now.Sub(m.farm.AsOf) >= m.p.farmMaxAge():
		f.why = fmt.Sprintf("farm view stale: as of %s, older than %v", m.farm.AsOf.Format(timeFormat), m.p.farmMaxAge())
		return f
	}
	f.up, f.down = m.p.Tiers[0].Up, m.p.Tiers[0].Down
	f.grid = []RouterID{m.farm.Self}
	for _, p := range m.farm.Peers {
		if p.LoadKnown {
			f.known++
			f.grid = append(f.grid, p.RouterID)
		}
		if p.advertised() && p.State != PeerDrained {
			f.peersAdvertising++
			if f.peersAdvertising == 1 || p.Metric < f.peersCheapest {
				f.peersCheapest = p.Metric
			}
		}
	}
	slices.Sort(f.grid)
	if f.known == 0 {
		f.why = fmt.Sprintf("no peer publishes its load (%d of %d peers advertise the prefix)",
			f.peersAdvertising, len(m.farm.Peers))
		return f
	}
	f.active = true

	// The cheapest tier as the router sees it.
	all := make([]farmMember, 0, len(m.farm.Peers)+1)
	metrics := make([]uint16, 0, cap(all))
	if !m.adv.Withdrawn {
		all = append(all, m.selfMember(now, load))
		metrics = append(metrics, m.adv.Metric)
	}
	for _, p := range m.farm.Peers {
		if p.advertised() {
			low, peak := m.peerRange(now, p)
			all = append(all, farmMember{id: p.RouterID, known: p.LoadKnown, capacity: p.Capacity, load: p.Load,
				low: low, peak: peak, drained: p.State == PeerDrained,
				steady: m.peerSteady(now, p), sustained: low >= f.up})
			metrics = append(metrics, p.Metric)
		}
	}
	for i, mt := range metrics {
		if i == 0 || mt < f.cheapest {
			f.cheapest = mt
		}
	}
	for i, fm := range all {
		switch {
		case metrics[i] == f.cheapest:
			f.members = append(f.members, fm)
			f.selfIn = f.selfIn || fm.self
		case !fm.self && !fm.drained:
			f.above = append(f.above, fm)
		}
	}
	slices.SortFunc(f.members, func(a, b farmMember) int { return cmp.Compare(a.id, b.id) })
	return f
}

// bracket bounds the rate r each member of the cheapest tier is offered
// (equal-cost multipath offers each the same, RFC 2328 section 16.1), in
// capacity units: less than the capacity of every member that keeps up
// (hi; +Inf when none does), at least the capacity of every overloaded
// member whose capacity lies below hi (lo; 0 when none does). An
// overloaded member whose capacity is hi or more cannot be running at its
// capacity, since a member of no more capacity keeps up at the same rate:
// it answers less than its capacity (a degraded server, farmdegraded.go),
// and its capacity bounds nothing.
func (f *farmCalc) bracket(members []farmMember) (lo, hi float64) {
	hi = math.Inf(1)
	for _, fm := range members {
		if f.keepsUp(fm) {
			hi = min(hi, fm.capacity)
		}
	}
	for _, fm := range members {
		if f.overloaded(fm) && fm.capacity < hi {
			lo = max(lo, fm.capacity)
		}
	}
	return lo, hi
}

func bracketText(lo, hi float64) string {
	if math.IsInf(hi, 1) {
		return fmt.Sprintf("rate per server at least %.2f", lo)
	}
	return fmt.Sprintf("rate per server within %.2f..%.2f", lo, hi)
}

// upCheck says whether this server, one of the cheapest tier and
// overloaded, may leave the tier for load: the servers left must absorb at
// least what it answers now. Each of them is offered an equal part of its
// rate; a server that keeps up takes on at most its capacity less the
// rate, one that does not takes on nothing, and a peer without load
// information is assumed to take its part. The rate is taken at its lower
// bound. A server at its capacity answers its capacity, and the rate is at
// least that. A degraded server (see degraded) answers less than the rate
// and its capacity bounds nothing: the others must absorb its whole share
// at the rate's lower bound (from the other overloaded members; none: the
// members that keep up have room for it); farmPlan still holds it while
// the wait after a failed trial leave runs (trialLeave.next). The last server
// of the tier never leaves it. (A farm saturated as a whole is not held:
// farmPlan checks saturated first.)
func (f *farmCalc) upCheck(self farmMember) (ok, degraded bool, why string) {
	if len(f.members) == 1 {
		if f.peersAdvertising == 0 {
			return false, false, fmt.Sprintf("no other server advertises the prefix: metric %d changes nothing", f.cheapest)
		}
		return false, false, fmt.Sprintf("last server at the cheapest metric %d: leaving would move all its traffic to the next tier at once",
			f.cheapest)
	}
	lo, hi := f.bracket(f.members)
	degraded, witness := f.degraded(self)
	r, answers := max(lo, self.capacity), self.capacity
	what := fmt.Sprintf("the %.2f it answers", answers)
	if degraded {
		r, answers = lo, lo
		what = fmt.Sprintf("its share (%.2f at least): it is degraded, overloaded at the rate %s (capacity %.2f) idles at, so it answers less than its capacity %.2f",
			lo, witness.name(), witness.capacity, self.capacity)
	}
	rest := without(f.members)
	part := r / float64(len(rest))
	var absorbed float64
	rooms := make([]string, 0, len(rest))
	for _, fm := range rest {
		switch {
		case !fm.known:
			absorbed += part
			rooms = append(rooms, fm.name()+" no load information")
		case f.keepsUp(fm):
			room := max(fm.capacity-r, 0)
			absorbed += min(part, room)
			rooms = append(rooms, fmt.Sprintf("%s room %.2f", fm.name(), room))
		default:
			rooms = append(rooms, fmt.Sprintf("%s none (load %.2f, %.2f within the window)", fm.name(), fm.load, fm.peak))
		}
	}
	detail := fmt.Sprintf("each takes %.2f; %s; %s", part, strings.Join(rooms, ", "), bracketText(lo, hi))
	if absorbed+tolerance < answers {
		return false, degraded, fmt.Sprintf("%s at metric %d could absorb only %.2f of %s (%s)",
			others(f.members), f.cheapest, absorbed, what, detail)
	}
	return true, degraded, fmt.Sprintf("%s at metric %d absorb %.2f of %s (%s)",
		others(f.members), f.cheapest, absorbed, what, detail)
}

// joinGain is what the cheapest tier answers more (less, when negative)
// with this server joining it, when each member is offered r now: each
// then gets r·k/(k+1) and answers up to its capacity. Members without load
// information count as neither gaining nor losing.
func joinGain(members []farmMember, self farmMember, r float64) float64 {
	k := float64(len(members))
	r2 := r * k / (k + 1)
	gain := min(r2, self.capacity)
	for _, fm := range members {
		if fm.known {
			gain += min(r2, fm.capacity) - min(r, fm.capacity)
		}
	}
	return gain
}

// joinCheck says whether this server may join the cheapest tier: the tier
// must answer no less with it, at every rate the bracket allows (the gain
// is piecewise linear in the rate, so its corners are checked). Hopeful
// (a server coming up that did not fail its health checks) skips the check
// while no member is overloaded: the loads then say nothing of the rate,
// and a server that comes up overloaded leaves again by upCheck.
func (f *farmCalc) joinCheck(self farmMember, hopeful bool) (bool, string) {
	lo, hi := f.bracket(f.members)
	if hopeful && lo == 0 {
		return true, fmt.Sprintf("joins %s at metric %d: none of them is overloaded", others(f.members), f.cheapest)
	}
	k := float64(len(f.members))
	points := []float64{lo, self.capacity * (k + 1) / k}
	for _, fm := range f.members {
		if fm.known {
			points = append(points, fm.capacity, fm.capacity*(k+1)/k)
		}
	}
	top := hi
	if math.IsInf(hi, 1) {
		top = 2 * slices.Max(points)
	}
	points = append(points, top)
	worst, at := math.Inf(1), lo
	for _, r := range points {
		if r < lo || r > top {
			continue
		}
		if g := joinGain(f.members, self, r); g < worst {
			worst, at = g, r
		}
	}
	if worst < -tolerance {
		return false, fmt.Sprintf("joining %s at metric %d could lower what they answer by %.2f (at a rate of %.2f per server; %s)",
			others(f.members), f.cheapest, -worst, at, bracketText(lo, hi))
	}
	return true, fmt.Sprintf("joins %s at metric %d: they answer no less with it (%s)",
		others(f.members), f.cheapest, bracketText(lo, hi))
}

// rebase reports whether the cheapest tier, this server in it, may come
// down a tier: every member keeps up (none overloaded or without load
// information).
func (f *farmCalc) rebase() bool {
	if !f.selfIn {
		return false
	}
	for _, fm := range f.members {
		if !f.keepsUp(fm) {
			return false
		}
	}
	return true
}

// anyOverloaded reports whether a member of the cheapest tier is
// overloaded.
func (f *farmCalc) anyOverloaded() bool {
	for _, fm := range f.members {
		if f.overloaded(fm) {
			return true
		}
	}
	return false
}

// without returns the members but the one for this server.
func without(members []farmMember) []farmMember {
	out := make([]farmMember, 0, len(members))
	for _, fm := range members {
		if !fm.self {
			out = append(out, fm)
		}
	}
	return out
}

// tolerance absorbs rounding in comparing capacities.
const tolerance = 1e-9

// others names the members but this server.
func others(members []farmMember) string {
	var ids []string
	for _, fm := range members {
		if !fm.self {
			ids = append(ids, fm.id.String())
		}
	}
	switch len(ids) {
	case 0:
		return "no other server"
	case 1:
		return "the other server " + ids[0]
	}
	return fmt.Sprintf("the %d other servers %s", len(ids), strings.Join(ids, ", "))
}

// tierFor is the lowest tier whose metric is at least metric (the last
// tier when none is).
func (m *Model) tierFor(metric uint16) int {
	for i, t := range m.p.Tiers {
		if t.Metric >= metric {
			return i
		}
	}
	return len(m.p.Tiers) - 1
}

// entryTier is the tier to advertise in when the service comes up with a
// farm view: the tier of the cheapest metric the peers advertise, so that
// this server does not become the only cheapest one, or the next one when
// joining that tier would lower what the farm answers (joinCheck, hopeful
// unless the service was withdrawn for failed health checks: a server
// whose probe failed in the tier because it was overloaded there comes
// back above it instead of flapping). ok is false when no peer advertises
// (the tier stays as it is).
func (m *Model) entryTier(now time.Time, f *farmCalc, load float64) (tier int, why string, ok bool) {
	if !f.active || f.peersAdvertising == 0 {
		return 0, "", false
	}
	t := m.tierFor(f.peersCheapest)
	why = fmt.Sprintf("farm: comes up at the peers' cheapest metric %d (tier %d)", f.peersCheapest, t)
	if m.p.Tiers[t].Metric == f.cheapest && !f.selfIn && t+1 < len(m.p.Tiers) {
		if ok, jwhy := f.joinCheck(m.selfMember(now, load), !m.healthWithdrawn); !ok {
			return t + 1, fmt.Sprintf("farm: comes up at tier %d (metric %d): %s", t+1, m.p.Tiers[t+1].Metric, jwhy), true
		}
	}
	return t, why, true
}

// turn says whether now lies in this server's turn of the stagger: slot j
// (of width Params.FarmSlot, counted from the Unix epoch) belongs to the
// server of rank j mod n in the grid (n servers ordered by router ID), as
// the ND mode's turn grid gives each server the slots of its rank. A server
// changes tier for load only within the first half of its own slot, so two
// servers whose clocks differ by less than half a slot never change in the
// same pacing interval, and only when pacing lets the change out at once.
// next is when the turn comes (now when ok); owner owns the current slot.
func (m *Model) turn(now time.Time, grid []RouterID) (ok bool, next time.Time, owner RouterID) {
	slot := int64(m.p.farmSlot())
	n := int64(len(grid))
	rank, _ := slices.BinarySearch(grid, m.farm.Self)
	ns := now.UnixNano()
	j := floorDiv(ns, slot)
	owner = grid[mod(j, n)]
	var paced time.Time
	if m.reported {
		paced = m.lastReport.Add(m.p.MinInterval)
	}
	for k := j + mod(int64(rank)-j, n); ; k += n {
		start := time.Unix(0, k*slot).UTC()
		end := start.Add(time.Duration(slot / 2))
		from := start
		if from.Before(now) {
			from = now
		}
		if from.Before(paced) {
			from = paced
		}
		if from.Before(end) {
			return k == j && from.Equal(now), from, owner
		}
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func mod(a, n int64) int64 { return (a%n + n) % n }

// farmPlan puts the farm's rules on a tier move the load asks for (mv.next
// one tier from m.tier, dwell done). It returns the move to make now, or
// the hold and its reason:
//   - up out of the cheapest tier only when the servers left could absorb
//     this server's traffic (upCheck), never out of it as its last server;
//   - down to the cheapest metric a peer advertises, never below it (this
//     server would become the only cheapest one), and into the cheapest
//     tier only when that does not lower what the farm answers (joinCheck);
//   - only in this server's turn of the stagger (turn).
func (m *Model) farmPlan(now time.Time, load float64, f *farmCalc, mv tierMove) tierMove {
	from := m.tier
	move := fmt.Sprintf("tier %d -> %d", from, mv.next)
	hold := func(why string) tierMove {
		return tierMove{next: from, trigger: mv.trigger, farm: "farm holds " + move + ": " + why, farmHeld: true}
	}
	var why string
	if mv.next > from {
		if sat, w := f.saturated(); sat && f.selfIn {
			// Not staggered: the farm climbs together, so that the
			// servers' shares stay as they are (see saturated).
			mv.farm = "farm: " + w
			return mv
		}
		if f.selfIn {
			ok, degraded, w := f.upCheck(m.selfMember(now, load))
			if !ok {
				return hold(w)
			}
			if next := m.trial.next(m.p.MaxDwell); degraded && now.Before(next) {
				return hold(fmt.Sprintf("%s; but its last trial leave failed (%d in a row; at %s the tier was overloaded without it): the next trial at %s",
					w, m.trial.fails, m.trial.lastFail.Format(timeFormat), next.Format(timeFormat)))
			}
			why, mv.degradedLeave = w, degraded
		}
	} else {
		target := mv.next
		for target > 0 && load < m.p.Tiers[target-1].Down {
			target--
		}
		if f.peersAdvertising > 0 {
			floor := m.tierFor(f.peersCheapest)
			switch {
			case floor < from:
				target = max(target, floor)
				why = fmt.Sprintf("down to the peers' cheapest metric %d", f.peersCheapest)
			case f.rebase():
				// The whole cheapest tier sits above tier 0 (its tier-0
				// servers went away) and keeps up: it comes down one
				// tier, one server per turn, so that the tiers above
				// stay free for shedding and drains.
				target = from - 1
				why = fmt.Sprintf("the cheapest tier (metric %d) is above tier 0 and all of it keeps up: it comes down, this server first",
					f.cheapest)
			default:
				return hold(fmt.Sprintf("the peers' cheapest metric is %d: a lower metric would make this server the only cheapest one",
					f.peersCheapest))
			}
		}
		if target != mv.next {
			mv.trigger = fmt.Sprintf("load %.3f < tier[%d].down %g", load, target, m.p.Tiers[target].Down)
			mv.next = target
			move = fmt.Sprintf("tier %d -> %d", from, target)
		}
		if m.p.Tiers[target].Metric == f.cheapest && !f.selfIn {
			ok, w := f.joinCheck(m.selfMember(now, load), false)
			if m.trial.out && !f.anyOverloaded() {
				// Its configured capacity is not what it answers:
				// joining would bring back the share it drops.
				ok, w = false, fmt.Sprintf("it left %s at metric %d degraded and they keep up without it", others(f.members), f.cheapest)
			}
			if trial := m.tierSince.Add(m.p.MaxDwell); !ok && now.Before(trial) {
				return hold(fmt.Sprintf("%s; a trial join at %s", w, trial.Format(timeFormat)))
			} else if !ok {
				// The load figure cannot tell a tier this server would
				// relieve from one it would only cost (see the
				// package doc): after MaxDwell above the tier, it
				// joins to see, and leaves again if the others keep
				// up without it.
				w = fmt.Sprintf("trial join after %v above the tier: %s", now.Sub(m.tierSince), w)
			}
			why = strings.TrimPrefix(why+"; "+w, "; ")
		}
	}
	if ok, next, owner := m.turn(now, f.grid); !ok && !mv.trialReturn {
		w := fmt.Sprintf("farm: %s waits for this server's turn at %s (slot owner %s, %d servers take turns)",
			move, next.Format(timeFormat), owner, len(f.grid))
		return tierMove{next: from, trigger: mv.trigger, heldUntil: next, farm: w}
	}
	mv.farm = "farm: " + why
	if why == "" {
		mv.farm = "farm: in this server's turn"
	}
	return mv
}

// enterFarm puts the tier where a server coming up (advertising after a
// withdrawal, or for the first time) starts with a farm view: see
// entryTier.
func (m *Model) enterFarm(now time.Time, load float64) {
	if drained, _ := m.drained(); drained {
		return
	}
	m.trial.out = false // a server coming up starts afresh
	f := m.farmCalc(now, load)
	t, why, ok := m.entryTier(now, &f, load)
	if a, weighs := m.agentWeighs(now); weighs {
		// Under a router agent a server comes back at the base tier
		// (farmagent.go), wherever it left.
		t, why, ok = 0, a.String()+": back at the base tier", true
	}
	if !ok || t == m.tier {
		return
	}
	from := m.tier
	m.tier, m.tierSince, m.tierMovedAt = t, now, now
	m.tierWhy = fmt.Sprintf("%s: tier %d -> %d (metric %d -> %d)", why, from, t,
		m.p.Tiers[from].Metric, m.p.Tiers[t].Metric)
	m.farmMove = FarmEvent{At: now, From: from, To: t, Reason: m.tierWhy}
}
