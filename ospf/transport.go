package ospf

import (
	"net/netip"
	"time"
)

// AllSPFRouters and AllDRouters are the OSPFv3 multicast groups (RFC 5340 A.1).
var (
	AllSPFRouters = netip.MustParseAddr("ff02::5")
	AllDRouters   = netip.MustParseAddr("ff02::6")
)

// Datagram is one OSPFv3 packet as it left or reached the wire: the OSPF
// header and body (no IPv6 header) with the addresses around it.
type Datagram struct {
	Src, Dst netip.Addr
	HopLimit int // -1 when unknown
	Data     []byte
}

// Transport is how an engine reaches its link. netutil implements it over a
// raw IPv6 socket; tests implement it over an in-memory link. The transport
// fills the OSPF checksum (IPV6_CHECKSUM on a raw socket) on send and
// verifies it on receive.
type Transport interface {
	// ReadDatagram blocks for the next packet. It returns an error once the
	// transport is closed.
	ReadDatagram() (Datagram, error)
	// WriteDatagram sends data to dst (AllSPFRouters, AllDRouters or a
	// neighbor's link-local address) from the interface's link-local address.
	WriteDatagram(dst netip.Addr, data []byte) error
	Close() error
}

// Clock is the engine's only source of time, so tests can run whole
// engines on a fake clock without sleeping.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
