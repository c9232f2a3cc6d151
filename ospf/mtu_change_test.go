package ospf

import (
	"testing"
	"time"
)

// An adjacency held in ExStart by an MTU mismatch forms once the MTU is
// fixed: the DBDs sent after the change carry the new MTU. (In the lab,
// with the server's MTU 1400 against FRR's 1500, the server is master and
// retransmitted its first DBD, MTU 1400, unchanged after its interface went
// to 1500; FRR refused each one and the adjacency never formed.) Here the
// router has 1400 and refuses the server's 1500 until the server's
// interface goes to 1400 too.
func TestMTUFixedInExStart(t *testing.T) {
	s := newSim(t, 5)
	rc := simConfig("192.0.2.1", 1, 10)
	rc.Link.MTU = 1400
	r := s.add("router", rc)
	srv := s.add("s1", simConfig("192.0.2.11", 11, 0))
	srv.e.setServices(s.now, []Service{dnsService(10)})
	ss := []*simNode{srv}
	s.run(15 * time.Second)
	if allFull(r, ss)() {
		t.Fatal("Full despite the router's MTU 1400 against the server's 1500")
	}
	if st := srv.nbrState("192.0.2.1"); st != nbrExStart {
		t.Logf("server sees the router in %s (expected ExStart)", st)
	}
	srv.e.handle(s.now, evLink{up: true, mtu: 1400})
	took := s.runUntil(30*time.Second, "Full after the server's MTU went to 1400", allFull(r, ss))
	t.Logf("Full %v (simulated) after the MTU change", took)
}
