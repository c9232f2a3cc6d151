package metrics

import (
	"context"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/agent"
)

type fakeRouter struct{ st agent.Status }

func (f fakeRouter) AgentStatus(context.Context) (agent.Status, error) { return f.st, nil }

// TestScrapeRouter: one series per weighted next hop, the excluded
// servers and the counters.
func TestScrapeRouter(t *testing.T) {
	src := fakeRouter{agent.Status{Linked: true, Prefixes: []agent.PrefixStatus{{
		Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Metric: 10,
		Nexthops: []agent.NexthopStatus{
			{Server: "192.0.2.11", NextHop: netip.MustParseAddr("fe80::11"), Capacity: 1, Load: 0.25, HasLoad: true, Weight: 128, Share: 0.5},
			{Server: "192.0.2.12", NextHop: netip.MustParseAddr("fe80::12"), Capacity: 1, Weight: 128, Share: 0.5},
		},
		Excluded: []agent.ExcludedStatus{{Server: "192.0.2.13", Why: "not advertised (withdrawn)"}},
	}}, Counters: agent.Counters{Updates: 2, WeightChanges: 3, Refreshes: 4, Ignored: map[string]uint64{"next-hop": 1}}}}
	fams := scrape(t, NewHandler(NewCollector(Sources{Router: src}, nil), nil))
	for name, want := range map[string][]string{
		"anycostd_router_nexthop_weight": {
			"next_hop=fe80::11,prefix=2001:db8:53::53/128,server=192.0.2.11 128",
			"next_hop=fe80::12,prefix=2001:db8:53::53/128,server=192.0.2.12 128",
		},
		"anycostd_router_nexthop_load":            {"next_hop=fe80::11,prefix=2001:db8:53::53/128,server=192.0.2.11 0.25"},
		"anycostd_router_server_excluded":         {"prefix=2001:db8:53::53/128,server=192.0.2.13 1"},
		"anycostd_router_weight_changes_total":    {" 3"},
		"anycostd_router_lease_refreshes_total":   {" 4"},
		"anycostd_router_load_lsas_ignored_total": {"reason=next-hop 1"},
		"anycostd_source_up":                      {"source=router 1"},
	} {
		if diff := cmp.Diff(want, values(fams, name)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}
