package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestEventQueueOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q eventQueue
	for i := range 5000 {
		// Few distinct times: many ties, which must come out in push order.
		q.push(event{at: time.Duration(r.IntN(50)), id: uint64(i)})
	}
	prev := event{at: -1}
	for n := 0; q.len() > 0; n++ {
		e := q.pop()
		if e.at < prev.at || e.at == prev.at && e.id < prev.id {
			t.Fatalf("pop %d: (%v, #%d) after (%v, #%d)", n, e.at, e.id, prev.at, prev.id)
		}
		prev = e
	}
}

func TestFIFO(t *testing.T) {
	var f fifo
	next, want := 0, 0
	r := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		if f.len() == 0 || r.IntN(3) > 0 {
			f.push(query{probe: uint64(next)})
			next++
			continue
		}
		if got := f.pop(); got.probe != uint64(want) {
			t.Fatalf("pop = #%d, want #%d", got.probe, want)
		}
		want++
	}
	if f.len() != next-want {
		t.Errorf("len = %d, want %d", f.len(), next-want)
	}
}

// TestHistogram compares the histogram's quantiles with exact ones over
// exponential samples spanning several decades.
func TestHistogram(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var h histogram
	var xs []time.Duration
	var sum float64
	for range 100000 {
		d := time.Duration(r.ExpFloat64() * math.Pow(10, float64(r.IntN(4))) * float64(time.Millisecond))
		xs = append(xs, d)
		h.add(d)
		sum += d.Seconds()
	}
	slices.Sort(xs)
	for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999} {
		exact := xs[int(math.Ceil(q*float64(len(xs))))-1]
		got := h.quantile(q)
		if rel := math.Abs(float64(got)/float64(exact) - 1); rel > 0.0051 {
			t.Errorf("quantile(%g) = %v, exact %v: off by %.2f%%", q, got, exact, 100*rel)
		}
	}
	if got, want := h.mean(), time.Duration(sum/float64(len(xs))*float64(time.Second)); got != want {
		t.Errorf("mean = %v, want %v", got, want)
	}
	if h.quantile(1) != xs[len(xs)-1] || h.quantile(0) != xs[0] {
		t.Errorf("quantile(0), (1) = %v, %v; want min %v, max %v", h.quantile(0), h.quantile(1), xs[0], xs[len(xs)-1])
	}
	var empty histogram
	if empty.mean() != 0 || empty.quantile(0.5) != 0 {
		t.Errorf("empty histogram: mean %v, median %v", empty.mean(), empty.quantile(0.5))
	}
}
