package ospf

import (
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/ospf/packet"
)

// AllSPFRouters and AllDRouters are the OSPFv3 multicast groups
// (packet.AllSPFRouters, packet.AllDRouters) under the engine's names.
var (
	AllSPFRouters = packet.AllSPFRouters
	AllDRouters   = packet.AllDRouters
)

// Datagram is one packet on the wire: packet.Datagram, which the
// transports outside the engine use without importing it.
type Datagram = packet.Datagram

// Transport is how an engine reaches its link. ospf/rawsock implements it
// over a raw IPv6 socket; tests implement it over an in-memory link. The
// transport fills the OSPF checksum (IPV6_CHECKSUM on a raw socket) on send and
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
