package ospf

import (
	"testing"
	"time"
)

// A flushed LSA leaves a server's database as soon as RFC 2328 14 lets
// it (on no retransmission list, no neighbor exchanging), not at the next
// aging sweep. BIRD 2.0.12 (TestAgentAnnouncementBIRD, lab) flushes its
// Network-LSA of the router agent's link when the killed agent's
// adjacency ends and originates it again as soon as the restarted agent
// is adjacent: its MinLSInterval counts from the last origination, not
// from the flush. A server that still held the flush at MaxAge dropped
// the new instance within MinLSArrival of it (13 (5.a)) and counted the
// agent again only at BIRD's retransmission, 5 s later.
//
// Here the router stands in for BIRD: with a MinLSInterval of 100 ms it
// flushes the Intra-Area-Prefix-LSA of a service of its own and
// advertises it again 300 ms later.
func TestFlushedLSALeavesAtOnce(t *testing.T) {
	s := newSim(t, 31)
	rc := simConfig("192.0.2.1", 1, 10)
	rc.MinLSInterval = 100 * time.Millisecond
	r := s.add("router", rc)
	srv := s.add("s1", simConfig("192.0.2.11", 11, 0))
	srv.e.setServices(s.now, []Service{dnsService(10)})
	r.e.setServices(s.now, []Service{dnsService(20)})
	s.runUntil(30*time.Second, "Full", allFull(r, []*simNode{srv}))
	k := iapKey("192.0.2.1", 1)
	s.runUntil(10*time.Second, "the router's service in the server's database", func() bool {
		return s.advertisedMetric(srv, "192.0.2.1", 1) == 20
	})
	s.run(3 * time.Second)

	r.e.setServices(s.now, []Service{{Name: "dns", Prefix: dnsService(0).Prefix, Metric: 20, Withdraw: true}})
	s.runUntil(time.Second, "the flush in the server's database", func() bool {
		ent := srv.e.db.get(k)
		return ent == nil || ent.maxAged(s.now)
	})
	s.run(100 * time.Millisecond)
	if ent := srv.e.db.get(k); ent != nil {
		t.Errorf("the server still holds the flushed LSA at MaxAge %s after it arrived", 100*time.Millisecond)
	}
	s.run(200 * time.Millisecond)
	r.e.setServices(s.now, []Service{dnsService(20)})
	took := s.runUntil(10*time.Second, "the re-advertised service in the server's database", func() bool {
		return s.advertisedMetric(srv, "192.0.2.1", 1) == 20
	})
	t.Logf("the re-advertisement reached the server %s after it was made", took)
	if d := srv.e.cnt.dropped["min-ls-arrival"]; d != 0 {
		t.Errorf("the server dropped %d instances for MinLSArrival: it held the flush", d)
	}
	if took >= r.cfg.RetransmitInterval {
		t.Errorf("the re-advertisement took %s: it waited for the router's retransmission (%s)", took, r.cfg.RetransmitInterval)
	}
}
