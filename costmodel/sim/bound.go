package sim

import (
	"cmp"
	"slices"
)

// Bound is the most any tier policy can answer behind a plain OSPF router.
//
// The router sends a query to one of the servers advertising the lowest
// metric, each with the same probability (equal-cost multipath, RFC 2328
// section 16.1): a server's share is 0 or 1/k of the traffic, k being the
// number of servers in the cheapest tier. With offered traffic λ spread
// over a cheapest tier S, server i answers at most min(λ/|S|, c_i) (its
// capacity c_i): the fluid limit, which queueing only lowers. Moving
// servers between tiers over time mixes such configurations, and what the
// farm answers is then the time-weighted mean of theirs, never more than
// the best one. For a tier of size k the best servers to have in it are
// the k of largest capacity; so the bound is the best of n configurations.
// A server's receive buffer can carry a little traffic across a change of
// configuration (at most Buffer queries per server and change), which the
// bound leaves out: a few hundred queries per change against thousands per
// second.
type Bound struct {
	// Answered is the best fraction of the offered traffic answered.
	Answered float64
	// Cheapest lists the servers (indexes into the capacities) of the
	// cheapest tier that reaches it, in index order.
	Cheapest []int
	// Share is each server's share of the traffic there (1/k or 0), and
	// Utilization its busy fraction.
	Share, Utilization []float64
}

// ECMPBound computes the Bound of a farm of the given capacities at load
// (offered traffic as a fraction of the total capacity). Ties go to the
// larger tier.
func ECMPBound(capacities []float64, load float64) Bound {
	n := len(capacities)
	if n == 0 || !(load > 0) {
		return Bound{}
	}
	order := make([]int, n)
	var total float64
	for i, c := range capacities {
		order[i] = i
		total += c
	}
	// Largest capacity first; equal capacities in index order.
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(capacities[b], capacities[a]) })
	lambda := load * total
	best, bestK := -1.0, 0
	for k := 1; k <= n; k++ {
		share := lambda / float64(k)
		var ans float64
		for _, i := range order[:k] {
			ans += min(share, capacities[i])
		}
		if ans >= best {
			best, bestK = ans, k
		}
	}
	b := Bound{
		Answered:    best / lambda,
		Cheapest:    slices.Sorted(slices.Values(order[:bestK])),
		Share:       make([]float64, n),
		Utilization: make([]float64, n),
	}
	share := lambda / float64(bestK)
	for _, i := range b.Cheapest {
		b.Share[i] = 1 / float64(bestK)
		b.Utilization[i] = min(share, capacities[i]) / capacities[i]
	}
	return b
}

// ECMPBound is the Bound of the run's farm as it really is: its real
// capacities (RealCapacities) offered the run's traffic (Load × the
// configured total).
func (c Config) ECMPBound() Bound {
	realCaps := c.RealCapacities()
	var sum float64
	for _, v := range realCaps {
		sum += v
	}
	if !(sum > 0) || !(c.BaseRate > 0) {
		return Bound{}
	}
	return ECMPBound(realCaps, c.Load*c.TotalCapacity()/(sum*c.BaseRate))
}
