package ospf

import (
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// The neighbor table is bounded (maxNeighbors), so that a flood of Hellos
// with made-up router IDs cannot grow memory without limit. It must not be
// starvable either: a flood that keeps the table full must not keep the
// real DR out. When the table is full, a Hello from a new speaker that
// shows it is a real router on the link, because it lists us (it has heard
// our Hellos: 2-Way) or claims to be DR or BDR, takes the place of the
// entry that matters least:
//
//  1. an Init entry (it never listed us), the one in Init the longest;
//  2. else a 2-Way entry of priority 0 (not a DR/BDR candidate, no
//     adjacency), the one in 2-Way the longest.
//
// DR/BDR candidates (priority above 0, 2-Way or better) and adjacencies
// (ExStart or better) are never evicted. A new speaker that neither lists
// us nor claims DR or BDR is refused while the table is full: a real router
// lists us from its first Hello after hearing one of ours (RFC 2328 10.5),
// so it is only refused for one Hello interval, while refusing such
// speakers keeps a flood from churning the table.
//
// What this does not stop: forged Hellos that list us with a priority
// above 0 become DR/BDR candidates, which are kept, and they sway the
// election too. Only authentication (RFC 7166, ospf/auth) keeps forged
// speakers out altogether.

// admit makes room for a new neighbor sending h, reporting whether it may
// be added.
func (e *engine) admit(now time.Time, d Datagram, h *packet.Hello) bool {
	if len(e.nbrs) < maxNeighbors {
		return true
	}
	if !e.vouched(h) {
		e.drop(now, "too-many-neighbors", "hello from a new neighbor beyond the limit, which neither lists us nor claims DR or BDR",
			"limit", maxNeighbors, "src", d.Src, "router_id", lsa.IDString(h.RouterID))
		return false
	}
	victim := e.evictable()
	if victim == nil {
		e.drop(now, "too-many-neighbors", "hello from a new neighbor beyond the limit; every neighbor is a DR/BDR candidate or an adjacency",
			"limit", maxNeighbors, "src", d.Src, "router_id", lsa.IDString(h.RouterID))
		return false
	}
	e.cnt.nbrEvicted++
	e.drops.note(now, "neighbor-evicted", "neighbor table full: evicting a neighbor for a new one that lists us or claims DR/BDR",
		"limit", maxNeighbors, "evicted", lsa.IDString(victim.id), "evicted_state", victim.state,
		"new", lsa.IDString(h.RouterID), "src", d.Src)
	if victim.state == nbrInit {
		// An Init entry counts in no election and no LSA: drop it
		// without the state change (and its log line) of KillNbr.
		delete(e.nbrs, victim.id)
		return true
	}
	e.nbrEvent(now, victim, nbrKillNbr)
	return true
}

// vouched reports whether h comes from a speaker that has heard our Hellos
// (it lists us) or claims to be the link's DR or BDR.
func (e *engine) vouched(h *packet.Hello) bool {
	if h.DR == h.RouterID || h.BDR == h.RouterID {
		return true
	}
	for _, id := range h.Neighbors {
		if id == e.cfg.RouterID {
			return true
		}
	}
	return false
}

// evictable returns the neighbor to evict from a full table (see admit),
// or nil when every one must be kept.
func (e *engine) evictable() *neighbor {
	var init, twoWay *neighbor
	older := func(a, b *neighbor) bool {
		return b == nil || a.since.Before(b.since) || (a.since.Equal(b.since) && a.id < b.id)
	}
	for _, n := range e.nbrs {
		switch {
		case n.state == nbrInit && older(n, init):
			init = n
		case n.state == nbr2Way && n.prio == 0 && n.id != e.dr && n.id != e.bdr && older(n, twoWay):
			twoWay = n
		}
	}
	if init != nil {
		return init
	}
	return twoWay
}
