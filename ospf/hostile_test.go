package ospf

import (
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// Random and mutated packets, from a neighbor's address and from others,
// must never crash the engine nor break its adjacency.
func TestHostileInputKeepsAdjacency(t *testing.T) {
	s, r, ss := farm(t, 9, 1)
	srv := ss[0]
	// Record real traffic to mutate.
	var corpus []Datagram
	s.observe = func(from, to *simNode, d Datagram) {
		if to == srv && len(corpus) < 500 {
			corpus = append(corpus, d)
		}
	}
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(5 * time.Second)
	s.observe = nil
	if len(corpus) == 0 {
		t.Fatal("no traffic recorded")
	}
	n := 200000
	if testing.Short() {
		n = 20000
	}
	rng := s.rng
	for i := range n {
		base := corpus[rng.IntN(len(corpus))]
		d := Datagram{Src: base.Src, Dst: base.Dst, HopLimit: 1, Data: append([]byte(nil), base.Data...)}
		switch i % 4 {
		case 0: // flip a few bytes
			for range 1 + rng.IntN(4) {
				d.Data[rng.IntN(len(d.Data))] ^= byte(1 + rng.IntN(255))
			}
		case 1: // truncate or extend
			if rng.IntN(2) == 0 {
				d.Data = d.Data[:rng.IntN(len(d.Data))]
			} else {
				for range rng.IntN(64) {
					d.Data = append(d.Data, byte(rng.Uint32()))
				}
			}
		case 2: // pure noise
			d.Data = make([]byte, rng.IntN(200))
			for j := range d.Data {
				d.Data[j] = byte(rng.Uint32())
			}
		case 3: // a real packet from elsewhere on the link: wrong source
			d.Src = srv.cfg.Link.LinkLocal.Prev()
		}
		srv.e.handle(s.now, evPacket{d})
		if i%1000 == 0 {
			s.run(10 * time.Millisecond)
		}
	}
	s.run(10 * time.Second)
	if got := srv.nbrState("192.0.2.1"); got != nbrFull {
		t.Fatalf("after %d hostile packets the server is %s with the router", n, got)
	}
	if m := s.advertisedMetric(r, lsa.IDString(srv.cfg.RouterID), 1); m != 10 {
		t.Fatalf("router holds metric %d after the hostile input", m)
	}
	t.Logf("drops by reason: %v", srv.e.cnt.dropped)
}
