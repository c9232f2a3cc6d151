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
// median draw at min_gap × weight × ln 2 after the gap.
func TestSchedulerTurnTiming(t *testing.T) {
	p := simParams.WithDefaults()
	for _, tc := range []struct {
		metric uint16
		weight float64
	}{{10, 1}, {20, 2}, {40, 4}} {
		s := newTestScheduler(t)
		s.Decide(t0, false, tc.metric, 10)
		s.HeardNA(t0, peerIP, peerMAC, true)
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
// slot.
func TestSchedulerLateTick(t *testing.T) {
	p := simParams.WithDefaults()
	s := newTestScheduler(t)
	s.HeardNA(t0, peerIP, peerMAC, true)
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
