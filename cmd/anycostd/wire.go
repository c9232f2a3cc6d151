package main

import (
	"context"
	"net/netip"

	hostnet "github.com/anycostd/anycostd/internal/host"
	"github.com/anycostd/anycostd/netif"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/rawsock"
)

// systemHost implements host with internal/host and ospf/rawsock, in the
// daemon's network namespace.
type systemHost struct{}

// lookupLink fails (hostnet.ErrNoLinkLocal) while the link-local address
// is tentative; waitLink polls until it is usable.
func (systemHost) lookupLink(name string) (netif.Link, error) {
	return hostnet.LookupLink(name)
}

func (systemHost) watchLink(ctx context.Context, name string, fn func(netif.Link)) error {
	return hostnet.WatchLink(ctx, name, fn)
}

func (systemHost) listenOSPF(ifname string, noKernelChecksum bool) (ospf.Transport, error) {
	c, err := rawsock.ListenOSPFOpts(ifname, rawsock.OSPFOptions{NoKernelChecksum: noKernelChecksum})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (systemHost) addServiceAddr(ifname string, p netip.Prefix) error {
	return hostnet.AddServiceAddr(ifname, p)
}

func (systemHost) delServiceAddr(ifname string, p netip.Prefix) error {
	return hostnet.DelServiceAddr(ifname, p)
}
