package ospf

import (
	"strings"
	"testing"
	"time"
)

// gtsmFarm is a router (priority 10) and one server on the sim link; the
// router's packets carry routerHop, and TTL security is on where asked.
func gtsmFarm(t *testing.T, seed uint64, routerHop int, routerGTSM, serverGTSM bool) (*sim, *simNode, *simNode) {
	s := newSim(t, seed)
	rc := simConfig("192.0.2.1", 1, 10)
	rc.TTLSecurity = routerGTSM
	r := s.addSending("router", rc, routerHop)
	sc := simConfig("192.0.2.11", 11, 0)
	sc.TTLSecurity = serverGTSM
	srv := s.addUnchecked("s1", sc)
	srv.e.setServices(s.now, []Service{dnsService(10)})
	return s, r, srv
}

// Issue 11, finding 1 (BIRD `ttl security tx only`): the router sends
// every packet with hop limit 255 and accepts ours (hop limit 1). The
// server, TTL security off, must accept its multicast packets: before,
// every one was dropped as bad-hop-limit and no adjacency formed.
func TestGTSMTxOnlyRouter(t *testing.T) {
	s, r, srv := gtsmFarm(t, 61, gtsmHopLimit, false, false)
	gtsmFull(t, s, r, srv)
	st := srv.e.status(s.now)
	if len(st.Neighbors) != 1 || st.Neighbors[0].HopLimit != gtsmHopLimit || st.Neighbors[0].Note != "" {
		t.Errorf("status neighbors %+v, want the router with hop limit 255 and no note", st.Neighbors)
	}
}

// Issue 11, finding 1 (BIRD `ttl security yes`): both ends send with hop
// limit 255 and require it (ospf.ttl_security = true on the server).
func TestGTSMBothSides(t *testing.T) {
	s, r, srv := gtsmFarm(t, 62, gtsmHopLimit, true, true)
	gtsmFull(t, s, r, srv)
}

// gtsmFull waits for Full and checks the router holds the service's
// metric and that neither end dropped a packet for its hop limit.
func gtsmFull(t *testing.T, s *sim, r, srv *simNode) {
	t.Helper()
	s.runUntil(30*time.Second, "Full", allFull(r, []*simNode{srv}))
	s.run(3 * time.Second)
	if m := s.advertisedMetric(r, "192.0.2.11", 1); m != 10 {
		t.Errorf("the router holds metric %d, want 10", m)
	}
	for _, n := range []*simNode{r, srv} {
		if d := n.e.cnt.dropped["bad-hop-limit"]; d != 0 {
			t.Errorf("%s dropped %d packets for their hop limit", n.name, d)
		}
	}
}

// The router requires GTSM, the server does not use it: the router drops
// every packet of ours (hop limit 1), so no adjacency can form. The server
// says why in its status (a note on the neighbor, its hop limit 255), and
// the router counts the drops.
func TestGTSMRequiredByRouterOnly(t *testing.T) {
	s, r, srv := gtsmFarm(t, 63, gtsmHopLimit, true, false)
	s.run(20 * time.Second)
	if st := srv.nbrState("192.0.2.1"); st != nbrInit {
		t.Errorf("the server is %s with the router, want Init", st)
	}
	if n := r.e.cnt.dropped["bad-hop-limit"]; n == 0 {
		t.Errorf("the router counted no bad-hop-limit drop: %v", r.e.cnt.dropped)
	}
	st := srv.e.status(s.now)
	if len(st.Neighbors) != 1 {
		t.Fatalf("status neighbors %+v, want the router", st.Neighbors)
	}
	nb := st.Neighbors[0]
	if nb.HopLimit != gtsmHopLimit || !strings.Contains(nb.Note, "TTL security") {
		t.Errorf("status neighbor %+v, want hop limit 255 and a note on TTL security", nb)
	}
	t.Logf("server status note: %s", nb.Note)
}

// With TTL security on, a router sending with hop limit 1 is not heard:
// its packets are dropped and counted, it never becomes a neighbor.
func TestGTSMDropsBelow255(t *testing.T) {
	s, _, srv := gtsmFarm(t, 64, 1, false, true)
	s.run(20 * time.Second)
	if n := srv.e.nbrs[ridOf("192.0.2.1")]; n != nil {
		t.Errorf("the server keeps the router as a neighbor in %s", n.state)
	}
	if n := srv.e.cnt.dropped["bad-hop-limit"]; n < 15 {
		t.Errorf("the server counted %d bad-hop-limit drops in 20 s of Hellos every second", n)
	}
}
