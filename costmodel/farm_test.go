package costmodel

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Router IDs of a farm of four: 192.0.2.1 .. 192.0.2.4.
const (
	rid1 RouterID = 0xc0000201 + iota
	rid2
	rid3
	rid4
)

// farmSlot is the stagger slot of farmParams: t0 is the start of a slot of
// rank 0 in a grid of four (TestFarmSlotLayout checks it), so the server of
// rank k owns the slots starting at t0 + (k + 4j) × 1.2 s and may move in
// their first 600 ms.
const farmSlot = 1200 * time.Millisecond

// farmParams are quick() (the load figure equals the latest external
// load) with the stagger slot above: MinInterval 1.1 s, MinDwell 2 s
// both ways, tiers 10/20/40 at up 0.6/0.85, down 0.4/0.65.
func farmParams(capacity float64) Params {
	p := quick()
	p.FarmSlot = farmSlot
	p.Capacity = capacity
	p.FarmRules = true
	return p
}

// slotOf returns the start of the j-th slot (0 is t0) in ms after t0.
func slotOf(j int) int { return j * int(farmSlot/time.Millisecond) }

func TestFarmSlotLayout(t *testing.T) {
	ns := t0.UnixNano()
	if ns%int64(farmSlot) != 0 || ns/int64(farmSlot)%4 != 0 {
		t.Fatalf("t0 is not the start of a slot of rank 0 in a grid of 4 (slot %v)", farmSlot)
	}
}

// peer is an advertising peer with its load known.
func peer(id RouterID, metric uint16, capacity, load float64) Peer {
	return Peer{RouterID: id, Metric: metric, LoadKnown: true, Capacity: capacity, Load: load, State: PeerAdvertised}
}

func view(now time.Time, self RouterID, peers ...Peer) FarmView {
	return FarmView{AsOf: now, Self: self, Peers: peers}
}

// farmDriver runs one model with a farm view: at each moment it observes an
// external load and the view, then decides.
type farmDriver struct {
	t    *testing.T
	m    *Model
	self RouterID
}

func newFarmDriver(t *testing.T, p Params, self RouterID) *farmDriver {
	return &farmDriver{t: t, m: New("dns", p, t0), self: self}
}

func (fd *farmDriver) at(n int, load float64, peers ...Peer) Decision {
	now := ms(n)
	fd.m.Observe(now, ExternalLoad(load))
	fd.m.ObserveFarm(now, view(now, fd.self, peers...))
	return fd.m.Decide(now)
}

// TestFarmHoldsWhenTheOthersCannotAbsorb: the small server (capacity 0.5)
// is overloaded in the cheapest tier; two of the others are too, so
// leaving would only lose queries: it holds, and says why. When they have
// kept up for the whole headroom window, it leaves, in its own turn.
func TestFarmHoldsWhenTheOthersCannotAbsorb(t *testing.T) {
	fd := newFarmDriver(t, farmParams(0.5), rid4) // rank 3: slots 3, 7, 11, ...
	busy := []Peer{peer(rid1, 10, 1, 0.9), peer(rid2, 10, 1, 0.9), peer(rid3, 10, 2, 0.01)}
	idle := []Peer{peer(rid1, 10, 1, 0.01), peer(rid2, 10, 1, 0.01), peer(rid3, 10, 2, 0.01)}
	// No peer's load yet: it comes up as without a farm view.
	if d := fd.at(0, 0); !d.Changed || d.Metric != 10 {
		t.Fatalf("start: %+v, want metric 10", d)
	}
	for n := 100; n < slotOf(3); n += 100 {
		fd.at(n, 2, busy...)
	}
	d := fd.at(slotOf(3), 2, busy...)
	if d.Changed || d.Metric != 10 || !strings.Contains(d.Farm, "farm holds tier 0 -> 1") ||
		!strings.Contains(d.Farm, "could absorb only 0.33 of the 0.50 it answers (each takes 0.33;") ||
		!strings.Contains(d.Farm, "192.0.2.1 none (load 0.90") || !strings.Contains(d.Reason, d.Farm) {
		t.Fatalf("in its turn with two peers overloaded: %+v", d)
	}
	e := fd.m.Explain(ms(slotOf(3)))
	if e.Farm == nil || !e.Farm.Active || e.Farm.LastHold == nil || e.Farm.LastHold.Reason != d.Farm || e.Tier != 0 {
		t.Fatalf("explanation: %+v", e.Farm)
	}
	// The two recover at 4.5 s; their 0.9 counts until the headroom window
	// (4 slots, 4.8 s) has passed over it: at 9.3 s, after the first half
	// of slot 7 (8.4..9.0 s). Slot 7 still holds, slot 11 (13.2 s) moves.
	for n := slotOf(3) + 100; n < 4500; n += 100 {
		fd.at(n, 2, busy...)
	}
	for n := 4500; n < slotOf(11); n += 100 {
		d := fd.at(n, 2, idle...)
		if d.Changed {
			t.Fatalf("at %d ms: moved before its turn after the window: %+v", n, d)
		}
		if n == slotOf(7) && !strings.Contains(d.Farm, "192.0.2.1 none (load 0.01, 0.90 within the window)") {
			t.Errorf("at slot 7: %+v, want a hold for the peers' recent load", d)
		}
	}
	d = fd.at(slotOf(11), 2, idle...)
	if !d.Changed || d.Metric != 20 || !strings.Contains(d.Reason, "absorb 0.50 of the 0.50 it answers") ||
		!strings.Contains(d.Reason, "192.0.2.3 room 1.50") {
		t.Fatalf("at slot 11 with the others keeping up: %+v", d)
	}
	if e := fd.m.Explain(ms(slotOf(11))); e.Farm.LastMove == nil || e.Farm.LastMove.To != 1 || e.Farm.LastMove.At != ms(slotOf(11)) {
		t.Errorf("last move %+v", e.Farm.LastMove)
	}
}

// TestFarmLastServerStays: the only server at the cheapest metric never
// leaves it for load, however loaded, while a server above it has room or
// says nothing of its load (a saturated farm climbs: TestFarmSaturated).
func TestFarmLastServerStays(t *testing.T) {
	first := []Peer{peer(rid1, 10, 1, 0), peer(rid2, 10, 1, 0)}
	for _, tc := range []struct {
		name  string
		peers []Peer
		want  string
	}{
		{"peers above", []Peer{peer(rid1, 20, 1, 0), peer(rid2, 20, 1, 0)}, "last server at the cheapest metric 10"},
		{"a peer above without load information", []Peer{{RouterID: rid1, Metric: 20}, peer(rid2, 20, 1, 0.9)},
			"last server at the cheapest metric 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fd := newFarmDriver(t, farmParams(1), rid3)
			if d := fd.at(0, 0, first...); d.Metric != 10 {
				t.Fatalf("start: %+v", d)
			}
			for n := 100; n <= 20000; n += 100 {
				if d := fd.at(n, 2, tc.peers...); d.Changed {
					t.Fatalf("at %d ms: %+v", n, d)
				}
			}
			if h := fd.m.Explain(ms(20000)).Farm.LastHold; h == nil || !strings.Contains(h.Reason, tc.want) {
				t.Errorf("last hold %+v, want %q", h, tc.want)
			}
		})
	}
}

// climb drives a model without a farm view to tier 2 (metric 40) and
// returns it with the time reached.
func climb(t *testing.T, p Params) (*Model, int) {
	t.Helper()
	m := New("dns", p, t0)
	n := 0
	for ; n <= 10000; n += 100 {
		m.Observe(ms(n), ExternalLoad(2))
		m.Decide(ms(n))
		if m.adv == metric(40) {
			return m, n
		}
	}
	t.Fatalf("no climb to metric 40 by %d ms: %v", n, m.adv)
	return nil, 0
}

// TestFarmStepsDownToThePeersCheapest: an idle server comes down to the
// cheapest metric a peer advertises in one change, not one tier at a time,
// and never below it.
func TestFarmStepsDownToThePeersCheapest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		peers   []Peer
		want    uint16 // the metric it moves to, 0: it stays at 40
		because string
	}{
		{"to 10", []Peer{peer(rid1, 10, 1, 0), peer(rid2, 10, 1, 0), peer(rid4, 20, 1, 0)}, 10, "to the peers' cheapest metric 10"},
		{"to 20, not below", []Peer{peer(rid1, 20, 1, 0.5), peer(rid2, 40, 1, 0)}, 20, "to the peers' cheapest metric 20"},
		{"drained peers do not count", []Peer{peer(rid1, 20, 1, 0.5),
			{RouterID: rid2, Metric: 10, LoadKnown: true, Capacity: 1, State: PeerDrained}}, 20, "to the peers' cheapest metric 20"},
		{"already there", []Peer{peer(rid1, 40, 1, 0.9), peer(rid2, 40, 1, 0)}, 0,
			"the peers' cheapest metric is 40: a lower metric would make this server the only cheapest one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, n := climb(t, farmParams(1))
			fd := &farmDriver{t: t, m: m, self: rid3}
			var changes []Decision
			for n += 100; n <= 30000; n += 100 {
				if d := fd.at(n, 0, tc.peers...); d.Changed {
					changes = append(changes, d)
				}
			}
			switch {
			case tc.want == 0:
				if len(changes) != 0 || m.adv != metric(40) {
					t.Fatalf("changes %+v, want none", changes)
				}
				if h := m.Explain(ms(n)).Farm.LastHold; h == nil || !strings.Contains(h.Reason, tc.because) {
					t.Errorf("last hold %+v, want %q", h, tc.because)
				}
			case len(changes) != 1 || changes[0].Metric != tc.want || !strings.Contains(changes[0].Reason, tc.because):
				t.Fatalf("changes %+v, want one to metric %d because %q", changes, tc.want, tc.because)
			}
		})
	}
}

// TestFarmRebase: a cheapest tier left above tier 0 (its tier-0 servers
// went away) comes back down when all of it keeps up, one server per turn,
// the first becoming the cheapest.
func TestFarmRebase(t *testing.T) {
	m, n := climb(t, farmParams(1))
	fd := &farmDriver{t: t, m: m, self: rid3}
	peers := []Peer{peer(rid1, 40, 1, 0), peer(rid2, 40, 1, 0)}
	var changes []Decision
	for n += 100; n <= 30000; n += 100 {
		if d := fd.at(n, 0, peers...); d.Changed {
			changes = append(changes, d)
		}
	}
	if len(changes) != 2 || changes[0].Metric != 20 || changes[1].Metric != 10 ||
		!strings.Contains(changes[0].Reason, "the cheapest tier (metric 40) is above tier 0 and all of it keeps up: it comes down, this server first") {
		t.Fatalf("changes %+v, want 40 -> 20 -> 10 by rebase", changes)
	}
	// With one of them not keeping up, it stays.
	m, n = climb(t, farmParams(1))
	fd = &farmDriver{t: t, m: m, self: rid3}
	for n += 100; n <= 30000; n += 100 {
		if d := fd.at(n, 0, peer(rid1, 40, 1, 0.5), peer(rid2, 40, 1, 0)); d.Changed {
			t.Fatalf("at %d ms: %+v, want no rebase with 192.0.2.1 at load 0.5", n, d)
		}
	}
}

// TestFarmJoinCheck: a small server does not come back into a tier whose
// members are overloaded and would not gain what it takes from the one
// that keeps up; into a tier of equal servers that are all overloaded, it
// does.
func TestFarmJoinCheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		capacity float64
		peers    []Peer
		joins    bool
		because  string
	}{
		{"small into 1/1/2, two overloaded", 0.5,
			[]Peer{peer(rid1, 10, 1, 2), peer(rid2, 10, 1, 2), peer(rid4, 10, 2, 0)}, false,
			"joining the 3 other servers 192.0.2.1, 192.0.2.2, 192.0.2.4 at metric 10 could lower what they answer by 0.25 (at a rate of 1.00 per server; rate per server within 1.00..2.00)"},
		{"small into 1/1/2, all keep up", 0.5,
			[]Peer{peer(rid1, 10, 1, 0), peer(rid2, 10, 1, 0), peer(rid4, 10, 2, 0)}, false,
			"could lower what they answer by 0.25 (at a rate of 1.00 per server; rate per server within 0.00..1.00)"},
		{"equal into equal, all overloaded", 1,
			[]Peer{peer(rid1, 10, 1, 2), peer(rid2, 10, 1, 2), peer(rid4, 10, 1, 2)}, true,
			"joins the 3 other servers 192.0.2.1, 192.0.2.2, 192.0.2.4 at metric 10: they answer no less with it (rate per server at least 1.00)"},
		{"big into small ones that keep up", 4,
			[]Peer{peer(rid1, 10, 1, 0), peer(rid2, 10, 1, 0)}, true, "they answer no less with it (rate per server within 0.00..1.00)"},
		{"big into small ones overloaded", 4,
			[]Peer{peer(rid1, 10, 1, 2), peer(rid2, 10, 1, 2)}, true, "they answer no less with it (rate per server at least 1.00)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := farmParams(tc.capacity)
			m, n := climb(t, p)
			fd := &farmDriver{t: t, m: m, self: rid3}
			var moved *Decision
			for n += 100; n <= 30000 && moved == nil; n += 100 {
				if d := fd.at(n, 0, tc.peers...); d.Changed {
					moved = &d
				}
			}
			if tc.joins {
				if moved == nil || moved.Metric != 10 || !strings.Contains(moved.Reason, tc.because) {
					t.Fatalf("moved %+v, want metric 10 because %q", moved, tc.because)
				}
				return
			}
			if moved != nil {
				t.Fatalf("moved %+v, want to stay", moved)
			}
			if h := m.Explain(ms(n)).Farm.LastHold; h == nil || !strings.Contains(h.Reason, tc.because) {
				t.Errorf("last hold %+v, want %q", h, tc.because)
			}
		})
	}
}

// TestFarmTrialJoin: held out by the join check, a server rejoins after
// MaxDwell above the tier to see (the loads cannot tell a tier it would
// relieve from one it would only cost), and says so.
func TestFarmTrialJoin(t *testing.T) {
	p := farmParams(0.5)
	p.MaxDwell = 20 * time.Second
	m, n := climb(t, p)
	fd := &farmDriver{t: t, m: m, self: rid3}
	peers := []Peer{peer(rid1, 10, 1, 2), peer(rid2, 10, 1, 2), peer(rid4, 10, 2, 0)}
	since := m.tierSince
	var moved *Decision
	for n += 100; n <= 40000 && moved == nil; n += 100 {
		if d := fd.at(n, 0, peers...); d.Changed {
			moved = &d
		}
	}
	if moved == nil || moved.Metric != 10 || ms(n-100).Before(since.Add(p.MaxDwell)) ||
		!strings.Contains(moved.Reason, "trial join after") || !strings.Contains(moved.Reason, "could lower what they answer by 0.25") {
		t.Fatalf("at %d ms: moved %+v, want a trial join to metric 10 no sooner than %v", n-100, moved, since.Add(p.MaxDwell))
	}
}

// TestFarmStagger: a move waits for the server's own slot (rank by router
// ID), says so, and goes in the slot's first half only.
func TestFarmStagger(t *testing.T) {
	// Self 192.0.2.2 among .1, .3 and an old peer .4 without load: the
	// grid is .1, .2, .3 (rank 1 of 3): slots 1, 4, 7, ...
	peers := []Peer{peer(rid1, 10, 2, 0), peer(rid3, 10, 2, 0), {RouterID: rid4, Metric: 10}}
	fd := newFarmDriver(t, farmParams(0.5), rid2)
	fd.at(0, 0) // comes up at metric 10, no peer known yet
	fd.at(1000, 2, peers...)
	// MinDwell ends at 2 s (slot 1 is 1.2..2.4 s): the move is due at
	// 2 s, but its first half ended at 1.8 s. Next: slot 4 at 4.8 s.
	d := fd.at(2000, 2, peers...)
	if d.Changed || !d.Held || d.NextCheck != ms(slotOf(4)) ||
		!strings.Contains(d.Farm, "tier 0 -> 1 waits for this server's turn at 12:00:04.800 (slot owner 192.0.2.2, 3 servers take turns)") {
		t.Fatalf("at 2 s: %+v", d)
	}
	e := fd.m.Explain(ms(2000))
	if diff := cmp.Diff([]RouterID{rid1, rid2, rid3}, e.Farm.Order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if e.Farm.NextTurn != ms(slotOf(4)) || e.Farm.SlotOwner != rid2 || e.TierHeldUntil != ms(slotOf(4)) {
		t.Errorf("next turn %v, slot owner %v, tier held until %v", e.Farm.NextTurn, e.Farm.SlotOwner, e.TierHeldUntil)
	}
	if d := fd.at(2400, 2, peers...); d.Changed || d.NextCheck != ms(slotOf(4)) {
		t.Fatalf("at 2.4 s (slot of .3): %+v", d)
	}
	if d := fd.at(slotOf(4)+100, 2, peers...); !d.Changed || d.Metric != 20 {
		t.Fatalf("in its slot: %+v", d)
	}
}

// TestFarmStaggerWaitsForPacing: a turn whose first half pacing blocks
// passes; the move goes at the next one.
func TestFarmStaggerWaitsForPacing(t *testing.T) {
	// Capacities 3, 2, 3: the server may both come back into the tier (at
	// most 3 × 2/3 = 2 each, its capacity) and leave it (the others'
	// room, 3 - 2, takes their part, 2/2).
	peers := []Peer{peer(rid1, 10, 3, 0), peer(rid3, 10, 3, 0)}
	fd := newFarmDriver(t, farmParams(2), rid2) // rank 1 of 3: slots 1, 4, 7, ...
	fd.at(0, 0)                                 // comes up at metric 10, no peer known yet
	// A drain at 4.5 s withdraws at once; the undrain at 4.6 s brings the
	// advertisement back at 5.6 s (pacing). The move up, due since 2 s,
	// cannot go in slot 4 (4.8..5.4 s): pacing blocks all of its first
	// half. It goes in slot 7.
	fd.m.Observe(ms(4500), ManualDrain(true))
	if d := fd.at(4500, 2, peers...); !d.Changed || !d.Withdraw {
		t.Fatalf("drain: %+v", d)
	}
	fd.m.Observe(ms(4600), ManualDrain(false))
	for n := 4600; n < 5600; n += 100 {
		if d := fd.at(n, 2, peers...); d.Changed {
			t.Fatalf("at %d ms: %+v", n, d)
		}
	}
	d := fd.at(5600, 2, peers...)
	if !d.Changed || d.Metric != 10 || d.NextCheck != ms(slotOf(7)) ||
		!strings.Contains(d.Reason, "next tier move held for 2.8s") {
		t.Fatalf("at 5.6 s: %+v, want metric 10 back and the move held until slot 7", d)
	}
	if d := fd.at(slotOf(7), 2, peers...); !d.Changed || d.Metric != 20 {
		t.Fatalf("at slot 7: %+v", d)
	}
}

// TestFarmEntryTier: a server coming up starts at the peers' cheapest
// metric, or one tier above when joining them would lower what they answer.
func TestFarmEntryTier(t *testing.T) {
	for _, tc := range []struct {
		name     string
		capacity float64
		peers    []Peer
		want     uint16
		because  string
	}{
		{"peers at 20", 1, []Peer{peer(rid1, 20, 1, 0), peer(rid2, 40, 1, 0)}, 20, "farm: comes up at the peers' cheapest metric 20 (tier 1)"},
		{"peers at 10", 1, []Peer{peer(rid1, 10, 1, 0)}, 10, "advertise metric 10: tier 0"},
		{"small into overloaded", 0.5, []Peer{peer(rid1, 10, 1, 2), peer(rid2, 10, 1, 2), peer(rid4, 10, 2, 0)}, 20,
			"farm: comes up at tier 1 (metric 20): joining the 3 other servers"},
		{"no peer advertises", 1, []Peer{{RouterID: rid1, Withdrawn: true, LoadKnown: true, Capacity: 1, State: PeerWithdrawn}}, 10,
			"advertise metric 10: tier 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fd := newFarmDriver(t, farmParams(tc.capacity), rid3)
			d := fd.at(0, 0, tc.peers...)
			if !d.Changed || d.Metric != tc.want || !strings.Contains(d.Reason, tc.because) {
				t.Fatalf("first decision %+v, want metric %d because %q", d, tc.want, tc.because)
			}
		})
	}
}

// TestFarmWithdrawalGoesAtOnce: a withdrawal does not wait for the
// server's turn, nor for the peers.
func TestFarmWithdrawalGoesAtOnce(t *testing.T) {
	peers := []Peer{peer(rid1, 10, 1, 2)}
	fd := newFarmDriver(t, farmParams(1), rid2)
	fd.at(0, 0) // comes up at metric 10, no peer known yet
	fd.m.Observe(ms(1500), SocketGone())
	if d := fd.at(1500, 2, peers...); !d.Changed || !d.Withdraw {
		t.Fatalf("socket gone: %+v", d)
	}
}

// TestFarmViewNotUsed: the view is left out, and the model decides as
// without it, when it is stale, when no peer publishes its load and when
// the service has a static metric; Explain says why.
func TestFarmViewNotUsed(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Params
		v    func(now time.Time) FarmView
		why  string
	}{
		{"stale", farmParams(1), func(now time.Time) FarmView {
			return view(now.Add(-10*time.Second), rid3, peer(rid1, 20, 1, 0))
		}, "farm view stale"},
		{"old peers", farmParams(1), func(now time.Time) FarmView {
			return view(now, rid3, Peer{RouterID: rid1, Metric: 20}, Peer{RouterID: rid2, Withdrawn: true})
		}, "no peer publishes its load (1 of 2 peers advertise the prefix)"},
		{"static metric", func() Params { p := farmParams(1); p.Tiers = nil; return p }(), func(now time.Time) FarmView {
			return view(now, rid3, peer(rid1, 20, 1, 0))
		}, "fewer than two tiers"},
		// The peers' loads would hold the climb (TestFarmHoldsWhenTheOthersCannotAbsorb).
		{"rules off", func() Params { p := farmParams(0.5); p.FarmRules = false; return p }(), func(now time.Time) FarmView {
			return view(now, rid4, peer(rid1, 10, 1, 0.9), peer(rid2, 10, 1, 0.9), peer(rid3, 10, 2, 0.01))
		}, "farm rules off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			with, without := New("dns", tc.p, t0), New("dns", tc.p, t0)
			for n := 0; n <= 20000; n += 100 {
				now := ms(n)
				load := 0.0
				if n >= 3000 && n < 12000 {
					load = 2
				}
				for _, m := range []*Model{with, without} {
					m.Observe(now, ExternalLoad(load))
				}
				with.ObserveFarm(now, tc.v(now))
				a, b := with.Decide(now), without.Decide(now)
				if diff := cmp.Diff(b, a); diff != "" {
					t.Fatalf("at %d ms (-without +with):\n%s", n, diff)
				}
			}
			if len(tc.p.Tiers) > 0 && without.Changes() < 3 {
				t.Errorf("only %d changes: the script does not move the tiers", without.Changes())
			}
			if f := with.Explain(ms(20000)).Farm; f == nil || f.Active || !strings.Contains(f.Why, tc.why) {
				t.Errorf("farm explanation %+v, want inactive because %q", f, tc.why)
			}
		})
	}
}

// TestFarmNoInfoDecidesAsRecorded: with a farm view that carries no
// peer's load (empty, old peers only, or stale), every recorded run decides
// exactly as testdata/decisions.golden (written before the farm view
// existed) says, reasons included.
func TestFarmNoInfoDecidesAsRecorded(t *testing.T) {
	want := readDigests(t)
	views := map[string]func(now time.Time) FarmView{
		"empty": func(now time.Time) FarmView { return FarmView{AsOf: now, Self: rid1} },
		"old peers": func(now time.Time) FarmView {
			return view(now, rid1, Peer{RouterID: rid2, Metric: 10}, Peer{RouterID: rid3, Metric: 20},
				Peer{RouterID: rid4, Withdrawn: true})
		},
		"stale": func(now time.Time) FarmView {
			return view(now.Add(-time.Minute), rid1, peer(rid2, 10, 1, 2), peer(rid3, 20, 1, 0))
		},
	}
	for name, v := range views {
		t.Run(name, func(t *testing.T) {
			for _, c := range compatCases() {
				feed := func(m *Model, now time.Time) { m.ObserveFarm(now, v(now)) }
				if got := traceDigest(t, c, feed); got != want[c.name] {
					t.Errorf("%s: decisions differ from the recorded ones", c.name)
				}
			}
		})
	}
}

func TestFarmViewSanitized(t *testing.T) {
	m := New("dns", farmParams(1), t0)
	m.ObserveFarm(t0, FarmView{AsOf: t0, Self: rid2, Peers: []Peer{
		peer(rid4, 10, 1, 0.5),
		peer(rid2, 10, 1, 0.5), // self
		peer(rid1, 20, math.NaN(), 0.5),
		peer(rid3, 10, 1, math.Inf(1)),
		peer(rid4, 40, 2, -1), // repeats rid4: the last counts
		{RouterID: rid1 - 1, Withdrawn: true, Metric: 10, LoadKnown: true, Capacity: 3, Load: math.NaN(), State: PeerAdvertised},
	}})
	want := []Peer{
		{RouterID: rid1 - 1, Withdrawn: true},
		{RouterID: rid1, Metric: 20},
		peer(rid3, 10, 1, MaxLoad),
		peer(rid4, 40, 2, 0),
	}
	e := m.Explain(t0)
	if diff := cmp.Diff(want, e.Farm.Peers); diff != "" {
		t.Errorf("peers (-want +got):\n%s", diff)
	}
	if e.Farm.CorrectedPeers != 4 {
		t.Errorf("corrected %d, want 4 (self, NaN capacity, repeat, NaN load)", e.Farm.CorrectedPeers)
	}
	if _, err := json.Marshal(e); err != nil {
		t.Errorf("explanation does not encode: %v", err)
	}
}

func TestFarmExplanation(t *testing.T) {
	fd := newFarmDriver(t, farmParams(0.5), rid4)
	peers := []Peer{peer(rid1, 10, 1, 0.9), peer(rid2, 10, 1, 0.1), peer(rid3, 20, 2, 0)}
	fd.at(0, 0)
	fd.at(1000, 2, peers...)
	e := fd.m.Explain(ms(1000))
	below := 1.0
	want := &FarmExplanation{
		Active: true, AsOf: ms(1000), Self: rid4, Capacity: 0.5, Peers: peers,
		CheapestMetric: 10,
		CheapestSet: []FarmMember{
			{RouterID: rid1, LoadKnown: true, Capacity: 1, Load: 0.9, PeakLoad: 0.9, Status: "overloaded"},
			{RouterID: rid2, LoadKnown: true, Capacity: 1, Load: 0.1, PeakLoad: 0.1, Status: "keeps up"},
			{RouterID: rid4, Self: true, LoadKnown: true, Capacity: 0.5, Load: 2, PeakLoad: 2, Status: "overloaded"},
		},
		PeersCheapestMetric: 10, PeersAdvertising: 3,
		// 192.0.2.1 (capacity 1) is overloaded at the rate 192.0.2.2
		// (capacity 1) keeps up with: it is degraded, and the rate is
		// bounded below by this server's capacity alone (not 1..1, an
		// empty bracket).
		RateAtLeast: 0.5, RateBelow: &below,
		HeadroomWindowMS: 4800,
		Order:            []RouterID{rid1, rid2, rid3, rid4},
		SlotMS:           1200,
		SlotOwner:        rid1,
		NextTurn:         ms(slotOf(3)),
		// MinDwell runs to 2 s: no plan yet.
	}
	if diff := cmp.Diff(want, e.Farm); diff != "" {
		t.Errorf("farm explanation (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(e.Farm)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"self":"192.0.2.4"`, `"status":"keeps up"`, `"state":"advertised"`, `"rate_below":1`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("JSON lacks %s: %s", s, b)
		}
	}
	var back FarmExplanation
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*e.Farm, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

func TestRouterID(t *testing.T) {
	for _, s := range []string{"192.0.2.1", "0.0.0.0", "255.255.255.255"} {
		r, err := ParseRouterID(s)
		if err != nil || r.String() != s {
			t.Errorf("ParseRouterID(%q) = %v, %v", s, r, err)
		}
	}
	if r, _ := ParseRouterID("192.0.2.1"); r != rid1 {
		t.Errorf("192.0.2.1 = %#x, want %#x", uint32(r), uint32(rid1))
	}
	for _, s := range []string{"", "192.0.2", "2001:db8::1", "192.0.2.256"} {
		if _, err := ParseRouterID(s); err == nil {
			t.Errorf("ParseRouterID(%q) accepted", s)
		}
	}
	var st PeerState
	if err := st.UnmarshalText([]byte("drained")); err != nil || st != PeerDrained {
		t.Errorf("drained: %v, %v", st, err)
	}
	if err := st.UnmarshalText([]byte("gone")); err == nil {
		t.Error("peer state gone accepted")
	}
	if _, err := PeerState(9).MarshalText(); err == nil {
		t.Error("peer state 9 marshalled")
	}
}

func TestFarmParams(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Params)
		want string
	}{
		{"negative capacity", func(p *Params) { p.Capacity = -1 }, "capacity: must be within 0..1e+06 (0: 1), got -1"},
		{"NaN capacity", func(p *Params) { p.Capacity = math.NaN() }, "capacity: must be within"},
		{"short slot", func(p *Params) { p.FarmSlot = time.Second }, "farm_slot: must be at least min_interval (1.1s), got 1s"},
		{"negative age", func(p *Params) { p.FarmMaxAge = -time.Second }, "farm_max_age: must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.edit(&p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
			n, _ := p.normalized()
			if n.Validate() != nil {
				t.Errorf("normalized params still invalid: %v", n.Validate())
			}
		})
	}
	p := DefaultParams()
	if p.capacity() != 1 || p.farmSlot() != 1100*time.Millisecond || p.farmMaxAge() != 10*time.Second {
		t.Errorf("defaults: capacity %g, slot %v, max age %v", p.capacity(), p.farmSlot(), p.farmMaxAge())
	}
}

// genFarm turns fuzz bytes into a farm: this server's capacity and, per
// moment, a view of three peers whose metrics, loads and states the bytes
// choose (some without load information, some withdrawn or drained).
func genFarm(data []byte) (capacity float64, feed func(m *Model, now time.Time)) {
	if len(data) == 0 {
		data = []byte{0}
	}
	capacity = 0.25 * float64(data[0]%8+1)
	metrics := []uint16{10, 20, 40, 15}
	return capacity, func(m *Model, now time.Time) {
		// The view changes every 300 ms, from the bytes in turn.
		k := int(now.Sub(t0)/(300*time.Millisecond)) * 3
		var peers []Peer
		for j := range 3 {
			b := data[(k+j)%len(data)]
			p := Peer{RouterID: rid1 + RouterID(j), Metric: metrics[b%4]}
			switch b >> 6 {
			case 0:
				p.Withdrawn = true
			case 1:
				p = peer(p.RouterID, p.Metric, 0.5*float64(b%5+1), float64(b%9)/4)
			case 2:
				p = peer(p.RouterID, p.Metric, 1, float64(b%3)/2)
				if b%7 == 0 {
					p.State = PeerDrained
				}
			}
			peers = append(peers, p)
		}
		m.ObserveFarm(now, view(now, rid4, peers...))
	}
}

// FuzzFarm checks the pacing invariants (checkInvariants) with a farm view
// that changes as the bytes say.
func FuzzFarm(f *testing.F) {
	f.Add([]byte{10, 4, 2, 2, 1, 0, 7, 0, 10, 0, 0, 150, 20, 6, 0, 100, 7, 0}, []byte{3, 70, 140, 200, 65})
	f.Add([]byte{29, 39, 7, 3, 3, 4, 31, 100, 0, 255, 0, 5, 1, 0, 250, 3, 2, 0, 4, 255, 0, 2, 0, 3, 0, 0}, []byte{1, 129, 66})
	f.Fuzz(func(t *testing.T, data, farm []byte) {
		p, samples := genCase(data)
		capacity, feed := genFarm(farm)
		p.Capacity = capacity
		checkInvariantsFed(t, p, samples, feed)
	})
}

// TestFarmPacingProperty runs FuzzFarm's check over random cases, so that
// a plain `go test` checks it too.
func TestFarmPacingProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 15))
	n := 200
	if testing.Short() {
		n = 40
	}
	for i := range n {
		data, farm := randomCase(r), randomBytes(r, 1+r.IntN(60))
		p, samples := genCase(data)
		capacity, feed := genFarm(farm)
		p.Capacity = capacity
		t.Run("", func(t *testing.T) {
			checkInvariantsFed(t, p, samples, feed)
			if t.Failed() {
				t.Logf("case %d data %v farm %v", i, data, farm)
			}
		})
	}
}
