package ospf

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// linkLSAPrefixes returns the prefixes of n's Link-LSA as node at holds it.
func linkLSAPrefixes(t *testing.T, at, n *simNode) []netip.Prefix {
	t.Helper()
	ent, l := at.lsa(lsa.Key{Type: lsa.TypeLink, ID: uint32(n.cfg.Link.Index), AdvRouter: n.cfg.RouterID})
	if ent == nil {
		t.Fatalf("%s holds no Link-LSA of %s", at.name, n.name)
	}
	var ps []netip.Prefix
	for _, p := range l.Body.(*lsa.Link).Prefixes {
		ps = append(ps, p.Prefix)
	}
	return ps
}

// linkFarm is a router and one server whose interface holds addrs at start.
func linkFarm(t *testing.T, seed uint64, addrs ...string) (*sim, *simNode, *simNode) {
	s := newSim(t, seed)
	r := s.add("router", simConfig("192.0.2.1", 1, 10))
	cfg := simConfig("192.0.2.11", 11, 0)
	for _, a := range addrs {
		cfg.Link.Prefixes = append(cfg.Link.Prefixes, mustPrefix(a))
	}
	srv := s.add("s1", cfg)
	srv.e.setServices(s.now, []Service{dnsService(10)})
	s.runUntil(30*time.Second, "Full", allFull(r, []*simNode{srv}))
	s.run(2 * time.Second)
	return s, r, srv
}

// Issue 11, finding 4: a service prefix is never in the Link-LSA, whatever
// interface holds the service address. A DR re-advertises the Link-LSAs'
// prefixes at cost 0 in its own Intra-Area-Prefix-LSA: a route to the
// service that ignores the load metric and survives its withdrawal. Here a
// restart with keep_addresses, the service /128 already on the interface.
func TestLinkLSANoServicePrefix(t *testing.T) {
	s, r, srv := linkFarm(t, 71, "2001:db8:1::100/64", "2001:db8:53::53/128", "2001:db8:8::8/128")
	want := []netip.Prefix{mustPrefix("2001:db8:1::/64"), mustPrefix("2001:db8:8::8/128")}
	if got := linkLSAPrefixes(t, r, srv); !slices.Equal(got, want) {
		t.Fatalf("the router holds Link-LSA prefixes %v, want %v (no service prefix)", got, want)
	}
	// A service configured later for a prefix the Link-LSA lists takes
	// it out.
	srv.e.handle(s.now, evServices{[]Service{dnsService(10), {Name: "ntp", Prefix: mustPrefix("2001:db8:8::8/128"), Metric: 10}}})
	s.run(3 * time.Second)
	want = want[:1]
	if got := linkLSAPrefixes(t, r, srv); !slices.Equal(got, want) {
		t.Errorf("with 2001:db8:8::8/128 a service the Link-LSA lists %v, want %v", got, want)
	}
}

// Issue 11, finding 4: the Link-LSA follows the interface's addresses,
// re-originated (paced like every LSA) when they change.
func TestLinkLSAFollowsAddresses(t *testing.T) {
	s, r, srv := linkFarm(t, 72, "2001:db8:1::100/64")
	// When each instance of the server's Link-LSA first went on the wire.
	key := lsa.Key{Type: lsa.TypeLink, ID: uint32(srv.cfg.Link.Index), AdvRouter: srv.cfg.RouterID}
	seqs := map[int32]time.Time{}
	s.observe = func(from, to *simNode, d Datagram) {
		p, _ := packet.ParsePacket(d.Data)
		u, ok := p.(*packet.LinkStateUpdate)
		if from != srv || !ok {
			return
		}
		for _, raw := range u.LSAs {
			if h, err := lsa.ParseHeader(raw); err == nil && h.Key() == key {
				if _, seen := seqs[h.Seq]; !seen {
					seqs[h.Seq] = s.now
				}
			}
		}
	}
	// An address added, another removed, the service address put on the
	// interface: each change reaches the router, paced, one right after
	// the other.
	steps := []struct {
		addrs []netip.Prefix
		want  []netip.Prefix
	}{
		{[]netip.Prefix{mustPrefix("2001:db8:1::100/64"), mustPrefix("2001:db8:7::1/64")},
			[]netip.Prefix{mustPrefix("2001:db8:1::/64"), mustPrefix("2001:db8:7::/64")}},
		{[]netip.Prefix{mustPrefix("2001:db8:7::1/64")},
			[]netip.Prefix{mustPrefix("2001:db8:7::/64")}},
		{[]netip.Prefix{mustPrefix("2001:db8:7::1/64"), mustPrefix("2001:db8:53::53/128"), mustPrefix("2001:db8:53::53/64")},
			[]netip.Prefix{mustPrefix("2001:db8:7::/64")}},
	}
	for _, st := range steps {
		srv.e.handle(s.now, evLinkPrefixes{st.addrs})
		s.runUntil(5*time.Second, "the router holds the new Link-LSA", func() bool {
			return slices.Equal(linkLSAPrefixes(t, r, srv), st.want)
		})
	}
	// Instances went out at least MinLSInterval apart.
	var times []time.Time
	for _, at := range seqs {
		times = append(times, at)
	}
	slices.SortFunc(times, time.Time.Compare)
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < srv.cfg.MinLSInterval {
			t.Errorf("Link-LSA instances %s apart, below MinLSInterval %s", gap, srv.cfg.MinLSInterval)
		}
	}
	// The third change adds service addresses only: nothing to send.
	if len(times) != 2 {
		t.Errorf("%d Link-LSA instances sent, want 2 (the third change leaves the LSA as it is)", len(times))
	}
}
