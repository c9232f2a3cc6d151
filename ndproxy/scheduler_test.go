package ndproxy

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	t0       = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	selfMAC  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x20}
	peerMAC  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x10} // ranks before selfMAC
	peerIP   = netip.MustParseAddr("fe80::10")
	routerIP = netip.MustParseAddr("fe80::1")
)

// half is a fixed "random" source: every draw is its median.
func half() float64 { return 0.5 }

func newTestScheduler(t *testing.T) *Scheduler {
	t.Helper()
	s := NewScheduler(simParams, selfMAC, half, t0)
	if acts := s.Decide(t0, false, 10, 10); len(acts) != 0 {
		t.Fatalf("Decide(up) = %v, want nothing", acts)
	}
	return s
}

func wantState(t *testing.T, s *Scheduler, want State) {
	t.Helper()
	if got, _, why := s.State(); got != want {
		t.Fatalf("state %v (%s), want %v", got, why, want)
	}
}

func kinds(acts []Action) []ActionKind {
	var out []ActionKind
	for _, a := range acts {
		out = append(out, a.Kind)
	}
	return out
}

// warmUp feeds s, which joined the farm by the peer's NA at t0, the
// peer's NAs at the starts of the peer's slots (rank 0 of 2: even slots)
// until its grid has agreed warmChecks times in a row, and returns the
// time of the last one.
func warmUp(t *testing.T, s *Scheduler) time.Time {
	t.Helper()
	at := t0
	for range warmChecks {
		at = at.Add(26 * simParams.WithDefaults().Slot)
		s.HeardNA(at, peerIP, peerMAC, true)
	}
	if s.warming() {
		t.Fatalf("still warming after %d of the peer's NAs on its slots", warmChecks+1)
	}
	return at
}

// runUntil ticks s at every Next up to until and returns the actions.
func runUntil(s *Scheduler, until time.Time) []Action {
	var acts []Action
	for {
		n := s.Next()
		if n.IsZero() || n.After(until) {
			return acts
		}
		acts = append(acts, s.Tick(n)...)
	}
}

func TestSchedulerStartsWithdrawnAndSilent(t *testing.T) {
	s := NewScheduler(simParams, selfMAC, half, t0)
	wantState(t, s, StateWithdrawn)
	if acts := s.HeardNS(t0, routerIP, true); len(acts) != 0 {
		t.Errorf("withdrawn: NS answered with %v (a withdrawn server discards it)", acts)
	}
	if got := s.Stats().Ignored; got != 1 {
		t.Errorf("Ignored = %d, want 1", got)
	}
	if n := s.Next(); !n.IsZero() {
		t.Errorf("withdrawn: Next = %v, want none", n)
	}
}

func TestSchedulerRouterSolicitation(t *testing.T) {
	for _, tc := range []struct {
		name      string
		src       netip.Addr
		multicast bool
		want      []Action // right away
		later     []Action // from Tick, within AnswerSpread × weight
	}{
		{"multicast from the router", routerIP, true, nil, []Action{{Kind: ActAnswer, To: routerIP}}},
		{"unicast probe from the router", routerIP, false, []Action{{Kind: ActAnswer, To: routerIP}, {Kind: ActCall}}, nil},
		{"duplicate address detection", netip.IPv6Unspecified(), true, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestScheduler(t)
			wantState(t, s, StateIdle)
			got := s.HeardNS(t0, tc.src, tc.multicast)
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("HeardNS actions (-want +got):\n%s", diff)
			}
			wantState(t, s, StateActive)
			var answers []Action
			for _, a := range runUntil(s, t0.Add(simParams.WithDefaults().AnswerSpread)) {
				if a.Kind == ActAnswer {
					answers = append(answers, a)
				}
			}
			if diff := cmp.Diff(tc.later, answers, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("answers from Tick (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchedulerPeerCallIsNotAnswered(t *testing.T) {
	s := newTestScheduler(t)
	s.HeardNA(t0, peerIP, peerMAC, true) // the peer is known now
	wantState(t, s, StateActive)
	if acts := s.HeardNS(t0.Add(time.Second), peerIP, true); len(acts) != 0 {
		t.Errorf("a peer's call was answered: %v", acts)
	}
	for _, a := range runUntil(s, t0.Add(2*time.Second)) {
		if a.Kind == ActAnswer {
			t.Errorf("a peer's call was answered later: %v", a)
		}
	}
}

// TestSchedulerTurnTiming: the first turn after a peer's NA comes no
// sooner than min_gap, on this server's slot of the grid, and with the
// median draw at min_gap × weight × ln 2 after the gap. The server joins
// by the peer's NA (the farm serves), so it sends on its grid only once
// it is warm (warmUp) and its peer knows it.
func TestSchedulerTurnTiming(t *testing.T) {
	p := simParams.WithDefaults()
	for _, tc := range []struct {
		metric uint16
		weight float64
	}{{10, 1}, {20, 2}, {40, 4}} {
		s := newTestScheduler(t)
		s.Decide(t0, false, tc.metric, 10)
		s.HeardNA(t0, peerIP, peerMAC, true)
		warmUp(t, s)
		// Known to the peer after one turn of its own; plan from a
		// peer NA heard after that.
		if acts := s.Tick(s.NextTurn()); !cmp.Equal(kinds(acts), []ActionKind{ActAdvertise}) {
			t.Fatalf("metric %d: first turn: %v", tc.metric, kinds(acts))
		}
		at := s.NextTurn().Add(-p.Slot) // the peer is quicker
		s.HeardNA(at, peerIP, peerMAC, true)
		next := s.NextTurn()
		draw := time.Duration(0.6931471805599453 * tc.weight * float64(p.MinGap)) // median of the exponential
		lo := at.Add(p.MinGap + draw)
		hi := lo.Add(2 * p.Slot) // the grid holds 2 servers
		if next.Before(lo) || next.After(hi) {
			t.Errorf("metric %d: next turn %v after the peer's NA, want in [%v, %v]", tc.metric, next.Sub(at), lo.Sub(at), hi.Sub(at))
		}
		// Rank 1 of 2 (peerMAC < selfMAC): odd slots.
		if slot := next.Sub(at) / p.Slot; slot%2 != 1 || next.Sub(at)%p.Slot != 0 {
			t.Errorf("metric %d: next turn %v is not at the start of an odd slot", tc.metric, next.Sub(at))
		}
		acts := s.Tick(next)
		if diff := cmp.Diff([]ActionKind{ActAdvertise}, kinds(acts)); diff != "" {
			t.Errorf("metric %d: Tick at the turn (-want +got):\n%s", tc.metric, diff)
		}
	}
}

func TestSchedulerWithdrawal(t *testing.T) {
	for _, tc := range []struct {
		name string
		prep func(s *Scheduler) time.Time // returns the time of withdrawal
		want []ActionKind
	}{
		{"holder calls", func(s *Scheduler) time.Time {
			s.HeardNA(t0, peerIP, peerMAC, true)
			n := s.NextTurn()
			s.Tick(n) // our turn: we hold the address
			return n.Add(10 * time.Millisecond)
		}, []ActionKind{ActCall}},
		{"answered a solicitation: calls", func(s *Scheduler) time.Time {
			s.HeardNS(t0, routerIP, false)
			return t0.Add(time.Millisecond)
		}, []ActionKind{ActCall}},
		{"not the holder: silent", func(s *Scheduler) time.Time {
			s.HeardNA(t0, peerIP, peerMAC, true)
			return t0.Add(10 * time.Millisecond)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestScheduler(t)
			at := tc.prep(s)
			got := kinds(s.Decide(at, true, 0, 10))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("withdrawal (-want +got):\n%s", diff)
			}
			wantState(t, s, StateWithdrawn)
			if acts := runUntil(s, at.Add(time.Hour)); len(acts) != 0 {
				t.Errorf("withdrawn server sent %v", kinds(acts))
			}
			if acts := s.HeardNS(at.Add(time.Second), routerIP, true); len(acts) != 0 {
				t.Errorf("withdrawn server answered: %v", acts)
			}
		})
	}
}

// TestSchedulerWithdrawnStillQueried: queries that keep coming to a
// withdrawn server make it call again, with a growing interval.
func TestSchedulerWithdrawnStillQueried(t *testing.T) {
	s := newTestScheduler(t)
	s.HeardNS(t0, routerIP, false)
	s.Decide(t0, true, 0, 10)
	var calls []time.Duration
	for at := t0; at.Before(t0.Add(20 * time.Second)); at = at.Add(100 * time.Millisecond) {
		if len(s.Queries(at, 5)) > 0 {
			calls = append(calls, at.Sub(t0))
		}
	}
	want := []time.Duration{time.Second, 3 * time.Second, 7 * time.Second, 15 * time.Second}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("calls while withdrawn and queried (-want +got):\n%s", diff)
	}
}

func TestSchedulerStandby(t *testing.T) {
	s := newTestScheduler(t)
	s.HeardNS(t0, routerIP, true)
	runUntil(s, t0.Add(simParams.StandbyAfter-time.Millisecond))
	wantState(t, s, StateActive)
	runUntil(s, t0.Add(simParams.StandbyAfter))
	wantState(t, s, StateStandby)
	turns := s.Stats().Turns
	// In standby: peers' NAs are heard but wake nothing, nothing is sent.
	s.HeardNA(t0.Add(40*time.Second), peerIP, peerMAC, true)
	wantState(t, s, StateStandby)
	if acts := runUntil(s, t0.Add(time.Hour)); len(acts) != 0 || s.Stats().Turns != turns {
		t.Errorf("standby server sent %v", kinds(acts))
	}
	// A query wakes it, and it calls its peers.
	at := t0.Add(time.Hour)
	if got := kinds(s.Queries(at, 1)); !cmp.Equal(got, []ActionKind{ActCall}) {
		t.Errorf("query in standby: %v, want a call", got)
	}
	wantState(t, s, StateActive)
}

func TestSchedulerStandbyWakesOnSolicitation(t *testing.T) {
	s := newTestScheduler(t)
	s.HeardNS(t0, routerIP, true)
	runUntil(s, t0.Add(time.Minute))
	wantState(t, s, StateStandby)
	at := t0.Add(2 * time.Minute)
	acts := s.HeardNS(at, routerIP, false)
	if got := kinds(acts); !cmp.Equal(got, []ActionKind{ActAnswer, ActCall}) {
		t.Errorf("unicast probe in standby: %v, want an answer and a call", got)
	}
	wantState(t, s, StateActive)
}

// TestSchedulerLoneCall: an active server that hears no peer while
// queries reach it calls after CallAfter, then after twice as long; an
// idle farm (no queries) calls nobody.
func TestSchedulerLoneCall(t *testing.T) {
	p := simParams.WithDefaults()
	s := newTestScheduler(t)
	s.HeardNS(t0, routerIP, false) // probe: answer + call at t0
	var calls []time.Duration
	for at := t0; at.Before(t0.Add(61 * time.Second)); at = at.Add(100 * time.Millisecond) {
		for _, a := range append(s.Queries(at, 1), runUntil(s, at)...) {
			if a.Kind == ActCall {
				calls = append(calls, at.Sub(t0).Round(100*time.Millisecond))
			}
		}
	}
	// CallAfter (10 s), then 20 s later, then standby_after (30 s) later.
	want := []time.Duration{p.CallAfter, 3 * p.CallAfter, 3*p.CallAfter + p.StandbyAfter}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("lone calls (-want +got):\n%s", diff)
	}
	// No queries: no call.
	q := newTestScheduler(t)
	q.HeardNS(t0, routerIP, true)
	for _, a := range runUntil(q, t0.Add(time.Hour)) {
		if a.Kind == ActCall {
			t.Errorf("call without queries")
		}
	}
}

func TestSchedulerIdleJoinsOnPeerNA(t *testing.T) {
	s := newTestScheduler(t)
	s.HeardNA(t0, peerIP, peerMAC, true)
	wantState(t, s, StateActive)
	if n := s.NextTurn(); n.Before(t0.Add(simParams.MinGap)) {
		t.Errorf("first turn at %v, before min_gap", n.Sub(t0))
	}
}

func TestWeight(t *testing.T) {
	for _, tc := range []struct {
		metric, base uint16
		want         float64
	}{
		{10, 10, 1}, {20, 10, 2}, {40, 10, 4}, {5, 10, 1}, {0, 10, 1},
		{65535, 10, MaxWeight}, {30, 0, 3}, {150, 100, 1.5},
	} {
		if got := Weight(tc.metric, tc.base); got != tc.want {
			t.Errorf("Weight(%d, %d) = %v, want %v", tc.metric, tc.base, got, tc.want)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range []struct {
		name string
		p    Params
	}{
		{"gap too small", Params{MinGap: 10 * time.Millisecond, StandbyAfter: time.Minute}},
		{"standby too short", Params{MinGap: time.Second, StandbyAfter: 5 * time.Second}},
		{"slot over gap", Params{MinGap: 100 * time.Millisecond, StandbyAfter: time.Minute, Slot: time.Second}},
	} {
		if err := tc.p.WithDefaults().Validate(); err == nil {
			t.Errorf("%s: %+v accepted", tc.name, tc.p)
		}
	}
}

// TestSchedulerLateTick: a timer that fires over half a slot late does
// not send (a peer may own that moment); the turn moves to the next own
// slot. The server joins by the peer's NA and warms up first (warmUp):
// a warming server sends off the slot starts.
func TestSchedulerLateTick(t *testing.T) {
	p := simParams.WithDefaults()
	s := newTestScheduler(t)
	s.HeardNA(t0, peerIP, peerMAC, true)
	warmUp(t, s)
	s.Tick(s.NextTurn()) // known to the peer from now on
	at := s.NextTurn().Add(-p.Slot)
	s.HeardNA(at, peerIP, peerMAC, true)
	next := s.NextTurn()
	late := next.Add(p.Slot/2 + time.Millisecond)
	if acts := s.Tick(late); len(acts) != 0 {
		t.Fatalf("late tick sent %v", kinds(acts))
	}
	moved := s.NextTurn()
	if !moved.After(late) || moved.Sub(at)%p.Slot != 0 || (moved.Sub(at)/p.Slot)%2 != 1 {
		t.Errorf("turn moved to %v after the peer's NA, want this server's next (odd) slot after %v", moved.Sub(at), late.Sub(at))
	}
	if s.Stats().LateTicks != 1 {
		t.Errorf("LateTicks = %d, want 1", s.Stats().LateTicks)
	}
	if acts := s.Tick(moved); !cmp.Equal(kinds(acts), []ActionKind{ActAdvertise}) {
		t.Errorf("tick at the moved turn: %v", kinds(acts))
	}
}

// TestSchedulerWarmUp: a server that has listened since the router
// resolved the address sends on its grid from its first turn on; one
// that joined a serving farm (its first sign a peer's NA, a query, a
// unicast probe, or a call, known as such by its source's NA or by an NA
// sooner than a cold start allows) warms up first: it keeps off the slot
// starts, early turns included, until warmChecks of its peer's NAs in a
// row came on slots its grid gives the peer. An NA on a slot its grid
// does not give the peer (the grid lacks someone) starts the count over,
// and sends a server on the grid back to warming up.
func TestSchedulerWarmUp(t *testing.T) {
	p := simParams.WithDefaults()
	otherIP := netip.MustParseAddr("fe80::30")
	for _, tc := range []struct {
		name string
		// start brings the first signs, from t0, and the peer's first NA.
		start   func(s *Scheduler)
		warming bool
	}{
		{"cold start: the router resolves", func(s *Scheduler) {
			s.HeardNS(t0, routerIP, true)
			s.HeardNA(t0.Add(p.MinGap+p.Slot), peerIP, peerMAC, true)
		}, false},
		{"a peer's NA", func(s *Scheduler) {
			s.HeardNA(t0, peerIP, peerMAC, true)
		}, true},
		{"queries", func(s *Scheduler) {
			s.Queries(t0, 1)
			s.HeardNA(t0.Add(time.Second), peerIP, peerMAC, true)
		}, true},
		{"the router's unicast probe", func(s *Scheduler) {
			s.HeardNS(t0, routerIP, false)
			s.HeardNA(t0.Add(time.Second), peerIP, peerMAC, true)
		}, true},
		{"a call, then the caller's NA", func(s *Scheduler) {
			s.HeardNS(t0, peerIP, true)
			s.HeardNA(t0.Add(p.MinGap+p.Slot), peerIP, peerMAC, true)
		}, true},
		{"a call, then another peer's early turn", func(s *Scheduler) {
			s.HeardNS(t0, otherIP, true)
			s.HeardNA(t0.Add(3*p.Slot), peerIP, peerMAC, true)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestScheduler(t)
			tc.start(s)
			if got := s.warming(); got != tc.warming {
				t.Fatalf("warming = %v after the first signs, want %v", got, tc.warming)
			}
			// Our first turn makes us known; then the peer's NAs, on
			// its slots (rank 0 of 2: even), but one on an odd slot.
			s.Tick(s.NextTurn())
			heard, odd := 1, false
			var at time.Time
			for s.warming() {
				if heard > 2*warmChecks+2 {
					t.Fatalf("still warming after %d of the peer's NAs", heard)
				}
				j := time.Duration(2)
				if heard == warmChecks/2 && !odd {
					j, odd = 3, true // disagrees: the count starts over
				}
				at = s.LastTurn().Add(j * p.Slot)
				s.HeardNA(at, peerIP, peerMAC, true)
				heard++
				if !s.warming() {
					break
				}
				// An early turn, off the slot starts.
				s.HeardNS(at.Add(time.Millisecond), routerIP, true)
				if off := s.NextTurn().Sub(at) % p.Slot; off < p.Slot/4 || off >= 3*p.Slot/4 {
					t.Fatalf("warming, after %d of the peer's NAs: next turn %v after its NA, %v into a slot, want the slot's middle half", heard, s.NextTurn().Sub(at), off)
				}
				if s.NextTurn().Sub(at) > p.MinGap+drawCap*earlySlots*p.Slot+p.Slot {
					t.Fatalf("warming: no early turn after a multicast solicitation (next turn %v after the peer's NA)", s.NextTurn().Sub(at))
				}
				s.Tick(s.NextTurn())
			}
			// The first NA starts the count, one disagrees midway.
			if want := 1 + warmChecks/2 + warmChecks; tc.warming && heard != want {
				t.Errorf("warm after %d of the peer's NAs, want %d", heard, want)
			}
			// Warm and known: on the grid (rank 1 of 2: odd slots).
			at = s.LastTurn().Add(2 * p.Slot)
			s.HeardNA(at, peerIP, peerMAC, true)
			if d := s.NextTurn().Sub(at); d%p.Slot != 0 || (d/p.Slot)%2 != 1 {
				t.Errorf("warm: next turn %v after the peer's NA, want the start of an odd slot", d)
			}
			// An NA on our slot: the peer's grid and ours differ.
			s.HeardNA(at.Add(27*p.Slot), peerIP, peerMAC, true)
			if !s.warming() {
				t.Errorf("on the grid, a peer's NA on our slot: not warming up again")
			}
		})
	}
}
