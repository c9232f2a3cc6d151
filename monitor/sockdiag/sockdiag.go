package sockdiag

// UDP socket diagnostics through NETLINK_SOCK_DIAG (linux/sock_diag.h,
// linux/inet_diag.h). The kernel ABI is described in sock_diag(7).
//
// vishvananda/netlink v1.3.1 was checked first: its SocketDiagUDPInfo dumps
// every UDP socket of a family with INET_DIAG_MEMINFO only, which carries
// neither the receive buffer size nor the drop counter (those are in
// INET_DIAG_SKMEMINFO), and it cannot filter on the port in the kernel. This
// file therefore speaks the protocol itself with golang.org/x/sys/unix.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// ErrSockDiagMalformed is wrapped by every error about a sock_diag or netlink
// message that is too short or inconsistent.
var ErrSockDiagMalformed = errors.New("sockdiag: malformed sock_diag message")

// UDPSocket is one UDP socket as the kernel describes it in an inet_diag_msg
// (linux/inet_diag.h) and its INET_DIAG_SKMEMINFO attribute.
type UDPSocket struct {
	// Family is unix.AF_INET or unix.AF_INET6.
	Family uint8
	// Local is the bound address and port. For AF_INET sockets the address
	// is an IPv4 address; for AF_INET6 an IPv6 one (possibly v4-mapped).
	Local netip.AddrPort
	// Remote is the connected peer; port 0 and an unspecified address for
	// an unconnected socket, which is what a server normally has.
	Remote netip.AddrPort
	// Inode is the socket's inode number (0 in destroy notifications on
	// some kernels, the file being gone by then).
	Inode uint32
	// UID is the owner's user id.
	UID uint32
	// RQueue is idiag_rqueue: the bytes charged to the receive queue
	// (skb truesize, so headers and overhead included).
	RQueue uint32
	// RcvBuf is SK_MEMINFO_RCVBUF: the receive buffer limit in the same
	// unit as RQueue. 0 when the kernel sent no SK_MEMINFO (for example in
	// destroy notifications).
	RcvBuf uint32
	// Drops is SK_MEMINFO_DROPS: datagrams the socket dropped since its
	// creation (mostly receive buffer overflows). Wraps at 2^32.
	Drops uint32
}

// Unconnected reports whether the socket has no connected peer, i.e. is a
// server socket rather than a client's connected one.
func (s UDPSocket) Unconnected() bool { return s.Remote.Port() == 0 }

// Fill returns RQueue/RcvBuf, clamped to [0, 1]; 0 when RcvBuf is unknown.
// The kernel admits a datagram while the queue is under the limit, so the raw
// ratio can exceed 1 by one datagram's truesize; the clamp hides that.
func (s UDPSocket) Fill() float64 {
	if s.RcvBuf == 0 {
		return 0
	}
	f := float64(s.RQueue) / float64(s.RcvBuf)
	if f > 1 {
		return 1
	}
	return f
}

// Kernel ABI numbers not (all) exported by x/sys/unix. Names follow the
// kernel headers in Go case.
const (
	diagMsgSockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY, linux/sock_diag.h

	diagReqLen   = 56 // sizeof(struct inet_diag_req_v2)
	diagMsgLen   = 72 // sizeof(struct inet_diag_msg)
	diagNlHdrLen = 16 // sizeof(struct nlmsghdr)
	diagAttrHdr  = 4  // sizeof(struct nlattr)

	diagAttrSkMemInfo = 7 // INET_DIAG_SKMEMINFO
	diagReqBytecode   = 1 // INET_DIAG_REQ_BYTECODE

	diagBcSGE = 2 // INET_DIAG_BC_S_GE
	diagBcSLE = 3 // INET_DIAG_BC_S_LE

	diagSkMemRcvBuf = 1 // SK_MEMINFO_RCVBUF
	diagSkMemDrops  = 8 // SK_MEMINFO_DROPS

	diagNlaTypeMask = 0x3fff // ^(NLA_F_NESTED | NLA_F_NET_BYTEORDER)

	// Receive buffer for dump replies; the kernel sizes dump skbs to at most
	// 32 KiB, so 64 KiB never truncates.
	diagRecvBuf = 64 << 10
	// Time a dump may take before ListUDPSockets gives up.
	diagDumpTimeout = 2 * time.Second
	// Interrupted dumps (NLM_F_DUMP_INTR) are retried this many times.
	diagDumpRetries = 3
)

// errDiagDumpInterrupted means the kernel flagged the dump as inconsistent
// (NLM_F_DUMP_INTR): the socket table changed during it.
var errDiagDumpInterrupted = errors.New("sockdiag: sock_diag dump interrupted (NLM_F_DUMP_INTR)")

// ListUDPSockets returns the UDP sockets of the calling thread's network
// namespace whose local port is port (every UDP socket when port is 0).
// family is unix.AF_INET or unix.AF_INET6; an AF_INET6 listing includes
// dual-stack sockets bound to [::].
//
// The port is filtered in the kernel with an inet_diag bytecode program
// (INET_DIAG_BC_S_GE and INET_DIAG_BC_S_LE on the port), and again here.
// Each socket carries INET_DIAG_SKMEMINFO (requested with idiag_ext bit
// 1<<(INET_DIAG_SKMEMINFO-1)) for its receive buffer and drop counter.
//
// It opens one NETLINK_SOCK_DIAG socket per call. Reading other users'
// sockets needs no privilege; the kernel lists all of them.
func ListUDPSockets(port uint16, family int) ([]UDPSocket, error) {
	if family != unix.AF_INET && family != unix.AF_INET6 {
		return nil, fmt.Errorf("sockdiag: ListUDPSockets: family %d is neither AF_INET (%d) nor AF_INET6 (%d)", family, unix.AF_INET, unix.AF_INET6)
	}
	var (
		socks []UDPSocket
		err   error
	)
	for attempt := 0; attempt <= diagDumpRetries; attempt++ {
		socks, err = diagDumpUDP(uint8(family), port)
		if !errors.Is(err, errDiagDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sockdiag: ListUDPSockets(port %d, family %d): %w", port, family, err)
	}
	if port == 0 {
		return socks, nil
	}
	// The kernel already filtered; this guards against a kernel that
	// ignored the bytecode.
	out := socks[:0]
	for _, s := range socks {
		if s.Local.Port() == port {
			out = append(out, s)
		}
	}
	return out, nil
}

// diagDumpUDP does one dump request and collects the replies, without the
// user-space port filter.
func diagDumpUDP(family uint8, port uint16) ([]UDPSocket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("socket(AF_NETLINK, NETLINK_SOCK_DIAG): %w", err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(diagDumpTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return nil, fmt.Errorf("setsockopt(SO_RCVTIMEO): %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("bind(netlink): %w", err)
	}
	const seq = 1 // one request per socket
	req := diagAppendUDPDumpRequest(nil, seq, family, port)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("sendto(netlink kernel): %w", err)
	}

	buf := make([]byte, diagRecvBuf)
	var (
		socks       []UDPSocket
		interrupted bool
	)
	for {
		n, _, rflags, from, err := unix.Recvmsg(fd, buf, nil, 0)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return nil, fmt.Errorf("recvmsg(netlink): %w", err)
		}
		if rflags&unix.MSG_TRUNC != 0 {
			return nil, fmt.Errorf("%w: reply truncated at %d bytes", ErrSockDiagMalformed, len(buf))
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // not from the kernel
		}
		msgs, err := diagParseNetlink(buf[:n])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if m.seq != seq {
				continue
			}
			if m.flags&unix.NLM_F_DUMP_INTR != 0 {
				interrupted = true
			}
			switch m.typ {
			case unix.NLMSG_DONE:
				if err := diagParseDone(m.data); err != nil {
					return nil, err
				}
				if interrupted {
					return socks, errDiagDumpInterrupted
				}
				return socks, nil
			case unix.NLMSG_ERROR:
				return nil, diagParseError(m.data)
			case diagMsgSockDiagByFamily:
				s, err := diagParseUDPMsg(m.data)
				if err != nil {
					return nil, err
				}
				socks = append(socks, s)
			}
		}
	}
}

// diagAppendUDPDumpRequest appends a netlink SOCK_DIAG_BY_FAMILY dump request
// for UDP sockets of family asking for INET_DIAG_SKMEMINFO, with a bytecode
// filter on the source (local) port when port is not 0.
func diagAppendUDPDumpRequest(b []byte, seq uint32, family uint8, port uint16) []byte {
	var bc []byte
	if port != 0 {
		// Two port comparisons, 8 bytes each: an inet_diag_bc_op
		// {code, yes, no} followed by one whose "no" holds the port.
		// yes = 8 steps to the next op; no = remaining length + 4 jumps
		// past the end, which the kernel reads as "reject".
		bc = []byte{
			diagBcSGE, 8, 0, 0, 0, 0, 0, 0,
			diagBcSLE, 8, 0, 0, 0, 0, 0, 0,
		}
		ne := binary.NativeEndian
		ne.PutUint16(bc[2:4], 16+4)
		ne.PutUint16(bc[6:8], port)
		ne.PutUint16(bc[10:12], 8+4)
		ne.PutUint16(bc[14:16], port)
	}
	total := diagNlHdrLen + diagReqLen
	if bc != nil {
		total += diagAttrHdr + len(bc)
	}
	ne := binary.NativeEndian
	start := len(b)
	b = append(b, make([]byte, total)...)
	h := b[start:]
	ne.PutUint32(h[0:4], uint32(total))
	ne.PutUint16(h[4:6], diagMsgSockDiagByFamily)
	ne.PutUint16(h[6:8], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(h[8:12], seq)
	ne.PutUint32(h[12:16], 0) // nlmsg_pid: let the kernel fill it
	r := h[diagNlHdrLen:]
	r[0] = family                       // sdiag_family
	r[1] = unix.IPPROTO_UDP             // sdiag_protocol
	r[2] = 1 << (diagAttrSkMemInfo - 1) // idiag_ext
	r[3] = 0                            // pad
	ne.PutUint32(r[4:8], 0xffffffff)    // idiag_states: all
	// r[8:56]: inet_diag_sockid, zero (no exact-socket lookup in a dump)
	if bc != nil {
		a := r[diagReqLen:]
		ne.PutUint16(a[0:2], uint16(diagAttrHdr+len(bc)))
		ne.PutUint16(a[2:4], diagReqBytecode)
		copy(a[diagAttrHdr:], bc)
	}
	return b
}

// diagNetlinkMsg is one netlink message, header decoded, payload aliased.
type diagNetlinkMsg struct {
	typ, flags uint16
	seq, pid   uint32
	data       []byte
}

// diagParseNetlink splits a datagram into netlink messages (netlink(7)),
// checking every length.
func diagParseNetlink(b []byte) ([]diagNetlinkMsg, error) {
	var msgs []diagNetlinkMsg
	ne := binary.NativeEndian
	for off := 0; off < len(b); {
		rest := b[off:]
		if len(rest) < diagNlHdrLen {
			return nil, fmt.Errorf("%w: %d trailing bytes at offset %d, shorter than a netlink header", ErrSockDiagMalformed, len(rest), off)
		}
		l := int(ne.Uint32(rest[0:4]))
		if l < diagNlHdrLen || l > len(rest) {
			return nil, fmt.Errorf("%w: netlink message at offset %d has length %d, %d bytes available", ErrSockDiagMalformed, off, l, len(rest))
		}
		msgs = append(msgs, diagNetlinkMsg{
			typ:   ne.Uint16(rest[4:6]),
			flags: ne.Uint16(rest[6:8]),
			seq:   ne.Uint32(rest[8:12]),
			pid:   ne.Uint32(rest[12:16]),
			data:  rest[diagNlHdrLen:l],
		})
		off += (l + 3) &^ 3 // NLMSG_ALIGN
	}
	return msgs, nil
}

// diagParseError decodes an NLMSG_ERROR payload (struct nlmsgerr): a
// negative errno, 0 for an acknowledgement.
func diagParseError(b []byte) error {
	if len(b) < 4 {
		return fmt.Errorf("%w: NLMSG_ERROR payload of %d bytes, want at least 4", ErrSockDiagMalformed, len(b))
	}
	code := int32(binary.NativeEndian.Uint32(b[0:4]))
	if code == 0 {
		return fmt.Errorf("%w: unexpected netlink acknowledgement", ErrSockDiagMalformed)
	}
	return fmt.Errorf("netlink error: %w", unix.Errno(-code))
}

// diagParseDone decodes an NLMSG_DONE payload: an optional int, negative on
// a dump that failed part way.
func diagParseDone(b []byte) error {
	if len(b) < 4 {
		return nil
	}
	if code := int32(binary.NativeEndian.Uint32(b[0:4])); code < 0 {
		return fmt.Errorf("netlink dump ended with error: %w", unix.Errno(-code))
	}
	return nil
}

// diagParseUDPMsg decodes a SOCK_DIAG_BY_FAMILY payload: struct inet_diag_msg
// followed by netlink attributes, of which INET_DIAG_SKMEMINFO is used.
//
// inet_diag_msg layout (host order except where noted):
//
//	0  idiag_family u8        1 idiag_state u8
//	2  idiag_timer u8         3 idiag_retrans u8
//	4  id.idiag_sport be16    6 id.idiag_dport be16
//	8  id.idiag_src [16]byte  24 id.idiag_dst [16]byte
//	40 id.idiag_if u32        44 id.idiag_cookie [2]u32
//	52 idiag_expires u32      56 idiag_rqueue u32
//	60 idiag_wqueue u32       64 idiag_uid u32
//	68 idiag_inode u32
func diagParseUDPMsg(b []byte) (UDPSocket, error) {
	if len(b) < diagMsgLen {
		return UDPSocket{}, fmt.Errorf("%w: inet_diag_msg of %d bytes, want at least %d", ErrSockDiagMalformed, len(b), diagMsgLen)
	}
	ne := binary.NativeEndian
	s := UDPSocket{
		Family: b[0],
		RQueue: ne.Uint32(b[56:60]),
		UID:    ne.Uint32(b[64:68]),
		Inode:  ne.Uint32(b[68:72]),
	}
	sport := binary.BigEndian.Uint16(b[4:6])
	dport := binary.BigEndian.Uint16(b[6:8])
	switch s.Family {
	case unix.AF_INET:
		s.Local = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[8:12])), sport)
		s.Remote = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[24:28])), dport)
	case unix.AF_INET6:
		s.Local = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])), sport)
		s.Remote = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[24:40])), dport)
	default:
		return UDPSocket{}, fmt.Errorf("%w: inet_diag_msg family %d is neither AF_INET nor AF_INET6", ErrSockDiagMalformed, s.Family)
	}
	attrs := b[diagMsgLen:]
	for off := 0; off < len(attrs); {
		rest := attrs[off:]
		if len(rest) < diagAttrHdr {
			// Trailing padding shorter than an attribute header.
			break
		}
		l := int(ne.Uint16(rest[0:2]))
		typ := ne.Uint16(rest[2:4]) & diagNlaTypeMask
		if l < diagAttrHdr || l > len(rest) {
			return UDPSocket{}, fmt.Errorf("%w: attribute type %d at offset %d has length %d, %d bytes available", ErrSockDiagMalformed, typ, diagMsgLen+off, l, len(rest))
		}
		if typ == diagAttrSkMemInfo {
			v := rest[diagAttrHdr:l]
			if u, ok := diagSkMem(v, diagSkMemRcvBuf); ok {
				s.RcvBuf = u
			}
			if u, ok := diagSkMem(v, diagSkMemDrops); ok {
				s.Drops = u
			}
		}
		off += (l + 3) &^ 3 // NLA_ALIGN
	}
	return s, nil
}

// diagSkMem returns the idx-th u32 of an SK_MEMINFO array (linux/sock_diag.h)
// when the kernel sent that many.
func diagSkMem(v []byte, idx int) (uint32, bool) {
	if len(v) < (idx+1)*4 {
		return 0, false
	}
	return binary.NativeEndian.Uint32(v[idx*4:]), true
}
