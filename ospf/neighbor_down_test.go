package ospf

import (
	"net/netip"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// TestNeighborDown: a neighbor reported dead (a BFD session down) is
// taken Down at once, as if its inactivity timer had fired, long before
// the dead interval; the DR is then gone, and DesignatedChanged says so;
// the router's next Hellos bring the adjacency back.
func TestNeighborDown(t *testing.T) {
	s, r, ss := farm(t, 7, 1)
	srv := ss[0]
	s.runUntil(30*time.Second, "the server Full with the router", allFull(r, ss))
	s.run(3 * time.Second) // the election settles (TestFarmAdjacencies)
	in := &Instance{eng: srv.e, desigChanged: make(chan struct{}, 1)}
	in.noteDesignated()
	select {
	case <-in.DesignatedChanged():
	default:
		t.Fatal("no DesignatedChanged for the first DR")
	}
	rAddr := r.cfg.Link.LinkLocal
	if d := srv.e.designated(); d.DR != r.cfg.RouterID || d.DRAddr != rAddr || d.BDR != 0 || d.BDRAddr.IsValid() {
		t.Fatalf("designated %+v, want DR %s at %s and no BDR", d, lsa.IDString(r.cfg.RouterID), rAddr)
	}

	if srv.e.neighborDown(s.now, netip.MustParseAddr("fe80::99"), "test") {
		t.Error("an address no neighbor has took a neighbor down")
	}
	if got := srv.nbrState("192.0.2.1"); got != nbrFull {
		t.Fatalf("router %s after an unknown address was reported, want Full", got)
	}

	// The report carries the zone the BFD speaker gives its peers.
	downAt := s.now
	if !srv.e.neighborDown(s.now, rAddr.WithZone("eth0"), "bfd: detection-time-expired") {
		t.Fatal("the router's address took no neighbor down")
	}
	if got := srv.nbrState("192.0.2.1"); got != nbrDown {
		t.Errorf("router %s after its report, want Down (deleted)", got)
	}
	if srv.e.nbrs[r.cfg.RouterID] != nil {
		t.Error("the dead neighbor is still in the table")
	}
	if d := srv.e.designated(); d.DRAddr.IsValid() || d.DR != 0 {
		t.Errorf("designated %+v after the DR died, want none", d)
	}
	in.noteDesignated()
	select {
	case <-in.DesignatedChanged():
	default:
		t.Error("no DesignatedChanged after the DR died")
	}
	in.noteDesignated()
	select {
	case <-in.DesignatedChanged():
		t.Error("DesignatedChanged without a change")
	default:
	}
	if s.now.Sub(downAt) >= srv.cfg.DeadInterval {
		t.Fatalf("the test took the dead interval")
	}

	// The router is alive: its Hellos bring it back.
	took := s.runUntil(30*time.Second, "the server Full with the router again", allFull(r, ss))
	s.run(3 * time.Second)
	t.Logf("Full again %s after the report", took)
	if d := srv.e.designated(); d.DR != r.cfg.RouterID || d.DRAddr != rAddr {
		t.Errorf("designated %+v after the adjacency came back", d)
	}
}
