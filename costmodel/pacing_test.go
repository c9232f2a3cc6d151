package costmodel

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var cmpIgnoreInputs = cmpopts.IgnoreFields(Change{}, "Inputs")

// paced returns quick() with a short dwell, so that pacing (MinInterval
// 1.1 s) is what holds changes back.
func paced() Params {
	p := quick()
	p.MinDwell, p.MaxDwell = 100*time.Millisecond, 100*time.Millisecond
	return p
}

func TestPacing(t *testing.T) {
	load := func(x float64) []Sample { return []Sample{ExternalLoad(x)} }
	tests := []struct {
		name    string
		moments []at
		want    []step
	}{
		{
			name:    "first change at once, the next held until MinInterval after it",
			moments: []at{{0, load(0)}, {200, load(0.7)}, {1099, nil}, {1100, nil}},
			want: []step{
				{0, metric(10), true, -1},
				{200, metric(10), false, 1100},
				{1099, metric(10), false, 1100},
				{1100, metric(20), true, -1},
			},
		},
		{
			name: "a held metric is replaced by a newer one, one tier per report",
			moments: []at{{0, load(0)}, {200, load(1)}, {400, nil}, {1100, nil}, {1300, nil},
				{2200, nil}},
			want: []step{
				{0, metric(10), true, -1},
				{200, metric(10), false, 300}, // the next tier move: dwell until 300 ms
				{400, metric(10), false, 1100},
				{1100, metric(20), true, 2200},
				{1300, metric(20), false, 2200},
				{2200, metric(40), true, -1},
			},
		},
		{
			name:    "a change no longer wanted is not sent",
			moments: []at{{0, load(0)}, {200, load(0.7)}, {300, load(0.3)}, {1100, nil}},
			want: []step{
				{0, metric(10), true, -1},
				{200, metric(10), false, 1100},
				// The tier moved to 1 at 200 ms and back to 0 at 300 ms
				// (dwell 100 ms): nothing left to send.
				{300, metric(10), false, -1},
				{1100, metric(10), false, -1},
			},
		},
		{
			name:    "withdraw not held by pacing",
			moments: []at{{0, load(0)}, {200, []Sample{ManualDrain(true)}}, {1100, nil}},
			want: []step{
				{0, metric(10), true, -1},
				{200, wd, true, -1},
				{1100, wd, false, -1},
			},
		},
		{
			name:    "re-advertising is paced after a withdrawal",
			moments: []at{{0, load(0)}, {1200, []Sample{SocketGone()}}, {1300, []Sample{SocketSample(0, 0)}}, {2300, nil}},
			want: []step{
				{0, metric(10), true, -1},
				{1200, wd, true, -1},
				{1300, wd, false, 2300},
				{2300, metric(10), true, -1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := script(t, paced(), tt.moments)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(step{})); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWithdrawPriority: a metric change waits for its pacing slot; a
// withdrawal wanted meanwhile goes at once and replaces it.
func TestWithdrawPriority(t *testing.T) {
	m, got := script(t, paced(), []at{
		{0, []Sample{ExternalLoad(0), SocketSample(0, 0)}},
		{500, []Sample{ExternalLoad(0.7)}},                    // wants metric 20, held until 1100
		{800, []Sample{SocketGone().WithSource("sock_diag")}}, // wants withdraw
		{1100, nil},
	})
	want := []step{
		{0, metric(10), true, -1},
		{500, metric(10), false, 1100},
		{800, wd, true, -1},
		{1100, wd, false, -1},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(step{})); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	c, _ := m.LastChange()
	if c.From != metric(10) || c.To != wd || !c.WantedAt.Equal(ms(800)) || c.HeldMS != 0 ||
		!strings.Contains(c.Reason, "socket gone [sock_diag]") || !c.NextAllowed.Equal(ms(1900)) {
		t.Errorf("change %+v", c)
	}
}

// TestWithdrawAtOnce: a withdrawal is reported at once, even 200 ms after
// the previous change (the OSPF engine sends it as early as the router
// takes it); the return after its cause went away is paced from it.
func TestWithdrawAtOnce(t *testing.T) {
	tests := []struct {
		name   string
		cause  []Sample
		cured  []Sample
		keep   []Sample // observed every 200 ms after the cure
		reason string
	}{
		{"manual drain and undrain", []Sample{ManualDrain(true)}, []Sample{ManualDrain(false)}, nil, "drained (manual)"},
		{"socket gone and back", []Sample{SocketGone()}, []Sample{SocketSample(0, 0)}, nil, "socket gone"},
		{"probe down and up", []Sample{ProbeResult(false, 0), ProbeResult(false, 0)},
			[]Sample{ProbeResult(true, 0), ProbeResult(true, 0), ProbeResult(true, 0)},
			[]Sample{ProbeResult(true, 0)}, "probe down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moments := []at{{0, nil}, {200, tt.cause}, {500, tt.cured}}
			want := []step{
				{0, metric(10), true, -1},
				{200, wd, true, -1},
				{500, wd, false, 1300},
			}
			for n := 700; n <= 2100; n += 200 {
				moments = append(moments, at{n, tt.keep})
				switch {
				case n < 1300:
					want = append(want, step{n, wd, false, 1300})
				case n == 1300:
					want = append(want, step{n, metric(10), true, -1})
				default:
					want = append(want, step{n, metric(10), false, -1})
				}
			}
			m, got := script(t, paced(), moments)
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(step{})); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			h := m.History()
			if len(h) != 3 {
				t.Fatalf("history %+v, want 3 changes", h)
			}
			if !strings.Contains(h[1].Reason, tt.reason) || !h[1].WantedAt.Equal(ms(200)) || h[1].HeldMS != 0 {
				t.Errorf("withdraw change %+v, want reason with %q, wanted at 200 ms, not held", h[1], tt.reason)
			}
		})
	}
}

func TestHistoryRing(t *testing.T) {
	p := paced()
	p.MinInterval = 10 * time.Millisecond
	m := New("svc", p, t0)
	for i := range 25 {
		m.Observe(ms(i*100), ManualDrain(i%2 == 1))
		if d := m.Decide(ms(i * 100)); !d.Changed {
			t.Fatalf("decision %d did not change: %+v", i, d)
		}
	}
	h := m.History()
	if len(h) != historySize || m.Changes() != 25 {
		t.Fatalf("history %d entries, %d changes; want %d and 25", len(h), m.Changes(), historySize)
	}
	for i, c := range h {
		if want := ms((i + 5) * 100); !c.At.Equal(want) {
			t.Errorf("history[%d] at %v, want %v (oldest first)", i, c.At, want)
		}
	}
	e := m.Explain(ms(2500))
	if len(e.History) != historySize || e.Changes != 25 {
		t.Errorf("Explain history %d, changes %d", len(e.History), e.Changes)
	}
}

func TestChangeRecordsTheDecision(t *testing.T) {
	p := paced()
	m := New("svc", p, t0)
	m.Observe(t0, SocketSample(0, 0).WithSource("sock_diag poll"))
	m.Decide(t0)
	m.Observe(ms(1500), SocketSample(0.75, 0).WithSource("sock_diag poll"))
	d := m.Decide(ms(1500))
	if !d.Changed || d.Metric != 20 {
		t.Fatalf("decision %+v", d)
	}
	c, ok := m.LastChange()
	if !ok {
		t.Fatal("no change recorded")
	}
	want := Change{
		At:          ms(1500),
		From:        metric(10),
		To:          metric(20),
		Reason:      "metric 10 -> 20: load 0.750 >= tier[0].up 0.6: tier 0 -> 1 (metric 10 -> 20)",
		Load:        0.75,
		LoadSource:  "rqueue",
		Tier:        1,
		WantedAt:    ms(1500),
		NextAllowed: ms(2600),
	}
	if diff := cmp.Diff(want, c, cmpIgnoreInputs); diff != "" {
		t.Errorf("change (-want +got):\n%s", diff)
	}
	sock := c.Inputs[0]
	if sock.Input != InputSocket || *sock.RQueue != 0.75 || sock.Source != "sock_diag poll" || sock.AgeMS != 0 {
		t.Errorf("recorded socket input %+v", sock)
	}
	if d.Reason != want.Reason {
		t.Errorf("decision reason %q, want %q", d.Reason, want.Reason)
	}
}

func TestDecisionWake(t *testing.T) {
	for _, c := range []struct {
		next, stale int
		want        int
	}{
		{-1, -1, -1}, {5, -1, 5}, {-1, 7, 7}, {5, 7, 5}, {9, 7, 7},
	} {
		d := Decision{}
		if c.next >= 0 {
			d.NextCheck = ms(c.next)
		}
		if c.stale >= 0 {
			d.StaleAt = ms(c.stale)
		}
		if got := sinceT0(d.Wake()); got != c.want {
			t.Errorf("Wake(next %d, stale %d) = %d, want %d", c.next, c.stale, got, c.want)
		}
	}
}

// TestDecideIdempotent: deciding twice at the same time changes nothing.
func TestDecideIdempotent(t *testing.T) {
	p := paced()
	m := New("svc", p, t0)
	for i := range 50 {
		now := ms(i * 150)
		m.Observe(now, ExternalLoad(float64(i%10)/10))
		a := m.Decide(now)
		b := m.Decide(now)
		if b.Changed || a.Advert() != b.Advert() {
			t.Fatalf("at %v: first %+v, second %+v", now, a, b)
		}
	}
}
