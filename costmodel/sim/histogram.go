package sim

import (
	"math"
	"time"
)

// histogramGrowth is the ratio between consecutive bucket bounds: a
// quantile read from the histogram is within half of it (0.5%) of a value
// in its bucket.
const histogramGrowth = 1.01

var logGrowth = math.Log(histogramGrowth)

// histogram counts response times in logarithmic buckets: bucket 0 holds
// times under 1 µs, bucket k > 0 holds [1µs × g^(k-1), 1µs × g^k). It keeps
// the exact count, sum, minimum and maximum.
type histogram struct {
	counts   []uint64
	n        uint64
	sum      float64 // seconds
	min, max time.Duration
}

func bucketOf(d time.Duration) int {
	if d < time.Microsecond {
		return 0
	}
	return 1 + int(math.Log(float64(d)/float64(time.Microsecond))/logGrowth)
}

// bucketMid is the geometric middle of bucket k.
func bucketMid(k int) time.Duration {
	if k == 0 {
		return time.Microsecond / 2
	}
	return time.Duration(float64(time.Microsecond) * math.Exp((float64(k)-0.5)*logGrowth))
}

func (h *histogram) add(d time.Duration) {
	k := bucketOf(d)
	if k >= len(h.counts) {
		h.counts = append(h.counts, make([]uint64, k+1-len(h.counts)+256)...)
	}
	h.counts[k]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += d.Seconds()
}

// mean is the exact mean, 0 when empty.
func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n) * float64(time.Second))
}

// quantile returns the q-quantile (nearest rank): the middle of its bucket
// clamped to the observed minimum and maximum, which are exact (ranks 1 and
// n); 0 when empty.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	switch rank {
	case 1:
		return h.min
	case h.n:
		return h.max
	}
	var cum uint64
	for k, c := range h.counts {
		cum += c
		if cum >= rank {
			return min(max(bucketMid(k), h.min), h.max)
		}
	}
	return h.max
}
