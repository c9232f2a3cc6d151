package costmodel

import (
	"fmt"
	"strings"
	"time"
)

// Advert is what the engine advertises for a service: the prefix withdrawn,
// or the prefix with a metric.
type Advert struct {
	Withdrawn bool   `json:"withdrawn"`
	Metric    uint16 `json:"metric"` // 0 when Withdrawn
}

// String returns "withdrawn" or "metric N".
func (a Advert) String() string {
	if a.Withdrawn {
		return "withdrawn"
	}
	return fmt.Sprintf("metric %d", a.Metric)
}

var withdrawn = Advert{Withdrawn: true}

// Decision is what Decide tells the caller.
type Decision struct {
	// Withdraw and Metric are what to advertise now (Metric is 0 when
	// Withdraw). They only change in a decision with Changed set.
	Withdraw bool   `json:"withdraw"`
	Metric   uint16 `json:"metric"`
	// Changed is set in exactly one decision per change: the one that hands
	// the change to the engine.
	Changed bool `json:"changed"`
	// Held says a different advertisement is wanted but held back by pacing,
	// or a tier move is held back by the dwell time.
	Held   bool   `json:"held"`
	Reason string `json:"reason"`
	// NextCheck is when pacing or dwell lets the held change out: call
	// Decide again then. Zero when nothing is held.
	NextCheck time.Time `json:"next_check,omitzero"`
	// StaleAt is when the next fresh input goes stale, which may change the
	// decision without a new sample. Zero when no input can go stale.
	StaleAt time.Time `json:"stale_at,omitzero"`
	// Farm is the farm view's part in this decision: why it holds the tier
	// move the load asks for, or why the move made is allowed (empty
	// without a farm view in use).
	Farm string `json:"farm,omitempty"`
}

// Advert returns the decision's advertisement.
func (d Decision) Advert() Advert { return Advert{Withdrawn: d.Withdraw, Metric: d.Metric} }

// Wake returns the earliest of NextCheck and StaleAt that is set: the time to
// call Decide again if no sample comes first. Zero means only a new sample
// can change the decision.
func (d Decision) Wake() time.Time {
	switch {
	case d.NextCheck.IsZero():
		return d.StaleAt
	case d.StaleAt.IsZero() || d.NextCheck.Before(d.StaleAt):
		return d.NextCheck
	}
	return d.StaleAt
}

// inputState is the latest sample of one input.
type inputState struct {
	seen  bool
	at    time.Time
	last  Sample // sanitized
	count uint64
}

// Model turns one service's input samples into the advertisement to make.
//
// It is a pure state machine: it never reads the clock, starts no goroutine
// and does no I/O. Every method takes the current time; a time earlier than
// one seen before is taken as the latest seen (time never runs backwards in a
// Model). Drive it with Observe for each sample and Decide after each sample
// and whenever Decision.Wake comes due. A Model is not safe for concurrent
// use.
type Model struct {
	name     string
	p        Params
	paramErr error
	clock    time.Time

	in                  [len(inputNames)]inputState
	rq, drops, lat, ext ewma
	cpu                 ewma
	rejected            int
	healthUp            bool
	good, bad           int
	tier                int
	tierSince           time.Time
	tierWhy             string
	tierMovedAt         time.Time
	advTier             int // tier whose metric is advertised, -1: none
	downDwell           time.Duration
	lastDown            time.Time
	adv                 Advert
	reported            bool
	lastReport          time.Time
	latched             bool
	latchAt             time.Time
	latchWhy            string
	pending             Advert
	pendingSince        time.Time
	hasPending          bool
	history             [historySize]Change
	changes             int
	lastChange          Change
	lastDecision        Decision
	haveLastDecision    bool

	farm         FarmView // sanitized
	farmSeen     bool
	farmRejected int
	farmHold     FarmEvent // the latest move the farm held
	farmMove     FarmEvent // the latest move the farm shaped
	peerLoads    map[RouterID][]loadMark
	// trial: this server's trial leaves as a degraded server
	// (farmdegraded.go).
	trial trialLeave
	// peerAdvs: each peer's advertisement and since when (trackPeers);
	// selfLoads: this server's loads at its decisions within the headroom
	// window (trackSelf).
	peerAdvs  map[RouterID]advMark
	selfLoads []loadMark
	// healthWithdrawn: the latest withdrawal reported had a failed (or
	// not yet passed) health check among its causes, and the socket has
	// not gone since (a new process starts afresh).
	healthWithdrawn bool
	// lastGood: the latest good check; congestedAt: the latest socket
	// sample that showed the receive queue congested, queuedAt non-empty,
	// drainedAt smaller than the one before (probehealth.go).
	lastGood, congestedAt, queuedAt, drainedAt time.Time
	// lastFill: the receive-queue fill of the latest socket sample of a
	// present socket (fillSeen: there is one).
	lastFill float64
	fillSeen bool
	// loadWhy: what the failed checks now counted as load came behind;
	// downWhy: what the socket monitor showed when failed checks took
	// the service down (probehealth.go).
	loadWhy, downWhy string
}

// New returns a Model for the service called name, started at now. It starts
// withdrawn (nothing advertised yet) in the lowest tier. New does not fail:
// parameters that do not pass Validate are replaced field by field with their
// defaults (invalid tiers are dropped, leaving StaticMetric) and the problem
// is shown by Explain; call Validate first.
func New(name string, p Params, now time.Time) *Model {
	np, err := p.normalized()
	m := &Model{
		name:      name,
		p:         np,
		paramErr:  err,
		clock:     now,
		healthUp:  !np.Probe.Enabled,
		tierSince: now,
		downDwell: np.downDwell(),
		adv:       withdrawn,
		advTier:   -1,
	}
	return m
}

// Name returns the service name given to New.
func (m *Model) Name() string { return m.name }

// Params returns the parameters in use (after New's normalization).
func (m *Model) Params() Params {
	p := m.p
	p.Tiers = append([]Tier(nil), p.Tiers...)
	return p
}

// tick moves the model clock to now, or returns the model clock if now is
// earlier.
func (m *Model) tick(now time.Time) time.Time {
	if now.Before(m.clock) {
		return m.clock
	}
	m.clock = now
	return now
}

// Observe records one sample taken at now. Samples of an unknown input are
// counted (Explain shows them as rejected) and otherwise ignored.
func (m *Model) Observe(now time.Time, s Sample) {
	now = m.tick(now)
	if s.Input < InputSocket || int(s.Input) >= len(inputNames) {
		m.rejected++
		return
	}
	s = s.sanitized()
	s.At = now
	st := &m.in[s.Input]
	prev := *st
	wasStale := prev.seen && m.stale(s.Input, prev.at, now)

	switch s.Input {
	case InputSocket:
		if !s.Present && (!prev.seen || prev.last.Present) && m.tier != 0 && len(m.p.Tiers) > 0 {
			// The service process is gone; the next one starts unloaded.
			m.tier, m.tierSince, m.tierMovedAt = 0, now, now
			m.tierWhy = "socket gone: back to tier 0"
		}
		if !s.Present {
			m.healthWithdrawn = false
		}
		m.noteQueue(now, s)
	case InputProbe:
		m.observeProbe(now, s.OK, wasStale)
	}
	m.observeLoad(now, s, prev, wasStale)
	*st = inputState{seen: true, at: now, last: s, count: prev.count + 1}
}

// observeProbe applies one check to the rise/fall counters. A probe that had
// gone stale starts over: down, counting towards Rise from zero. A failed
// check behind a congested receive queue, or a non-empty one the process
// is seen reading, does not take the service down while a good check came
// less than HungAfter ago (probehealth.go).
func (m *Model) observeProbe(now time.Time, ok, wasStale bool) {
	const cap = 1 << 30
	if wasStale {
		m.healthUp, m.good, m.bad = false, 0, 0
		m.loadWhy, m.downWhy = "", ""
	}
	if ok {
		m.lastGood, m.loadWhy, m.downWhy = now, "", ""
		m.good, m.bad = min(m.good+1, cap), 0
		if !m.healthUp && m.good >= m.p.Rise {
			m.healthUp = true
		}
		return
	}
	m.bad, m.good = min(m.bad+1, cap), 0
	if !m.healthUp || m.bad < m.p.Fall {
		return
	}
	load, why := m.failureIsLoad(now)
	if load {
		m.loadWhy = why
		return
	}
	m.downWhy = m.downHealth(now)
	m.healthUp, m.loadWhy = false, ""
}

// present reports whether the service's socket is there. Before the first
// socket sample it is assumed present unless the socket monitor is enabled.
// A stale socket monitor keeps its last known presence: a socket's
// disappearance also arrives at once through the kernel's destroy
// notification, so a stalled poll is not taken as a dead service.
func (m *Model) present() (bool, string) {
	st := &m.in[InputSocket]
	if !st.seen {
		if m.p.Socket.Enabled {
			return false, "socket not seen yet"
		}
		return true, ""
	}
	if !st.last.Present {
		return false, "socket gone" + from(st.last.Source)
	}
	return true, ""
}

// healthy reports the probe's verdict at now.
func (m *Model) healthy(now time.Time) (bool, string) {
	st := &m.in[InputProbe]
	if !st.seen {
		if m.p.Probe.Enabled {
			return false, fmt.Sprintf("probe not up yet: no result (rise %d)", m.p.Rise)
		}
		return true, ""
	}
	if m.stale(InputProbe, st.at, now) {
		return false, fmt.Sprintf("probe stale: no result for %v (stale after %v)",
			now.Sub(st.at), m.staleWindowAt(InputProbe, now))
	}
	if !m.healthUp {
		if m.bad > 0 && m.good == 0 {
			return false, fmt.Sprintf("probe down: %d consecutive failed checks (fall %d)%s", m.bad, m.p.Fall, m.downWhy)
		}
		return false, fmt.Sprintf("probe not up yet: %d of %d good checks (rise)", m.good, m.p.Rise)
	}
	return true, m.congestedHealth()
}

// Drained reports whether the service is drained, by the operator or its
// drain file, as the latest samples say.
func (m *Model) Drained() bool {
	d, _ := m.drained()
	return d
}

// drained reports whether the service is drained and by what.
func (m *Model) drained() (bool, string) {
	var by []string
	if st := &m.in[InputManualDrain]; st.seen && st.last.Drained {
		by = append(by, "manual"+from(st.last.Source))
	}
	if st := &m.in[InputDrainFile]; st.seen && st.last.Drained {
		by = append(by, "drain file"+from(st.last.Source))
	}
	if len(by) == 0 {
		return false, ""
	}
	return true, "drained (" + strings.Join(by, ", ") + ")"
}

func from(source string) string {
	if source == "" {
		return ""
	}
	return " [" + source + "]"
}

// withdrawCauses lists every reason to withdraw at now.
func (m *Model) withdrawCauses(now time.Time) []string {
	var causes []string
	if ok, why := m.present(); !ok {
		causes = append(causes, why)
	}
	if ok, why := m.healthy(now); !ok {
		causes = append(causes, why)
	}
	if d, why := m.drained(); d && m.p.DrainAction == DrainWithdraw {
		causes = append(causes, why)
	}
	return causes
}

// want is the advertisement wanted at now with the current tier, and why.
// Withdrawal takes priority over every metric.
func (m *Model) want(now time.Time, load float64) (Advert, string) {
	if causes := m.withdrawCauses(now); len(causes) > 0 {
		return withdrawn, strings.Join(causes, "; ")
	}
	if d, why := m.drained(); d {
		metric := uint16(MaxMetric)
		if n := len(m.p.Tiers); n > 0 {
			metric = m.p.Tiers[n-1].Metric
		}
		return Advert{Metric: metric}, fmt.Sprintf("%s: highest metric %d", why, metric)
	}
	if len(m.p.Tiers) == 0 {
		return Advert{Metric: m.p.StaticMetric}, fmt.Sprintf("static metric %d", m.p.StaticMetric)
	}
	a := Advert{Metric: m.p.Tiers[m.tier].Metric}
	if m.tierWhy != "" && (!m.reported || m.tierMovedAt.After(m.lastReport)) {
		return a, m.tierWhy // a tier move not reported yet
	}
	return a, fmt.Sprintf("tier %d, load %.3f", m.tier, load)
}

// tierMove is where the load points at a moment: the tier to move to, the
// threshold that fired, and, when the move is held back by the dwell time
// or the farm's stagger, until when. farm is the farm view's part: why the
// move is made or held (empty without a farm view); farmHeld says the farm
// holds a move the load asks for, with no time set (it waits for the farm
// to change).
type tierMove struct {
	next      int
	trigger   string
	heldUntil time.Time
	farm      string
	farmHeld  bool
	// degradedLeave: a climb out of the cheapest tier by a degraded
	// server (upCheck); trialReturn: its return after a failed trial
	// (farmdegraded.go).
	degradedLeave, trialReturn bool
}

// tierPlan says where the load points at now (see loadPlan), with the farm
// view's rules on top when the view is in use (see farmPlan). It does not
// change the model.
func (m *Model) tierPlan(now time.Time, load float64) tierMove {
	mv := m.loadPlan(now, load)
	if drained, _ := m.drained(); drained {
		return mv
	}
	if a, ok := m.agentWeighs(now); ok {
		return m.agentPlan(a, load, mv)
	}
	if mv.next == m.tier {
		if back, ok := m.trialReturn(now, load); ok {
			mv = back
		} else {
			return mv
		}
	}
	f := m.farmCalc(now, load)
	if !f.active {
		return mv
	}
	return m.farmPlan(now, load, &f, mv)
}

// loadPlan says where the load points at now: the tier to move to (at most
// one step away), the threshold that fired, and, when the move is held back
// by the dwell time, until when. It does not change the model.
//
// Moving up from tier i needs load >= tier[i].up; moving down from tier i
// needs load < tier[i-1].down. Either needs the model to have stayed in tier
// i for the dwell time: MinDwell for an upward move, the current downward
// dwell (MinDwell doubled after each quick reversal, up to MaxDwell) for a
// downward one. And a move that would take the tier two steps away from the
// advertised one waits until the previous move has been reported, so that
// the advertised metric also steps one tier at a time.
func (m *Model) loadPlan(now time.Time, load float64) tierMove {
	i := m.tier
	if len(m.p.Tiers) == 0 {
		return tierMove{next: i}
	}
	var dwell time.Duration
	var next int
	var trigger string
	switch {
	case i < len(m.p.Tiers)-1 && load >= m.p.Tiers[i].Up:
		next, dwell = i+1, m.p.MinDwell
		trigger = fmt.Sprintf("load %.3f >= tier[%d].up %g", load, i, m.p.Tiers[i].Up)
	case i > 0 && load < m.p.Tiers[i-1].Down:
		next, dwell = i-1, m.downDwell
		trigger = fmt.Sprintf("load %.3f < tier[%d].down %g", load, i-1, m.p.Tiers[i-1].Down)
	default:
		return tierMove{next: i}
	}
	if since := now.Sub(m.tierSince); since < dwell {
		return tierMove{next: i, trigger: trigger, heldUntil: m.tierSince.Add(dwell)}
	}
	if drained, _ := m.drained(); !drained && m.advTier >= 0 && (next-m.advTier > 1 || m.advTier-next > 1) {
		// The previous move is still held by pacing: going further now
		// would make the advertised metric skip a tier.
		return tierMove{next: i, trigger: trigger, heldUntil: m.lastReport.Add(m.p.MinInterval)}
	}
	return tierMove{next: next, trigger: trigger}
}

// stepTier applies tierPlan and returns the plan: mv.next is the tier now,
// mv.heldUntil until when a further wanted move is held (or zero), mv.farm
// the farm's part.
func (m *Model) stepTier(now time.Time, load float64) tierMove {
	mv := m.tierPlan(now, load)
	if mv.next == m.tier {
		if mv.farmHeld {
			m.farmHold = FarmEvent{At: now, From: m.tier, To: m.tier, Reason: mv.farm}
		}
		return mv
	}
	next, trigger := mv.next, mv.trigger
	from := m.tier
	if next > from {
		// Moving up again soon after moving down: the load came straight
		// back, so stay longer next time before moving down.
		if !m.lastDown.IsZero() && now.Sub(m.lastDown) < m.p.MaxDwell {
			m.downDwell = min(time.Duration(float64(m.downDwell)*m.p.backOff()), m.p.MaxDwell)
		} else {
			m.downDwell = m.p.downDwell()
		}
	} else {
		m.lastDown = now
	}
	m.tier, m.tierSince, m.tierMovedAt = next, now, now
	m.tierWhy = fmt.Sprintf("%s: tier %d -> %d (metric %d -> %d)", trigger, from, next,
		m.p.Tiers[from].Metric, m.p.Tiers[next].Metric)
	if mv.farm != "" {
		m.tierWhy += "; " + mv.farm
		m.farmMove = FarmEvent{At: now, From: from, To: next, Reason: m.tierWhy}
	}
	if mv.degradedLeave {
		m.trial.out, m.trial.failed = true, time.Time{}
	}
	// If the load points further, say when the next step may come.
	further := m.tierPlan(now, load)
	return tierMove{next: next, heldUntil: further.heldUntil, farm: mv.farm}
}

// nextStale returns when the earliest fresh input goes stale, or zero.
func (m *Model) nextStale(now time.Time) time.Time {
	var t time.Time
	for _, k := range []InputKind{InputSocket, InputProbe, InputExternal, InputCPU} {
		st := &m.in[k]
		if !st.seen || m.stale(k, st.at, now) {
			continue
		}
		if k == InputSocket && !st.last.Present || k.figureOrError() && st.last.Err != "" {
			continue // nothing that could go stale
		}
		at := st.at.Add(m.staleWindowAt(k, now))
		if t.IsZero() || at.Before(t) {
			t = at
		}
	}
	return t
}

// Decide returns what to advertise at now and moves the model on: it steps
// the tier (one tier at most, after the dwell time), and hands a wanted change
// to the caller unless pacing holds it back.
//
// Pacing: a metric change (or a return from withdrawn) is reported no sooner
// than MinInterval after the previous reported change (the first change goes
// at once). A held change is reported by the first Decide at or after
// Decision.NextCheck. A withdrawal is not paced: it is reported at once
// (the OSPF engine sends it as early as the router takes it), and it has
// priority over any metric change; once wanted it is latched, so that it
// is reported even if its cause went away meanwhile. A held metric change is
// replaced by a newer wanted metric.
func (m *Model) Decide(now time.Time) Decision {
	now = m.tick(now)
	li := m.load(now)
	want, why := m.want(now, li.load)
	var tierHeld time.Time
	var farm tierMove
	if !want.Withdrawn {
		if m.adv.Withdrawn {
			m.enterFarm(now, li.load)
		}
		// The tier only moves while the service is advertised: the load of
		// a withdrawn service says nothing about its cost.
		m.trackSelf(now, li.load)
		m.watchTrialLeave(now, li.load)
		farm = m.stepTier(now, li.load)
		tierHeld = farm.heldUntil
		want, why = m.want(now, li.load)
	}

	if want.Withdrawn && !m.adv.Withdrawn && !m.latched {
		m.latched, m.latchAt, m.latchWhy = true, now, why
	}
	target := want
	if m.latched {
		target = withdrawn
		if !want.Withdrawn {
			why = fmt.Sprintf("%s (wanted at %s, latched)", m.latchWhy, m.latchAt.Format(timeFormat))
		}
	}

	d := Decision{}
	switch {
	case target == m.adv:
		m.hasPending = false
		d.Reason = "steady: " + m.adv.String()
		if why != "" {
			d.Reason += ": " + why
		}
	default:
		if !m.hasPending || m.pending != target {
			m.pending, m.pendingSince, m.hasPending = target, now, true
			if m.latched {
				m.pendingSince = m.latchAt
			}
		}
		if m.reported && now.Sub(m.lastReport) < m.p.MinInterval && !target.Withdrawn {
			d.Held = true
			d.NextCheck = m.lastReport.Add(m.p.MinInterval)
			d.Reason = fmt.Sprintf("held by pacing for %v, wanted %s: %s",
				d.NextCheck.Sub(now), target, why)
			break
		}
		d.Changed = true
		d.Reason = changeText(m.adv, target) + ": " + why
		m.report(now, target, d.Reason, li)
		if !tierHeld.IsZero() && !tierHeld.After(now) {
			// The tier move waited for this report; it may go at the next
			// pacing slot.
			tierHeld = now.Add(m.p.MinInterval)
		}
		if want != m.adv {
			// A latched withdrawal went out although its cause is gone:
			// the advertisement wanted now waits for the next slot.
			m.pending, m.pendingSince, m.hasPending = want, now, true
			d.Held = true
			d.NextCheck = now.Add(m.p.MinInterval)
		}
	}
	if farm.farm != "" && (farm.farmHeld || !farm.heldUntil.IsZero() || d.Changed) {
		d.Farm = farm.farm
		if !d.Changed {
			d.Reason += "; " + farm.farm
		}
	}
	if !tierHeld.IsZero() {
		if !d.Held || d.Changed {
			d.Reason += fmt.Sprintf("; next tier move held for %v", tierHeld.Sub(now))
		}
		d.Held = true
		if d.NextCheck.IsZero() || tierHeld.Before(d.NextCheck) {
			d.NextCheck = tierHeld
		}
	}
	d.StaleAt = m.nextStale(now)
	d.Withdraw, d.Metric = m.adv.Withdrawn, m.adv.Metric
	m.lastDecision, m.haveLastDecision = d, true
	return d
}

func changeText(from, to Advert) string {
	switch {
	case to.Withdrawn:
		return "withdraw"
	case from.Withdrawn:
		return fmt.Sprintf("advertise metric %d", to.Metric)
	}
	return fmt.Sprintf("metric %d -> %d", from.Metric, to.Metric)
}

// report makes target the advertised state and records the change.
func (m *Model) report(now time.Time, target Advert, reason string, li loadInfo) {
	c := Change{
		At:          now,
		From:        m.adv,
		To:          target,
		Reason:      reason,
		Load:        li.load,
		LoadSource:  li.source,
		Tier:        m.tierIndex(),
		WantedAt:    m.pendingSince,
		HeldMS:      now.Sub(m.pendingSince).Milliseconds(),
		NextAllowed: now.Add(m.p.MinInterval),
		Inputs:      m.inputViews(now),
	}
	m.adv = target
	m.advTier = -1
	if drained, _ := m.drained(); !target.Withdrawn && !drained && len(m.p.Tiers) > 0 {
		m.advTier = m.tier
	}
	m.reported, m.lastReport = true, now
	if target.Withdrawn {
		m.latched = false
		up, _ := m.healthy(now)
		m.healthWithdrawn = !up
	}
	m.hasPending = false
	m.history[m.changes%historySize] = c
	m.changes++
	m.lastChange = c
}

// tierIndex is the current tier, or -1 when the service has no tiers.
func (m *Model) tierIndex() int {
	if len(m.p.Tiers) == 0 {
		return -1
	}
	return m.tier
}

// Changes returns how many changes the model has reported so far.
func (m *Model) Changes() int { return m.changes }

// LastChange returns the most recent reported change (ok false before the
// first).
func (m *Model) LastChange() (Change, bool) { return m.lastChange, m.changes > 0 }

const timeFormat = "15:04:05.000"
