package costmodel

import (
	"strings"
	"testing"
	"time"
)

// farmOf runs several models that see each other through their farm views
// (each view as of now, the others' adverts and loads as they stand), every
// server fed its own external load.
type farmOf struct {
	ids    []RouterID
	models []*Model
}

func newFarmOf(p Params, ids ...RouterID) *farmOf {
	f := &farmOf{ids: ids}
	for range ids {
		f.models = append(f.models, New("dns", p, t0))
	}
	return f
}

// step observes loads[i] on server i at n ms, hands each the view of the
// others and decides.
func (f *farmOf) step(n int, loads ...float64) []Decision {
	now := ms(n)
	for i, m := range f.models {
		m.Observe(now, ExternalLoad(loads[i]))
	}
	ds := make([]Decision, len(f.models))
	for i, m := range f.models {
		var peers []Peer
		for j, o := range f.models {
			if j == i {
				continue
			}
			pe := Peer{RouterID: f.ids[j], Withdrawn: o.adv.Withdrawn, Metric: o.adv.Metric, LoadKnown: true,
				Capacity: 1, Load: o.Load(now), State: PeerAdvertised}
			if o.adv.Withdrawn {
				pe.State = PeerWithdrawn
			}
			peers = append(peers, pe)
		}
		m.ObserveFarm(now, view(now, f.ids[i], peers...))
		ds[i] = m.Decide(now)
	}
	return ds
}

func (f *farmOf) metrics() []uint16 {
	out := make([]uint16, len(f.models))
	for i, m := range f.models {
		out[i] = m.adv.Metric
	}
	return out
}

// ecmpLoads is the load figure of each server when the farm is offered
// 1.2 times its capacity (three servers of capacity 1) and the router
// splits it over the cheapest tier: a server offered its capacity or more
// is congested (0.95), one offered less, or nothing, keeps up (0.05).
func ecmpLoads(metrics []uint16) []float64 {
	cheapest := metrics[0]
	for _, m := range metrics {
		cheapest = min(cheapest, m)
	}
	k := 0
	for _, m := range metrics {
		if m == cheapest {
			k++
		}
	}
	out := make([]float64, len(metrics))
	for i, m := range metrics {
		out[i] = 0.05
		if m == cheapest && 3*1.2/float64(k) >= 1 {
			out[i] = 0.95
		}
	}
	return out
}

// TestFarmSaturated: a farm whose every server is overloaded climbs as a
// whole to its dearest tier (a site's core then sends the queries
// elsewhere, docs/sites.md), its servers together rather than one per
// slot, so that their shares stay equal on the way; it comes back down
// when the load falls. With every server's load held (as the lab's load
// files do) and with the load following the router's split, the servers
// seeing it at different times (a server that climbed gets nothing, so
// only its recent load says the farm was saturated when it left).
func TestFarmSaturated(t *testing.T) {
	for _, tc := range []struct {
		name  string
		loads func(n int, metrics []uint16) []float64
	}{
		{"loads held", func(int, []uint16) []float64 { return []float64{0.95, 0.95, 0.95} }},
		// Server i's monitor sees the load 700 ms after server i-1's.
		{"loads follow the split", func(n int, metrics []uint16) []float64 {
			out := ecmpLoads(metrics)
			for i := range out {
				if n < 5000+700*i {
					out[i] = 0.05
				}
			}
			return out
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFarmOf(farmParams(1), rid1, rid2, rid3)
			for n := 0; n <= 5000; n += 100 {
				f.step(n, 0.05, 0.05, 0.05)
			}
			if got := f.metrics(); got[0] != 10 || got[1] != 10 || got[2] != 10 {
				t.Fatalf("idle farm: metrics %v, want all 10", got)
			}
			first, last := map[uint16]int{}, map[uint16]int{}
			moves, reached := 0, 0
			for n := 5100; n <= 60000; n += 100 {
				for i, d := range f.step(n, tc.loads(n, f.metrics())...) {
					if !d.Changed {
						continue
					}
					moves++
					if !strings.Contains(d.Farm, "the farm is saturated") {
						t.Errorf("at %d ms server %d: %+v, want a climb for a saturated farm", n, i, d)
					}
					if _, ok := first[d.Metric]; !ok {
						first[d.Metric] = n
					}
					last[d.Metric] = n
				}
				if got := f.metrics(); got[0] == 40 && got[1] == 40 && got[2] == 40 {
					reached = n
					break
				}
			}
			if reached == 0 {
				t.Fatalf("saturated farm: metrics %v after 55 s, want all 40", f.metrics())
			}
			t.Logf("all three at metric 40 %d ms after the load rose (%d moves; to 20 within %d ms, to 40 within %d ms)",
				reached-5000, moves, last[20]-first[20], last[40]-first[40])
			if moves != 6 {
				t.Errorf("%d moves, want 6 (two tiers for each of three servers)", moves)
			}
			for _, mt := range []uint16{20, 40} {
				if d := last[mt] - first[mt]; d >= int(farmSlot/time.Millisecond) {
					t.Errorf("the servers reached metric %d over %d ms, want together (within a slot)", mt, d)
				}
			}
			back := 0
			for n := reached + 100; n <= reached+120000; n += 100 {
				f.step(n, 0.05, 0.05, 0.05)
				if got := f.metrics(); got[0] == 10 && got[1] == 10 && got[2] == 10 {
					back = n
					break
				}
			}
			if back == 0 {
				t.Fatalf("recovered farm: metrics %v after 120 s, want all 10", f.metrics())
			}
		})
	}
}

// TestFarmNotSaturated: the protection holds as before while any server of
// the farm has room or says nothing of its load.
func TestFarmNotSaturated(t *testing.T) {
	for _, tc := range []struct {
		name  string
		peers []Peer
		want  string
	}{
		// One overloaded of three: the others have no room, it stays.
		{"one of three overloaded", []Peer{peer(rid1, 10, 1, 0.5), peer(rid2, 10, 1, 0.5)},
			"could absorb only 0.00 of the 1.00 it answers"},
		// Every server of the cheapest tier overloaded, but a server
		// above it has idled there: it joins instead.
		{"an idle server above", []Peer{peer(rid1, 10, 1, 0.9), peer(rid2, 10, 1, 0.9), peer(rid4, 20, 1, 0)},
			"could absorb only 0.00 of the 1.00 it answers"},
		// A peer without load information may have room.
		{"a peer without load information", []Peer{peer(rid1, 10, 1, 0.9), {RouterID: rid2, Metric: 10}},
			"could absorb only 0.50 of the 1.00 it answers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fd := newFarmDriver(t, farmParams(1), rid3)
			fd.at(0, 0, tc.peers...)
			for n := 100; n <= 20000; n += 100 {
				if d := fd.at(n, 0.9, tc.peers...); d.Changed {
					t.Fatalf("at %d ms: %+v", n, d)
				}
			}
			h := fd.m.Explain(ms(20000)).Farm.LastHold
			if h == nil || !strings.Contains(h.Reason, tc.want) || strings.Contains(h.Reason, "saturated") {
				t.Errorf("last hold %+v, want %q", h, tc.want)
			}
		})
	}
}

// TestFarmSaturatedAlone: the last server advertising, overloaded, its
// peers withdrawn, climbs as a server without a farm view does (a site
// with one server left must be able to leave the core's choice).
func TestFarmSaturatedAlone(t *testing.T) {
	fd := newFarmDriver(t, farmParams(1), rid3)
	gone := Peer{RouterID: rid1, Withdrawn: true, LoadKnown: true, Capacity: 1, State: PeerWithdrawn}
	fd.at(0, 0, gone)
	for n := 100; n <= 20000; n += 100 {
		if d := fd.at(n, 2, gone); d.Changed {
			if d.Metric != 20 || !strings.Contains(d.Farm, "the farm is saturated: all 1 at metric 10") {
				t.Fatalf("at %d ms: %+v", n, d)
			}
			return
		}
	}
	t.Fatalf("never climbed: %v", fd.m.adv)
}
