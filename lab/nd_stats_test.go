package lab

import (
	"math"
	"testing"
)

// binomialAtMost against sums computed independently (Python's
// math.comb, exact): Binomial(42, 1/3), the equal-share run's turns.
func TestBinomialAtMost(t *testing.T) {
	for _, tc := range []struct {
		k, n int
		p    float64
		want float64
	}{
		{4, 42, 1.0 / 3, 0.0003484012940077216},
		{6, 42, 1.0 / 3, 0.004711470195031455},
		{7, 42, 1.0 / 3, 0.013183201647165002},
		{42, 42, 1.0 / 3, 1},
		{0, 3, 0.5, 0.125},
	} {
		if got := binomialAtMost(tc.k, tc.n, tc.p); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("binomialAtMost(%d, %d, %g) = %.15g, want %.15g", tc.k, tc.n, tc.p, got, tc.want)
		}
	}
}
