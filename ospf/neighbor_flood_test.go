package ospf

import (
	"net/netip"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// helloFlood sends n forged Hellos to node: router IDs 10.0.0.1 up, each
// from its own link-local address, priority 1, the node's timers. With
// listing set they list the node (2-Way at once); else they list nobody
// (the node keeps them in Init).
func helloFlood(t *testing.T, s *sim, node *simNode, n int, listing bool) {
	t.Helper()
	for i := range n {
		id := uint32(0x0a000001 + i)
		h := &packet.Hello{
			Header:        packet.Header{RouterID: id, AreaID: node.cfg.AreaID},
			InterfaceID:   uint32(100 + i),
			Priority:      1,
			Options:       lsa.OptV6 | lsa.OptE,
			HelloInterval: uint16(node.cfg.HelloInterval / time.Second),
			DeadInterval:  uint16(node.cfg.DeadInterval / time.Second),
		}
		if listing {
			h.Priority = 0
			h.Neighbors = []uint32{node.cfg.RouterID}
		}
		b, err := packet.MarshalPacket(h)
		if err != nil {
			t.Fatal(err)
		}
		var a [16]byte
		a[0], a[1] = 0xfe, 0x80
		a[12], a[13], a[14], a[15] = 0xf0, byte(i>>16), byte(i>>8), byte(i)
		node.e.handle(s.now, evPacket{Datagram{Src: netip.AddrFrom16(a), Dst: AllSPFRouters, HopLimit: 1, Data: b}})
	}
}

// Issue 11, finding 5: a Hello flood of 5,000 forged speakers (Init: they
// list nobody), repeated every second so the entries never time out, fills
// the neighbor table (1,024). The real DR then starts on the link: it must
// become a neighbor and reach Full. Before, the table took the first 1,024
// speakers and refused the rest until entries timed out, which a flood
// never lets happen.
func TestHelloFloodCannotStarveDR(t *testing.T) {
	s := newSim(t, 51)
	srv := s.add("s1", simConfig("192.0.2.11", 11, 0))
	srv.e.setServices(s.now, []Service{dnsService(10)})
	helloFlood(t, s, srv, 5000, false)
	s.run(time.Second)
	if got := len(srv.e.nbrs); got != maxNeighbors {
		t.Fatalf("after the flood the server keeps %d neighbors, want the cap %d", got, maxNeighbors)
	}
	r := s.add("router", simConfig("192.0.2.1", 1, 10))
	start := s.now
	full := func() bool {
		return srv.nbrState("192.0.2.1") == nbrFull && r.nbrState("192.0.2.11") == nbrFull
	}
	for !full() && s.now.Sub(start) < 60*time.Second {
		helloFlood(t, s, srv, 5000, false)
		s.run(time.Second)
	}
	if !full() {
		t.Fatalf("under the flood the server is %s with the real DR after %s (table %d, drops %v)",
			srv.nbrState("192.0.2.1"), s.now.Sub(start), len(srv.e.nbrs), srv.e.cnt.dropped)
	}
	t.Logf("the real DR Full with the server %s after it started, under a flood of 5,000 forged speakers a second; %d evicted",
		s.now.Sub(start), srv.e.cnt.nbrEvicted)
	s.run(3 * time.Second)
	if m := s.advertisedMetric(r, "192.0.2.11", 1); m != 10 {
		t.Errorf("the router holds metric %d for the server's service, want 10", m)
	}
	if got := len(srv.e.nbrs); got > maxNeighbors {
		t.Errorf("the server keeps %d neighbors, above the cap %d", got, maxNeighbors)
	}
}

// A flood of forged speakers that list us (2-Way at once, priority 0)
// evicts Init entries and one another, never the adjacency with the DR nor
// a DR/BDR candidate.
func TestHelloFloodKeepsAdjacency(t *testing.T) {
	s, r, ss := farm(t, 52, 1)
	srv := ss[0]
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	for range 4 {
		helloFlood(t, s, srv, 5000, true)
		helloFlood(t, s, srv, 5000, false)
		s.run(time.Second)
		if st := srv.nbrState("192.0.2.1"); st != nbrFull {
			t.Fatalf("under the flood the server went %s with the DR", st)
		}
		if srv.e.dr != r.cfg.RouterID {
			t.Fatalf("under the flood the server's DR is %s", lsa.IDString(srv.e.dr))
		}
	}
	if got := len(srv.e.nbrs); got > maxNeighbors {
		t.Errorf("the server keeps %d neighbors, above the cap %d", got, maxNeighbors)
	}
	if m := s.advertisedMetric(r, "192.0.2.11", 1); m != 10 {
		t.Errorf("the router holds metric %d for the server's service, want 10", m)
	}
}
