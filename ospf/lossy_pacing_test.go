package ospf

import (
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// Pacing under loss. Routers drop, without an acknowledgement, an instance
// that arrives within MinLSArrival (1 s) of the one they installed last
// (RFC 2328 13 (5.a)), and they install an instance when it reaches them,
// which over a lossy link may be at its retransmission, RxmtInterval (5 s)
// after it was first sent. Pacing from the first sending alone then lets
// the next instance follow the retransmission by a few milliseconds: it is
// dropped and repaired only by its own retransmission 5 s later. In the lab
// (20% loss, a change every 5 s) every change took 5 s to reach the router
// this way. An instance that follows a retransmission of the previous one
// by less than MinLSInterval is held until MinLSInterval has passed since
// that retransmission, so it reaches the router about 1.1 s after the
// change instead of 5 s.
func TestPacingAfterRetransmission(t *testing.T) {
	s, r, ss := farm(t, 12, 1)
	srv := ss[0]
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(5 * time.Second)
	rid := lsa.IDString(srv.cfg.RouterID)

	// Instance A (metric 20) is lost on the wire: the server is cut off
	// while it originates and sends it.
	srv.up = false
	srv.e.setServices(s.now, []Service{dnsService(20)})
	s.run(10 * time.Millisecond)
	srv.up = true
	// Its retransmission installs it at the router.
	took := s.runUntilStep(10*time.Second, 10*time.Millisecond, "A at the router by retransmission", func() bool {
		return s.advertisedMetric(r, rid, 1) == 20
	})
	t.Logf("instance A (metric 20) reached the router %v after it was first sent (its retransmission)", took)
	// Instance B (metric 30) right after.
	srv.e.setServices(s.now, []Service{dnsService(30)})
	took = s.runUntilStep(10*time.Second, 10*time.Millisecond, "B at the router", func() bool {
		return s.advertisedMetric(r, rid, 1) == 30
	})
	t.Logf("instance B (metric 30), changed right after A's retransmission, reached the router %v later (drops at the router: %v)",
		took, r.e.cnt.dropped)
	if took > 2*time.Second {
		t.Errorf("B reached the router %v after the change: dropped within MinLSArrival of A's retransmission and repaired by its own", took)
	}
}

// runUntilStep is runUntil with a step of the caller's choice.
func (s *sim) runUntilStep(limit, step time.Duration, what string, cond func() bool) time.Duration {
	s.t.Helper()
	start := s.now
	for s.now.Sub(start) < limit {
		if cond() {
			return s.now.Sub(start)
		}
		s.run(step)
	}
	if !cond() {
		s.t.Fatalf("after %s simulated: %s never happened", limit, what)
	}
	return s.now.Sub(start)
}
