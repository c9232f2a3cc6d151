package sockdiag

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// ErrDestroyOverrun is returned by DestroyWatcher.Next when the kernel
// dropped notifications because the watcher's receive buffer was full
// (ENOBUFS): some sockets may have died unannounced. It is returned twice per
// overrun: at once, and again when the backlog queued before it has been read.
// Until that backlog is read the kernel drops further notifications without
// saying so (netlink reports ENOBUFS once per congestion), so a caller should
// re-list what it watches on each of the two. The watcher stays usable.
var ErrDestroyOverrun = errors.New("sockdiag: socket destroy notifications lost (receive buffer overrun)")

// ErrDestroyWatcherClosed is returned by DestroyWatcher.Next after Close.
var ErrDestroyWatcherClosed = errors.New("sockdiag: destroy watcher closed")

const (
	// Receive buffer asked for the destroy watcher: room for about ten
	// thousand notifications between two reads.
	diagDestroyRcvBuf = 4 << 20
	// A classic BPF jump offset is 8 bits; above this many ports the
	// watcher takes every notification instead of filtering.
	diagMaxFilterPorts = 200
	// Offset of id.idiag_sport in a notification: nlmsghdr (16) plus
	// family, state, timer, retrans (4).
	diagSportOffset = diagNlHdrLen + 4
)

// DestroyWatcher receives the kernel's notifications of destroyed UDP
// sockets (IPv4 and IPv6) in the network namespace it was created in. The
// kernel multicasts them on NETLINK_SOCK_DIAG groups SKNLGRP_INET_UDP_DESTROY
// and SKNLGRP_INET6_UDP_DESTROY (linux/sock_diag.h) once the last reference
// to a socket is gone, i.e. when the last process holding it has closed it or
// exited. The kernel lets unprivileged processes subscribe (sock_diag sets
// NL_CFG_F_NONROOT_RECV; checked on Linux 6.18).
//
// Next must not be called from two goroutines at once; Close may be called
// at any time, from any goroutine.
type DestroyWatcher struct {
	f  *os.File
	rc syscall.RawConn

	buf     []byte
	pending []UDPSocket
	// congested: an overrun was reported and the backlog not yet read.
	congested bool

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// WatchUDPDestroy opens a NETLINK_SOCK_DIAG socket bound to the UDP destroy
// groups (bind groups bit 1<<(group-1) for groups 2 and 4).
func WatchUDPDestroy() (*DestroyWatcher, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("sockdiag: WatchUDPDestroy: socket(AF_NETLINK, NETLINK_SOCK_DIAG): %w", err)
	}
	groups := uint32(1<<(unix.SKNLGRP_INET_UDP_DESTROY-1) | 1<<(unix.SKNLGRP_INET6_UDP_DESTROY-1))
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("sockdiag: WatchUDPDestroy: bind to sock_diag groups %#x: %w", groups, err)
	}
	// Best effort: FORCE passes net.core.rmem_max when privileged.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, diagDestroyRcvBuf) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, diagDestroyRcvBuf)
	}
	f := os.NewFile(uintptr(fd), "sock_diag-udp-destroy")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sockdiag: WatchUDPDestroy: %w", err)
	}
	return &DestroyWatcher{f: f, rc: rc, buf: make([]byte, diagRecvBuf)}, nil
}

// Next blocks until a UDP socket is destroyed and returns it, decoded from
// the notification's inet_diag_msg (the notification carries no SK_MEMINFO,
// so RcvBuf and Drops are 0).
//
// Errors wrapping ErrDestroyOverrun or ErrSockDiagMalformed are not fatal:
// call Next again. After Close, Next returns an error wrapping
// ErrDestroyWatcherClosed; any other error is fatal too.
func (w *DestroyWatcher) Next() (UDPSocket, error) {
	for {
		if len(w.pending) > 0 {
			s := w.pending[0]
			w.pending = w.pending[1:]
			return s, nil
		}
		var (
			n      int
			rflags int
			from   unix.Sockaddr
			rerr   error
		)
		err := w.rc.Read(func(fd uintptr) bool {
			n, _, rflags, from, rerr = unix.Recvmsg(int(fd), w.buf, nil, unix.MSG_DONTWAIT)
			// After an overrun, stop at the empty queue to say so.
			return rerr != unix.EAGAIN || w.congested
		})
		if err != nil {
			// The poller's "use of closed file" is not os.ErrClosed.
			if w.closed.Load() || errors.Is(err, os.ErrClosed) {
				return UDPSocket{}, ErrDestroyWatcherClosed
			}
			return UDPSocket{}, fmt.Errorf("sockdiag: destroy watcher: %w", err)
		}
		switch {
		case rerr == unix.EINTR:
			continue
		case rerr == unix.EAGAIN: // only while congested
			w.congested = false
			return UDPSocket{}, ErrDestroyOverrun
		case rerr == unix.ENOBUFS:
			w.congested = true
			return UDPSocket{}, ErrDestroyOverrun
		case rerr != nil:
			return UDPSocket{}, fmt.Errorf("sockdiag: destroy watcher: recvmsg: %w", rerr)
		case rflags&unix.MSG_TRUNC != 0:
			return UDPSocket{}, fmt.Errorf("sockdiag: destroy watcher: %w: notification truncated at %d bytes", ErrSockDiagMalformed, len(w.buf))
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // only the kernel sends these
		}
		socks, err := diagParseDestroy(w.buf[:n])
		w.pending = append(w.pending, socks...)
		if err != nil {
			return UDPSocket{}, fmt.Errorf("sockdiag: destroy watcher: %w", err)
		}
	}
}

// diagParseDestroy decodes the SOCK_DIAG_BY_FAMILY messages of one
// notification datagram. Sockets decoded before a malformed message are
// returned with the error.
func diagParseDestroy(b []byte) ([]UDPSocket, error) {
	msgs, err := diagParseNetlink(b)
	if err != nil {
		return nil, err
	}
	var socks []UDPSocket
	for _, m := range msgs {
		if m.typ != diagMsgSockDiagByFamily {
			continue
		}
		s, err := diagParseUDPMsg(m.data)
		if err != nil {
			return socks, err
		}
		socks = append(socks, s)
	}
	return socks, nil
}

// FilterPorts makes the kernel deliver only notifications for sockets whose
// local port is one of ports, with a classic BPF program on the netlink
// socket; this keeps a host that opens many short-lived UDP sockets (DNS
// clients, for instance) from flooding the watcher. With no ports nothing is
// delivered. With more than 200 ports the filter is removed and every
// notification is delivered.
func (w *DestroyWatcher) FilterPorts(ports ...uint16) error {
	var opErr error
	err := w.rc.Control(func(fd uintptr) {
		if len(ports) > diagMaxFilterPorts {
			opErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DETACH_FILTER, 0)
			if opErr == unix.ENOENT { // no filter attached
				opErr = nil
			}
			return
		}
		var prog []unix.SockFilter
		prog, opErr = diagPortFilter(ports)
		if opErr != nil {
			return
		}
		// SO_ATTACH_FILTER replaces any program attached before.
		opErr = unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
			&unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]})
	})
	if err == nil {
		err = opErr
	}
	if err != nil {
		return fmt.Errorf("sockdiag: destroy watcher: filter on %d ports: %w", len(ports), err)
	}
	return nil
}

// diagPortFilter assembles: load the big-endian source port at
// diagSportOffset; accept when it equals any of ports; else drop. A message
// too short to hold the port is dropped by the BPF machine itself.
func diagPortFilter(ports []uint16) ([]unix.SockFilter, error) {
	insns, err := diagPortFilterProgram(ports)
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return nil, err
	}
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return prog, nil
}

// diagPortFilterProgram is the program diagPortFilter assembles.
func diagPortFilterProgram(ports []uint16) ([]bpf.Instruction, error) {
	if len(ports) > diagMaxFilterPorts {
		return nil, fmt.Errorf("%d ports exceed the %d a filter can hold", len(ports), diagMaxFilterPorts)
	}
	insns := []bpf.Instruction{bpf.LoadAbsolute{Off: diagSportOffset, Size: 2}}
	for i, p := range ports {
		// Skip the remaining comparisons and the drop to reach accept.
		insns = append(insns, bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(p), SkipTrue: uint8(len(ports) - i)})
	}
	return append(insns, bpf.RetConstant{Val: 0}, bpf.RetConstant{Val: 0xffffffff}), nil
}

// Close stops the watcher; a blocked Next returns ErrDestroyWatcherClosed.
func (w *DestroyWatcher) Close() error {
	w.closeOnce.Do(func() {
		w.closed.Store(true)
		w.closeErr = w.f.Close()
	})
	return w.closeErr
}
