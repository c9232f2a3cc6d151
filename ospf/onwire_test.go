package ospf

import (
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// TestServicesOnWire: a withdrawal right after a change is not on the
// wire while its early try is unacknowledged (the router, MinLSArrival
// 1 s, drops it: early.go); it is once the resend has gone out after the
// router's window, and the router then holds it.
func TestServicesOnWire(t *testing.T) {
	s, r, ss := farm(t, 7, 1)
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(3 * time.Second)
	n := ss[0]
	rid := lsa.IDString(n.cfg.RouterID)
	if !n.e.servicesOnWire(s.now) {
		t.Fatal("metric 10 not on the wire long after Full")
	}
	n.e.setServices(s.now, []Service{dnsService(20)})
	n.e.tick(s.now)
	s.run(100 * time.Millisecond)
	n.e.setServices(s.now, []Service{{Name: "dns", Prefix: dnsService(0).Prefix, Metric: 20, Withdraw: true}})
	s.run(10 * time.Millisecond)
	if n.e.servicesOnWire(s.now) {
		t.Fatal("a withdrawal whose early try is unacknowledged counts as on the wire")
	}
	took := s.runUntil(5*time.Second, "the withdrawal on the wire", func() bool { return n.e.servicesOnWire(s.now) })
	if took < n.cfg.MinLSInterval/2 {
		t.Errorf("on the wire after %v, before the router's window (1 s after the change) let the withdrawal in", took)
	}
	s.run(100 * time.Millisecond)
	if m := s.advertisedMetric(r, rid, 1); m != -1 {
		t.Errorf("router holds metric %d once the withdrawal was on the wire", m)
	}
}
