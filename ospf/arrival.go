package ospf

import (
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// What a neighbor's acknowledgements prove about its MinLSArrival.
//
// A router that acknowledges an instance X of one of our LSAs installed
// it, which it does only if X arrived at least MinLSArrival after it
// installed the instance before (RFC 2328 13 (5.a)). If that neighbor had
// acknowledged the previous instance P too, it installed P no earlier
// than P first went on the wire, and X no later than the acknowledgement
// of X reached us. So
//
//	MinLSArrival <= ack of X received - first transmission of P
//
// is proven for that router. Only pairs within one adjacency count (a
// router that restarted has no P), and only when P was not a flush: a
// router removes a flushed LSA once every neighbor acknowledged it
// (RFC 2328 14), and then takes the next instance at any time.
// Acknowledgements flooded back by a DR come within milliseconds, so the
// bound gets close to the router's setting as soon as it has taken one
// early try; delayed acknowledgements (seconds) give loose bounds, which
// never replace a tighter one.

// arrivalBound is what is known of one neighbor's MinLSArrival.
type arrivalBound struct {
	max  time.Duration // proven upper bound; 0 until one is proven
	at   time.Time     // when max was last lowered
	last map[lsa.Key]ackedInstance
}

// ackedInstance is the last instance of an own LSA a neighbor
// acknowledged.
type ackedInstance struct {
	hdr       lsa.Header
	firstSent time.Time
	adjacency time.Time // the neighbor's Full since then
}

// learnArrival records that n acknowledged instance h of one of our LSAs
// and lowers n's proven MinLSArrival bound when h followed an instance n
// had acknowledged in the same adjacency.
func (e *engine) learnArrival(now time.Time, n *neighbor, h lsa.Header) {
	o := e.own[h.Key()]
	ent := e.db.get(h.Key())
	if n.state != nbrFull || o == nil || ent == nil || lsa.Compare(ent.hdr, h) != 0 || o.firstSent.IsZero() {
		return
	}
	ab := e.arrival[n.id]
	if ab == nil {
		ab = &arrivalBound{last: make(map[lsa.Key]ackedInstance)}
		e.arrival[n.id] = ab
	}
	if p, ok := ab.last[h.Key()]; ok && p.adjacency.Equal(n.since) && p.hdr.Age < lsa.MaxAge && lsa.Compare(h, p.hdr) > 0 {
		if gap := now.Sub(p.firstSent); gap > 0 && (ab.max == 0 || gap < ab.max) {
			ab.max, ab.at = gap, now
			e.log.Info("router's MinLSArrival bound lowered", "neighbor", lsa.IDString(n.id),
				"at_most", gap, "lsa", h.Key())
		}
	}
	ab.last[h.Key()] = ackedInstance{hdr: h, firstSent: o.firstSent, adjacency: n.since}
}
