package main

import (
	"context"
	"net/netip"

	hostnet "github.com/anycostd/anycostd/internal/host"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/rawsock"
)

// systemHost implements host with the host package and rawsock, in the daemon's network
// namespace.
type systemHost struct{}

func fromNetutil(li hostnet.LinkInfo) linkInfo {
	return linkInfo{
		Up: li.Up && li.Index > 0,
		Link: ospf.Link{
			Name:      li.Name,
			Index:     li.Index,
			MTU:       li.MTU,
			LinkLocal: li.LinkLocal,
			Prefixes:  li.Prefixes,
		},
	}
}

// lookupLink fails (hostnet.ErrNoLinkLocal) while the link-local address
// is tentative; waitLink polls until it is usable.
func (systemHost) lookupLink(name string) (linkInfo, error) {
	li, err := hostnet.LookupLink(name)
	return fromNetutil(li), err
}

func (systemHost) watchLink(ctx context.Context, name string, fn func(linkInfo)) error {
	return hostnet.WatchLink(ctx, name, func(li hostnet.LinkInfo) { fn(fromNetutil(li)) })
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
