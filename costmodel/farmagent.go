package costmodel

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// RouterAgent is a router agent (`anycostd router`, docs/router-agent.md)
// that programs the prefix at the link router as one route with weighted
// next hops: it splits the traffic among the servers OSPF places at the
// cheapest metric. A server learns of it from the agent's server load LSA
// of state agent in its own LSDB.
type RouterAgent struct {
	RouterID RouterID `json:"router_id"`
	// Prefix is the prefix the agent says it weighs (the service's, or
	// one the service may be advertised as).
	Prefix netip.Prefix `json:"prefix"`
	// Since is when the view first saw the agent (zero: not known).
	// Explain shows it; decisions do not use it.
	Since time.Time `json:"since,omitzero"`
}

func (a RouterAgent) String() string {
	return fmt.Sprintf("router agent %s weighs %s", a.RouterID, a.Prefix)
}

// sanitizedAgents returns agents sorted by router ID and prefix, one entry
// per pair, none naming self (a server is not its own link router's
// agent), and how many entries it dropped.
func sanitizedAgents(self RouterID, agents []RouterAgent) ([]RouterAgent, int) {
	if len(agents) == 0 {
		return nil, 0
	}
	out := make([]RouterAgent, 0, len(agents))
	bad := 0
	for _, a := range agents {
		if a.RouterID == self || a.RouterID == 0 {
			bad++
			continue
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b RouterAgent) int {
		return cmp.Or(cmp.Compare(a.RouterID, b.RouterID), a.Prefix.Addr().Compare(b.Prefix.Addr()), cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()))
	})
	n := len(out)
	out = slices.CompactFunc(out, func(a, b RouterAgent) bool { return a.RouterID == b.RouterID && a.Prefix == b.Prefix })
	return out, bad + n - len(out)
}

// agentWeighs returns the router agent that weighs the service's prefix
// (the first by router ID) when the farm view names one, is fresh and the
// service has tiers to hold. A view that goes stale (no longer read)
// releases the hold as it disables the farm rules.
func (m *Model) agentWeighs(now time.Time) (RouterAgent, bool) {
	if !m.farmSeen || len(m.farm.Agents) == 0 || len(m.p.Tiers) < 2 || now.Sub(m.farm.AsOf) >= m.p.farmMaxAge() {
		return RouterAgent{}, false
	}
	return m.farm.Agents[0], true
}

// agentPlan is the tier rule while a router agent weighs the prefix: the
// tiers stay at the base (cheapest) metric, so that every healthy server
// stays in the agent's weighted route and the weights do the balancing.
// With plain OSPF a tier move shifts a server's traffic to the others; under
// the agent it takes the server out of the route (membership is the
// cheapest metric), and its whole share lands on the others (herding,
// measured in the lab bench at 90% of capacity). So:
//
//  1. a move up that the load asks for is held, with the agent as the
//     reason (no time set: it waits for the view to change);
//  2. a server above the base tier (it climbed before the agent came)
//     steps back down, one tier per decision, as pacing lets the
//     advertised metric follow;
//  3. withdrawals (failed checks, socket gone) and drain are not tier
//     moves: Decide and want handle them before any tier, as without the
//     agent.
//
// mv is the load's own plan, for its trigger.
func (m *Model) agentPlan(a RouterAgent, load float64, mv tierMove) tierMove {
	i := m.tier
	held := "held: " + a.String()
	if i > 0 {
		next := i - 1
		trigger := a.String()
		if m.advTier >= 0 && m.advTier-next > 1 {
			return tierMove{next: i, trigger: trigger, heldUntil: m.lastReport.Add(m.p.MinInterval), farm: held}
		}
		return tierMove{next: next, trigger: trigger, farm: "back to the base tier: the agent's weights balance the load"}
	}
	if load >= m.p.Tiers[0].Up {
		trigger := mv.trigger
		if trigger == "" {
			trigger = fmt.Sprintf("load %.3f >= tier[0].up %g", load, m.p.Tiers[0].Up)
		}
		return tierMove{next: i, trigger: trigger, farm: held + " (" + trigger + ")", farmHeld: true}
	}
	return tierMove{next: i}
}
