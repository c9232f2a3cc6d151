package daemon

import (
	"context"
	"net/netip"

	"github.com/anycostd/anycostd/netif"
	"github.com/anycostd/anycostd/ospf"
)

// Host is what the daemon needs from the operating system. SystemHost
// implements it; tests use a fake.
type Host interface {
	// LookupLink describes the interface now. LinkLocal is invalid while
	// the link-local address is missing or still tentative (DAD).
	LookupLink(name string) (netif.Link, error)
	// WatchLink calls fn on every change of the interface until ctx is
	// done.
	WatchLink(ctx context.Context, name string, fn func(netif.Link)) error
	// ListenOSPF opens the OSPFv3 socket on the interface; with
	// noKernelChecksum the kernel neither fills nor checks the OSPF
	// checksum (needed under the RFC 7166 trailer); with ttlSecurity
	// packets leave with hop limit 255 (RFC 5082).
	ListenOSPF(ifname string, noKernelChecksum, ttlSecurity bool) (ospf.Transport, error)
	// AddServiceAddr puts p on the interface (no error if already there).
	AddServiceAddr(ifname string, p netip.Prefix) error
	// DelServiceAddr takes p off the interface (no error if not there).
	DelServiceAddr(ifname string, p netip.Prefix) error
}
