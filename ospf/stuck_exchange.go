package ospf

import (
	"slices"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// Recovery from a DR that never became Full with us.
//
// The DR lists in its Network-LSA every router it is fully adjacent to
// (RFC 5340 4.4.3.3, "Attached Routers"). So a router that is Full with
// the DR and, long afterwards, is still missing from the DR's Network-LSA
// has an adjacency that is Full at its end only. FRR 8.4.4 gets there as
// slave when the master's final DBD reaches it twice before it answered
// the first copy: it cancels its answer, stays in Exchange and never
// times out, while the master, rightly by RFC 2328 10.6, is Full and sends
// no more DBDs (ospf/dr_wedge_test.go). Nothing in RFC 2328 repairs that,
// and the router never routes to this server.
//
// The check: once this router has been Full with the DR for
// listingBound, it looks up the DR's Network-LSA in its database. When the
// LSA is missing, flushed, or does not list this router, it restarts the
// adjacency through SeqNumberMismatch (RFC 2328 10.3): back to ExStart,
// whose DBD with the I bit makes the neighbor's exchange start over too
// (RFC 2328 10.6: the I bit in Exchange or later is a SeqNumberMismatch
// there). Each period of being Full with the DR is checked once; a new one
// starts when the adjacency becomes Full again or the neighbor becomes DR
// while Full. After a restart that was not followed by a listing, the
// next period waits twice as long (up to 2^maxListingBackoff times), so a
// DR that never lists us, or whose Network-LSA never reaches us, costs an
// adjacency restart ever more rarely instead of every half minute.
//
// Only the DR gives this evidence. An adjacency with the BDR stuck the
// same way cannot be seen: the BDR originates no Network-LSA and its
// Router-LSA names the DR's network, not its neighbors. It is checked
// once the BDR becomes DR, since that starts a new period.

// drMinLSInterval is the DR's MinLSInterval (RFC 2328 appendix B, the
// default of FRR and BIRD): the DR may have just originated its
// Network-LSA (for another router that became Full) and then waits this
// long before the next instance, the one that lists us.
const drMinLSInterval = 5 * time.Second

// rfcRxmtInterval is RxmtInterval's usual value (RFC 2328 appendix C,
// FRR's and BIRD's default). The DR's own value is not known here: the
// bound uses ours, and never less than this.
const rfcRxmtInterval = 5 * time.Second

// listingRetransmits is how many of the DR's retransmission intervals the
// bound allows for, after we are Full, the DR's loading of our LSAs (each
// lost request or answer costs it one RxmtInterval) and the flooding of
// its new Network-LSA to us (each loss costs one). In the simulation (the
// engine as DR) no period of being Full with the DR waited more than 21 s
// for the listing among 1157 with 20% loss and 10% duplication, and 1 of
// 1917 did with 30% loss. A restart while the DR is still loading only
// repeats an exchange that had not finished; taking a route down needs
// the DR to be Full with us and its Network-LSA lost on the way to us
// about four times in a row (0.2^4 = 0.16% at 20% loss).
const listingRetransmits = 4

// maxListingBackoff caps the doubling of the bound after restarts that
// brought no listing: at most 16 times the bound (about 7 minutes with
// the defaults).
const maxListingBackoff = 4

// listingWatch is a neighbor's state for this check.
type listingWatch struct {
	// watching: the last tick saw us Full with the neighbor while it was
	// DR.
	watching bool
	// at is when to look at the DR's Network-LSA; zero when there is
	// nothing to check in this period.
	at time.Time
	// streak counts restarts since the DR last listed us.
	streak int
	// restarts counts every restart this check caused.
	restarts int
}

// listingBound is how long this router waits, Full with the DR, before it
// expects to be listed in the DR's Network-LSA: drMinLSInterval plus
// listingRetransmits retransmission intervals (25 s with the defaults),
// doubled for each restart in the streak.
func (e *engine) listingBound(streak int) time.Duration {
	rxmt := max(e.cfg.RetransmitInterval, rfcRxmtInterval)
	return (drMinLSInterval + listingRetransmits*rxmt) << min(streak, maxListingBackoff)
}

// watchListings starts and ends each neighbor's listing period and runs
// the check for those that are due. It runs at the end of every event, so
// a period starts at the instant the adjacency became Full or the
// neighbor became DR.
func (e *engine) watchListings(now time.Time) {
	for _, n := range e.nbrList() {
		watching := n.state == nbrFull && n.id == e.dr && n.id != e.cfg.RouterID
		switch {
		case !watching:
			n.listing.watching, n.listing.at = false, time.Time{}
		case !n.listing.watching:
			n.listing.watching = true
			n.listing.at = now.Add(e.listingBound(n.listing.streak))
		case !n.listing.at.IsZero() && !now.Before(n.listing.at):
			n.listing.at = time.Time{}
			e.checkListed(now, n)
		}
	}
}

// checkListed looks for this router in the Network-LSA of the DR n, with
// which it has been Full for the bound, and restarts the adjacency when
// it is not there.
func (e *engine) checkListed(now time.Time, n *neighbor) {
	if e.shutdown.active {
		// Leaving: the LSAs are being flushed, no adjacency to repair.
		return
	}
	// (1) The DR's Network-LSA: Link State ID is the DR's Interface ID on
	// the link (RFC 5340 4.4.3.3), as its Hellos announce it.
	k := lsa.Key{Type: lsa.TypeNetwork, ID: n.ifID, AdvRouter: n.id}
	seen := "none"
	if ent := e.db.get(k); ent != nil && !ent.maxAged(now) {
		l, err := lsa.Parse(ent.raw)
		if net, ok := l.Body.(*lsa.Network); err == nil && ok {
			// (2) Listed: the DR is Full with us, the adjacency is sound.
			if slices.Contains(net.AttachedRouters, e.cfg.RouterID) {
				n.listing.streak = 0
				return
			}
			seen = net.String()
		}
	}
	// (3) Not listed: restart the adjacency. The next period waits twice
	// as long.
	n.listing.streak++
	n.listing.restarts++
	e.cnt.drUnlistedRestarts++
	e.log.Warn("DR does not list us in its Network-LSA although we are Full with it; restarting the adjacency",
		"neighbor", lsa.IDString(n.id), "full_for", now.Sub(n.since), "network_lsa", seen,
		"restarts_in_a_row", n.listing.streak, "next_check_after", e.listingBound(n.listing.streak))
	e.nbrEvent(now, n, nbrSeqNumberMismatch)
}
