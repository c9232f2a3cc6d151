package costmodel

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// genCase turns fuzz bytes into parameters and a time-ordered sample list.
// Every byte string gives a valid case.
func genCase(data []byte) (Params, []Sample) {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	p := DefaultParams()
	p.MinInterval = time.Duration(int(next())%30+1) * 100 * time.Millisecond
	p.MinDwell = time.Duration(int(next())%40+1) * 50 * time.Millisecond
	p.MaxDwell = p.MinDwell * time.Duration(int(next())%8+1)
	p.Rise, p.Fall = int(next())%4+1, int(next())%4+1
	p.Smoothing = time.Duration(int(next())%5) * 200 * time.Millisecond
	flags := next()
	p.Socket.Enabled, p.Probe.Enabled, p.External.Enabled = flags&1 != 0, flags&2 != 0, flags&4 != 0
	if flags&8 != 0 {
		p.DrainAction = DrainMaxTier
	}
	if flags&16 != 0 {
		p.Tiers = nil
	}
	var samples []Sample
	now := t0
	for len(data) >= 3 {
		now = now.Add(time.Duration(next()) * 10 * time.Millisecond)
		kind, v := next(), next()
		x := float64(v) / 200
		var s Sample
		switch kind % 8 {
		case 0, 1:
			s = SocketSample(x, uint64(v%4))
		case 2:
			s = SocketGone()
		case 3:
			s = ProbeResult(v%3 != 0, time.Duration(v)*time.Millisecond/2)
		case 4:
			s = ExternalLoad(x)
		case 5:
			s = ExternalError(errTest)
		case 6:
			s = ManualDrain(v%2 == 0)
		case 7:
			s = DrainFile(v%2 == 0)
		}
		samples = append(samples, s.WithTime(now))
	}
	return p, samples
}

// checkInvariants drives a model with the samples as the daemon would and
// checks:
//   - no reported change but a withdrawal comes closer than MinInterval
//     after the previous one;
//   - the advertisement changes exactly in the decisions marked Changed;
//   - every wake-up asked for lies in the future;
//   - a withdrawal the model wants is reported in the same decision;
//   - independently of the model's own view: after a socket-gone sample, or
//     a drain when DrainAction is withdraw, the service is withdrawn in the
//     decision that follows the sample;
//   - with DrainAction withdraw, a metric change moves one tier at most;
//   - the explanation always encodes as JSON.
func checkInvariants(t *testing.T, p Params, samples []Sample) {
	t.Helper()
	checkInvariantsFed(t, p, samples, nil)
}

// checkInvariantsFed is checkInvariants with feed called before every
// Decide (a farm view); with feed, a metric change may skip tiers (the farm
// view moves down to the peers' cheapest metric at once).
func checkInvariantsFed(t *testing.T, p Params, samples []Sample, feed func(m *Model, now time.Time)) {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Fatalf("generated params invalid: %v", err)
	}
	end := t0
	if n := len(samples); n > 0 {
		end = samples[n-1].At
	}
	end = end.Add(p.MinInterval + time.Second)

	tierOf := map[uint16]int{}
	for i, tr := range p.Tiers {
		tierOf[tr.Metric] = i
	}
	var (
		lastChange  time.Time
		prev        = wd
		deadlines   []time.Time // a withdrawal must be seen by each
		sampleIndex int
		failed      bool
		fail        = func(format string, args ...any) { t.Helper(); t.Errorf(format, args...); failed = true }
	)
	hook := func(m *Model, now time.Time, d Decision) {
		if failed {
			return
		}
		// Deadlines from samples observed up to now (the decision follows
		// the sample at the same time).
		for sampleIndex < len(samples) && !samples[sampleIndex].At.After(now) {
			s := samples[sampleIndex]
			sampleIndex++
			if s.Input == InputSocket && !s.Present ||
				p.DrainAction == DrainWithdraw && (s.Input == InputManualDrain || s.Input == InputDrainFile) && s.Drained {
				deadlines = append(deadlines, s.At)
			}
		}
		if d.Changed {
			if !lastChange.IsZero() && now.Sub(lastChange) < p.MinInterval && !d.Withdraw {
				fail("changes at %v and %v are %v apart, less than %v", lastChange, now, now.Sub(lastChange), p.MinInterval)
			}
			lastChange = now
			if d.Advert() == prev {
				fail("at %v: Changed but still %v", now, prev)
			}
			if feed == nil && p.DrainAction == DrainWithdraw && !prev.Withdrawn && !d.Withdraw && len(p.Tiers) > 0 {
				if a, b := tierOf[prev.Metric], tierOf[d.Metric]; a-b > 1 || b-a > 1 {
					fail("at %v: metric %d -> %d skips a tier", now, prev.Metric, d.Metric)
				}
			}
		} else if d.Advert() != prev {
			fail("at %v: advertisement %v -> %v without Changed", now, prev, d.Advert())
		}
		prev = d.Advert()
		if w := d.Wake(); !w.IsZero() && !w.After(now) {
			fail("at %v: wake-up %v not in the future (%+v)", now, w, d)
		}
		if d.Withdraw {
			deadlines = deadlines[:0]
		} else {
			if e := m.Explain(now); e.Wanted.Withdrawn {
				fail("at %v: withdrawal wanted but not reported", now)
			}
			for _, dl := range deadlines {
				if now.After(dl) {
					fail("withdrawal due at %v (socket gone or drain) not reported at %v", dl, now)
				}
			}
		}
	}
	m, _, _ := liveFeed(p, t0, end, samples, feed, hook)
	d := m.Decide(end)
	hook(m, end, d)
	if _, err := json.Marshal(m.Explain(end)); err != nil {
		t.Errorf("Explain does not encode: %v", err)
	}
}

func FuzzPacing(f *testing.F) {
	// Seeds: a late withdrawal after a cost change, a flapping socket, a
	// probe that falls and rises, drains toggling, everything at once.
	f.Add([]byte{10, 4, 2, 2, 1, 0, 7, 0, 10, 0, 0, 150, 20, 6, 0, 100, 7, 0})
	f.Add([]byte{10, 40, 3, 3, 2, 1, 1, 1, 0, 1, 20, 2, 0, 1, 0, 10, 2, 0, 5, 0, 60})
	f.Add([]byte{11, 1, 1, 1, 1, 0, 2, 20, 3, 0, 20, 3, 0, 20, 3, 1, 20, 3, 1, 20, 3, 1, 1, 3, 0})
	f.Add([]byte{5, 2, 1, 0, 0, 8, 0, 6, 0, 1, 7, 0, 1, 6, 1, 1, 7, 1, 0, 6, 0})
	f.Add([]byte{29, 39, 7, 3, 3, 4, 31, 100, 0, 255, 0, 5, 1, 0, 250, 3, 2, 0, 4, 255, 0, 2, 0, 3, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, samples := genCase(data)
		checkInvariants(t, p, samples)
	})
}

// randomCase returns random bytes for genCase, biased towards short gaps
// between samples so that pacing matters.
func randomCase(r *rand.Rand) []byte {
	data := randomBytes(r, 8+r.IntN(600))
	for j := 7; j+2 < len(data); j += 3 {
		data[j] %= 40
	}
	return data
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(r.UintN(256))
	}
	return b
}

// TestPacingProperty runs the same invariants over a few hundred random
// cases, so they are checked by a plain `go test` too.
func TestPacingProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	n := 300
	if testing.Short() {
		n = 50
	}
	for i := range n {
		data := randomCase(r)
		p, samples := genCase(data)
		t.Run("", func(t *testing.T) {
			checkInvariants(t, p, samples)
			if t.Failed() {
				t.Logf("case %d data %v", i, data)
			}
		})
	}
}
