package bfd

import (
	"net/netip"
	"time"
)

// Port is the UDP destination port of single-hop BFD Control packets (RFC
// 5881 4).
const Port = 3784

// Datagram is one received control packet with what the engine needs of
// its IPv6 and UDP headers.
type Datagram struct {
	// Src is the sender's address (its zone is ignored: the engine uses
	// Config.Interface).
	Src netip.Addr
	// HopLimit is the IPv6 hop limit it arrived with; -1 when unknown
	// (and then dropped: RFC 5881 5 wants 255).
	HopLimit int
	// Data is the UDP payload.
	Data []byte
}

// Transport is how a Speaker reaches its link: UDPTransport over the
// kernel's UDP sockets, or an in-memory link in tests.
type Transport interface {
	// ReadDatagram blocks for the next packet to port 3784 on the
	// interface. It returns an error once the transport is closed.
	ReadDatagram() (Datagram, error)
	// WriteDatagram sends data to port 3784 of the link-local address dst
	// on the interface, from the interface's link-local address and a
	// source port in 49152-65535, with hop limit 255 (RFC 5881 4, 5). data
	// is valid only during the call.
	WriteDatagram(dst netip.Addr, data []byte) error
	Close() error
}

// Clock is the engine's only source of time.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock (with Go's monotonic reading).
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
