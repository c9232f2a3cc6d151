package ndsock

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/anycostd/anycostd/ndproxy"
)

// PacketCounter counts the packets the interface receives for one
// service address, other than ICMPv6 (the router's probes): the queries
// the router sends to this server.
//
// It is a packet socket (AF_PACKET, SOCK_DGRAM, ETH_P_IPV6) on the
// interface with a classic BPF filter that keeps only those packets, cut to
// one byte. The speaker never reads it: once its small receive buffer is
// full, the kernel drops every further match and counts it, and
// PACKET_STATISTICS returns the matches (queued plus dropped) since the
// previous call. The cost per query is the filter and a counter
// increment; nothing is copied to user space.
type PacketCounter struct {
	fd int
}

var _ ndproxy.QueryCounter = (*PacketCounter)(nil)

// counterRcvBuf bounds the memory of the few packets queued before the
// buffer is full (the kernel raises it to its minimum).
const counterRcvBuf = 1024

// OpenPacketCounter opens the counter of addr on interface ifindex.
func OpenPacketCounter(ifindex int, addr netip.Addr) (*PacketCounter, error) {
	if !addr.Is6() || addr.Is4In6() {
		return nil, fmt.Errorf("query counter: %s is not an IPv6 address", addr)
	}
	prog, err := queryFilter(addr)
	if err != nil {
		return nil, err
	}
	// Protocol 0: nothing is received until bind, after the filter.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("query counter for %s: packet socket: %w", addr, err)
	}
	c := &PacketCounter{fd: fd}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
		c.Close()
		return nil, fmt.Errorf("query counter for %s: attach filter: %w", addr, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, counterRcvBuf); err != nil {
		c.Close()
		return nil, fmt.Errorf("query counter for %s: receive buffer: %w", addr, err)
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IPV6), Ifindex: ifindex}
	if err := unix.Bind(fd, sa); err != nil {
		c.Close()
		return nil, fmt.Errorf("query counter for %s: bind to interface %d: %w", addr, ifindex, err)
	}
	if _, err := c.Count(); err != nil { // start from zero
		c.Close()
		return nil, err
	}
	return c, nil
}

// Count returns the packets matched since the previous call.
func (c *PacketCounter) Count() (uint64, error) {
	var st unix.TpacketStats
	size := uint32(unsafe.Sizeof(st))
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(c.fd), unix.SOL_PACKET, unix.PACKET_STATISTICS,
		uintptr(unsafe.Pointer(&st)), uintptr(unsafe.Pointer(&size)), 0)
	if errno != 0 {
		return 0, fmt.Errorf("query counter: PACKET_STATISTICS: %w", errno)
	}
	// tp_packets already includes tp_drops (net/packet/af_packet.c).
	return uint64(st.Packets), nil
}

// Close closes the socket.
func (c *PacketCounter) Close() error { return unix.Close(c.fd) }

// queryFilter is the classic BPF program: accept (1 byte of) IPv6 packets
// to addr whose next header is not ICMPv6. Offsets are from the IPv6
// header (SOCK_DGRAM): next header at 6, destination at 24 (RFC 8200
// section 3).
func queryFilter(addr netip.Addr) ([]unix.SockFilter, error) {
	a := addr.As16()
	word := func(i int) uint32 { return binary.BigEndian.Uint32(a[4*i:]) }
	const drop = 1 // instructions from a jump to the final "return 0"
	insns := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 6, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 58, SkipTrue: 9}, // ICMPv6: drop
		bpf.LoadAbsolute{Off: 24, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: word(0), SkipTrue: 7},
		bpf.LoadAbsolute{Off: 28, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: word(1), SkipTrue: 5},
		bpf.LoadAbsolute{Off: 32, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: word(2), SkipTrue: 3},
		bpf.LoadAbsolute{Off: 36, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: word(3), SkipTrue: drop},
		bpf.RetConstant{Val: 1},
		bpf.RetConstant{Val: 0},
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return nil, fmt.Errorf("query counter filter: %w", err)
	}
	out := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		out[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return out, nil
}

// htons puts v in network byte order, as sockaddr_ll wants its protocol.
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}
