package bfd

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// RFC 5881 4 and 5 on the wire.
const (
	// srcPortMin and srcPortMax bound the UDP source port of control
	// packets.
	srcPortMin, srcPortMax = 49152, 65535
	// ttlSecurity is the hop limit sent and required (GTSM).
	ttlSecurity = 255
	// trafficClassInternetwork is DSCP CS6, network control (RFC 4594
	// 3.2), as FRR and BIRD mark BFD.
	trafficClassInternetwork = 0xc0
)

// ErrNoLinkLocal is wrapped by ListenUDP when the interface has no IPv6
// link-local address that can be bound (none yet, or duplicate address
// detection has not finished or failed).
var ErrNoLinkLocal = errors.New("bfd: no usable IPv6 link-local address")

// ErrBadDestination is wrapped by WriteDatagram for a destination that is
// not an IPv6 link-local unicast address.
var ErrBadDestination = errors.New("bfd: destination must be an IPv6 link-local unicast address")

// UDPTransport is the Transport of single-hop IPv6 BFD (RFC 5881) on one
// interface and one link-local address of it: a socket on port 3784 of the
// address that reports each packet's hop limit, and one socket for
// sending, bound to the address and a random port in 49152-65535, with hop
// limit 255 and traffic class CS6. Both are bound to the interface
// (SO_BINDTODEVICE).
//
// All sessions share the sending socket, as BIRD's do (FRR opens one per
// session). RFC 5881 4 says the source port SHOULD differ between
// sessions; it MUST be the same for all packets of a session, which holds.
// Reopen the transport when the interface's link-local address changes.
type UDPTransport struct {
	ifname  string
	ifindex int
	src     netip.Addr
	rx      *ipv6.PacketConn
	tx      *net.UDPConn

	rmu sync.Mutex // guards buf
	buf []byte

	closeOnce sync.Once
	closeErr  error
}

var _ Transport = (*UDPTransport)(nil)

// ListenUDP opens the sockets on interface ifname for its link-local
// address src: the one peers know us by (the OSPF speaker's source
// address). An invalid src means the first link-local address the
// interface lists. It works in the network namespace of the calling OS
// thread (the sockets stay there).
func ListenUDP(ifname string, src netip.Addr) (*UDPTransport, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("bfd: interface %q: %w", ifname, err)
	}
	if !src.IsValid() {
		if src, err = linkLocal(ifi); err != nil {
			return nil, err
		}
	}
	src = src.WithZone("")
	if !src.Is6() || !src.IsLinkLocalUnicast() {
		return nil, fmt.Errorf("%w: %v is not link-local", ErrNoLinkLocal, src)
	}
	lc := net.ListenConfig{Control: bindToDevice(ifname)}
	rc, err := lc.ListenPacket(context.Background(), "udp6", scoped(src, ifi.Index, Port))
	if errors.Is(err, unix.EADDRNOTAVAIL) {
		return nil, fmt.Errorf("%w: %v on %s (tentative?): %v", ErrNoLinkLocal, src, ifname, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bfd: listening on port %d of %v on %s: %w", Port, src, ifname, err)
	}
	t := &UDPTransport{ifname: ifname, ifindex: ifi.Index, src: src, rx: ipv6.NewPacketConn(rc), buf: make([]byte, 1500)}
	if err := t.rx.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagInterface, true); err != nil {
		rc.Close()
		return nil, fmt.Errorf("bfd: IPV6_RECVHOPLIMIT/IPV6_RECVPKTINFO on %s: %w", ifname, err)
	}
	if t.tx, err = listenSource(lc, src, ifi.Index); err != nil {
		rc.Close()
		return nil, fmt.Errorf("bfd: sending socket on %s: %w", ifname, err)
	}
	pc := ipv6.NewPacketConn(t.tx)
	for _, s := range []struct {
		what string
		do   func() error
	}{
		{"IPV6_UNICAST_HOPS", func() error { return pc.SetHopLimit(ttlSecurity) }},
		{"IPV6_TCLASS", func() error { return pc.SetTrafficClass(trafficClassInternetwork) }},
	} {
		if err := s.do(); err != nil {
			t.Close()
			return nil, fmt.Errorf("bfd: %s on %s: %w", s.what, ifname, err)
		}
	}
	return t, nil
}

// linkLocal returns the first IPv6 link-local address of ifi.
func linkLocal(ifi *net.Interface) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("bfd: addresses of %s: %w", ifi.Name, err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Is6() && !ip.Is4In6() && ip.IsLinkLocalUnicast() {
				return ip, nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("%w on %s", ErrNoLinkLocal, ifi.Name)
}

// bindToDevice sets SO_BINDTODEVICE: only packets of ifname arrive, and
// packets leave through it.
func bindToDevice(ifname string) func(string, string, syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, ifname)
		}); err != nil {
			return err
		}
		return serr
	}
}

// listenSource binds the sending socket to the link-local address src and
// a random free port in 49152-65535 (RFC 5881 4).
func listenSource(lc net.ListenConfig, src netip.Addr, ifindex int) (*net.UDPConn, error) {
	const tries = 64
	var lastErr error
	for range tries {
		port := srcPortMin + rand.IntN(srcPortMax-srcPortMin+1)
		c, err := lc.ListenPacket(context.Background(), "udp6", scoped(src, ifindex, port))
		if err == nil {
			return c.(*net.UDPConn), nil
		}
		if errors.Is(err, unix.EADDRNOTAVAIL) {
			return nil, fmt.Errorf("%w: %v (tentative?): %v", ErrNoLinkLocal, src, err)
		}
		lastErr = err
	}
	return nil, fmt.Errorf("no free source port in %d-%d after %d tries: %w", srcPortMin, srcPortMax, tries, lastErr)
}

// scoped is the socket address [src%ifindex]:port. The zone is numeric:
// a name would be resolved in the namespace of whichever thread runs this.
func scoped(src netip.Addr, ifindex, port int) string {
	return net.JoinHostPort(src.WithZone(strconv.Itoa(ifindex)).String(), strconv.Itoa(port))
}

// IfName is the interface the transport is bound to.
func (t *UDPTransport) IfName() string { return t.ifname }

// LocalAddr is the link-local address and port packets are sent from.
func (t *UDPTransport) LocalAddr() netip.AddrPort {
	return netip.AddrPortFrom(t.src, uint16(t.tx.LocalAddr().(*net.UDPAddr).Port))
}

// ReadDatagram returns the next packet that arrived on port 3784 of the
// address on the interface, with its hop limit. Src carries no zone. After Close the
// error wraps net.ErrClosed.
func (t *UDPTransport) ReadDatagram() (Datagram, error) {
	t.rmu.Lock()
	defer t.rmu.Unlock()
	for {
		n, cm, src, err := t.rx.ReadFrom(t.buf)
		if err != nil {
			return Datagram{}, fmt.Errorf("bfd: reading on %s: %w", t.ifname, err)
		}
		// SO_BINDTODEVICE already filters; the ancillary data proves it.
		if cm == nil || cm.IfIndex != t.ifindex {
			continue
		}
		d := Datagram{HopLimit: cm.HopLimit, Data: append([]byte(nil), t.buf[:n]...)}
		if ua, ok := src.(*net.UDPAddr); ok {
			d.Src = ua.AddrPort().Addr().WithZone("").Unmap()
		}
		return d, nil
	}
}

// WriteDatagram sends data to port 3784 of dst (link-local unicast; any
// zone is ignored) on the interface.
func (t *UDPTransport) WriteDatagram(dst netip.Addr, data []byte) error {
	dst = dst.WithZone("")
	if !dst.Is6() || dst.Is4In6() || !dst.IsLinkLocalUnicast() {
		return fmt.Errorf("%w: %v", ErrBadDestination, dst)
	}
	to := netip.AddrPortFrom(dst.WithZone(strconv.Itoa(t.ifindex)), Port)
	n, err := t.tx.WriteToUDPAddrPort(data, to)
	if err != nil {
		return fmt.Errorf("bfd: sending to %v on %s: %w", dst, t.ifname, err)
	}
	if n != len(data) {
		return fmt.Errorf("bfd: sending to %v on %s: wrote %d of %d bytes", dst, t.ifname, n, len(data))
	}
	return nil
}

// Close closes both sockets and makes a pending and every later
// ReadDatagram return an error. Closing twice returns the first result.
func (t *UDPTransport) Close() error {
	t.closeOnce.Do(func() {
		t.closeErr = t.rx.Close()
		if t.tx != nil {
			t.closeErr = errors.Join(t.closeErr, t.tx.Close())
		}
	})
	return t.closeErr
}
