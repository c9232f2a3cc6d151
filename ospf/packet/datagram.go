package packet

import "net/netip"

// AllSPFRouters and AllDRouters are the OSPFv3 multicast groups (RFC 5340
// section A.1).
var (
	AllSPFRouters = netip.MustParseAddr("ff02::5")
	AllDRouters   = netip.MustParseAddr("ff02::6")
)

// Datagram is one OSPFv3 packet as it left or reached the wire: the OSPF
// header and body (no IPv6 header) with the addresses around it. The
// engine's transports (ospf/rawsock, ospf/auth, the tests' in-memory
// links) carry packets in this form.
type Datagram struct {
	Src, Dst netip.Addr
	HopLimit int // -1 when unknown
	Data     []byte
}
