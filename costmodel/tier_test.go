package costmodel

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fast returns quick() with dwell and pacing short enough to leave the
// thresholds alone under test.
func fast() Params {
	p := quick()
	p.MinDwell, p.MaxDwell, p.MinInterval = 10*time.Millisecond, 10*time.Millisecond, 10*time.Millisecond
	return p
}

func TestHysteresis(t *testing.T) {
	custom := fast()
	custom.Tiers = []Tier{{Metric: 100, Up: 0.5, Down: 0.2}, {Metric: 300}}
	tests := []struct {
		name  string
		p     Params
		loads []float64
		want  []uint16
	}{
		{
			name:  "up at Up, not below",
			p:     fast(),
			loads: []float64{0.5, 0.59, 0.6, 0.84, 0.85, 1},
			want:  []uint16{10, 10, 20, 20, 40, 40},
		},
		{
			name:  "back only below Down",
			p:     fast(),
			loads: []float64{0.9, 0.9, 0.7, 0.65, 0.64, 0.5, 0.41, 0.4, 0.39, 0.59},
			want:  []uint16{20, 40, 40, 40, 20, 20, 20, 20, 10, 10},
		},
		{
			name:  "inside the band nothing moves",
			p:     fast(),
			loads: []float64{0.6, 0.45, 0.55, 0.41, 0.59, 0.84, 0.4},
			want:  []uint16{20, 20, 20, 20, 20, 20, 20},
		},
		{
			name:  "two tiers",
			p:     custom,
			loads: []float64{0.49, 0.5, 0.21, 0.2, 0.19, 2},
			want:  []uint16{100, 300, 300, 300, 100, 300},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The first moment is a baseline: the dwell time runs from New.
			moments := []at{{0, []Sample{ExternalLoad(0)}}}
			for i, l := range tt.loads {
				moments = append(moments, at{(i + 1) * 1000, []Sample{ExternalLoad(l)}})
			}
			_, steps := script(t, tt.p, moments)
			var got []uint16
			for _, s := range steps[1:] {
				got = append(got, s.adv.Metric)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("metrics for loads %v (-want +got):\n%s", tt.loads, diff)
			}
		})
	}
}

func TestDwell(t *testing.T) {
	p := quick()
	p.MinInterval = 10 * time.Millisecond
	load := func(x float64) []Sample { return []Sample{ExternalLoad(x)} }
	tests := []struct {
		name    string
		moments []at
		want    []step
	}{
		{
			name:    "first move waits MinDwell from the start",
			moments: []at{{0, load(0.7)}, {1999, nil}, {2000, nil}},
			want: []step{
				{0, metric(10), true, 2000},
				{1999, metric(10), false, 2000},
				{2000, metric(20), true, -1},
			},
		},
		{
			name:    "a second move waits MinDwell after the first",
			moments: []at{{0, load(0)}, {2500, load(1)}, {3000, nil}, {4499, nil}, {4500, nil}},
			want: []step{
				{0, metric(10), true, -1},
				{2500, metric(20), true, 4500},
				{3000, metric(20), false, 4500},
				{4499, metric(20), false, 4500},
				{4500, metric(40), true, -1},
			},
		},
		{
			name:    "a downward move waits too",
			moments: []at{{0, load(0)}, {2500, load(0.7)}, {3000, load(0)}, {4499, nil}, {4500, nil}},
			want: []step{
				{0, metric(10), true, -1},
				{2500, metric(20), true, -1},
				{3000, metric(20), false, 4500},
				{4499, metric(20), false, 4500},
				{4500, metric(10), true, -1},
			},
		},
		{
			name:    "the held move is dropped when the load comes back into the band",
			moments: []at{{0, load(0.7)}, {1000, load(0.5)}, {2000, nil}},
			want: []step{
				{0, metric(10), true, 2000},
				{1000, metric(10), false, -1},
				{2000, metric(10), false, -1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := script(t, p, tt.moments)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(step{})); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBoundedSteps: a saturated service climbs one tier at a time and comes
// back one tier at a time; the reported metric never skips a tier, even when
// the dwell time is shorter than the pacing interval.
func TestBoundedSteps(t *testing.T) {
	for _, dwell := range []time.Duration{2 * time.Second, 300 * time.Millisecond, time.Millisecond} {
		t.Run(dwell.String(), func(t *testing.T) {
			p := quick()
			p.MinDwell, p.MaxDwell = dwell, dwell
			samples := every(0, 20000, 100, func(n int) []Sample {
				if n < 8000 {
					return []Sample{ExternalLoad(1)}
				}
				return []Sample{ExternalLoad(0)}
			})
			_, changes, _ := live(p, t0, ms(20000), samples)
			got := reduce(changes)
			var metrics []uint16
			for _, c := range got {
				metrics = append(metrics, c.adv.Metric)
			}
			if diff := cmp.Diff([]uint16{10, 20, 40, 20, 10}, metrics); diff != "" {
				t.Fatalf("metrics (-want +got):\n%s\nchanges %v", diff, got)
			}
			for i := 1; i < len(got); i++ {
				if gap := got[i].ms - got[i-1].ms; time.Duration(gap)*time.Millisecond < max(dwell, p.MinInterval) {
					t.Errorf("changes %v and %v only %d ms apart", got[i-1], got[i], gap)
				}
			}
		})
	}
}

// TestDownDwellBackoff: a downward move that the load reverses quickly
// doubles the next downward dwell; a calm period resets it.
func TestDownDwellBackoff(t *testing.T) {
	p := quick()
	p.MinDwell, p.MaxDwell, p.MinInterval = time.Second, 8*time.Second, 10*time.Millisecond
	// The load follows the phases below, sampled every 100 ms.
	phases := []struct {
		until int
		load  float64
	}{
		{1500, 0.7},  // up at 1000 (MinDwell from the start)
		{3000, 0},    // down at 2000 (down dwell 1 s)
		{4500, 0.7},  // up at 3000: reversed after 1 s, down dwell 2 s
		{6000, 0},    // down at 5000
		{7000, 0.7},  // up at 6000: down dwell 4 s
		{16000, 0},   // down at 10000
		{17000, 0.7}, // up at 16000 (6 s after the down move < 8 s): down dwell 8 s
		{40000, 0},   // down at 24000, then calm
		{40500, 0.7}, // up at 40000: the last down move 16 s ago >= MaxDwell: reset to 1 s
		{44000, 0},   // down at 41000
	}
	samples := every(0, 44000, 100, func(n int) []Sample {
		for _, ph := range phases {
			if n < ph.until {
				return []Sample{ExternalLoad(ph.load)}
			}
		}
		return nil
	})
	_, changes, _ := live(p, t0, ms(44000), samples)
	want := []change{
		{0, metric(10)},
		{1000, metric(20)}, {2000, metric(10)},
		{3000, metric(20)}, {5000, metric(10)},
		{6000, metric(20)}, {10000, metric(10)},
		{16000, metric(20)}, {24000, metric(10)},
		{40000, metric(20)}, {41000, metric(10)},
	}
	if diff := cmp.Diff(want, reduce(changes), cmp.AllowUnexported(change{})); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func TestHerdingChangesPerMinute(t *testing.T) {
	// The worst case for flapping with the defaults: the stays in tier 1 go
	// 2, 4, 8, 16, 32 s, i.e. 10 changes in the first minute then two per
	// 34 s.
	stays := herding(t, quick(), 60*time.Second)
	if len(stays) != 4 || stays[3] != 16*time.Second {
		t.Errorf("stays in tier 1 during the first minute: %v", stays)
	}
}

func TestTierFrozenWhileWithdrawn(t *testing.T) {
	p := fast()
	p.Fall = 1
	_, got := script(t, p, []at{
		{0, []Sample{ExternalLoad(0), ProbeResult(true, 0)}},
		{100, []Sample{ExternalLoad(0.7), ProbeResult(true, 0)}},
		{200, []Sample{ProbeResult(false, 0), ExternalLoad(1)}},
		{300, []Sample{ProbeResult(false, 0), ExternalLoad(1)}},
		{400, []Sample{ProbeResult(false, 0), ExternalLoad(1)}},
		// Load 0.7 keeps tier 1 (20) but would keep tier 2 (40) too: only a
		// tier frozen while withdrawn comes back at 20.
		{500, []Sample{ProbeResult(true, 0), ProbeResult(true, 0), ProbeResult(true, 0), ExternalLoad(0.7)}},
	})
	want := []Advert{metric(10), metric(20), wd, wd, wd, metric(20)}
	for i, s := range got {
		if s.adv != want[i] {
			t.Errorf("at %d ms: %v, want %v", s.ms, s.adv, want[i])
		}
	}
}

func TestSocketGoneResetsTier(t *testing.T) {
	p := fast()
	m, got := script(t, p, []at{
		{0, []Sample{SocketSample(0.9, 0)}},
		{100, []Sample{SocketSample(0.9, 0)}},
		{200, []Sample{SocketSample(0.9, 0)}},
		{300, []Sample{SocketGone().WithSource("sock_diag destroy")}},
		{400, []Sample{SocketSample(0, 0)}},
	})
	want := []Advert{metric(10), metric(20), metric(40), wd, metric(10)}
	for i, s := range got {
		if s.adv != want[i] {
			t.Errorf("at %d ms: %v, want %v", s.ms, s.adv, want[i])
		}
	}
	h := m.History()
	if !strings.Contains(h[3].Reason, "socket gone [sock_diag destroy]") {
		t.Errorf("withdraw reason %q, want the socket and its source", h[3].Reason)
	}
}
