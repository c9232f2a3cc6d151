package ospf

import (
	"slices"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// FRR 8.4.4, as slave, can stay in Exchange for good after the master (the
// server: its router ID is higher) finished the exchange. Seen in the lab
// with a duplicating wire (lab/reliability_lossy_test.go) and reproduced
// with 50% duplication in one start out of five: the master's final DBD
// arrives twice before ospf6d runs the reply it scheduled for the first
// copy; the duplicate check cancels that reply (THREAD_OFF of
// thread_send_dbdesc) and resends the previous DBD under the new sequence
// number ("Duplicated dbdesc causes retransmit"), so ospf6d never reaches
// ExchangeDone. The master, Full by RFC 2328 10.6, sends no more DBDs; the
// slave never times out. The router's FIB never gets the server's route.
//
// The server sees it: the DR lists every router it is Full with in its
// Network-LSA (RFC 5340 4.4.3.3), and ours is still missing listingBound
// after we became Full with the DR; then the server restarts the adjacency
// (SeqNumberMismatch: ExStart, whose DBD with the I bit makes the stuck
// slave start over too; stuck_exchange.go). This is the regression test of
// that fix: the router is put in the stuck state by hand, and must be Full
// with the server and list it again, through exactly one such restart.
func TestDRStuckInExchangeRecovers(t *testing.T) {
	s, r, ss := farm(t, 14, 2)
	s1, s2 := ss[0], ss[1]
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(5 * time.Second)
	// The router's view of s1: back in Exchange as slave, as ospf6d is
	// left; its Router- and Network-LSAs no longer count s1.
	n := r.e.nbrs[s1.cfg.RouterID]
	n.state, n.master = nbrExchange, false
	n.summary, n.sentLast = nil, true
	r.e.originateRouter()
	r.e.originateNetwork(s.now)
	s.run(2 * time.Second)
	if listed(s, r, s1) {
		t.Fatal("set-up: the router's Network-LSA still lists s1")
	}
	if s1.nbrState("192.0.2.1") != nbrFull {
		t.Fatalf("set-up: s1 sees the router in %s, want Full", s1.nbrState("192.0.2.1"))
	}
	rid := lsa.IDString(s1.cfg.RouterID)
	full := s1.e.nbrs[r.cfg.RouterID].since
	took := s.runUntilStep(60*time.Second, 100*time.Millisecond, "the router Full with s1 again and listing it", func() bool {
		return r.nbrState(rid) == nbrFull && listed(s, r, s1)
	})
	t.Logf("the router Full with s1 again %v (simulated) after it was left in Exchange", took)
	if got := s1.e.cnt.drUnlistedRestarts; got != 1 {
		t.Errorf("s1 restarted the adjacency %d times for not being listed, want 1", got)
	}
	// The restart came listingBound after s1 became Full, not before.
	if bound := s1.e.listingBound(0); s.now.Sub(full) < bound {
		t.Errorf("recovered %v after s1 became Full, before the bound %v", s.now.Sub(full), bound)
	}
	if got := s2.e.cnt.drUnlistedRestarts + r.e.cnt.drUnlistedRestarts; got != 0 {
		t.Errorf("%d restarts by s2 or the router, which were never stuck", got)
	}
}

// listed reports whether the DR r's live Network-LSA lists n.
func listed(s *sim, r, n *simNode) bool {
	k := lsa.Key{Type: lsa.TypeNetwork, ID: uint32(r.cfg.Link.Index), AdvRouter: r.cfg.RouterID}
	ent, l := r.lsa(k)
	if ent == nil || ent.maxAged(s.now) {
		return false
	}
	return slices.Contains(l.Body.(*lsa.Network).AttachedRouters, n.cfg.RouterID)
}
