package ospf

import (
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// The early try: a withdrawal is not held by pacing.
//
// A router drops, without an acknowledgement, a new instance of an LSA
// that arrives within its MinLSArrival of installing the previous one
// (RFC 2328 13 (5.a)): FRR 8.4.4 measures from the database copy's
// install time (ospf6_flood.c, ospf6_lsa_check_min_arrival; `timers lsa
// min-arrival` under `router ospf6`, default 1000 ms), BIRD 2.0.12 the
// same with a compiled-in 1 s (proto/ospf/lsupd.c, MINLSARRIVAL; no
// option). So MinLSInterval paces every own LSA from its last
// transmission, and a service that dies just after its LSA changed used to
// be withdrawn only when that pacing ended: about 1.1 s after the change,
// whatever the router accepts.
//
// A withdrawal (a flushed LSA, and the SPF nudge that goes with it) is
// sent at once instead, the early try, and if the routers have not
// acknowledged it when their window has surely passed (the previous
// instance's last transmission + the routers' MinLSArrival + earlyMargin),
// it is sent again then, directly to each neighbor that still lists it for
// retransmission, rather than RxmtInterval later. A router that installs
// it acknowledges it at once when it is the DR and has other adjacent
// neighbors (it floods it back out the link, an implied acknowledgement:
// RFC 2328 13.3 (5) and 13.5; both FRR and BIRD do), otherwise with a
// delayed acknowledgement (FRR: within 3 s, BIRD: on a timer of
// RxmtInterval/2). An acknowledgement that comes before the window ends
// settles the early try; the resend is skipped.
//
// Limits kept for the network (RFC 2328 12.4 MinLSInterval): one early
// try per LSA is outstanding at a time, so each router sees at most one
// instance of an LSA per window that it may have to drop; metric changes
// stay paced by MinLSInterval (they follow load and would otherwise move
// the whole farm's traffic at the rate of the fastest server). If the
// wanted content changes while the resend waits, the resend carries the
// latest content (a new instance) instead.
//
// The routers' MinLSArrival is assumed to be 1 s (RFC 2328 appendix B,
// FRR's and BIRD's default), or MinLSInterval less the default's margin
// when that is longer; an instance a neighbor acknowledged proves an
// upper bound (arrival.go), and the smallest proven bound replaces the
// assumption. MinLSInterval itself, the operator's statement of what the
// router accepts, caps the wait.

// earlyMargin is added to the routers' MinLSArrival before a withdrawal
// is sent again: the previous instance's last transmission is an upper
// bound of its arrival only up to the time it spent on the wire and in
// the router's input queue, and timers fire a little late.
const earlyMargin = 20 * time.Millisecond

// pacingMargin is how far the default MinLSInterval (1.1 s) stays above
// the routers' default MinLSArrival (1 s).
const pacingMargin = 100 * time.Millisecond

// earlyTry is an instance sent before MinLSInterval allowed it, which the
// routers may have dropped.
type earlyTry struct {
	at       time.Time  // when it went out; zero when none is outstanding
	prev     time.Time  // when the one before went out (earlyAllowed)
	resendAt time.Time  // when the routers' window has surely passed
	hdr      lsa.Header // the instance sent
	// nudge: the withdrawal's SPF nudge waits until the instance is taken
	// (nudge.go): sent with an instance the router drops, it would be
	// spent on a full SPF before the withdrawal arrives.
	nudge bool
}

func (t *earlyTry) active() bool { return !t.at.IsZero() }

// earlyAllowed is when o may take its next early try: one routers'
// window after the last, so that no router sees more than one instance
// it may drop per MinLSArrival. It is in the past (now) when allowed.
func (e *engine) earlyAllowed(o *origin) time.Time {
	if o.early.prev.IsZero() {
		return o.lastSent // now: it is past
	}
	w, _ := e.routerWindow()
	return later(o.lastSent, o.early.prev.Add(w))
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// startEarly records an early try of the instance h sent at now.
func (o *origin) startEarly(now, resendAt time.Time, h lsa.Header, nudge bool) {
	o.early = earlyTry{at: now, prev: now, resendAt: resendAt, hdr: h, nudge: nudge}
}

// chainEarly records that the instance h, sent at now in place of the
// early try tr, may be dropped as tr may have been taken: it is sent again
// at resendAt unless acknowledged before. It is not a new early try.
func (o *origin) chainEarly(now, resendAt time.Time, tr earlyTry, h lsa.Header, nudge bool) {
	o.early = earlyTry{at: now, prev: tr.prev, resendAt: resendAt, hdr: h, nudge: nudge}
}

// endEarly ends the outstanding early try, keeping when it went out.
func (o *origin) endEarly() earlyTry {
	tr := o.early
	o.early = earlyTry{prev: tr.prev}
	return tr
}

// urgent reports whether o's pending change withdraws something and may
// take the early try: a flush, or the Router-LSA carrying the SPF nudge of
// a withdrawal.
func (o *origin) urgent() bool { return o.want == nil || o.nudged }

// AssumedMinLSArrival is the routers' MinLSArrival that an instance paced
// at minLSInterval assumes while it has learned nothing better: RFC 2328's
// 1 s (FRR's and BIRD's default), or minLSInterval less the default's
// 100 ms margin when the operator set it longer (a router configured
// slower).
func AssumedMinLSArrival(minLSInterval time.Duration) time.Duration {
	return max(lsa.MinLSArrival, minLSInterval-pacingMargin)
}

// WithdrawWithin is the longest a withdrawal waits after the previous
// change of its LSA when the routers' MinLSArrival is routerMinLSArrival:
// a withdrawal the router drops is sent again that long after the change
// (and earlyMargin), but never later than minLSInterval.
func WithdrawWithin(minLSInterval, routerMinLSArrival time.Duration) time.Duration {
	return min(routerMinLSArrival+earlyMargin, minLSInterval)
}

func (e *engine) assumedMinLSArrival() time.Duration {
	return AssumedMinLSArrival(e.cfg.MinLSInterval)
}

// routerWindow is the MinLSArrival that withdrawals wait out: for every
// adjacent neighbor the bound its acknowledgements proved, or the assumed
// one, whichever is smaller; the largest of these over the neighbors.
// learned reports whether a proven bound set it.
func (e *engine) routerWindow() (w time.Duration, learned bool) {
	assumed := e.assumedMinLSArrival()
	adjacent := false
	learned = true
	for _, n := range e.nbrs {
		if n.state < nbrExchange {
			continue
		}
		adjacent = true
		b := assumed
		if ab := e.arrival[n.id]; ab != nil && ab.max > 0 && ab.max < assumed {
			b = ab.max
		} else {
			learned = false
		}
		w = max(w, b)
	}
	if !adjacent {
		return assumed, false
	}
	return w, learned
}

// resendDelay is how long after the previous instance's last transmission
// an early try that was not acknowledged is sent again: the routers'
// window and earlyMargin, never more than MinLSInterval.
func (e *engine) resendDelay() time.Duration {
	w, _ := e.routerWindow()
	return WithdrawWithin(e.cfg.MinLSInterval, w)
}

// tryEarly sends o's pending withdrawal although MinLSInterval holds it.
// If the routers' window has passed already it is an ordinary
// transmission; otherwise it is the early try, sent again at the window's
// end unless acknowledged before.
func (e *engine) tryEarly(now time.Time, o *origin) {
	resendAt := o.lastSent.Add(e.resendDelay())
	if !now.Before(resendAt) {
		if e.originateNow(now, o) {
			e.nudgeSPF(o.want == nil)
		}
		return
	}
	nudge := e.originateNow(now, o)
	ent := e.db.get(o.key)
	if ent == nil || !o.firstSent.Equal(now) || !e.onAnyRxmt(o.key) {
		// No new instance (the wanted content is already in the
		// database), or nobody to send it to: nothing to repeat.
		if nudge {
			e.nudgeSPF(true)
		}
		return
	}
	o.startEarly(now, resendAt, ent.hdr, nudge)
	e.cnt.earlyTries++
	e.log.Debug("withdrawal sent before pacing allowed it (early try)", "lsa", o.key,
		"resend_at", resendAt.Sub(now), "nudge_deferred", nudge)
}

// resendEarly ends o's early try at the end of the routers' window: the
// content wanted now goes out if it changed, else the early instance is
// sent again to every neighbor that has not acknowledged it.
func (e *engine) resendEarly(now time.Time, o *origin) {
	tr := o.endEarly()
	if o.dirty {
		nudge := e.originateNow(now, o)
		if ent := e.db.get(o.key); ent != nil && lsa.Compare(ent.hdr, tr.hdr) != 0 {
			// A newer instance went out instead. The routers may have
			// taken the early one at tr.at, and then drop this one
			// until tr.at + their window: that is this instance's resend.
			if at := tr.at.Add(e.resendDelay()); now.Before(at) && e.onAnyRxmt(o.key) {
				o.chainEarly(now, at, tr, ent.hdr, nudge)
				return
			}
			if nudge {
				e.nudgeSPF(o.want == nil)
			}
			return
		}
	}
	if n := e.resendOwn(now, o.key, tr.hdr); n > 0 {
		o.resent = tr.hdr
		e.cnt.earlyResends++
		e.log.Debug("early try not acknowledged: sent again", "lsa", o.key, "neighbors", n, "after", now.Sub(tr.at))
	}
	if tr.nudge {
		e.nudgeSPF(true)
	}
}

// earlyTaken settles o's early try: every neighbor acknowledged it.
func (e *engine) earlyTaken(now time.Time, o *origin) {
	tr := o.endEarly()
	e.cnt.earlyTaken++
	e.log.Debug("early try acknowledged", "lsa", o.key, "after", now.Sub(tr.at))
	if tr.nudge {
		e.nudgeSPF(true)
	}
}

// onAnyRxmt reports whether some neighbor has k on its retransmission
// list.
func (e *engine) onAnyRxmt(k lsa.Key) bool {
	for _, n := range e.nbrs {
		if _, ok := n.rxmt[k]; ok {
			return true
		}
	}
	return false
}

// resendOwn sends the instance h of own LSA k directly to every neighbor
// whose retransmission list still holds it (RFC 2328 13.6, ahead of
// RxmtInterval), and returns how many.
func (e *engine) resendOwn(now time.Time, k lsa.Key, h lsa.Header) int {
	ent := e.db.get(k)
	if ent == nil || lsa.Compare(ent.hdr, h) != 0 {
		return 0
	}
	sent := 0
	for _, n := range e.nbrList() {
		r, ok := n.rxmt[k]
		if !ok || lsa.Compare(r.hdr, h) != 0 {
			continue
		}
		e.logRetransmit(n, r, now, "early-try")
		n.rxmt[k] = rxmtEntry{hdr: r.hdr, sent: now}
		e.sendLSU(n.addr, [][]byte{e.wireCopy(now, ent)})
		e.cnt.retransmits++
		sent++
	}
	return sent
}

// ownAcked is called when neighbor n acknowledged (directly or by
// flooding it back) the instance h of one of our LSAs, after it left n's
// retransmission list.
func (e *engine) ownAcked(now time.Time, n *neighbor, h lsa.Header) {
	e.learnArrival(now, n, h)
	o := e.own[h.Key()]
	if o == nil || !o.early.active() || lsa.Compare(h, o.early.hdr) != 0 || e.onAnyRxmt(h.Key()) {
		return
	}
	e.earlyTaken(now, o)
}

// resendUnacked is called when instance h of an own LSA is due for its
// retransmission to n (RxmtInterval without an acknowledgement). If h was
// sent again at the end of n's proven MinLSArrival bound, n dropped it
// there: its setting has been raised since. The bound is forgotten, and
// the assumed one applies until a new one is proven.
func (e *engine) resendUnacked(n *neighbor, h lsa.Header) {
	o, ab := e.own[h.Key()], e.arrival[n.id]
	if o == nil || ab == nil || ab.max == 0 || ab.max >= e.assumedMinLSArrival() || lsa.Compare(o.resent, h) != 0 {
		return
	}
	e.log.Warn("router did not take a withdrawal sent after its proven MinLSArrival bound; forgetting the bound",
		"neighbor", lsa.IDString(n.id), "bound", ab.max, "lsa", h.Key())
	ab.max, ab.at = 0, time.Time{}
}
