package config

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/anycostd/anycostd/costmodel"
)

// A service with tier prefixes advertises the dearest tier's prefix at
// the dearest tier's metric whenever it is advertised, and beside it the
// prefix of the tier it is in (its /128 for a tier without one, or a
// metric that is no tier's) at its metric; in the dearest tier that is
// the one prefix. Without tier prefixes: the /128 alone.
func TestAdvertisedAs(t *testing.T) {
	svc := netip.MustParsePrefix("2001:db8:53::53/128")
	mid := netip.MustParsePrefix("2001:db8:53::52/127")
	wide := netip.MustParsePrefix("2001:db8:53::50/126")
	tiers := []costmodel.Tier{
		{Metric: 10, Up: 0.6, Down: 0.4},
		{Metric: 20, Up: 0.8, Down: 0.5},
		{Metric: 40},
	}
	for _, tc := range []struct {
		what     string
		prefixes []netip.Prefix
		metric   uint16
		want     []PrefixMetric
	}{
		{"cheapest tier", []netip.Prefix{{}, {}, wide}, 10, []PrefixMetric{{svc, 10}, {wide, 40}}},
		{"middle tier", []netip.Prefix{{}, {}, wide}, 20, []PrefixMetric{{svc, 20}, {wide, 40}}},
		{"dearest tier", []netip.Prefix{{}, {}, wide}, 40, []PrefixMetric{{wide, 40}}},
		{"a metric that is no tier's", []netip.Prefix{{}, {}, wide}, 33, []PrefixMetric{{svc, 33}, {wide, 40}}},
		{"a middle tier with its own prefix, below it", []netip.Prefix{{}, mid, wide}, 10, []PrefixMetric{{svc, 10}, {wide, 40}}},
		{"a middle tier with its own prefix, in it", []netip.Prefix{{}, mid, wide}, 20, []PrefixMetric{{mid, 20}, {wide, 40}}},
		{"a middle tier with its own prefix, dearest tier", []netip.Prefix{{}, mid, wide}, 40, []PrefixMetric{{wide, 40}}},
		{"no tier prefixes", nil, 40, []PrefixMetric{{svc, 40}}},
		{"no tier prefixes, cheapest tier", nil, 10, []PrefixMetric{{svc, 10}}},
	} {
		s := Service{Prefix: svc, Metric: 10, Tiers: tiers, TierPrefixes: tc.prefixes}
		if got := s.AdvertisedAs(tc.metric); !slices.Equal(got, tc.want) {
			t.Errorf("%s: AdvertisedAs(%d) = %v, want %v", tc.what, tc.metric, got, tc.want)
		}
	}
	static := Service{Prefix: svc, Metric: 10}
	if got, want := static.AdvertisedAs(10), []PrefixMetric{{svc, 10}}; !slices.Equal(got, want) {
		t.Errorf("static metric, no tiers: AdvertisedAs(10) = %v, want %v", got, want)
	}
}
