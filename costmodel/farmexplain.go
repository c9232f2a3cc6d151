package costmodel

import (
	"math"
	"time"
)

// FarmEvent is one tier move the farm view shaped or held.
type FarmEvent struct {
	At time.Time `json:"at"`
	// From and To are the tiers of the move (equal for a hold: the tier
	// the model stayed in).
	From   int    `json:"from"`
	To     int    `json:"to"`
	Reason string `json:"reason"`
}

// FarmExplanation is the farm view behind the decisions, for `anycostd
// cost`. Rates and capacities are in the farm's capacity unit.
type FarmExplanation struct {
	// Active says the view shapes the decisions; Why says why not (no
	// peer publishes its load, the view is stale, no tiers).
	Active bool   `json:"active"`
	Why    string `json:"why,omitempty"`
	// AsOf is when the view was read, AgeMS its age at the explanation.
	AsOf  time.Time `json:"as_of"`
	AgeMS int64     `json:"age_ms"`
	// Self is this server's router ID, Capacity its capacity.
	Self     RouterID `json:"self"`
	Capacity float64  `json:"capacity"`
	// Peers is the view's peers, by router ID; CorrectedPeers counts the
	// entries ObserveFarm dropped or corrected.
	Peers          []Peer `json:"peers"`
	CorrectedPeers int    `json:"corrected_peers"`

	// CheapestMetric is the lowest metric the router sees (this server's
	// advertisement included) and CheapestSet the servers advertising it
	// (empty: nothing is advertised). PeersCheapestMetric is the lowest
	// metric a peer that is not drained advertises (PeersAdvertising of
	// them advertise; 0: none).
	CheapestMetric      uint16       `json:"cheapest_metric"`
	CheapestSet         []FarmMember `json:"cheapest_set"`
	PeersCheapestMetric uint16       `json:"peers_cheapest_metric"`
	PeersAdvertising    int          `json:"peers_advertising"`
	// RateAtLeast and RateBelow bound the traffic each server of the
	// cheapest tier is offered, in capacity units (RateBelow nil: no
	// bound), from the members that are overloaded and those that keep up
	// (an overloaded member of capacity RateBelow or more is degraded and
	// bounds nothing).
	RateAtLeast float64  `json:"rate_at_least"`
	RateBelow   *float64 `json:"rate_below,omitempty"`
	// HeadroomWindowMS is how far back a peer's load counts for its room.
	HeadroomWindowMS int64 `json:"headroom_window_ms"`

	// Order is the stagger order (this server and every peer whose load
	// is known, by router ID); SlotMS the width of one slot; SlotOwner
	// the server whose slot it is now; NextTurn when this server's turn
	// (the first half of its slot, pacing allowing) next comes.
	Order     []RouterID `json:"order"`
	SlotMS    int64      `json:"slot_ms"`
	SlotOwner RouterID   `json:"slot_owner"`
	NextTurn  time.Time  `json:"next_turn,omitzero"`

	// Plan is what the farm's rules say now of the tier move the load
	// points to (empty when the load points nowhere or the view is not
	// used). LastHold and LastMove are the latest move the farm held and
	// the latest it shaped.
	Plan string `json:"plan,omitempty"`
	// Agents are the live router agents that weigh the prefix;
	// AgentRule what they do to the tiers now (empty: no agent, or the
	// view is stale).
	Agents    []RouterAgent `json:"agents,omitempty"`
	AgentRule string        `json:"agent_rule,omitempty"`
	LastHold  *FarmEvent    `json:"last_hold,omitempty"`
	LastMove  *FarmEvent    `json:"last_move,omitempty"`
}

// FarmMember is one server of the cheapest tier.
type FarmMember struct {
	RouterID RouterID `json:"router_id"`
	Self     bool     `json:"self,omitempty"`
	// LoadKnown says the server publishes its load: Capacity, Load and
	// PeakLoad (the highest load within the headroom window) are known.
	LoadKnown bool    `json:"load_known"`
	Capacity  float64 `json:"capacity"`
	Load      float64 `json:"load"`
	PeakLoad  float64 `json:"peak_load"`
	// Status is "overloaded" (load at tier[0].up or above: offered at
	// least its capacity), "degraded" (overloaded while a server of no
	// more capacity idles at the same rate: it answers less than its
	// capacity, farmdegraded.go), "keeps up" (load below tier[0].down
	// throughout the window: room for more), "no room" (in between) or
	// "unknown".
	Status string `json:"status"`
}

// farmExplain describes the farm view at now (nil when the model has never
// been given one).
func (m *Model) farmExplain(now time.Time, load float64, plan tierMove) *FarmExplanation {
	if !m.farmSeen {
		return nil
	}
	f := m.farmCalc(now, load)
	e := &FarmExplanation{
		Active:              f.active,
		Why:                 f.why,
		AsOf:                m.farm.AsOf,
		AgeMS:               now.Sub(m.farm.AsOf).Milliseconds(),
		Self:                m.farm.Self,
		Capacity:            m.p.capacity(),
		Peers:               append([]Peer{}, m.farm.Peers...),
		CorrectedPeers:      m.farmRejected,
		PeersAdvertising:    f.peersAdvertising,
		PeersCheapestMetric: f.peersCheapest,
		CheapestSet:         []FarmMember{},
		HeadroomWindowMS:    m.headroomWindow().Milliseconds(),
		Order:               append([]RouterID{}, f.grid...),
		SlotMS:              m.p.farmSlot().Milliseconds(),
		Plan:                plan.farm,
	}
	e.Agents = append([]RouterAgent(nil), m.farm.Agents...)
	if a, ok := m.agentWeighs(now); ok {
		e.AgentRule = a.String() + ": load tiers held at the base metric (withdrawals and drain as without it)"
	}
	if len(f.members) > 0 {
		e.CheapestMetric = f.cheapest
		for _, fm := range f.members {
			st := "unknown"
			switch {
			case f.overloaded(fm):
				st = "overloaded"
				if d, _ := f.degraded(fm); d {
					st = "degraded"
				}
			case f.keepsUp(fm):
				st = "keeps up"
			case fm.known:
				st = "no room"
			}
			e.CheapestSet = append(e.CheapestSet, FarmMember{RouterID: fm.id, Self: fm.self, LoadKnown: fm.known,
				Capacity: fm.capacity, Load: fm.load, PeakLoad: fm.peak, Status: st})
		}
		lo, hi := f.bracket(f.members)
		e.RateAtLeast = lo
		if !math.IsInf(hi, 1) {
			e.RateBelow = &hi
		}
	}
	if f.active {
		_, e.NextTurn, e.SlotOwner = m.turn(now, f.grid)
	}
	if !m.farmHold.At.IsZero() {
		h := m.farmHold
		e.LastHold = &h
	}
	if !m.farmMove.At.IsZero() {
		mv := m.farmMove
		e.LastMove = &mv
	}
	return e
}
