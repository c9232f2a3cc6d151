package config

import (
	"net/netip"
	"testing"

	"github.com/anycostd/anycostd/costmodel"
)

// A service advertises a tier's prefix while its metric is that tier's,
// and its /128 otherwise (a static metric, a tier without a prefix).
func TestAdvertisedPrefix(t *testing.T) {
	svc := netip.MustParsePrefix("2001:db8:53::53/128")
	wide := netip.MustParsePrefix("2001:db8:53::50/126")
	s := Service{Prefix: svc, Metric: 10, Tiers: []costmodel.Tier{
		{Metric: 10, Up: 0.6, Down: 0.4},
		{Metric: 20, Up: 0.8, Down: 0.5},
		{Metric: 40},
	}, TierPrefixes: []netip.Prefix{{}, {}, wide}}
	for _, tc := range []struct {
		metric uint16
		want   netip.Prefix
	}{{10, svc}, {20, svc}, {40, wide}, {33, svc}} {
		if got := s.AdvertisedPrefix(tc.metric); got != tc.want {
			t.Errorf("AdvertisedPrefix(%d) = %s, want %s", tc.metric, got, tc.want)
		}
	}
	s.TierPrefixes = nil
	if got := s.AdvertisedPrefix(40); got != svc {
		t.Errorf("AdvertisedPrefix(40) without tier prefixes = %s, want %s", got, svc)
	}
}
