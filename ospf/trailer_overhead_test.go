package ospf

import (
	"testing"
	"time"

	"github.com/anycostd/anycostd/ospf/packet"
)

// TestTrailerOverhead: with Config.TrailerOverhead, the packets the engine
// fills up to the MTU (LS Updates, LS Acknowledgements) leave room for the
// trailer the transport appends (RFC 7166 section 4.1: 16 bytes + the
// digest, 80 for HMAC-SHA-512), so the IPv6 packet still fits the MTU.
func TestTrailerOverhead(t *testing.T) {
	const overhead = 80
	for _, tc := range []struct {
		overhead int
		limit    int // largest OSPF packet allowed: MTU - IPv6 header - overhead
	}{
		{0, 1500 - 40},
		{overhead, 1500 - 40 - overhead},
	} {
		s := newSim(t, 7)
		rc := simConfig("192.0.2.1", 1, 10)
		rc.TrailerOverhead = tc.overhead
		r := s.add("router", rc)
		sc := simConfig("192.0.2.11", 11, 0)
		sc.TrailerOverhead = tc.overhead
		srv := s.add("s1", sc)
		srv.e.setServices(s.now, []Service{dnsService(10)})
		injectExternals(t, r, s.now, 2000)
		largest := map[packet.Type]int{}
		s.observe = func(_, _ *simNode, d Datagram) {
			p, err := packet.ParsePacket(d.Data)
			if err != nil {
				return
			}
			largest[p.Hdr().Type] = max(largest[p.Hdr().Type], len(d.Data))
		}
		s.runUntil(60*time.Second, "server Full with a 2000-LSA router", allFull(r, []*simNode{srv}))
		s.run(5 * time.Second)
		t.Logf("overhead %d: largest LSU %d, LSAck %d bytes (limit %d)", tc.overhead,
			largest[packet.TypeLinkStateUpdate], largest[packet.TypeLinkStateAck], tc.limit)
		for _, typ := range []packet.Type{packet.TypeLinkStateUpdate, packet.TypeLinkStateAck} {
			got := largest[typ]
			if got > tc.limit {
				t.Errorf("overhead %d: a %v of %d bytes, above %d", tc.overhead, typ, got, tc.limit)
			}
			// The packets were filled up, so the limit was what bounded them.
			if got < tc.limit-100 {
				t.Errorf("overhead %d: largest %v only %d bytes; the test did not fill packets up to %d", tc.overhead, typ, got, tc.limit)
			}
		}
	}
}
