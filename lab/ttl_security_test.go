package lab

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anycostd/anycostd/ospf"
)

// Issue 11, finding 1: TTL security (GTSM, RFC 5082) against BIRD 2 as the
// link router. Each case is its own farm of one anycostd server.
func TestTTLSecurityBIRD(t *testing.T) {
	t.Parallel() // quiet: see "Tests side by side" in doc.go
	for _, tc := range []struct {
		name     string
		bird     string // BIRD's `ttl security`
		ours     bool   // anycostd's ospf.ttl_security
		adjacent bool
	}{
		// BIRD sends 255 and accepts our 1: heard with the default.
		{"tx only, default", "tx only", false, true},
		// BIRD sends and requires 255: needs ospf.ttl_security.
		{"yes, ttl_security", "yes", true, true},
		// BIRD drops our hop limit 1: no adjacency, and status says why.
		{"yes, default", "yes", false, false},
		// We require 255, BIRD sends 1: no adjacency, our drops counted.
		{"off, ttl_security", "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := NewBIRDFarm(t, 1, BIRDOptions{TTLSecurity: tc.bird, Kernel: true})
			s := f.Servers[0]
			if tc.ours {
				f.OSPFExtra = "ttl_security = true\n"
				s.WriteConfig(s.TOML(ServiceTOML("dns", Anycast, 10)))
			}
			s.Start()
			if tc.adjacent {
				ttlAdjacent(t, f, s)
			} else {
				ttlRefused(t, f, s, tc.ours)
			}
		})
	}
}

// ttlAdjacent waits for Full on both sides and the anycast route at BIRD
// and in its FIB, and checks that nothing was dropped for its hop limit.
func ttlAdjacent(t *testing.T, f *BIRDFarm, s *Server) {
	t.Helper()
	took := WaitFor(t, 30*time.Second, "Full both ways and the anycast route at BIRD", func() (bool, error) {
		st, err := f.BIRD.NeighborState(s.RouterID)
		if err != nil || st != "Full" {
			return false, fmt.Errorf("BIRD sees %s in %q (%v)", s.RouterID, st, err)
		}
		if err := serverSeesRouter(s, "Full"); err != nil {
			return false, err
		}
		hops, err := f.BIRD.NextHops(Anycast.String())
		if err != nil || !slices.Equal(hops, LinkLocals(s)) {
			return false, fmt.Errorf("BIRD routes %s via %v (%v), want %v", Anycast, hops, err, LinkLocals(s))
		}
		fib, err := f.RouterHost.FIBNextHops(Anycast)
		if err != nil || !slices.Equal(fib, LinkLocals(s)) {
			return false, fmt.Errorf("router FIB routes %s via %v (%v)", Anycast, fib, err)
		}
		return true, nil
	})
	st, err := s.Status()
	if err != nil {
		t.Fatal(err)
	}
	if n := st.Counters.Dropped["bad-hop-limit"]; n != 0 {
		t.Errorf("anycostd dropped %d packets for their hop limit", n)
	}
	rt := routerRow(st)
	t.Logf("Full and the route at BIRD %v after start; anycostd sees BIRD's packets with hop limit %d", took.Round(time.Millisecond), rt.HopLimit)
	if rt.HopLimit != 255 && f.BIRD.Options().TTLSecurity != "" {
		t.Errorf("BIRD with ttl security %q: hop limit %d seen, want 255", f.BIRD.Options().TTLSecurity, rt.HopLimit)
	}
}

// ttlRefused checks for 12 s (three dead intervals) that no adjacency and
// no route forms, then that anycostd says why: a note on the router
// (BIRD requires 255, we send 1) or bad-hop-limit drops (we require 255).
func ttlRefused(t *testing.T, f *BIRDFarm, s *Server, ours bool) {
	t.Helper()
	deadline := time.Now().Add(12 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := f.BIRD.NeighborState(s.RouterID); err != nil || st == "Full" {
			t.Fatalf("BIRD sees %s in %q (%v)", s.RouterID, st, err)
		}
		if hops, err := f.BIRD.NextHops(Anycast.String()); err != nil || len(hops) != 0 {
			t.Fatalf("BIRD routes %s via %v (%v)", Anycast, hops, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	st, err := s.Status()
	if err != nil {
		t.Fatal(err)
	}
	rt := routerRow(st)
	if ours {
		if n := st.Counters.Dropped["bad-hop-limit"]; n < 8 {
			t.Errorf("anycostd counted %d bad-hop-limit drops in 12 s of BIRD's Hellos (every 1 s)", n)
		}
		if rt.RouterID != "" {
			t.Errorf("anycostd lists BIRD as a neighbor (%s) although it drops its packets", rt.State)
		}
		t.Logf("anycostd: dropped %v", st.Counters.Dropped)
		return
	}
	if rt.State != "Init" || rt.HopLimit != 255 || !strings.Contains(rt.Note, "TTL security") {
		t.Errorf("anycostd's row for BIRD: %+v; want Init, hop limit 255 and a note on TTL security", rt)
	}
	t.Logf("anycostd status note for BIRD: %q", rt.Note)
	out, err := s.CLI("status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "Neighbor 192.0.2.1: sends with hop limit 255") {
		t.Errorf("anycostd status does not show the note:\n%s", out)
	}
}

// serverSeesRouter checks anycostd's state with the router 192.0.2.1.
func serverSeesRouter(s *Server, want string) error {
	st, err := s.Status()
	if err != nil {
		return err
	}
	if rt := routerRow(st); rt.State != want {
		return fmt.Errorf("%s sees the router in %q", s.Name(), rt.State)
	}
	return nil
}

// routerRow is anycostd's neighbor row for the router 192.0.2.1 (zero
// when absent).
func routerRow(st ospf.Status) ospf.NeighborStatus {
	for _, n := range st.Neighbors {
		if n.RouterID == "192.0.2.1" {
			return n
		}
	}
	return ospf.NeighborStatus{}
}
