package ndproxy

import (
	"context"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
)

// TestSchedulerTurnLength: a turn lasts from its NA to the next NA with
// Override on the link (a peer's, or the server's own next turn), or
// until the server leaves the active state; LastTurn is its NA.
func TestSchedulerTurnLength(t *testing.T) {
	s := newTestScheduler(t)
	s.HeardNS(t0, routerIP, true)
	wantState(t, s, StateActive)

	turn := func() time.Time {
		t.Helper()
		at := s.NextTurn()
		if acts := s.Tick(at); !slices.Contains(kinds(acts), ActAdvertise) {
			t.Fatalf("Tick at the turn: %v", kinds(acts))
		}
		if !s.LastTurn().Equal(at) {
			t.Fatalf("LastTurn %v, want %v", s.LastTurn(), at)
		}
		return at
	}

	t1 := turn()
	if st := s.Stats(); st.TurnsEnded != 0 || st.Held != 0 || st.MeanTurn() != 0 {
		t.Fatalf("a running turn counted: %+v", st)
	}
	// A peer's NA without Override does not move the router's entry:
	// the turn goes on.
	s.HeardNA(t1.Add(600*time.Millisecond), peerIP, peerMAC, false)
	if st := s.Stats(); st.TurnsEnded != 0 {
		t.Fatalf("a NA without Override ended the turn: %+v", st)
	}
	// A peer's NA with Override ends it.
	s.HeardNA(t1.Add(700*time.Millisecond), peerIP, peerMAC, true)
	want := SchedulerStats{TurnsEnded: 1, Held: 700 * time.Millisecond}
	if st := s.Stats(); st.TurnsEnded != want.TurnsEnded || st.Held != want.Held {
		t.Fatalf("after the peer's NA: ended %d held %v, want %d, %v", st.TurnsEnded, st.Held, want.TurnsEnded, want.Held)
	}

	// Two own turns in a row: the second ends the first.
	t2 := turn()
	t3 := turn()
	// Withdrawal ends the third.
	s.Decide(t3.Add(100*time.Millisecond), true, 0, 10)
	st := s.Stats()
	wantHeld := 700*time.Millisecond + t3.Sub(t2) + 100*time.Millisecond
	if st.TurnsEnded != 3 || st.Held != wantHeld || st.Turns != 3 {
		t.Fatalf("after three turns and a withdrawal: %d turns, %d ended, held %v; want 3, 3, %v", st.Turns, st.TurnsEnded, st.Held, wantHeld)
	}
	if got, want := st.MeanTurn(), wantHeld/3; got != want {
		t.Errorf("MeanTurn %v, want %v", got, want)
	}
	// Nothing runs any more: a later peer NA adds nothing.
	s.HeardNA(t3.Add(time.Second), peerIP, peerMAC, true)
	if got := s.Stats(); got.TurnsEnded != 3 || got.Held != wantHeld {
		t.Errorf("an ended turn counted again: %+v", got)
	}
}

// TestSchedulerTiming: what the scheduler derives from its weight.
func TestSchedulerTiming(t *testing.T) {
	p := simParams.WithDefaults()
	for _, tc := range []struct {
		metric uint16
		weight float64
	}{{10, 1}, {20, 2}, {40, 4}, {65535, MaxWeight}} {
		s := newTestScheduler(t)
		s.Decide(t0, false, tc.metric, 10)
		s.HeardNA(t0, peerIP, peerMAC, true) // a peer ranking first
		mean := p.MinGap + time.Duration(tc.weight*float64(p.MinGap)*(1-math.Exp(-4)))
		want := Timing{
			Weight:   tc.weight,
			MinGap:   p.MinGap,
			MeanWait: mean,
			MaxWait:  p.MinGap + time.Duration(4*tc.weight*float64(p.MinGap)) + 2*p.Slot,
			Grid:     2,
			Rank:     1,
			Slot:     p.Slot,
		}
		if diff := cmp.Diff(want, s.Timing()); diff != "" {
			t.Errorf("metric %d (-want +got):\n%s", tc.metric, diff)
		}
	}
}

// TestMeanWaitMatchesTheDraws: a lone active server's turns come
// MeanWait apart on average (plus half a slot of rounding to the grid),
// with the scheduler's own draws from a seeded source.
func TestMeanWaitMatchesTheDraws(t *testing.T) {
	p := simParams.WithDefaults()
	for _, w := range []float64{1, 4} {
		r := rand.New(rand.NewPCG(1, uint64(w)))
		s := NewScheduler(p, selfMAC, r.Float64, t0)
		s.Decide(t0, false, uint16(10*w), 10)
		s.HeardNS(t0, routerIP, true)
		var (
			last  time.Time
			sum   time.Duration
			turns int
		)
		now := t0
		for turns < 40000 {
			now = s.Next()
			s.Queries(now, 1) // keeps it out of standby
			for _, a := range s.Tick(now) {
				if a.Kind != ActAdvertise {
					continue
				}
				if !last.IsZero() {
					sum += now.Sub(last)
					turns++
				}
				last = now
			}
		}
		got := sum / time.Duration(turns)
		want := p.MeanWait(w) + p.Slot/2
		if d := got - want; d < -want/100 || d > want/100 {
			t.Errorf("weight %v: mean interval between turns %v over %d turns, want %v ± 1%%", w, got, turns, want)
		}
	}
}

// TestSpeakerStatus: the status carries the scheduler's turns, timing
// and messages, and why a service is idle.
func TestSpeakerStatus(t *testing.T) {
	h := &hub{}
	router := h.node("fe80::1", 1)
	sp := startSpeaker(t, h.node("fe80::11", 0x11))
	sp.decide(t, false, 20)
	waitState(t, sp, StateIdle)

	s := sp.state(t)
	if s.IdleCause != IdleNoSolicitation.String() || !strings.Contains(s.IdleReason, "no Neighbor Solicitation has reached eth0") {
		t.Errorf("idle without any solicitation: cause %q, reason %q", s.IdleCause, s.IdleReason)
	}
	// The router resolves another address: it is on the link, but does
	// not ask for ours.
	other := netip.MustParseAddr("2001:db8:1::54")
	g, _ := ndp.SolicitedNodeMulticast(other)
	sp.conn.JoinGroup(g)
	if err := router.WriteTo(callNS(other, router.mac), g); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for s = sp.state(t); s.IdleCause != IdleOtherAddresses.String() && time.Now().Before(deadline); s = sp.state(t) {
		time.Sleep(5 * time.Millisecond)
	}
	if s.IdleCause != IdleOtherAddresses.String() || !strings.Contains(s.IdleReason, "1 solicitations heard") {
		t.Errorf("idle after a solicitation for another address: cause %q, reason %q", s.IdleCause, s.IdleReason)
	}

	// The router asks for ours: answered, active, turns.
	routerNS(t, router)
	waitState(t, sp, StateActive)
	deadline = time.Now().Add(3 * time.Second)
	for s = sp.state(t); s.Stats.Turns < 2 && time.Now().Before(deadline); s = sp.state(t) {
		sp.counter.add(1)
		time.Sleep(10 * time.Millisecond)
	}
	if s.Stats.Turns < 2 {
		t.Fatalf("no turns: %+v", s)
	}
	if s.IdleCause != "" || s.IdleReason != "" {
		t.Errorf("active with an idle cause: %q %q", s.IdleCause, s.IdleReason)
	}
	if s.NAsSent != s.Stats.Turns+s.Stats.Answers || s.Stats.Answers != 1 {
		t.Errorf("NAs sent %d, turns %d, answers %d: want one answer, and sent = turns + answers", s.NAsSent, s.Stats.Turns, s.Stats.Answers)
	}
	if s.LastTurn.IsZero() || !s.HolderSelf || s.Weight != 2 {
		t.Errorf("last turn %v, holder self %v, weight %v", s.LastTurn, s.HolderSelf, s.Weight)
	}
	p := fastParams.WithDefaults()
	if s.Timing.MeanWait != p.MeanWait(2) || s.Timing.MaxWait != p.MaxWait(2, 1) || s.Timing.Grid != 1 {
		t.Errorf("timing %+v", s.Timing)
	}
	if s.Stats.TurnsEnded == 0 || s.MeanTurn != s.Stats.MeanTurn() || s.MeanTurn < p.MinGap {
		t.Errorf("mean turn %v over %d ended turns, want at least min_gap %v", s.MeanTurn, s.Stats.TurnsEnded, p.MinGap)
	}
}

// TestIdleOffLink: a service address outside the interface's prefixes is
// idle for that reason.
func TestIdleOffLink(t *testing.T) {
	h := &hub{}
	sp, err := New(Config{Interface: "eth0", Params: fastParams, Prefixes: []netip.Prefix{netip.MustParsePrefix("2001:db8:9::/64")}},
		[]Service{testService}, h.node("fe80::11", 0x11), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		<-sp.Done()
	}()
	go sp.Run(ctx)
	ts := testSpeaker{Speaker: sp}
	ts.decide(t, false, 10)
	st, err := sp.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := st.Services[0]
	if s.State != "idle" || s.IdleCause != IdleOffLink.String() || !strings.Contains(s.IdleReason, "outside the prefixes of eth0") || s.Counting {
		t.Errorf("off-link service: state %s, cause %q, reason %q, counting %v", s.State, s.IdleCause, s.IdleReason, s.Counting)
	}
}

func TestIdleCauseString(t *testing.T) {
	for c, want := range map[IdleCause]string{
		IdleNone: "none", IdleOffLink: "off_link", IdleNoSolicitation: "no_solicitation",
		IdleOtherAddresses: "other_addresses", IdleCause(9): "IdleCause(9)",
	} {
		if got := c.String(); got != want {
			t.Errorf("%d: %q, want %q", c, got, want)
		}
	}
}
