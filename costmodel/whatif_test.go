package costmodel

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// scenario makes a minute of samples for every input from a seeded random
// source: a socket sampled every 100 ms that sometimes disappears, a probe
// every 200 ms that sometimes fails, an external load every second, and
// drains now and then.
func scenario(seed uint64, d time.Duration) []Sample {
	r := rand.New(rand.NewPCG(seed, 1))
	var out []Sample
	load := 0.2
	gone := false
	for n := 0; n < int(d/time.Millisecond); n += 100 {
		at := ms(n)
		load = min(max(load+(r.Float64()-0.5)*0.2, 0), 1.2)
		switch {
		case r.IntN(150) == 0:
			gone = !gone
		}
		if gone {
			out = append(out, SocketGone().WithSource("sock_diag destroy").WithTime(at))
		} else {
			out = append(out, SocketSample(load, uint64(r.IntN(3)*r.IntN(2))).WithSource("poll").WithTime(at))
		}
		if n%200 == 0 && r.IntN(20) != 0 {
			out = append(out, ProbeResult(r.IntN(8) != 0, time.Duration(load*40)*time.Millisecond).WithTime(at))
		}
		if n%1000 == 0 {
			if r.IntN(10) == 0 {
				out = append(out, ExternalError(errTest).WithTime(at))
			} else {
				out = append(out, ExternalLoad(load*0.8).WithTime(at))
			}
		}
		if r.IntN(200) == 0 {
			out = append(out, ManualDrain(r.IntN(2) == 0).WithSource("control socket").WithTime(at))
		}
		if r.IntN(300) == 0 {
			out = append(out, DrainFile(r.IntN(2) == 0).WithTime(at))
		}
	}
	return out
}

// withProbeSilences drops the probe's samples in random stretches of
// samples, so that the probe goes stale now and then even behind a
// congested queue (where its stale window is longer).
func withProbeSilences(seed uint64, in []Sample) []Sample {
	r := rand.New(rand.NewPCG(seed, 2))
	var out []Sample
	mute := false
	for _, s := range in {
		if r.IntN(60) == 0 {
			mute = !mute
		}
		if mute && s.Input == InputProbe {
			continue
		}
		out = append(out, s)
	}
	return out
}

func TestWhatIfEqualsLive(t *testing.T) {
	monitored := DefaultParams()
	monitored.Socket.Enabled, monitored.Probe.Enabled, monitored.External.Enabled = true, true, true
	maxTier := monitored
	maxTier.DrainAction = DrainMaxTier
	static := monitored
	static.Tiers = nil
	nervous := monitored
	nervous.MinDwell, nervous.MaxDwell, nervous.Smoothing, nervous.Rise, nervous.Fall = 200*time.Millisecond, time.Second, 0, 1, 1
	params := map[string]Params{"defaults": DefaultParams(), "monitored": monitored, "max-tier": maxTier,
		"static": static, "nervous": nervous}
	for name, p := range params {
		for seed := range uint64(4) {
			t.Run(name, func(t *testing.T) {
				samples := withProbeSilences(seed, scenario(seed, time.Minute))
				end := ms(61000)
				m, changes, _ := live(p, t0, end, samples)
				m.Decide(end)
				res, err := WhatIf("svc", p, samples, end)
				if err != nil {
					t.Fatal(err)
				}
				if len(changes) < 3 {
					t.Errorf("seed %d: only %d changes, the scenario does not exercise the model", seed, len(changes))
				}
				if diff := cmp.Diff(changes, res.Changes); diff != "" {
					t.Errorf("seed %d: changes (-live +what-if):\n%s", seed, diff)
				}
				if diff := cmp.Diff(m.Explain(end), res.Explanation); diff != "" {
					t.Errorf("seed %d: explanation (-live +what-if):\n%s", seed, diff)
				}
				if got := res.Decision; got != *res.Explanation.LastDecision {
					t.Errorf("seed %d: decision %+v, explanation's last %+v", seed, got, res.Explanation.LastDecision)
				}
			})
		}
	}
}

// TestWhatIfLateWithdrawal is the lab's third case offline: a withdrawal
// asked for 200 ms after a cost change goes out at once (withdrawals are not
// paced; the OSPF engine times them against the router).
func TestWhatIfLateWithdrawal(t *testing.T) {
	p := DefaultParams()
	p.Smoothing = 0
	p.Socket.Enabled = true
	samples := every(0, 5000, 100, func(n int) []Sample {
		if n < 3000 {
			return []Sample{SocketSample(0.1, 0)}
		}
		return []Sample{SocketSample(0.7, 0)}
	})
	samples = append(samples, ManualDrain(true).WithTime(ms(3200)))
	sortSamples(samples)
	res, err := WhatIf("dns", p, samples, ms(6000))
	if err != nil {
		t.Fatal(err)
	}
	want := []change{{0, metric(10)}, {3000, metric(20)}, {3200, wd}}
	if diff := cmp.Diff(want, reduce(res.Changes), cmp.AllowUnexported(change{})); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	last := res.Changes[len(res.Changes)-1]
	if last.HeldMS != 0 || !strings.Contains(last.Reason, "drained (manual)") {
		t.Errorf("withdrawal %+v", last)
	}
	if !res.Decision.Withdraw || res.Explanation.Advertised != wd {
		t.Errorf("final decision %+v", res.Decision)
	}
}

func sortSamples(s []Sample) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].At.Before(s[j-1].At); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestWhatIfErrors(t *testing.T) {
	bad := DefaultParams()
	bad.Rise = 0
	tests := []struct {
		name    string
		p       Params
		samples []Sample
		until   time.Time
		want    string
	}{
		{"invalid params", bad, []Sample{ExternalLoad(0).WithTime(t0)}, time.Time{}, "rise: must be at least 1, got 0"},
		{"sample without time", DefaultParams(), []Sample{ExternalLoad(0)}, time.Time{}, "sample[0].at: time missing"},
		{"out of order", DefaultParams(), []Sample{ExternalLoad(0).WithTime(ms(5)), ExternalLoad(0).WithTime(ms(4))},
			time.Time{}, "sample[1].at: 2025-03-01T12:00:00.004Z is before sample[0].at 2025-03-01T12:00:00.005Z: times out of order"},
		{"unknown input", DefaultParams(), []Sample{{At: t0, Input: 42}}, time.Time{}, "sample[0].input: unknown input 42"},
		{"until before the last sample", DefaultParams(), []Sample{ExternalLoad(0).WithTime(ms(5))}, ms(4),
			"until 2025-03-01T12:00:00.004Z is before the last sample 2025-03-01T12:00:00.005Z: times out of order"},
		{"nothing at all", DefaultParams(), nil, time.Time{}, "what-if: no samples and no end time: time missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := WhatIf("svc", tt.p, tt.samples, tt.until)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := WhatIf("svc", bad, nil, t0); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("invalid params: %v does not wrap ErrInvalidParams", err)
	}
}

func TestWhatIfNoSamples(t *testing.T) {
	res, err := WhatIf("svc", DefaultParams(), nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []change{{0, metric(10)}}; !cmp.Equal(want, reduce(res.Changes), cmp.AllowUnexported(change{})) {
		t.Errorf("changes %v, want %v", reduce(res.Changes), want)
	}
}
