package metrics

import (
	"context"

	"github.com/anycostd/anycostd/agent"
)

// RouterSource gives the router agent's status (`anycostd router`).
type RouterSource interface {
	AgentStatus(ctx context.Context) (agent.Status, error)
}

// The router agent's metrics, one series per programmed next hop.
var (
	rtWeight = gauge("anycostd_router_nexthop_weight",
		"Weight of the next hop in the agent's route for the prefix (server: its router ID).", "prefix", "server", "next_hop")
	rtShare = gauge("anycostd_router_nexthop_share",
		"Share of the prefix's traffic the weights give the next hop (0..1).", "prefix", "server", "next_hop")
	rtCapacity = gauge("anycostd_router_nexthop_capacity",
		"Capacity the server's load LSA reports (the default, 1, without one).", "prefix", "server", "next_hop")
	rtLoad = gauge("anycostd_router_nexthop_load",
		"Load figure the server's load LSA reports (0 idle, 1 saturated); absent without a load LSA.", "prefix", "server", "next_hop")
	rtExcluded = gauge("anycostd_router_server_excluded",
		"1 for a server of the prefix that gets no weight (withdrawn, above the cheapest metric, no next hop).", "prefix", "server")
	rtLinked = gauge("anycostd_router_linked",
		"1 while the agent (off the server link: the router) and the server link's Network-LSA name each other in the agent's database, 0 otherwise.")
	rtUpdates = counter("anycostd_router_route_updates_total",
		"Routes the agent sent to its backend.")
	rtRemovals = counter("anycostd_router_route_removals_total",
		"Routes the agent removed (OSPF's own route forwards the prefix again).")
	rtErrors = counter("anycostd_router_backend_errors_total",
		"Route changes the backend refused or failed.")
	rtChanges = counter("anycostd_router_weight_changes_total",
		"Next-hop weight changes (each one logged with its reason).")
	rtRefreshes = counter("anycostd_router_lease_refreshes_total",
		"Renewals of the leased routes (backend kernel, kernel_lease); a failed renewal counts as a backend error.")
	rtIgnored = counter("anycostd_router_load_lsas_ignored_total",
		"Server load LSA instances left out, by reason (malformed, not-on-link, no-link-lsa, next-hop, capacity, load).", "reason")
)

var routerDescs = []desc{rtWeight, rtShare, rtCapacity, rtLoad, rtExcluded, rtLinked, rtUpdates, rtRemovals, rtErrors, rtChanges, rtRefreshes, rtIgnored}

func collectRouter(emit emitFunc, st *agent.Status) {
	emit(rtLinked, b2f(st.Linked))
	for _, p := range st.Prefixes {
		prefix := p.Prefix.String()
		for _, h := range p.Nexthops {
			nh := h.NextHop.String()
			emit(rtWeight, float64(h.Weight), prefix, h.Server, nh)
			emit(rtShare, h.Share, prefix, h.Server, nh)
			emit(rtCapacity, h.Capacity, prefix, h.Server, nh)
			if h.HasLoad {
				emit(rtLoad, h.Load, prefix, h.Server, nh)
			}
		}
		for _, x := range p.Excluded {
			if x.Server != "" {
				emit(rtExcluded, 1, prefix, x.Server)
			}
		}
	}
	c := st.Counters
	emit(rtUpdates, float64(c.Updates))
	emit(rtRemovals, float64(c.Removals))
	emit(rtErrors, float64(c.BackendErrors))
	emit(rtChanges, float64(c.WeightChanges))
	emit(rtRefreshes, float64(c.Refreshes))
	for r, n := range c.Ignored {
		emit(rtIgnored, float64(n), r)
	}
}
