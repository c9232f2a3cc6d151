package lab

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Issue 11, finding 4, against FRR: the Link-LSA follows the server's
// interface addresses while it runs, and a service address put on the
// OSPF interface (what address_interface = interface used to do, as an
// operator still could by hand) never reaches the Link-LSA. The DR (FRR)
// would re-advertise it at cost 0 in its network's Intra-Area-Prefix-LSA:
// a connected route to the service that ignores the metric and survives
// the withdrawal.
func TestLinkLSAFollowsAddressesFRR(t *testing.T) {
	t.Parallel() // quiet: see "Tests side by side" in doc.go
	f := NewFarm(t, 2)
	s1, s2 := f.Servers[0], f.Servers[1]
	drain := filepath.Join(f.Lab.Dir(), "s1.drain")
	svc := ServiceTOML("dns", Anycast, 10) + fmt.Sprintf("drain_time = \"0s\"\ndrain_file = %q\n", drain)
	s1.WriteConfig(s1.TOML(svc))
	for _, s := range f.Servers {
		s.Start()
	}
	fibIs(t, f, Anycast, 30*time.Second, "2-way ECMP", LinkLocals(s1, s2))

	// A global address added on s1's OSPF interface reaches the router in
	// s1's Link-LSA.
	s1.AddAddr("eth0", netip.MustParsePrefix("2001:db8:7::1/64"))
	took := WaitFor(t, 10*time.Second, "2001:db8:7::/64 in s1's Link-LSA at the router", func() (bool, error) {
		return linkLSAHas(f, s1, "2001:db8:7::/64")
	})
	t.Logf("address added -> in s1's Link-LSA at the router in %v", took.Round(time.Millisecond))

	// The service address on the OSPF interface stays out of it, and out
	// of the DR's prefixes for the network.
	s1.AddAddr("eth0", Anycast)
	time.Sleep(4 * time.Second) // several min_ls_interval
	if has, err := linkLSAHas(f, s1, Anycast.String()); err != nil || has {
		t.Fatalf("s1's Link-LSA at the router lists %s (%v)", Anycast, err)
	}
	iaps, err := f.Router.LSAs("intra-prefix")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range iaps {
		if l.AdvRouter == "192.0.2.1" && strings.Contains(l.Text, Anycast.String()) {
			t.Fatalf("the DR advertises %s for the network:\n%s", Anycast, l.Text)
		}
	}
	fibIs(t, f, Anycast, 5*time.Second, "still the 2-way ECMP route via the servers", LinkLocals(s1, s2))

	// And the withdrawal works: drained, s1 leaves the route.
	if err := os.WriteFile(drain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	took = fibIs(t, f, Anycast, 10*time.Second, "s1 out of the FIB after its drain", LinkLocals(s2))
	t.Logf("s1 drained with its service address on eth0 -> out of the router's FIB in %v", took.Round(time.Millisecond))
}

// linkLSAHas reports whether the router's copy of s's Link-LSA lists
// prefix.
func linkLSAHas(f *Farm, s *Server, prefix string) (bool, error) {
	lsas, err := f.Router.LSAs("link")
	if err != nil {
		return false, err
	}
	for _, l := range lsas {
		if l.AdvRouter == s.RouterID {
			return strings.Contains(l.Text, prefix), nil
		}
	}
	return false, fmt.Errorf("the router holds no Link-LSA of %s", s.RouterID)
}
