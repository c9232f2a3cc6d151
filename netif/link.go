// Package netif describes a network interface as the daemon finds it on
// the host. Link is the one description of an interface: the host's
// lookups (internal/host) return it and the modes take it (the OSPF
// instance's interface, the ND mode's on-link prefixes). The package does
// no I/O.
package netif

import "net/netip"

// Link is the state of one network interface.
type Link struct {
	Name string
	// Index is the interface index, 0 when the interface does not exist;
	// it is also the OSPFv3 Interface ID (RFC 5340 section 4.1.2).
	Index int
	MTU   int
	// Up is true when the interface is administratively up and its
	// operational state is up or unknown (loopback, dummy): it can carry
	// packets.
	Up bool
	// LinkLocal is the interface's IPv6 link-local address, the first one
	// the kernel lists that is neither tentative nor failed duplicate
	// address detection; the zero Addr when there is none.
	LinkLocal netip.Addr
	// Prefixes are the interface's usable (not tentative, no failed DAD)
	// global-scope IPv6 addresses with their prefix lengths, as `ip addr`
	// shows them (host bits kept: 2001:db8:1::11/64), in kernel order.
	Prefixes []netip.Prefix
}
