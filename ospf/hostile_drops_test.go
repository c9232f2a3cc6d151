package ospf

import (
	"maps"
	"net/netip"
	"testing"
	"time"

	"github.com/anycostd/anycostd/ospf/packet"
)

// Packets that RFC 5340 and RFC 2328 8.2 rule out are dropped and counted
// under their reason, and leave the adjacency alone; a unicast packet with
// hop limit 64 (FRR sends its unicast DBDs, LSRs, LSUs and LSAcks so) is
// accepted.
func TestDroppedAndCounted(t *testing.T) {
	s, r, ss := farm(t, 13, 1)
	srv := ss[0]
	var hello, lsu Datagram
	s.observe = func(from, to *simNode, d Datagram) {
		if from != r || to != srv {
			return
		}
		switch p, _ := packet.ParsePacket(d.Data); {
		case p == nil:
		case p.Hdr().Type == packet.TypeHello:
			hello = d
		case p.Hdr().Type == packet.TypeLinkStateUpdate:
			lsu = d
		}
	}
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(5 * time.Second)
	s.observe = nil
	if hello.Data == nil || lsu.Data == nil {
		t.Fatal("no hello or update from the router recorded")
	}
	for _, tc := range []struct {
		name   string
		base   Datagram
		change func(d *Datagram)
		reason string // "" when the packet must be accepted
	}{
		{"global source", hello, func(d *Datagram) { d.Src = netip.MustParseAddr("2001:db8:1::1") }, "bad-source"},
		{"IPv4-mapped source", lsu, func(d *Datagram) { d.Src = netip.MustParseAddr("::ffff:192.0.2.1") }, "bad-source"},
		{"multicast with hop limit 64", hello, func(d *Datagram) { d.Dst, d.HopLimit = AllSPFRouters, 64 }, "bad-hop-limit"},
		{"multicast with hop limit 2", lsu, func(d *Datagram) { d.Dst, d.HopLimit = AllSPFRouters, 2 }, "bad-hop-limit"},
		{"multicast with hop limit 254", hello, func(d *Datagram) { d.Dst, d.HopLimit = AllSPFRouters, 254 }, "bad-hop-limit"},
		// RFC 5082 (GTSM): a router with TTL security sends 255.
		{"multicast with hop limit 255", lsu, func(d *Datagram) { d.Dst, d.HopLimit = AllSPFRouters, 255 }, ""},
		{"router ID 0.0.0.0", hello, func(d *Datagram) { copy(d.Data[4:8], []byte{0, 0, 0, 0}) }, "zero-router-id"},
		{"instance 1", hello, func(d *Datagram) { d.Data[14] = 1 }, "instance-mismatch"},
		{"area 0.0.0.1", lsu, func(d *Datagram) { d.Data[11] = 1 }, "area-mismatch"},
		{"our own source address", hello, func(d *Datagram) { d.Src = srv.cfg.Link.LinkLocal }, "own-source"},
		{"our own router ID", hello, func(d *Datagram) { copy(d.Data[4:8], []byte{192, 0, 2, 11}) }, "own-router-id"},
		{"unicast with hop limit 64", lsu, func(d *Datagram) { d.Dst, d.HopLimit = srv.cfg.Link.LinkLocal, 64 }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.base
			d.Data = append([]byte(nil), d.Data...)
			tc.change(&d)
			before := maps.Clone(srv.e.cnt.dropped)
			in := maps.Clone(srv.e.cnt.packetsIn)
			srv.e.handle(s.now, evPacket{d})
			for reason, n := range srv.e.cnt.dropped {
				want := before[reason]
				if reason == tc.reason {
					want++
				}
				if n != want {
					t.Errorf("dropped[%q] went from %d to %d", reason, before[reason], n)
				}
			}
			if tc.reason != "" && srv.e.cnt.dropped[tc.reason] != before[tc.reason]+1 {
				t.Errorf("not counted as %q: drops %v", tc.reason, srv.e.cnt.dropped)
			}
			accepted := !maps.Equal(in, srv.e.cnt.packetsIn)
			if accepted != (tc.reason == "") {
				t.Errorf("accepted %v, want %v", accepted, tc.reason == "")
			}
			if st := srv.nbrState("192.0.2.1"); st != nbrFull {
				t.Errorf("the server is %s with the router afterwards", st)
			}
			if a := srv.e.nbrs[r.cfg.RouterID].addr; a != r.cfg.Link.LinkLocal {
				t.Errorf("the router's address is %s afterwards", a)
			}
		})
	}
}
