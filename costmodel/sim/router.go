package sim

import (
	"math"
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/agent/weights"
	"github.com/anycostd/anycostd/costmodel"
)

// Policy AnycostdRouter: the servers run their cost models as under
// Anycostd (metrics and withdrawals reach the router's OSPF, which picks
// the servers at the cheapest metric), and each also originates a server
// load LSA; the router agent (agent/weights, the real weight loop) splits
// the traffic among OSPF's servers by weight.
//
// Modelled as the daemon and the agent do it: a server's load LSA carries
// its cost model's load figure and is re-originated when that moved by more
// than Config.LoadStep (a smaller move once it has lasted Config.LoadSettle:
// loadFollower), never sooner than Params.MinInterval after the
// previous one; it reaches the agent RouteDelay + jitter later. The agent
// recomputes the weights on every load LSA, on every membership change and
// every weights interval; a new set of weights is in force
// routerProgramDelay later (agent, zebra, kernel). While the agent has
// weights for none of OSPF's servers the router forwards by OSPF's ECMP
// route, uniformly among them.
const routerProgramDelay = 2 * time.Millisecond

// RunsModels reports whether the policy runs a cost model per server.
func (p Policy) RunsModels() bool { return p == Anycostd || p == AnycostdRouter }

// routerAgent is the agent's state and the load LSAs on their way.
type routerAgent struct {
	loop *weights.Loop
	// At the servers: the load last originated and when.
	sentLoad []float64
	sentAt   []time.Duration
	sent     []bool
	follow   []loadFollower
	// At the agent: the load LSAs received.
	load    []float64
	hasLoad []bool
	// At the router: the weights in force (index by server; 0: none), and
	// the sets on their way, by generation.
	inForce []int
	total   int
	gen     uint64
	queued  map[uint64][]int
}

// RouterMetrics is what the servers advertise under AnycostdRouter. With
// the agent, a tier move takes a whole server out of the weighted route
// (OSPF's membership: only the cheapest metric), which is the herding the
// weights are there to avoid; the load LSA carries the load instead.
type RouterMetrics uint8

const (
	// RouterHeldTiers: the cost models keep their tiers, and their farm
	// view holds the agent's announcement, so the real rule
	// (costmodel/farmagent.go) holds them at the base metric; withdrawals
	// as ever. The daemon's behaviour.
	RouterHeldTiers RouterMetrics = iota
	// RouterStaticMetric: no tiers (Params.StaticMetric), withdrawals
	// as ever: the option docs/router-agent.md keeps.
	RouterStaticMetric
	// RouterBlindTiers: tiers, and no agent in the farm view: servers
	// that do not know of the agent (before the hold), which herd.
	RouterBlindTiers
)

// agentID is the router agent's router ID in the servers' farm views,
// 192.0.2.100, and agentPrefix the prefix it says it weighs (labels).
const agentID costmodel.RouterID = 0xc0000264

var agentPrefix = netip.MustParsePrefix("2001:db8:53::53/128")

// agentView is what a server's farm view holds under RouterHeldTiers:
// the agent's announcement only (peers play no part while it holds the
// tiers). The agent is taken as announced from the start: its route and
// announcement come within a few milliseconds of the first load LSAs,
// long before any load could move a tier.
func agentView(now time.Duration, self costmodel.RouterID) costmodel.FarmView {
	return costmodel.FarmView{AsOf: wall(now), Self: self,
		Agents: []costmodel.RouterAgent{{RouterID: agentID, Prefix: agentPrefix}}}
}

// startRouter sets the agent up. It runs before startModels: under
// RouterStaticMetric the servers' cost models get no tiers (they
// advertise Params.StaticMetric and withdraw as before).
func (s *sim) startRouter() {
	if s.cfg.RouterMetrics == RouterStaticMetric {
		s.cfg.Params.Tiers = nil
	}
	n := len(s.servers)
	s.router = &routerAgent{
		loop:     weights.New(weights.DefaultParams()),
		sentLoad: make([]float64, n),
		sentAt:   make([]time.Duration, n),
		sent:     make([]bool, n),
		follow:   make([]loadFollower, n),
		load:     make([]float64, n),
		hasLoad:  make([]bool, n),
		inForce:  make([]int, n),
		queued:   map[uint64][]int{},
	}
	s.events.push(event{at: 0, kind: evAgentTick})
}

// routerSampled runs after each socket sample of sv: originate its load
// LSA if the load moved past the step and pacing allows.
func (s *sim) routerSampled(sv *server) {
	a := s.router
	i := sv.index
	l := sv.model.Load(wall(s.now))
	l = a.follow[i].carry(&s.cfg, s.now, l, a.sentLoad[i], a.sent[i])
	if a.sent[i] && l == a.sentLoad[i] {
		return
	}
	if a.sent[i] && s.now-a.sentAt[i] < s.cfg.Params.MinInterval {
		return // the next sample after the interval sends the latest load
	}
	a.follow[i].adopted()
	a.sent[i], a.sentLoad[i], a.sentAt[i] = true, l, s.now
	at := s.now + s.cfg.RouteDelay
	if s.cfg.RouteJitter > 0 {
		at += expDuration(s.control, s.cfg.RouteJitter.Seconds())
	}
	s.events.push(event{at: at, kind: evAgentLoad, srv: int32(i), id: math.Float64bits(l)})
}

// routerLoadLSA delivers a load LSA to the agent.
func (s *sim) routerLoadLSA(sv *server, bits uint64) {
	s.router.load[sv.index], s.router.hasLoad[sv.index] = math.Float64frombits(bits), true
	s.routerUpdate()
}

// routerUpdate runs the weight loop over OSPF's servers and sends changed
// weights toward the router.
func (s *sim) routerUpdate() {
	a := s.router
	in := make([]weights.Input, 0, len(s.eligible))
	for _, i := range s.eligible {
		in = append(in, weights.Input{RouterID: uint32(i), Capacity: s.cfg.Capacities[i], HasLoad: a.hasLoad[i], Load: a.load[i]})
	}
	ws, changes := a.loop.Update(wall(s.now), in)
	next := make([]int, len(s.servers))
	for _, w := range ws {
		next[w.RouterID] = w.Weight
	}
	if len(changes) == 0 && sameWeights(next, a.inForce) {
		return
	}
	a.gen++
	a.queued[a.gen] = next
	s.events.push(event{at: s.now + routerProgramDelay, kind: evWeights, id: a.gen})
}

func sameWeights(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// routerWeights puts a set of weights in force at the router.
func (s *sim) routerWeights(gen uint64) {
	a := s.router
	next, ok := a.queued[gen]
	if !ok {
		return
	}
	delete(a.queued, gen)
	a.inForce, a.total = next, 0
	for _, w := range next {
		a.total += w
	}
}

// routerTick runs the loop's periodic correction.
func (s *sim) routerTick() {
	s.routerUpdate()
	s.events.push(event{at: s.now + weights.DefaultParams().Interval, kind: evAgentTick})
}

// routerPick is the router's choice: by weight, or OSPF's ECMP while the
// agent has no route.
func (s *sim) routerPick() int {
	a := s.router
	if a.total == 0 {
		if len(s.eligible) == 0 {
			return -1
		}
		return s.eligible[s.dispatch.IntN(len(s.eligible))]
	}
	x := s.dispatch.IntN(a.total)
	for i, w := range a.inForce {
		if x < w {
			return i
		}
		x -= w
	}
	return -1
}
