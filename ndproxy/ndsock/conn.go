package ndsock

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/ndp"
	"golang.org/x/net/ipv6"

	"github.com/anycostd/anycostd/ndproxy"
)

// Conn is an ndproxy.Transport on a real interface: an ICMPv6 raw socket (package
// ndp) receiving only NS and NA, with the hop limit, destination and
// interface of every packet. It is bound to no address: a raw socket bound
// to an address only gets the unicast packets sent to that address, and
// the router's unicast probes (RFC 4861 section 7.3.3) are sent to the
// service address. Packets that arrived on another interface are skipped.
type Conn struct {
	c    *ndp.Conn
	ifi  *net.Interface
	addr netip.Addr // the interface's link-local address
}

var _ ndproxy.Transport = (*Conn)(nil)

// Listen opens the ND socket on interface ifname, which must have a usable
// link-local address and a link-layer address.
func Listen(ifname string) (*Conn, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("ND socket: %w", err)
	}
	if len(ifi.HardwareAddr) == 0 {
		return nil, fmt.Errorf("ND socket: interface %s has no link-layer address", ifname)
	}
	ll, err := linkLocal(ifi)
	if err != nil {
		return nil, err
	}
	c, _, err := ndp.Listen(ifi, ndp.Unspecified)
	if err != nil {
		return nil, fmt.Errorf("ND socket on %s: %w", ifname, err)
	}
	var f ipv6.ICMPFilter
	f.SetAll(true)
	f.Accept(ipv6.ICMPTypeNeighborSolicitation)
	f.Accept(ipv6.ICMPTypeNeighborAdvertisement)
	if err := c.SetICMPFilter(&f); err != nil {
		c.Close()
		return nil, fmt.Errorf("ND socket on %s: ICMPv6 filter: %w", ifname, err)
	}
	if err := c.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst|ipv6.FlagInterface, true); err != nil {
		c.Close()
		return nil, fmt.Errorf("ND socket on %s: control messages: %w", ifname, err)
	}
	return &Conn{c: c, ifi: ifi, addr: ll}, nil
}

// linkLocal returns the interface's (first) link-local address.
func linkLocal(ifi *net.Interface) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("ND socket: addresses of %s: %w", ifi.Name, err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Is6() && ip.IsLinkLocalUnicast() {
				return ip, nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("ND socket: interface %s has no IPv6 link-local address", ifi.Name)
}

// ReadFrom implements ndproxy.Transport. A packet whose hop limit the
// kernel did not report gets -1 (ndproxy.ParseReceived drops it).
func (c *Conn) ReadFrom(b []byte) (n, hopLimit int, src, dst netip.Addr, err error) {
	for {
		n, cm, src, err := c.c.ReadRaw(b)
		if err != nil {
			return 0, 0, netip.Addr{}, netip.Addr{}, err
		}
		if cm != nil && cm.IfIndex != 0 && cm.IfIndex != c.ifi.Index {
			continue // another interface's
		}
		hopLimit = -1
		if cm != nil {
			hopLimit = cm.HopLimit
			if a, ok := netip.AddrFromSlice(cm.Dst); ok {
				dst = a.Unmap()
			}
		}
		return n, hopLimit, src.WithZone(""), dst, nil
	}
}

// WriteTo implements ndproxy.Transport.
func (c *Conn) WriteTo(m ndp.Message, dst netip.Addr) error { return c.c.WriteTo(m, nil, dst) }

// JoinGroup implements ndproxy.Transport.
func (c *Conn) JoinGroup(g netip.Addr) error { return c.c.JoinGroup(g) }

// LeaveGroup implements ndproxy.Transport.
func (c *Conn) LeaveGroup(g netip.Addr) error { return c.c.LeaveGroup(g) }

// Addr implements ndproxy.Transport.
func (c *Conn) Addr() netip.Addr { return c.addr }

// HardwareAddr implements ndproxy.Transport.
func (c *Conn) HardwareAddr() net.HardwareAddr { return c.ifi.HardwareAddr }

// Index is the interface index.
func (c *Conn) Index() int { return c.ifi.Index }

// Close implements ndproxy.Transport.
func (c *Conn) Close() error { return c.c.Close() }
