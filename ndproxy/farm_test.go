package ndproxy

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// simParams are the [nd] defaults: min_gap 500 ms, standby_after 30 s.
var simParams = Params{MinGap: 500 * time.Millisecond, StandbyAfter: 30 * time.Second}

// startFarm builds a farm, lets the router resolve the address (every
// server idle, one multicast solicitation) and turns the traffic on.
func startFarm(t *testing.T, latency time.Duration, seed uint64, metrics ...uint16) *farm {
	t.Helper()
	f := newFarm(simParams, latency, seed, metrics...)
	f.solicit()
	f.startTraffic()
	f.run(f.now.Add(2 * time.Second))
	for i, srv := range f.servers {
		if st, _, why := srv.s.State(); st != StateActive {
			t.Fatalf("server %d after the router's solicitation: %v (%s), want active", i, st, why)
		}
	}
	if len(f.answers) != len(metrics) {
		t.Fatalf("%d answers to the router's solicitation, want one per server (%d)", len(f.answers), len(metrics))
	}
	return f
}

// TestFarmGap: however the draws fall, two NAs for the address are never
// closer than min_gap on the link, as long as the one-way latency (wire
// and scheduling) is under an eighth of a slot (2.5 ms; the slot is
// 20 ms), and once every server has been heard, under half a slot: the
// servers' grids are offset by one latency, and a peer's NA takes another
// to arrive.
func TestFarmGap(t *testing.T) {
	for _, tc := range []struct {
		name    string
		latency time.Duration
		metrics []uint16
		known   bool // count only once every server has sent an NA
	}{
		{"three equal, 1ms", time.Millisecond, []uint16{10, 10, 10}, false},
		{"three tiers, 1ms", time.Millisecond, []uint16{10, 20, 40}, false},
		{"eight equal, 2ms", 2 * time.Millisecond, []uint16{10, 10, 10, 10, 10, 10, 10, 10}, false},
		{"two, one drained, 1ms", time.Millisecond, []uint16{10, 65535}, false},
		{"five equal, 9ms, all known", 9 * time.Millisecond, []uint16{10, 10, 10, 10, 10}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFarm(t, tc.latency, 7, tc.metrics...)
			if tc.known {
				for !f.allSent() {
					f.run(f.now.Add(time.Second))
				}
			}
			from := len(f.nas)
			f.run(f.now.Add(time.Hour))
			n := len(f.nas) - from
			best, under := f.minGap(from, simParams.MinGap)
			if under > 0 {
				t.Errorf("%d of %d intervals between NAs under min_gap %v (smallest %v)", under, n, simParams.MinGap, best)
			}
			if n < 1800 {
				t.Errorf("only %d NAs in 1 h: the servers hardly take turns", n)
			}
			t.Logf("%d NAs in 1 h (%.2f/s), smallest interval %v", n, float64(n)/3600, best)
		})
	}
}

// TestFarmGapNeedsTheGrid: without the send grid (one slot per server
// of 1 ns, i.e. none), near-simultaneous sends do happen at the same
// latency: the grid is what keeps the gap.
func TestFarmGapNeedsTheGrid(t *testing.T) {
	p := simParams
	p.Slot = time.Nanosecond
	f := newFarm(p, time.Millisecond, 7, 10, 10, 10)
	f.solicit()
	f.startTraffic()
	f.run(f.now.Add(time.Hour))
	if _, under := f.minGap(0, p.MinGap); under == 0 {
		t.Errorf("no interval under min_gap without the grid: this test no longer shows what the grid is for")
	}
}

// TestFarmShares: the share of time the router sends to a server (so its
// share of the queries) is its eagerness 1/weight over the sum of all
// (see the package doc): equal weights share equally; weights 1, 2, 4
// (metrics 10, 20, 40) get 4/7, 2/7, 1/7.
func TestFarmShares(t *testing.T) {
	for _, tc := range []struct {
		metrics []uint16
		want    []float64
		tol     float64
	}{
		{[]uint16{10, 10, 10}, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, 0.03},
		{[]uint16{10, 20, 40}, []float64{4.0 / 7, 2.0 / 7, 1.0 / 7}, 0.04},
		{[]uint16{10, 10, 40}, []float64{4.0 / 9, 4.0 / 9, 1.0 / 9}, 0.04},
		{[]uint16{20, 20}, []float64{0.5, 0.5}, 0.03},
	} {
		f := startFarm(t, time.Millisecond, 11, tc.metrics...)
		f.resetShares()
		f.run(f.now.Add(2 * time.Hour))
		got := f.shares()
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > tc.tol {
				t.Errorf("metrics %v: shares %.3f, want %.3f ± %.2f", tc.metrics, got, tc.want, tc.tol)
				break
			}
		}
		t.Logf("metrics %v: shares %.3f (model %.3f)", tc.metrics, got, tc.want)
	}
}

// TestFarmCrashTakeover: a holder that dies without a word (no call) is
// replaced within MaxWait of its last NA: the lightest survivor's draw is
// capped.
func TestFarmCrashTakeover(t *testing.T) {
	f := startFarm(t, time.Millisecond, 3, 10, 10, 20)
	var worst time.Duration
	for round := range 200 {
		f.run(f.now.Add(time.Duration(1000+round*37) * time.Millisecond))
		h := f.holder
		last := f.nas[len(f.nas)-1]
		if last.server != h {
			continue // the router answered a solicitation meanwhile
		}
		f.servers[h].dead = true
		from := len(f.nas)
		f.run(f.now.Add(30 * time.Second))
		if len(f.nas) == from {
			t.Fatalf("round %d: nobody took over from dead server %d", round, h)
		}
		took := f.nas[from].at.Sub(last.at)
		worst = max(worst, took)
		// The server comes back as after a restart.
		srv := f.servers[h]
		srv.s = NewScheduler(simParams, srv.mac, func() float64 { return 0.5 }, f.now)
		srv.s.Decide(f.now, false, srv.metric, 10)
		srv.dead = false
	}
	// The survivors include a weight-1 server; the grid holds 3.
	bound := simParams.WithDefaults().MaxWait(1, 3)
	if worst > bound {
		t.Errorf("slowest takeover after a crash %v, want at most %v", worst, bound)
	}
	t.Logf("slowest takeover after a silent crash: %v (bound %v)", worst, bound)
}

// TestFarmWithdrawTakeover: a holder whose service goes withdrawn calls;
// a peer takes over at the gap after the holder's last NA, or shortly
// after the call if that is later.
func TestFarmWithdrawTakeover(t *testing.T) {
	f := startFarm(t, time.Millisecond, 5, 10, 10, 10)
	p := simParams.WithDefaults()
	var worst time.Duration
	for round := range 200 {
		f.run(f.now.Add(time.Duration(1000+round*41) * time.Millisecond))
		h := f.holder
		last := f.nas[len(f.nas)-1]
		if last.server != h {
			continue
		}
		withdrawAt := f.now
		f.act(h, f.servers[h].s.Decide(f.now, true, 0, 10))
		from := len(f.nas)
		f.run(f.now.Add(10 * time.Second))
		if len(f.nas) == from || f.nas[from].server == h {
			t.Fatalf("round %d: no takeover from withdrawn server %d", round, h)
		}
		took := f.nas[from].at.Sub(withdrawAt)
		// The earliest the gap allows, plus the early draw's cap and a
		// round of the grid.
		bound := max(last.at.Add(p.MinGap).Sub(withdrawAt), f.latency) +
			drawCap*earlySlots*p.Slot + 3*p.Slot
		if took > bound {
			t.Errorf("round %d: takeover %v after the withdrawal, want at most %v", round, took, bound)
		}
		worst = max(worst, took)
		f.act(h, f.servers[h].s.Decide(f.now, false, 10, 10))
	}
	t.Logf("slowest takeover after a withdrawal: %v", worst)
}

// TestFarmStandby: without queries every server goes to standby and the
// link falls silent; the next query (to the last holder) wakes the farm.
func TestFarmStandby(t *testing.T) {
	f := startFarm(t, time.Millisecond, 9, 10, 10, 10)
	f.run(f.now.Add(10 * time.Second))
	f.traffic = false
	f.run(f.now.Add(simParams.StandbyAfter + 10*time.Second))
	for i, srv := range f.servers {
		if st, _, _ := srv.s.State(); st != StateStandby {
			t.Fatalf("server %d: %v after %v without queries, want standby", i, st, simParams.StandbyAfter+10*time.Second)
		}
	}
	quiet := len(f.nas)
	f.run(f.now.Add(5 * time.Minute))
	if n := len(f.nas) - quiet; n != 0 {
		t.Fatalf("%d NAs sent in standby, want none", n)
	}
	f.startTraffic()
	f.run(f.now.Add(2 * time.Second))
	for i, srv := range f.servers {
		if st, _, why := srv.s.State(); st != StateActive {
			t.Errorf("server %d: %v (%s) after traffic resumed, want active", i, st, why)
		}
	}
	f.resetShares()
	f.run(f.now.Add(30 * time.Minute))
	for i, sh := range f.shares() {
		if sh < 0.25 {
			t.Errorf("server %d got %.2f of the time after waking, want about 1/3", i, sh)
		}
	}
}

// TestFarmNewcomer: a server that starts while the farm serves joins the
// turns at the first peer NA it hears, without any solicitation.
func TestFarmNewcomer(t *testing.T) {
	f := startFarm(t, time.Millisecond, 13, 10, 10, 10)
	f.servers[2].dead = true
	f.run(f.now.Add(10 * time.Second))
	// Restart server 2 from scratch.
	s := NewScheduler(simParams, f.servers[2].mac, func() float64 { return 0.5 }, f.now)
	s.Decide(f.now, false, 10, 10)
	f.servers[2].s, f.servers[2].dead = s, false
	f.run(f.now.Add(5 * time.Second))
	if st, _, why := s.State(); st != StateActive {
		t.Fatalf("newcomer: %v (%s), want active", st, why)
	}
	if s.Stats().Turns == 0 {
		t.Errorf("newcomer took no turn in 5 s")
	}
}

// TestFarmRestartKeepsTheGap: a server killed and restarted while its
// peers serve rebuilds its send grid from the NAs it hears; it must not
// send on a grid that still lacks a peer (the lab saw two turns 15.6 µs
// apart after a crash trial). Latency 50 µs, as on the lab's bridge.
// Before the warm-up (Scheduler.warming), 61 intervals of 2000 restarts
// were under min_gap.
func TestFarmRestartKeepsTheGap(t *testing.T) {
	var under, restarts int
	for seed := uint64(1); seed <= 20; seed++ {
		f := startFarm(t, 50*time.Microsecond, seed, 10, 10, 10)
		restarts += f.restartHolders(rand.New(rand.NewPCG(seed, 99)), 100)
		for i := 1; i < len(f.nas); i++ {
			if d := f.nas[i].at.Sub(f.nas[i-1].at); d < simParams.MinGap {
				under++
				t.Errorf("seed %d: NA %d by server %d and NA %d by server %d only %v apart", seed, i-1, f.nas[i-1].server, i, f.nas[i].server, d)
			}
		}
	}
	t.Logf("%d restarts, %d intervals under min_gap", restarts, under)
}
