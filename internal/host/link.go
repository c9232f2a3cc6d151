package host

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/anycostd/anycostd/netif"
)

// Errors of LookupLink, WatchLink, rawsock.ListenOSPF and the service
// address functions; they are wrapped, test with errors.Is.
var (
	// ErrNoSuchInterface: no interface of that name in this network
	// namespace.
	ErrNoSuchInterface = errors.New("host: no such interface")
	// ErrNoLinkLocal: the interface has no IPv6 link-local address that
	// can be used yet (none at all, or still tentative: duplicate address
	// detection has not finished, or it failed). OSPFv3 needs one as the
	// source of every packet (RFC 5340 2.5).
	ErrNoLinkLocal = errors.New("host: no usable IPv6 link-local address yet")
)

// LookupLink returns the interface's current state from netlink. The error
// wraps ErrNoSuchInterface when the interface does not exist and
// ErrNoLinkLocal when it has no usable link-local address; in the latter
// case the returned netif.Link is filled in as far as known.
//
// It works in the network namespace of the calling OS thread.
func LookupLink(name string) (netif.Link, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return netif.Link{Name: name}, fmt.Errorf("host: netlink: %w", err)
	}
	defer h.Close()
	info, err := lookupLink(h, name)
	if err != nil {
		return info, err
	}
	if !info.LinkLocal.IsValid() {
		return info, fmt.Errorf("%w on %s (none, or still tentative)", ErrNoLinkLocal, name)
	}
	return info, nil
}

// lookupLink reads the link and its IPv6 addresses. It does not require a
// link-local address.
func lookupLink(h *netlink.Handle, name string) (netif.Link, error) {
	info := netif.Link{Name: name}
	link, err := h.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return info, fmt.Errorf("%w: %q", ErrNoSuchInterface, name)
		}
		return info, fmt.Errorf("host: looking up interface %q: %w", name, err)
	}
	a := link.Attrs()
	info.Index = a.Index
	info.MTU = a.MTU
	info.Up = a.Flags&net.FlagUp != 0 &&
		(a.OperState == netlink.OperUp || a.OperState == netlink.OperUnknown)
	var addrs []netlink.Addr
	for try := 0; ; try++ {
		addrs, err = h.AddrList(link, netlink.FAMILY_V6)
		if !errors.Is(err, netlink.ErrDumpInterrupted) || try == 3 {
			break
		}
	}
	if err != nil {
		return info, fmt.Errorf("host: listing addresses of %q: %w", name, err)
	}
	for _, ad := range addrs {
		if ad.IPNet == nil || ad.Flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) != 0 {
			continue
		}
		ip, ok := netip.AddrFromSlice(ad.IP)
		if !ok || !ip.Is6() || ip.Is4In6() {
			continue
		}
		switch {
		case ip.IsLinkLocalUnicast():
			if !info.LinkLocal.IsValid() {
				info.LinkLocal = ip
			}
		case ad.Scope == unix.RT_SCOPE_UNIVERSE:
			ones, _ := ad.Mask.Size()
			info.Prefixes = append(info.Prefixes, netip.PrefixFrom(ip, ones))
		}
	}
	return info, nil
}

// watchRelevant reports whether a and b differ in what WatchLink reports.
func watchRelevant(a, b netif.Link) bool {
	return a.Index != b.Index || a.Up != b.Up || a.MTU != b.MTU || a.LinkLocal != b.LinkLocal ||
		!slices.Equal(a.Prefixes, b.Prefixes)
}

// WatchLink calls fn with the state of interface name: once at the start,
// then each time its existence (Index), up/down state, MTU, link-local
// address or global addresses (Prefixes) change; the netif.Link passed is
// always complete. A missing interface is reported
// with Index 0. fn runs on WatchLink's goroutine; WatchLink returns
// ctx.Err() when ctx is done, or an error when netlink fails.
//
// It watches the network namespace of the calling OS thread, through
// netlink subscriptions to link and IPv6 address updates; if the kernel
// drops notifications (socket overrun) it subscribes again and re-reads
// the state, so no change is missed.
func WatchLink(ctx context.Context, name string, fn func(netif.Link)) error {
	ns, err := netns.Get()
	if err != nil {
		return fmt.Errorf("host: WatchLink: current network namespace: %w", err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("host: WatchLink: netlink: %w", err)
	}
	defer h.Close()

	var last netif.Link
	first := true
	report := func() error {
		info, err := lookupLink(h, name)
		if err != nil && !errors.Is(err, ErrNoSuchInterface) {
			return err
		}
		if err != nil { // gone
			info = netif.Link{Name: name}
		}
		if first || watchRelevant(last, info) {
			first = false
			last = info
			fn(info)
		}
		return nil
	}
	for {
		ended, err := watchOnce(ctx, ns, name, &last, report)
		if err != nil {
			return err
		}
		if !ended {
			return ctx.Err()
		}
		// The subscription ended (overrun or socket error): start over.
	}
}

// watchOnce subscribes, reports the current state and then every relevant
// change, until ctx is done (ended false) or a subscription ends (ended
// true).
func watchOnce(ctx context.Context, ns netns.NsHandle, name string, last *netif.Link, report func() error) (ended bool, err error) {
	done := make(chan struct{})
	defer close(done)
	// Buffers large enough that a burst rarely overruns; the kernel side
	// buffer is raised too.
	links := make(chan netlink.LinkUpdate, 64)
	addrs := make(chan netlink.AddrUpdate, 64)
	ignore := func(error) {} // a failing subscription closes its channel
	if err := netlink.LinkSubscribeWithOptions(links, done, netlink.LinkSubscribeOptions{
		Namespace: &ns, ErrorCallback: ignore, ReceiveBufferSize: 1 << 20,
	}); err != nil {
		return false, fmt.Errorf("host: WatchLink: subscribing to link updates: %w", err)
	}
	if err := netlink.AddrSubscribeWithOptions(addrs, done, netlink.AddrSubscribeOptions{
		Namespace: &ns, ErrorCallback: ignore, ReceiveBufferSize: 1 << 20,
	}); err != nil {
		return false, fmt.Errorf("host: WatchLink: subscribing to address updates: %w", err)
	}
	// Read the state only after subscribing, so no change falls between.
	if err := report(); err != nil {
		return false, err
	}
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case u, ok := <-links:
			if !ok {
				return true, nil
			}
			if u.Attrs().Name != name && u.Attrs().Index != last.Index {
				continue
			}
		case u, ok := <-addrs:
			if !ok {
				return true, nil
			}
			if u.LinkIndex != last.Index {
				continue
			}
		}
		if err := report(); err != nil {
			return false, err
		}
	}
}
