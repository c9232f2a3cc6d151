package sockdiag

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/anycostd/anycostd/internal/testvec"
)

// The golden vectors are in host byte order for the netlink fields, written
// for a little-endian host.
func skipBigEndian(t testing.TB) {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("golden vectors are little-endian")
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := testvec.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A dump request for IPv6 UDP sockets on port 5353, sequence 1.
const sockDiagRequest5353 = `
5c 00 00 00   # nlmsg_len 92
14 00         # nlmsg_type 20 SOCK_DIAG_BY_FAMILY
01 03         # nlmsg_flags NLM_F_REQUEST|NLM_F_DUMP
01 00 00 00   # nlmsg_seq 1
00 00 00 00   # nlmsg_pid 0
0a            # sdiag_family AF_INET6
11            # sdiag_protocol IPPROTO_UDP
40            # idiag_ext 1<<(INET_DIAG_SKMEMINFO-1)
00            # pad
ff ff ff ff   # idiag_states: all
00 00 00 00   # id.idiag_sport, id.idiag_dport
00000000 00000000 00000000 00000000 # id.idiag_src
00000000 00000000 00000000 00000000 # id.idiag_dst
00 00 00 00   # id.idiag_if
00000000 00000000 # id.idiag_cookie
14 00         # nla_len 20
01 00         # nla_type INET_DIAG_REQ_BYTECODE
02 08 14 00   # op S_GE, yes 8, no 20 (reject)
00 00 e9 14   # operand: no = port 5353
03 08 0c 00   # op S_LE, yes 8, no 12 (reject)
00 00 e9 14   # operand: no = port 5353
`

// The same request without a port: no bytecode attribute.
const sockDiagRequestAll = `
48 00 00 00   # nlmsg_len 72
14 00         # nlmsg_type 20 SOCK_DIAG_BY_FAMILY
01 03         # nlmsg_flags NLM_F_REQUEST|NLM_F_DUMP
07 00 00 00   # nlmsg_seq 7
00 00 00 00   # nlmsg_pid 0
02            # sdiag_family AF_INET
11            # sdiag_protocol IPPROTO_UDP
40            # idiag_ext 1<<(INET_DIAG_SKMEMINFO-1)
00            # pad
ff ff ff ff   # idiag_states: all
00 00 00 00   # id.idiag_sport, id.idiag_dport
00000000 00000000 00000000 00000000 # id.idiag_src
00000000 00000000 00000000 00000000 # id.idiag_dst
00 00 00 00   # id.idiag_if
00000000 00000000 # id.idiag_cookie
`

// A dump reply message for an IPv6 socket bound to [2001:db8:53::53]:53,
// as the kernel sends it (payload of SOCK_DIAG_BY_FAMILY, no nlmsghdr).
const sockDiagReplyV6 = `
0a            # idiag_family AF_INET6
07            # idiag_state TCP_CLOSE (unconnected UDP)
00 00         # idiag_timer, idiag_retrans
00 35         # id.idiag_sport 53 (big-endian)
00 00         # id.idiag_dport 0
20010db8 00530000 00000000 00000053 # id.idiag_src 2001:db8:53::53
00000000 00000000 00000000 00000000 # id.idiag_dst ::
00 00 00 00   # id.idiag_if
01000000 00000000 # id.idiag_cookie
00 00 00 00   # idiag_expires
00 1e 00 00   # idiag_rqueue 7680
00 00 00 00   # idiag_wqueue
e8 03 00 00   # idiag_uid 1000
fa 43 00 00   # idiag_inode 17402
05 00 0a 00   # nla_len 5, nla_type 10 INET_DIAG_PROTOCOL
11 00 00 00   # IPPROTO_UDP, 3 bytes padding
28 00 07 00   # nla_len 40, nla_type 7 INET_DIAG_SKMEMINFO
00 1e 00 00   # SK_MEMINFO_RMEM_ALLOC 7680
00 20 00 00   # SK_MEMINFO_RCVBUF 8192
00 00 00 00   # SK_MEMINFO_WMEM_ALLOC
00 40 03 00   # SK_MEMINFO_SNDBUF 212992
00 00 00 00   # SK_MEMINFO_FWD_ALLOC
00 00 00 00   # SK_MEMINFO_WMEM_QUEUED
00 00 00 00   # SK_MEMINFO_OPTMEM
00 00 00 00   # SK_MEMINFO_BACKLOG
5e 00 00 00   # SK_MEMINFO_DROPS 94
`

// A reply for an IPv4 socket connected from 192.0.2.1:4000 to
// 192.0.2.53:53, from an older kernel whose SK_MEMINFO has no DROPS.
const sockDiagReplyV4 = `
02            # idiag_family AF_INET
01            # idiag_state TCP_ESTABLISHED (connected UDP)
00 00         # idiag_timer, idiag_retrans
0f a0         # id.idiag_sport 4000
00 35         # id.idiag_dport 53
c0000201 00000000 00000000 00000000 # id.idiag_src 192.0.2.1
c0000235 00000000 00000000 00000000 # id.idiag_dst 192.0.2.53
00 00 00 00   # id.idiag_if
02000000 00000000 # id.idiag_cookie
00 00 00 00   # idiag_expires
00 00 00 00   # idiag_rqueue 0
00 00 00 00   # idiag_wqueue
00 00 00 00   # idiag_uid 0
01 00 00 00   # idiag_inode 1
24 00 07 00   # nla_len 36, nla_type 7 INET_DIAG_SKMEMINFO (8 values)
00 00 00 00   # SK_MEMINFO_RMEM_ALLOC
00 40 03 00   # SK_MEMINFO_RCVBUF 212992
00000000 00000000 00000000 00000000 00000000 00000000 # the other six
`

// A destroy notification captured on this machine (kernel 6.18): a socket on
// [::]:5353 closed with 7680 bytes queued.
const sockDiagDestroyV6 = `
60 00 00 00   # nlmsg_len 96
14 00         # nlmsg_type SOCK_DIAG_BY_FAMILY
00 00         # nlmsg_flags
00 00 00 00   # nlmsg_seq
00 00 00 00   # nlmsg_pid
0a 07 00 00   # family AF_INET6, state TCP_CLOSE, timer, retrans
14 e9 00 00   # sport 5353, dport 0
00000000 00000000 00000000 00000000 # src ::
00000000 00000000 00000000 00000000 # dst ::
00 00 00 00   # if
01000000 00000000 # cookie
00 00 00 00   # expires
00 1e 00 00   # rqueue 7680
ff ff ff ff   # wqueue
00 00 00 00   # uid 0
00 00 00 00   # inode 0 (the file is gone)
05 00 0a 00   # nla_len 5, INET_DIAG_PROTOCOL
11 00 00 00   # IPPROTO_UDP + padding
`

func TestSockDiagAppendRequest(t *testing.T) {
	skipBigEndian(t)
	for _, tc := range []struct {
		name   string
		seq    uint32
		family uint8
		port   uint16
		want   string
	}{
		{"v6 port 5353", 1, unix.AF_INET6, 5353, sockDiagRequest5353},
		{"v4 all ports", 7, unix.AF_INET, 0, sockDiagRequestAll},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := diagAppendUDPDumpRequest([]byte{0xaa}, tc.seq, tc.family, tc.port)
			want := append([]byte{0xaa}, mustHex(t, tc.want)...)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSockDiagParseUDPMsg(t *testing.T) {
	skipBigEndian(t)
	for _, tc := range []struct {
		name string
		in   string
		want UDPSocket
	}{
		{"v6 with drops", sockDiagReplyV6, UDPSocket{
			Family: unix.AF_INET6,
			Local:  netip.MustParseAddrPort("[2001:db8:53::53]:53"),
			Remote: netip.MustParseAddrPort("[::]:0"),
			Inode:  17402, UID: 1000, RQueue: 7680, RcvBuf: 8192, Drops: 94,
		}},
		{"v4 connected, no drops field", sockDiagReplyV4, UDPSocket{
			Family: unix.AF_INET,
			Local:  netip.MustParseAddrPort("192.0.2.1:4000"),
			Remote: netip.MustParseAddrPort("192.0.2.53:53"),
			Inode:  1, RcvBuf: 212992,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := diagParseUDPMsg(mustHex(t, tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
				t.Errorf("socket (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSockDiagParseUDPMsgErrors(t *testing.T) {
	skipBigEndian(t)
	good := mustHex(t, sockDiagReplyV6)
	badFamily := append([]byte(nil), good...)
	badFamily[0] = 1 // AF_UNIX
	longAttr := append([]byte(nil), good...)
	longAttr[diagMsgLen] = 0xff // INET_DIAG_PROTOCOL nla_len 255
	shortAttr := append([]byte(nil), good...)
	shortAttr[diagMsgLen] = 2 // nla_len below the header size
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"one byte short of inet_diag_msg", good[:diagMsgLen-1]},
		{"unknown family", badFamily},
		{"attribute longer than message", longAttr},
		{"attribute shorter than its header", shortAttr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := diagParseUDPMsg(tc.in)
			if !errors.Is(err, ErrSockDiagMalformed) {
				t.Fatalf("err = %v, want ErrSockDiagMalformed", err)
			}
		})
	}
	// A truncated SK_MEMINFO is not an error: the fields it lacks are 0.
	trunc := append([]byte(nil), good[:len(good)-8]...)
	binary.NativeEndian.PutUint16(trunc[diagMsgLen+8:], 40-8)
	s, err := diagParseUDPMsg(trunc)
	if err != nil {
		t.Fatal(err)
	}
	if s.RcvBuf != 8192 || s.Drops != 0 {
		t.Errorf("truncated SK_MEMINFO: RcvBuf %d Drops %d, want 8192 and 0", s.RcvBuf, s.Drops)
	}
}

func TestSockDiagParseDestroy(t *testing.T) {
	skipBigEndian(t)
	b := mustHex(t, sockDiagDestroyV6)
	got, err := diagParseDestroy(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []UDPSocket{{
		Family: unix.AF_INET6,
		Local:  netip.MustParseAddrPort("[::]:5353"),
		Remote: netip.MustParseAddrPort("[::]:0"),
		RQueue: 7680,
	}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
		t.Errorf("destroyed (-want +got):\n%s", diff)
	}
	// Two messages in one datagram.
	two, err := diagParseDestroy(append(append([]byte(nil), b...), b...))
	if err != nil || len(two) != 2 {
		t.Errorf("two messages: got %d sockets, err %v; want 2, nil", len(two), err)
	}
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"short header", b[:15]},
		{"length beyond datagram", b[:len(b)-1]},
		{"trailing garbage", append(append([]byte(nil), b...), 1, 2, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := diagParseDestroy(tc.in); !errors.Is(err, ErrSockDiagMalformed) {
				t.Fatalf("err = %v, want ErrSockDiagMalformed", err)
			}
		})
	}
	// A length field below the header size.
	bad := append([]byte(nil), b...)
	binary.NativeEndian.PutUint32(bad, 8)
	if _, err := diagParseDestroy(bad); !errors.Is(err, ErrSockDiagMalformed) {
		t.Fatalf("nlmsg_len 8: err = %v, want ErrSockDiagMalformed", err)
	}
}

func TestSockDiagParseErrorAndDone(t *testing.T) {
	skipBigEndian(t)
	eperm := []byte{0xff, 0xff, 0xff, 0xff} // -1 = -EPERM
	if err := diagParseError(eperm); !errors.Is(err, unix.EPERM) {
		t.Errorf("NLMSG_ERROR -1: %v, want EPERM", err)
	}
	if err := diagParseError([]byte{0, 0, 0, 0}); !errors.Is(err, ErrSockDiagMalformed) {
		t.Errorf("NLMSG_ERROR 0 (ack): %v, want ErrSockDiagMalformed", err)
	}
	if err := diagParseError([]byte{1}); !errors.Is(err, ErrSockDiagMalformed) {
		t.Errorf("short NLMSG_ERROR: %v, want ErrSockDiagMalformed", err)
	}
	if err := diagParseDone(nil); err != nil {
		t.Errorf("empty NLMSG_DONE: %v", err)
	}
	if err := diagParseDone([]byte{0, 0, 0, 0}); err != nil {
		t.Errorf("NLMSG_DONE 0: %v", err)
	}
	if err := diagParseDone([]byte{0xf4, 0xff, 0xff, 0xff}); !errors.Is(err, unix.ENOMEM) {
		t.Errorf("NLMSG_DONE -12: %v, want ENOMEM", err)
	}
}

func TestSockDiagListBadFamily(t *testing.T) {
	for _, f := range []int{0, unix.AF_UNIX, 255} {
		if _, err := ListUDPSockets(53, f); err == nil {
			t.Errorf("family %d: no error", f)
		}
	}
}

func TestSockDiagUDPSocketFill(t *testing.T) {
	for _, tc := range []struct {
		s    UDPSocket
		want float64
	}{
		{UDPSocket{}, 0},
		{UDPSocket{RQueue: 100}, 0},
		{UDPSocket{RQueue: 2048, RcvBuf: 8192}, 0.25},
		{UDPSocket{RQueue: 9000, RcvBuf: 8192}, 1},
	} {
		if got := tc.s.Fill(); got != tc.want {
			t.Errorf("%+v.Fill() = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestDestroyPortFilterProgram(t *testing.T) {
	skipBigEndian(t)
	msg := mustHex(t, sockDiagDestroyV6) // sport 5353
	for _, tc := range []struct {
		name   string
		ports  []uint16
		accept bool
	}{
		{"no ports", nil, false},
		{"only port", []uint16{5353}, true},
		{"first of three", []uint16{5353, 53, 853}, true},
		{"last of three", []uint16{53, 853, 5353}, true},
		{"not listed", []uint16{53, 853}, false},
		{"200 ports, match last", manyPorts(200, 5353), true},
		{"200 ports, no match", manyPorts(200, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog, err := diagPortFilterProgram(tc.ports)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := diagPortFilter(tc.ports); err != nil {
				t.Fatalf("assemble: %v", err)
			}
			vm, err := bpf.NewVM(prog)
			if err != nil {
				t.Fatal(err)
			}
			n, err := vm.Run(msg)
			if err != nil {
				t.Fatal(err)
			}
			if got := n > 0; got != tc.accept {
				t.Errorf("accepted = %v (returned %d), want %v", got, n, tc.accept)
			}
			// A message too short to hold a port is never accepted.
			if n, _ := vm.Run(msg[:diagSportOffset+1]); n != 0 {
				t.Errorf("short message accepted (%d)", n)
			}
		})
	}
	if _, err := diagPortFilterProgram(manyPorts(201, 1)); err == nil {
		t.Error("201 ports: no error")
	}
}

// manyPorts returns n distinct ports from 10000 upward, the last one last.
func manyPorts(n int, last uint16) []uint16 {
	p := make([]uint16, 0, n)
	for i := 0; i < n-1; i++ {
		p = append(p, uint16(10000+i))
	}
	return append(p, last)
}

func FuzzDiagParseUDPMsg(f *testing.F) {
	for _, v := range []string{sockDiagReplyV6, sockDiagReplyV4} {
		b, err := testvec.Parse(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := diagParseUDPMsg(b)
		if err != nil {
			if !errors.Is(err, ErrSockDiagMalformed) {
				t.Fatalf("error not wrapping ErrSockDiagMalformed: %v", err)
			}
			return
		}
		if !s.Local.IsValid() || !s.Remote.IsValid() {
			t.Fatalf("accepted message gave invalid addresses: %+v", s)
		}
	})
}

func FuzzDiagParseDestroy(f *testing.F) {
	for _, v := range []string{sockDiagDestroyV6, sockDiagRequest5353} {
		b, err := testvec.Parse(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		socks, err := diagParseDestroy(b)
		if err != nil && !errors.Is(err, ErrSockDiagMalformed) {
			t.Fatalf("error not wrapping ErrSockDiagMalformed: %v", err)
		}
		// Every message is at least a header plus an inet_diag_msg.
		if len(socks)*(diagNlHdrLen+diagMsgLen) > len(b) {
			t.Fatalf("%d sockets from %d bytes", len(socks), len(b))
		}
	})
}

// Listing reads the sockets of the current namespace and needs no
// privilege; it sends nothing on the network.
func TestSockDiagListHostNamespace(t *testing.T) {
	for _, f := range []int{unix.AF_INET, unix.AF_INET6} {
		socks, err := ListUDPSockets(0, f)
		if err != nil {
			t.Fatalf("family %d: %v", f, err)
		}
		for _, s := range socks {
			if int(s.Family) != f || !s.Local.IsValid() {
				t.Errorf("family %d: odd socket %+v", f, s)
			}
		}
	}
}

func TestWatchUDPDestroyOpens(t *testing.T) {
	w, err := WatchUDPDestroy()
	if err == nil {
		w.Close()
	}
	if os.Geteuid() != 0 {
		// Linux 6.18 lets anyone subscribe (NL_CFG_F_NONROOT_RECV);
		// not every kernel need.
		t.Logf("unprivileged WatchUDPDestroy: %v", err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
}
