package daemon

import (
	"context"
	"net/netip"

	"github.com/anycostd/anycostd/internal/host"
	"github.com/anycostd/anycostd/netif"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/rawsock"
)

// SystemHost is the Host of a real daemon: internal/host's netlink
// helpers and ospf/rawsock's socket, in the daemon's network namespace.
type SystemHost struct{}

// LookupLink fails (host.ErrNoLinkLocal) while the link-local address is
// tentative; the daemon polls until it is usable.
func (SystemHost) LookupLink(name string) (netif.Link, error) {
	return host.LookupLink(name)
}

// WatchLink implements Host.
func (SystemHost) WatchLink(ctx context.Context, name string, fn func(netif.Link)) error {
	return host.WatchLink(ctx, name, fn)
}

// ListenOSPF implements Host.
func (SystemHost) ListenOSPF(ifname string, noKernelChecksum, ttlSecurity bool) (ospf.Transport, error) {
	c, err := rawsock.ListenOSPFOpts(ifname, rawsock.OSPFOptions{NoKernelChecksum: noKernelChecksum, TTLSecurity: ttlSecurity})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AddServiceAddr implements Host.
func (SystemHost) AddServiceAddr(ifname string, p netip.Prefix) error {
	return host.AddServiceAddr(ifname, p)
}

// DelServiceAddr implements Host.
func (SystemHost) DelServiceAddr(ifname string, p netip.Prefix) error {
	return host.DelServiceAddr(ifname, p)
}
