package rawsock

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"

	"github.com/anycostd/anycostd/internal/host"
	"github.com/anycostd/anycostd/ospf/packet"
)

// OSPFv3 on the wire (RFC 5340 A.1, A.3.1).
const (
	// ipProtoOSPF is OSPF's IPv6 next header value.
	ipProtoOSPF = 89
	// ospfChecksumOffset is where the checksum sits in the OSPFv3 header;
	// the kernel fills and verifies it (IPV6_CHECKSUM).
	ospfChecksumOffset = 12
	// trafficClassInternetwork is DSCP CS6 (network control), the traffic
	// class routing protocols use (RFC 4594 3.2).
	trafficClassInternetwork = 0xc0
	// readBufferSize holds the largest IPv6 payload without jumbograms.
	readBufferSize = 65535
)

// ErrBadDestination is wrapped by WriteDatagram when the destination is not
// a link-scope IPv6 address: OSPFv3 packets on a link go to ff02::5,
// ff02::6 or a neighbor's link-local address (RFC 5340 2.5, A.1), and this
// transport refuses anything else.
var ErrBadDestination = errors.New("rawsock: OSPF destination must be a link-local unicast or link-scope multicast IPv6 address")

// RawConn is an ospf.Transport (rawconn_test.go checks it) over a raw IPv6
// socket (protocol 89) bound to one interface: the kernel computes and checks the OSPF checksum (unless
// opened with OSPFOptions.NoKernelChecksum), packets leave with hop limit 1
// (255 with OSPFOptions.TTLSecurity) and traffic class 0xc0 from the interface's link-local address, and the
// socket is a member of AllSPFRouters (ff02::5) on that interface only. It
// never joins AllDRouters (ff02::6): anycostd's speaker has priority 0 and
// never becomes DR or BDR.
type RawConn struct {
	ifname  string
	ifindex int
	src     netip.Addr
	pc      *ipv6.PacketConn
	opts    OSPFOptions

	rmu sync.Mutex // guards buf
	buf []byte

	closeOnce sync.Once
	closeErr  error
}

// OSPFOptions changes how ListenOSPFOpts sets up the socket. The zero
// value is what ListenOSPF does.
type OSPFOptions struct {
	// NoKernelChecksum leaves IPV6_CHECKSUM off: the kernel neither fills
	// the OSPF checksum of packets sent (they leave exactly as written) nor
	// drops received packets whose checksum is wrong. With the RFC 7166
	// authentication trailer the checksum is not used (senders put 0, the
	// digest covers the packet; see ospf/auth): a kernel-filled checksum
	// would break every digest we send, and the kernel would discard every
	// authenticated packet FRR or BIRD sends.
	NoKernelChecksum bool
	// ReceiveBuffer is the socket's receive buffer in bytes (0: 8 MiB,
	// DefaultOSPFReceiveBuffer). See ListenOSPF.
	ReceiveBuffer int
	// TTLSecurity sends every packet with hop limit 255 instead of 1 (the
	// Generalized TTL Security Mechanism, RFC 5082; the receiving end
	// checks, see ospf.Config.TTLSecurity).
	TTLSecurity bool
	// Source is the link-local address to send from (zero: the
	// interface's first). With a Source set, unicast packets addressed to
	// another address of the interface are not read: a second OSPF
	// speaker on the interface (the router agent beside the routing
	// daemon, docs/router-agent.md) must not take the daemon's packets.
	Source netip.Addr
}

// hopLimit is the hop limit of every packet sent: 1 (RFC 5340 A.1), or 255
// with TTLSecurity (RFC 5082 3).
func (o OSPFOptions) hopLimit() int {
	if o.TTLSecurity {
		return 255
	}
	return 1
}

// DefaultOSPFReceiveBuffer is the OSPF socket's receive buffer unless
// OSPFOptions says otherwise. The kernel default (net.core.rmem_default,
// about 208 KiB: some 90 full-size packets) is too small for what a router
// sends at once: FRR 8.4, on reaching Full with a neighbor, re-floods every
// AS-external LSA it holds and resends its whole retransmission list after
// each LS Request answer, over a thousand packets in about 20 ms with
// 20,000 externals. The packets dropped include the answer to our last LS
// Request, and the adjacency then waits for a re-request. 8 MiB holds that
// burst about twice.
const DefaultOSPFReceiveBuffer = 8 << 20

// ListenOSPF opens the OSPFv3 socket on interface ifname. The interface
// must exist and have a usable link-local address (errors wrap
// host.ErrNoSuchInterface and host.ErrNoLinkLocal); the address is read once here and
// used as the source of every packet, so reopen the connection when
// host.WatchLink reports a new one.
//
// It works in the network namespace of the calling OS thread; raw sockets
// need CAP_NET_RAW.
func ListenOSPF(ifname string) (*RawConn, error) {
	return ListenOSPFOpts(ifname, OSPFOptions{})
}

// ListenOSPFOpts is ListenOSPF with options.
func ListenOSPFOpts(ifname string, opts OSPFOptions) (*RawConn, error) {
	info, err := host.LookupLink(ifname)
	if err != nil {
		return nil, err
	}
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			// Only packets that arrive on ifname; sends leave through it.
			serr = unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, ifname)
			if serr == nil {
				serr = setReceiveBuffer(int(fd), cmp.Or(opts.ReceiveBuffer, DefaultOSPFReceiveBuffer))
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	c, err := lc.ListenPacket(context.Background(), fmt.Sprintf("ip6:%d", ipProtoOSPF), "::")
	if err != nil {
		return nil, fmt.Errorf("rawsock: opening raw OSPF socket on %s: %w", ifname, err)
	}
	src := info.LinkLocal
	if opts.Source.IsValid() {
		src = opts.Source.WithZone("")
	}
	rc := &RawConn{ifname: ifname, ifindex: info.Index, src: src, pc: ipv6.NewPacketConn(c), opts: opts, buf: make([]byte, readBufferSize)}
	if err := rc.setup(); err != nil {
		c.Close()
		return nil, fmt.Errorf("rawsock: setting up raw OSPF socket on %s: %w", ifname, err)
	}
	return rc, nil
}

// setReceiveBuffer sets the socket's receive buffer to n bytes:
// SO_RCVBUFFORCE (CAP_NET_ADMIN, which the daemon has) may exceed
// net.core.rmem_max; without the capability SO_RCVBUF gets what rmem_max
// allows, which is not an error.
func setReceiveBuffer(fd, n int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n); err == nil {
		return nil
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, n); err != nil {
		return fmt.Errorf("SO_RCVBUF %d: %w", n, err)
	}
	return nil
}

// ReceiveBuffer returns the socket's receive buffer size as the kernel
// reports it (SO_RCVBUF: twice what was set, for its bookkeeping).
func (c *RawConn) ReceiveBuffer() (int, error) {
	sc, ok := c.pc.PacketConn.(syscall.Conn)
	if !ok {
		return 0, errors.New("rawsock: raw OSPF socket has no file descriptor")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		n, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
	}); err != nil {
		return 0, err
	}
	return n, serr
}

// setup sets the socket options; see RawConn.
func (c *RawConn) setup() error {
	ifi := &net.Interface{Index: c.ifindex, Name: c.ifname}
	steps := []struct {
		what string
		do   func() error
	}{
		{"IPV6_CHECKSUM", func() error {
			if c.opts.NoKernelChecksum {
				// Off is the default of IPPROTO_OSPF raw sockets; say so
				// explicitly all the same.
				return c.pc.SetChecksum(false, 0)
			}
			return c.pc.SetChecksum(true, ospfChecksumOffset)
		}},
		{"IPV6_UNICAST_HOPS", func() error { return c.pc.SetHopLimit(c.opts.hopLimit()) }},
		{"IPV6_MULTICAST_HOPS", func() error { return c.pc.SetMulticastHopLimit(c.opts.hopLimit()) }},
		{"IPV6_TCLASS", func() error { return c.pc.SetTrafficClass(trafficClassInternetwork) }},
		{"IPV6_MULTICAST_LOOP", func() error { return c.pc.SetMulticastLoopback(false) }},
		{"IPV6_MULTICAST_IF", func() error { return c.pc.SetMulticastInterface(ifi) }},
		{"IPV6_JOIN_GROUP ff02::5", func() error {
			return c.pc.JoinGroup(ifi, &net.IPAddr{IP: net.IP(packet.AllSPFRouters.AsSlice())})
		}},
		{"control messages", func() error {
			return c.pc.SetControlMessage(ipv6.FlagDst|ipv6.FlagHopLimit|ipv6.FlagInterface, true)
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return nil
}

// IfName is the interface the connection is bound to.
func (c *RawConn) IfName() string { return c.ifname }

// IfIndex is the interface's index.
func (c *RawConn) IfIndex() int { return c.ifindex }

// LocalAddr is the link-local address packets are sent from.
func (c *RawConn) LocalAddr() netip.Addr { return c.src }

// ReadDatagram returns the next OSPF packet that arrived on the interface,
// with a correct checksum (the kernel drops the others; with
// NoKernelChecksum nothing is dropped for its checksum). Src and Dst carry
// no zone. Data is a fresh slice the caller may keep. After Close (also
// one that happens while ReadDatagram blocks) the error wraps
// net.ErrClosed.
func (c *RawConn) ReadDatagram() (packet.Datagram, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		n, cm, src, err := c.pc.ReadFrom(c.buf)
		if err != nil {
			return packet.Datagram{}, fmt.Errorf("rawsock: reading OSPF on %s: %w", c.ifname, err)
		}
		// SO_BINDTODEVICE already filters; the ancillary data proves it.
		if cm == nil || cm.IfIndex != c.ifindex {
			continue
		}
		d := packet.Datagram{HopLimit: cm.HopLimit, Data: append([]byte(nil), c.buf[:n]...)}
		if ipa, ok := src.(*net.IPAddr); ok {
			d.Src, _ = netip.AddrFromSlice(ipa.IP)
		}
		d.Dst, _ = netip.AddrFromSlice(cm.Dst)
		if c.opts.Source.IsValid() && !d.Dst.IsMulticast() && d.Dst != c.src {
			continue // another speaker's unicast
		}
		return d, nil
	}
}

// WriteDatagram sends data (an OSPF packet whose checksum the kernel
// fills, or that leaves as it is with NoKernelChecksum) to dst on the interface, from the link-local address, with hop
// limit 1 (255 with TTLSecurity). dst must be link-local unicast or link-scope multicast (see
// ErrBadDestination); any zone on it is ignored.
func (c *RawConn) WriteDatagram(dst netip.Addr, data []byte) error {
	dst = dst.WithZone("")
	if !dst.Is6() || dst.Is4In6() || !(dst.IsLinkLocalUnicast() || dst.IsLinkLocalMulticast()) {
		return fmt.Errorf("%w: %v", ErrBadDestination, dst)
	}
	cm := &ipv6.ControlMessage{
		HopLimit:     c.opts.hopLimit(),
		TrafficClass: trafficClassInternetwork,
		Src:          net.IP(c.src.AsSlice()),
		IfIndex:      c.ifindex,
	}
	// A numeric zone: a zone name would be resolved in the namespace of
	// whichever thread runs this, not necessarily the socket's.
	n, err := c.pc.WriteTo(data, cm, &net.IPAddr{IP: net.IP(dst.AsSlice()), Zone: strconv.Itoa(c.ifindex)})
	if err != nil {
		return fmt.Errorf("rawsock: sending OSPF to %v on %s: %w", dst, c.ifname, err)
	}
	if n != len(data) {
		return fmt.Errorf("rawsock: sending OSPF to %v on %s: wrote %d of %d bytes", dst, c.ifname, n, len(data))
	}
	return nil
}

// Close closes the socket (leaving ff02::5) and makes a pending and every
// later ReadDatagram return an error. Closing twice returns the first
// result.
func (c *RawConn) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.pc.Close() })
	return c.closeErr
}
