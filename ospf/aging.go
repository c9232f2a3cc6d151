package ospf

import (
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// age is the periodic database sweep (RFC 2328 14): LSAs reaching MaxAge
// are flooded once at MaxAge, MaxAge LSAs nobody still needs are removed,
// and own LSAs reaching LSRefreshTime are re-originated (12.4 (1)).
func (e *engine) age(now time.Time) {
	refresh := uint16(lsa.LSRefreshInterval / time.Second)
	for k, ent := range e.db.m {
		a := ent.age(now)
		if e.isSelf(ent.hdr) {
			if o := e.own[k]; o != nil && o.want != nil && a >= refresh && !o.dirty {
				o.dirty, o.force = true, true
			}
		}
		if a < lsa.MaxAge {
			continue
		}
		if ent.hdr.Age < lsa.MaxAge {
			// Aged out here: keep it at MaxAge and flood it.
			raw := ent.raw
			lsa.SetAge(raw, lsa.MaxAge)
			ent.hdr.Age = lsa.MaxAge
			ent.installed = now
			e.flood(now, ent.hdr, raw, nil)
		}
		e.maybeRemove(now, k)
	}
}

// maybeRemove deletes a MaxAge LSA once it is on no retransmission list
// and no neighbor is exchanging databases (RFC 2328 14).
func (e *engine) maybeRemove(now time.Time, k lsa.Key) {
	ent := e.db.get(k)
	if ent == nil || !ent.maxAged(now) || e.anyExchanging() {
		return
	}
	for _, n := range e.nbrs {
		if _, ok := n.rxmt[k]; ok {
			return
		}
	}
	e.db.remove(k)
	if o := e.own[k]; o != nil {
		switch {
		case o.wrap:
			o.wrap = false
			o.dirty = true
		case o.want == nil && !o.dirty:
			delete(e.own, k)
		}
	}
}

// removeFlushed removes another router's instance h at MaxAge (a flush)
// as soon as RFC 2328 14 lets it, not at the next sweep: once it is
// installed and flooded on (13 (5)), and once an acknowledgement takes it
// off a retransmission list (13.7). Held on, the flush would be the
// database copy the originator's next instance meets within MinLSArrival
// and is dropped for (13 (5.a)), until the originator's retransmission.
// BIRD 2 originates a Network-LSA again right after flushing it (its
// MinLSInterval counts from the last origination, not from the flush):
// the router agent's link when the agent's adjacency ends and comes back
// (docs/router-agent.md). Own LSAs stay for the sweep: their flush and
// the next sequence number (13.4, 12.1.6) read the MaxAge copy.
func (e *engine) removeFlushed(now time.Time, h lsa.Header) {
	if h.Age >= lsa.MaxAge {
		e.maybeRemove(now, h.Key())
	}
}
