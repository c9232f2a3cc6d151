package bfd

import (
	"net/netip"
	"time"
)

// Event is one session state change, as Speaker.Events delivers it.
type Event struct {
	// Peer is the session's peer: its link-local address, zoned with the
	// interface name.
	Peer     netip.Addr
	From, To State
	// Diag is the local diagnostic after the change: why the session left
	// Up (detection time expired, neighbor signaled down, admin down).
	Diag Diag
	// RemoteState and RemoteDiag are what the peer's last packet said.
	RemoteState State
	RemoteDiag  Diag
	At          time.Time
}

// Failure reports whether the change means the path to the peer failed:
// Up to Down, unless the peer signalled AdminDown (RFC 5882 3.2: a
// session taken down administratively is no failure). A client treats a
// Failure like its own protocol's dead timer firing (the daemon: an OSPF
// inactivity timeout).
func (e Event) Failure() bool {
	return e.From == StateUp && e.To == StateDown && e.RemoteState != StateAdminDown
}
