package ospf

import (
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// The early try (early.go) against a simulated router that drops, without
// an acknowledgement, an instance arriving within its MinLSArrival of the
// last one it installed (RFC 2328 13 (5.a)), as FRR and BIRD do. The
// router is the DR; with two servers it floods a server's new instance
// back out the link at once, which is the server's acknowledgement; with
// one it acknowledges later (its AckDelay, 1 s here; FRR up to 3 s).

// arrivalFarm is farm with the router's MinLSArrival set, Full and
// settled.
func arrivalFarm(t *testing.T, seed uint64, servers int, minArrival time.Duration) (*sim, *simNode, []*simNode) {
	t.Helper()
	s := newSim(t, seed)
	rc := simConfig("192.0.2.1", 1, 10)
	rc.MinLSArrival = minArrival
	r := s.add("router", rc)
	var ss []*simNode
	for i := range servers {
		n := s.add("s"+itoa(i+1), simConfig(ipOf(11+i), 11+i, 0))
		n.e.setServices(s.now, []Service{dnsService(10)})
		ss = append(ss, n)
	}
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(5 * time.Second)
	return s, r, ss
}

func withdrawn(metric uint16) Service {
	sv := dnsService(metric)
	sv.Withdraw = true
	return sv
}

// sends records when a server sent its service LSA (key) to the router,
// and what: the metric, or -1 for the flush.
type sends struct {
	at     []time.Time
	metric []int
}

func (s *sim) tapSends(from, to *simNode, key lsa.Key) *sends {
	out := &sends{}
	s.observe = func(f, r *simNode, d Datagram) {
		if f != from || r != to {
			return
		}
		p, _ := packet.ParsePacket(d.Data)
		u, ok := p.(*packet.LinkStateUpdate)
		if !ok {
			return
		}
		for _, raw := range u.LSAs {
			h, _ := lsa.ParseHeader(raw)
			if h.Key() != key {
				continue
			}
			m := -1
			if h.Age < lsa.MaxAge {
				l, _ := lsa.Parse(raw)
				m = int(l.Body.(*lsa.IntraAreaPrefix).Prefixes[0].Metric)
			}
			out.at = append(out.at, s.now)
			out.metric = append(out.metric, m)
		}
	}
	return out
}

// withdrawAfterChange changes srv's metric, withdraws the service gap
// later and returns how long after the change the router installed the
// flush. It runs until then in 1 ms steps.
func withdrawAfterChange(t *testing.T, s *sim, r, srv *simNode, gap time.Duration) time.Duration {
	t.Helper()
	changed, flushed := withdrawAfterChangeAt(t, s, r, srv, gap)
	return flushed.Sub(changed)
}

// withdrawAfterChangeAt is withdrawAfterChange returning when the change
// was made and when the router installed the flush. The router removes
// the flush as soon as nobody needs it (RFC 2328 14), at once with no
// other adjacency to flood it to, so the install is caught as it happens.
func withdrawAfterChangeAt(t *testing.T, s *sim, r, srv *simNode, gap time.Duration) (changed, flushed time.Time) {
	t.Helper()
	key := iapKey(lsa.IDString(srv.cfg.RouterID), 1)
	prev := r.e.db.onChange
	r.e.db.onChange = func() {
		if prev != nil {
			prev()
		}
		if ent := r.e.db.get(key); flushed.IsZero() && ent != nil && ent.maxAged(s.now) {
			flushed = ent.installed
		}
	}
	defer func() { r.e.db.onChange = prev }()
	srv.e.handle(s.now, evServices{[]Service{dnsService(20)}})
	changed = s.now
	s.run(gap)
	if m := s.advertisedMetric(r, lsa.IDString(srv.cfg.RouterID), 1); m != 20 {
		t.Fatalf("router holds metric %d before the withdrawal, want the change (20)", m)
	}
	srv.e.handle(s.now, evServices{[]Service{withdrawn(20)}})
	s.runUntilStep(10*time.Second, time.Millisecond, "the flush installed at the router", func() bool {
		return !flushed.IsZero()
	})
	return changed, flushed
}

// A withdrawal 100 ms after a change reaches a router with MinLSArrival
// 1 s when its window ends (1 s after the change, plus the margin), not
// after MinLSInterval (1.1 s), and one with 50 ms at once, 100 ms after
// the change.
func TestEarlyWithdrawal(t *testing.T) {
	for _, tc := range []struct {
		name       string
		minArrival time.Duration
		servers    int
		want       time.Duration
	}{
		{"router MinLSArrival 1s", time.Second, 2, time.Second + earlyMargin},
		{"router MinLSArrival 50ms", 50 * time.Millisecond, 2, 100 * time.Millisecond},
		// With one server the router does not flood back but acknowledges
		// with a delay (1 s here): had that come after the window, the
		// early try would be sent again even though it was taken (a
		// duplicate, acknowledged at once).
		{"router MinLSArrival 1s, one server", time.Second, 1, time.Second + earlyMargin},
		{"router MinLSArrival 50ms, one server", 50 * time.Millisecond, 1, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, r, ss := arrivalFarm(t, 21, tc.servers, tc.minArrival)
			srv := ss[0]
			key := iapKey(lsa.IDString(srv.cfg.RouterID), 1)
			tap := s.tapSends(srv, r, key)
			got := withdrawAfterChange(t, s, r, srv, 100*time.Millisecond)
			t.Logf("flush installed %v after the change; sends %v; router drops %v; counters: early %d, taken %d, resent %d",
				got, tap.metric, r.e.cnt.dropped, srv.e.cnt.earlyTries, srv.e.cnt.earlyTaken, srv.e.cnt.earlyResends)
			if got != tc.want {
				t.Errorf("flush installed %v after the change, want %v", got, tc.want)
			}
			if srv.e.cnt.earlyTries == 0 {
				t.Error("no early try counted")
			}
			s.run(6 * time.Second)
			if n := len(tap.at); n > 3 {
				t.Errorf("the LSA went to the router %d times (change, early try, resend at most): %v at %v", n, tap.metric, tap.at)
			}
			if len(srv.e.nbrs[r.cfg.RouterID].rxmt) != 0 {
				t.Errorf("retransmission list not empty 6 s later: %v", srv.e.nbrs[r.cfg.RouterID].rxmt)
			}
		})
	}
}

// The SPF nudge of a withdrawal (nudge.go) must reach the router with the
// flush or after it: sent with an early try the router drops, the nudge's
// full SPF would run before the flush is installed.
func TestEarlyWithdrawalNudgeFollowsFlush(t *testing.T) {
	for _, minArrival := range []time.Duration{time.Second, 50 * time.Millisecond} {
		s, r, ss := arrivalFarm(t, 22, 2, minArrival)
		srv := ss[0]
		rk := lsa.Key{Type: lsa.TypeRouter, AdvRouter: srv.cfg.RouterID}
		before, _ := r.lsa(rk)
		seq := before.hdr.Seq
		_, flushAt := withdrawAfterChangeAt(t, s, r, srv, 100*time.Millisecond)
		s.run(3 * time.Second)
		after, _ := r.lsa(rk)
		if after.hdr.Seq == seq {
			t.Fatalf("MinLSArrival %v: the router never got the nudged Router-LSA", minArrival)
		}
		if after.installed.Before(flushAt) {
			t.Errorf("MinLSArrival %v: nudged Router-LSA installed at %v, before the flush at %v",
				minArrival, after.installed.Sub(flushAt), flushAt)
		}
	}
}

// Rapid flaps: the server's wanted state changes every 60-140 ms for 8 s.
// No more than one early try per router window, never more than two
// copies of the LSA within one window, the router ends with the latest
// state, and nothing is left to retransmit.
func TestEarlyTryLimits(t *testing.T) {
	for _, minArrival := range []time.Duration{time.Second, 50 * time.Millisecond} {
		s, r, ss := arrivalFarm(t, 23, 2, minArrival)
		srv := ss[0]
		rid := lsa.IDString(srv.cfg.RouterID)
		key := iapKey(rid, 1)
		tap := s.tapSends(srv, r, key)
		// The service LSA's early tries, from its origin.
		var early []time.Time
		noteEarly := func() {
			if o := srv.e.own[key]; o != nil && !o.early.prev.IsZero() &&
				(len(early) == 0 || !o.early.prev.Equal(early[len(early)-1])) {
				early = append(early, o.early.prev)
			}
		}
		last := dnsService(10)
		for i := range 80 {
			switch i % 3 {
			case 0:
				last = withdrawn(10)
			case 1:
				last = dnsService(uint16(10 + 10*(i%4)))
			case 2:
				last = withdrawn(10)
				if i%2 == 0 {
					last = dnsService(40)
				}
			}
			srv.e.handle(s.now, evServices{[]Service{last}})
			noteEarly()
			step := time.Duration(60+s.rng.IntN(80)) * time.Millisecond
			for range step / time.Millisecond {
				s.run(time.Millisecond)
				noteEarly()
			}
		}
		s.run(10 * time.Second)
		w := minArrival
		for i := 1; i < len(early); i++ {
			if gap := early[i].Sub(early[i-1]); gap < w {
				t.Errorf("MinLSArrival %v: early tries %d and %d %v apart", minArrival, i-1, i, gap)
			}
		}
		for i := range tap.at {
			n := 0
			for j := i; j < len(tap.at) && tap.at[j].Sub(tap.at[i]) < w; j++ {
				n++
			}
			if n > 2 {
				t.Errorf("MinLSArrival %v: %d copies of the LSA within %v from %v", minArrival, n, w, tap.at[i])
			}
		}
		want := -1
		if !last.Withdraw {
			want = int(last.Metric)
		}
		if got := s.advertisedMetric(r, rid, 1); got != want {
			t.Errorf("MinLSArrival %v: router ends with %d, want the latest state %d", minArrival, got, want)
		}
		if n := len(srv.e.nbrs[r.cfg.RouterID].rxmt); n != 0 {
			t.Errorf("MinLSArrival %v: %d LSAs left to retransmit", minArrival, n)
		}
		t.Logf("MinLSArrival %v: %d sends, %d early tries of the service LSA (all LSAs: %d, %d taken, %d resent), router drops %v",
			minArrival, len(tap.at), len(early), srv.e.cnt.earlyTries, srv.e.cnt.earlyTaken, srv.e.cnt.earlyResends, r.e.cnt.dropped)
		if len(early) == 0 {
			t.Errorf("MinLSArrival %v: no early try in 80 flaps", minArrival)
		}
	}
}

// The wanted state changes again while the resend waits: the resend
// carries the latest state, not the early instance.
func TestEarlyResendCarriesLatest(t *testing.T) {
	s, r, ss := arrivalFarm(t, 24, 2, time.Second)
	srv := ss[0]
	rid := lsa.IDString(srv.cfg.RouterID)
	tap := s.tapSends(srv, r, iapKey(rid, 1))
	srv.e.handle(s.now, evServices{[]Service{dnsService(20)}})
	changed := s.now
	s.run(100 * time.Millisecond)
	srv.e.handle(s.now, evServices{[]Service{withdrawn(20)}}) // early try, dropped
	s.run(200 * time.Millisecond)
	srv.e.handle(s.now, evServices{[]Service{dnsService(30)}}) // back, at another metric
	s.runUntilStep(5*time.Second, time.Millisecond, "metric 30 at the router", func() bool {
		return s.advertisedMetric(r, rid, 1) == 30
	})
	got := s.now.Sub(changed)
	t.Logf("sends %v at %v; the latest state reached the router %v after the first change", tap.metric, tap.at, got)
	if got != time.Second+earlyMargin {
		t.Errorf("latest state at the router %v after the change, want at the end of its window %v", got, time.Second+earlyMargin)
	}
	for i, m := range tap.metric {
		if m == -1 && i != 1 {
			t.Errorf("the flush went out again (send %d): the resend must carry the latest state", i)
		}
	}
	s.run(5 * time.Second)
	if got := s.advertisedMetric(r, rid, 1); got != 30 {
		t.Errorf("router ends with %d, want 30", got)
	}
}

// What the router accepted bounds its MinLSArrival: after one early try
// taken 100 ms after a change, the status says so, and a later withdrawal
// that the router drops (20 ms after a change) is sent again after the
// learned bound, not after the assumed 1 s.
func TestEarlyLearnsMinLSArrival(t *testing.T) {
	s, r, ss := arrivalFarm(t, 25, 2, 50*time.Millisecond)
	srv := ss[0]
	if st := srv.e.status(s.now); st.Pacing.Learned || st.Pacing.RouterMinLSArrival != time.Second ||
		st.Pacing.WithdrawWithin != time.Second+earlyMargin {
		t.Fatalf("before anything was learned: %+v, want 1 s assumed", st.Pacing)
	}
	withdrawAfterChange(t, s, r, srv, 100*time.Millisecond)
	st := srv.e.status(s.now)
	t.Logf("pacing %+v; router as neighbor: bound %v", st.Pacing, st.Neighbors[0].MinLSArrivalMax)
	if nb := st.Neighbors[0]; nb.MinLSArrivalMax != 100*time.Millisecond {
		t.Errorf("router's bound %v, want 100ms (taken 100 ms after the previous instance)", nb.MinLSArrivalMax)
	}
	if !st.Pacing.Learned || st.Pacing.RouterMinLSArrival != 100*time.Millisecond || st.Pacing.WithdrawWithin != 100*time.Millisecond+earlyMargin {
		t.Errorf("pacing %+v, want 100ms learned", st.Pacing)
	}

	// Back (an ordinary change, paced), then withdrawn 20 ms later.
	s.run(2 * time.Second)
	got := withdrawAfterChange(t, s, r, srv, 20*time.Millisecond)
	t.Logf("withdrawal 20 ms after a change: installed %v after it (router drops %v)", got, r.e.cnt.dropped)
	if want := 100*time.Millisecond + earlyMargin; got != want {
		t.Errorf("flush installed %v after the change, want the learned bound and margin %v", got, want)
	}
}

// An instance that follows a flush proves nothing: the router removes a
// flushed LSA once everyone acknowledged it, and then takes the next
// instance at any time.
func TestEarlyLearnsNothingAfterFlush(t *testing.T) {
	s, r, ss := arrivalFarm(t, 26, 2, time.Second)
	srv := ss[0]
	rid := lsa.IDString(srv.cfg.RouterID)
	// A flush and the re-advertisement 300 ms later: the router removed
	// the flushed LSA and takes the new one at once; that proves nothing.
	srv.e.handle(s.now, evServices{[]Service{withdrawn(10)}})
	s.runUntil(15*time.Second, "the router removed the flushed LSA", func() bool {
		return r.e.db.get(iapKey(rid, 1)) == nil
	})
	srv.e.handle(s.now, evServices{[]Service{dnsService(10)}})
	s.run(300 * time.Millisecond)
	srv.e.handle(s.now, evServices{[]Service{withdrawn(10)}})
	s.run(3 * time.Second)
	if b := srv.e.status(s.now).Neighbors[0].MinLSArrivalMax; b != 0 && b < time.Second {
		t.Errorf("bound %v learned from an instance that followed a flush", b)
	}
}

// A router whose MinLSArrival is raised after anycostd proved a lower
// bound drops the resend sent after that bound; the retransmission
// (RxmtInterval) repairs it, the bound is forgotten, and the next
// withdrawal waits for the assumed 1 s again.
func TestEarlyForgetsStaleBound(t *testing.T) {
	s, r, ss := arrivalFarm(t, 27, 2, 50*time.Millisecond)
	srv := ss[0]
	withdrawAfterChange(t, s, r, srv, 100*time.Millisecond)
	if st := srv.e.status(s.now); !st.Pacing.Learned || st.Pacing.RouterMinLSArrival != 100*time.Millisecond {
		t.Fatalf("pacing %+v, want 100ms learned", st.Pacing)
	}
	s.run(2 * time.Second)
	r.e.cfg.MinLSArrival = time.Second // the operator raises it
	got := withdrawAfterChange(t, s, r, srv, 20*time.Millisecond)
	want := 100*time.Millisecond + earlyMargin + srv.cfg.RetransmitInterval
	t.Logf("after the raise: flush installed %v after the change; pacing %+v", got, srv.e.status(s.now).Pacing)
	if got != want {
		t.Errorf("flush installed %v after the change, want by the retransmission of the resend, %v", got, want)
	}
	if st := srv.e.status(s.now); st.Pacing.Learned || st.Neighbors[0].MinLSArrivalMax < time.Second {
		t.Errorf("stale bound kept: pacing %+v, router's bound %v", st.Pacing, st.Neighbors[0].MinLSArrivalMax)
	}
	s.run(2 * time.Second)
	if got := withdrawAfterChange(t, s, r, srv, 20*time.Millisecond); got != time.Second+earlyMargin {
		t.Errorf("next withdrawal installed %v after its change, want the assumed window %v", got, time.Second+earlyMargin)
	}
}

// A withdrawal wanted again while the flush, already sent again, still
// waits for its acknowledgement (one server: the router acknowledges late)
// makes no new instance and no early try.
func TestEarlyNothingNewNoTry(t *testing.T) {
	s, r, ss := arrivalFarm(t, 28, 1, time.Second)
	srv := ss[0]
	key := iapKey(lsa.IDString(srv.cfg.RouterID), 1)
	srv.e.handle(s.now, evServices{[]Service{dnsService(20)}})
	s.run(100 * time.Millisecond)
	srv.e.handle(s.now, evServices{[]Service{withdrawn(20)}}) // early try
	s.run(1100 * time.Millisecond)                            // sent again at 1.02 s
	if !srv.e.onAnyRxmt(key) || srv.e.own[key].early.active() {
		t.Fatalf("want the resent flush unacknowledged and the early try ended")
	}
	tries := srv.e.cnt.earlyTries
	srv.e.handle(s.now, evServices{[]Service{dnsService(30)}})
	srv.e.handle(s.now, evServices{[]Service{withdrawn(30)}})
	s.run(100 * time.Millisecond)
	if got := srv.e.cnt.earlyTries; got != tries {
		t.Errorf("early tries %d after wanting the flush again, want %d", got, tries)
	}
	s.run(3 * time.Second)
	if m := s.advertisedMetric(r, lsa.IDString(srv.cfg.RouterID), 1); m != -1 {
		t.Errorf("router holds metric %d, want the flush", m)
	}
}

// While an early try is unacknowledged the status says when it goes
// again (the planned stop waits for that before it counts drain_time).
func TestEarlyStatusResendAt(t *testing.T) {
	s, _, ss := arrivalFarm(t, 29, 2, time.Second)
	srv := ss[0]
	srv.e.handle(s.now, evServices{[]Service{dnsService(20)}})
	changed := s.now
	s.run(100 * time.Millisecond)
	srv.e.handle(s.now, evServices{[]Service{withdrawn(20)}})
	st := srv.e.status(s.now)
	if got, want := st.Services[0].ResendAt, changed.Add(time.Second+earlyMargin); !got.Equal(want) || st.Services[0].Advertised {
		t.Errorf("during the early try: advertised %v, resend_at %v; want false, %v", st.Services[0].Advertised, got, want)
	}
	s.run(time.Second)
	if got := srv.e.status(s.now).Services[0].ResendAt; !got.IsZero() {
		t.Errorf("resend_at %v after the resend, want none", got)
	}
}
