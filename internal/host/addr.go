package host

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrNotHostAddress is wrapped by AddServiceAddr and DelServiceAddr when the
// prefix is not an IPv6 /128.
var ErrNotHostAddress = errors.New("host: service address must be an IPv6 /128")

// AddServiceAddr adds the service's anycast address p (an IPv6 /128) to
// interface ifname, without duplicate address detection
// (IFA_F_NODAD: every server of the farm holds the same address). An
// address that is already there is not an error.
//
// It works in the network namespace of the calling OS thread.
func AddServiceAddr(ifname string, p netip.Prefix) error {
	link, a, err := serviceAddr(ifname, p)
	if err != nil {
		return err
	}
	a.Flags = unix.IFA_F_NODAD
	if err := netlink.AddrAdd(link, a); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("host: adding %s to %s: %w", p, link.Attrs().Name, err)
	}
	return nil
}

// DelServiceAddr removes the service address p (an IPv6 /128) from
// interface ifname. An address that is not there is not an
// error.
//
// It works in the network namespace of the calling OS thread.
func DelServiceAddr(ifname string, p netip.Prefix) error {
	link, a, err := serviceAddr(ifname, p)
	if err != nil {
		return err
	}
	if err := netlink.AddrDel(link, a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
		return fmt.Errorf("host: removing %s from %s: %w", p, link.Attrs().Name, err)
	}
	return nil
}

// serviceAddr checks p and finds the interface.
func serviceAddr(ifname string, p netip.Prefix) (netlink.Link, *netlink.Addr, error) {
	if !p.IsValid() || !p.Addr().Is6() || p.Addr().Is4In6() || p.Bits() != 128 || p.Addr().Zone() != "" {
		return nil, nil, fmt.Errorf("%w: got %s", ErrNotHostAddress, p)
	}
	link, err := netlink.LinkByName(ifname)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil, nil, fmt.Errorf("%w: %q", ErrNoSuchInterface, ifname)
		}
		return nil, nil, fmt.Errorf("host: looking up interface %q: %w", ifname, err)
	}
	ip := p.Addr().AsSlice()
	return link, &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(128, 128)}}, nil
}
