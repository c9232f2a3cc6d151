package ospf

import (
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// A server exposes no Router-LSA before it has a Full adjacency: the first
// instance anyone sees already has the transit link, so reaching Full does
// not make a second instance wait MinLSInterval (the row 3 cold-start
// outliers of BENCHMARKS.md).
func TestRouterLSAFirstInstanceHasLink(t *testing.T) {
	s, r, ss := farm(t, 21, 1)
	s1 := ss[0]
	key := lsa.Key{Type: lsa.TypeRouter, ID: 0, AdvRouter: s1.cfg.RouterID}
	// Until Full, step by step, no instance.
	start := s.now
	for s1.nbrState("192.0.2.1") != nbrFull {
		if ent, _ := s1.lsa(key); ent != nil {
			t.Fatalf("%v after start: s1 originated a Router-LSA before Full (state %v)", s.now.Sub(start), s1.nbrState("192.0.2.1"))
		}
		if s.now.Sub(start) > 30*time.Second {
			t.Fatal("s1 not Full with the router within 30 s")
		}
		s.run(10 * time.Millisecond)
	}
	s.runUntil(10*time.Second, "the router holds s1's Router-LSA", func() bool {
		ent, _ := r.lsa(key)
		return ent != nil
	})
	_, l := r.lsa(key)
	if l.Header.Seq != lsa.InitialSequenceNumber {
		t.Errorf("router's copy of s1's Router-LSA: seq %#x, want the first instance %#x", uint32(l.Header.Seq), uint32(0x80000001))
	}
	body, ok := l.Body.(*lsa.Router)
	if !ok || len(body.Links) != 1 || body.Links[0].Type != lsa.LinkTransit {
		t.Errorf("router's copy of s1's Router-LSA: %+v, want one transit link", l.Body)
	}
}
