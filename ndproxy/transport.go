package ndproxy

import (
	"net"
	"net/netip"

	"github.com/mdlayher/ndp"
)

// The speaker's I/O, as interfaces: ndproxy/ndsock implements them on a
// real interface, tests with an in-memory link and scripted counters.

// Transport is the speaker's ICMPv6 socket on its interface.
type Transport interface {
	// ReadFrom reads one ICMPv6 message (from its header on) into b, with
	// the hop limit, source and destination of its packet.
	ReadFrom(b []byte) (n, hopLimit int, src, dst netip.Addr, err error)
	// WriteTo sends m to dst with hop limit 255 from Addr.
	WriteTo(m ndp.Message, dst netip.Addr) error
	JoinGroup(group netip.Addr) error
	LeaveGroup(group netip.Addr) error
	// Addr is the link-local source address of everything sent.
	Addr() netip.Addr
	// HardwareAddr is the interface's link-layer address.
	HardwareAddr() net.HardwareAddr
	Close() error
}

// QueryCounter counts the service queries that reached the interface
// since the previous call.
type QueryCounter interface {
	Count() (uint64, error)
	Close() error
}

// CounterOpener opens the query counter of one service address.
type CounterOpener func(addr netip.Addr) (QueryCounter, error)
