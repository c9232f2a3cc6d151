package ospf

import (
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// Issue 11, finding 2: a speaker with router ID 0.0.0.0. With no DR on the
// link the server's DR is "0", so such a neighbor looked like the DR: the
// server formed an adjacency with it, reached Full and put a transit link
// to 0.0.0.0 in its Router-LSA. Router ID 0 is refused (RFC 2328 1.2: a
// router ID identifies a router, and 0.0.0.0 means "none" in the DR and
// BDR fields); every packet carrying it is dropped and counted.
func TestZeroRouterIDRefused(t *testing.T) {
	s := newSim(t, 41)
	srv := s.add("s1", simConfig("192.0.2.11", 11, 0))
	srv.e.setServices(s.now, []Service{dnsService(10)})
	zero := simConfig("192.0.2.1", 2, 0)
	zero.RouterID = 0
	s.addUnchecked("zero", zero)
	s.run(20 * time.Second)
	if n := srv.e.nbrs[0]; n != nil {
		t.Errorf("the server keeps router 0.0.0.0 as a neighbor, state %s", n.state)
	}
	if got := srv.e.cnt.dropped["zero-router-id"]; got == 0 {
		t.Errorf("no packet counted as zero-router-id; drops %v", srv.e.cnt.dropped)
	}
	_, l := srv.lsa(lsa.Key{Type: lsa.TypeRouter, AdvRouter: srv.cfg.RouterID})
	if r, ok := l.Body.(*lsa.Router); ok {
		for _, ln := range r.Links {
			t.Errorf("the server's Router-LSA has a link to %s", lsa.IDString(ln.NeighborRouterID))
		}
	}
	if st := srv.e.status(s.now); len(st.Neighbors) != 0 {
		t.Errorf("status lists neighbors %+v", st.Neighbors)
	}
}

// Our own router ID may not be 0.0.0.0 either: the engine refuses the
// config (config refuses router_id = "0.0.0.0" before, see
// testdata/config/router-id-zero.toml).
func TestOwnZeroRouterIDRefused(t *testing.T) {
	cfg := simConfig("192.0.2.11", 11, 0)
	cfg.RouterID = 0
	if err := cfg.Validate(); err == nil {
		t.Error("Config.Validate accepts router ID 0.0.0.0")
	}
}
