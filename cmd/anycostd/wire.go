package main

import (
	"context"
	"net/netip"

	"github.com/anycostd/anycostd/netutil"
	"github.com/anycostd/anycostd/ospf"
)

// systemHost implements host with netutil, in the daemon's network
// namespace.
type systemHost struct{}

func fromNetutil(li netutil.LinkInfo) linkInfo {
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

// lookupLink fails (netutil.ErrNoLinkLocal) while the link-local address
// is tentative; waitLink polls until it is usable.
func (systemHost) lookupLink(name string) (linkInfo, error) {
	li, err := netutil.LookupLink(name)
	return fromNetutil(li), err
}

func (systemHost) watchLink(ctx context.Context, name string, fn func(linkInfo)) error {
	return netutil.WatchLink(ctx, name, func(li netutil.LinkInfo) { fn(fromNetutil(li)) })
}

func (systemHost) listenOSPF(ifname string, noKernelChecksum, ttlSecurity bool) (ospf.Transport, error) {
	c, err := netutil.ListenOSPFOpts(ifname, netutil.OSPFOptions{NoKernelChecksum: noKernelChecksum, TTLSecurity: ttlSecurity})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (systemHost) addServiceAddr(ifname string, p netip.Prefix) error {
	return netutil.AddServiceAddr(ifname, p)
}

func (systemHost) delServiceAddr(ifname string, p netip.Prefix) error {
	return netutil.DelServiceAddr(ifname, p)
}
