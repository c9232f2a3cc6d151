package sockdiag

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/anycostd/anycostd/internal/testns"
)

// These tests need root: each re-runs itself in a child process placed in a
// fresh network namespace (CLONE_NEWNET), which vanishes with the child, so
// nothing is left behind even on failure. The only traffic is to ::1 inside
// that namespace.

const sockDiagNetnsEnv = "ANYCOSTD_SOCKDIAG_NETNS" // "<test name> <parent netns>"

// sockDiagInNetns returns true when the caller runs in the fresh namespace
// and should do its work; false in the parent, after the child has run and
// its outcome has been reported.
func sockDiagInNetns(t *testing.T) bool {
	t.Helper()
	return testns.Run(t, sockDiagNetnsEnv, 2*time.Minute)
}

func listenUDP(t *testing.T, network, addr string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func socketInode(t *testing.T, c *net.UDPConn) uint32 {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Fstat(int(fd), &st) }); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal(serr)
	}
	return uint32(st.Ino)
}

func listOne(t *testing.T, port uint16, family int) UDPSocket {
	t.Helper()
	socks, err := ListUDPSockets(port, family)
	if err != nil {
		t.Fatal(err)
	}
	if len(socks) != 1 {
		t.Fatalf("ListUDPSockets(%d, %d) = %+v, want one socket", port, family, socks)
	}
	return socks[0]
}

func TestSockDiagListNetns(t *testing.T) {
	if !sockDiagInNetns(t) {
		return
	}
	srv := listenUDP(t, "udp6", "[::]:5353")
	if err := srv.SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	listenUDP(t, "udp6", "[::1]:5354")
	v4 := listenUDP(t, "udp4", "127.0.0.1:5353")

	s := listOne(t, 5353, unix.AF_INET6)
	if s.Local != netip.MustParseAddrPort("[::]:5353") || s.Family != unix.AF_INET6 || !s.Unconnected() {
		t.Errorf("listed %+v, want unconnected [::]:5353", s)
	}
	if want := socketInode(t, srv); s.Inode != want {
		t.Errorf("inode %d, want %d", s.Inode, want)
	}
	if s.UID != uint32(os.Geteuid()) || s.RQueue != 0 || s.Drops != 0 || s.RcvBuf == 0 {
		t.Errorf("fresh socket: %+v, want uid %d, empty queue, no drops, a receive buffer", s, os.Geteuid())
	}
	t.Logf("fresh: %+v", s)

	// The kernel-side bytecode filter alone keeps port 5354 out.
	raw, err := diagDumpUDP(unix.AF_INET6, 5353)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range raw {
		if r.Local.Port() != 5353 {
			t.Errorf("kernel filter let through %+v", r)
		}
	}
	all, err := ListUDPSockets(0, unix.AF_INET6)
	if err != nil || len(all) != 2 {
		t.Errorf("all IPv6 sockets: %+v, %v; want 2", all, err)
	}
	if s4 := listOne(t, 5353, unix.AF_INET); s4.Local != netip.MustParseAddrPort("127.0.0.1:5353") || s4.Inode != socketInode(t, v4) {
		t.Errorf("IPv4 listing %+v, want 127.0.0.1:5353", s4)
	}

	cli, err := net.DialUDP("udp6", nil, net.UDPAddrFromAddrPort(netip.MustParseAddrPort("[::1]:5353")))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	payload := make([]byte, 512)
	if _, err := cli.Write(payload); err != nil {
		t.Fatal(err)
	}
	s = listOne(t, 5353, unix.AF_INET6)
	if s.RQueue == 0 || s.Drops != 0 {
		t.Errorf("after one datagram: %+v, want a queue and no drops", s)
	}
	t.Logf("one datagram: rqueue %d rcvbuf %d fill %.2f drops %d", s.RQueue, s.RcvBuf, s.Fill(), s.Drops)

	sent := 1
	for ; sent < 1000 && s.Drops == 0; sent++ {
		if _, err := cli.Write(payload); err != nil {
			t.Fatal(err)
		}
		s = listOne(t, 5353, unix.AF_INET6)
	}
	if s.Drops == 0 {
		t.Fatalf("no drops after %d datagrams: %+v", sent, s)
	}
	t.Logf("overflow after %d datagrams: rqueue %d rcvbuf %d fill %.2f drops %d", sent, s.RQueue, s.RcvBuf, s.Fill(), s.Drops)
	before := s.Drops
	for i := 0; i < 10; i++ {
		if _, err := cli.Write(payload); err != nil {
			t.Fatal(err)
		}
	}
	s = listOne(t, 5353, unix.AF_INET6)
	if s.Drops != before+10 {
		t.Errorf("10 more datagrams into a full queue: drops %d, want %d", s.Drops, before+10)
	}

	// Drain the queue: rqueue returns to 0, drops stay.
	testns.DrainUDP(t, srv)
	s = listOne(t, 5353, unix.AF_INET6)
	if s.RQueue != 0 || s.Drops != before+10 {
		t.Errorf("after reading everything: %+v, want rqueue 0 and drops %d", s, before+10)
	}
}

// nextWithin calls w.Next with a deadline; on timeout it closes w.
func nextWithin(t *testing.T, w *DestroyWatcher, d time.Duration) (UDPSocket, time.Time) {
	t.Helper()
	type res struct {
		s   UDPSocket
		at  time.Time
		err error
	}
	ch := make(chan res, 1)
	go func() {
		s, err := w.Next()
		ch <- res{s, time.Now(), err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Next: %v", r.err)
		}
		return r.s, r.at
	case <-time.After(d):
		w.Close()
		t.Fatalf("no destroy notification within %v", d)
	}
	return UDPSocket{}, time.Time{}
}

func TestSockDiagDestroyNetns(t *testing.T) {
	if !sockDiagInNetns(t) {
		return
	}
	filtered, err := WatchUDPDestroy()
	if err != nil {
		t.Fatal(err)
	}
	defer filtered.Close()
	if err := filtered.FilterPorts(53, 5353); err != nil {
		t.Fatal(err)
	}
	all, err := WatchUDPDestroy()
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()

	other := listenUDP(t, "udp6", "[::1]:5354")
	srv := listenUDP(t, "udp6", "[::]:5353")
	v4 := listenUDP(t, "udp4", "127.0.0.1:5353")

	other.Close()
	if s, _ := nextWithin(t, all, 5*time.Second); s.Local != netip.MustParseAddrPort("[::1]:5354") {
		t.Errorf("unfiltered watcher: got %+v, want [::1]:5354", s)
	}

	var lat []time.Duration
	for _, tc := range []struct {
		c    *net.UDPConn
		want string
	}{{srv, "[::]:5353"}, {v4, "127.0.0.1:5353"}} {
		closed := time.Now()
		tc.c.Close()
		// The filtered watcher skips 5354 and sees this one first.
		s, at := nextWithin(t, filtered, 5*time.Second)
		if s.Local != netip.MustParseAddrPort(tc.want) {
			t.Errorf("filtered watcher: got %+v, want %s", s, tc.want)
		}
		lat = append(lat, at.Sub(closed))
		if s2, _ := nextWithin(t, all, 5*time.Second); s2.Local != s.Local {
			t.Errorf("unfiltered watcher: got %+v, want %v", s2, s.Local)
		}
	}
	t.Logf("close -> destroy notification: %v", lat)

	// Close unblocks a pending Next.
	done := make(chan error, 1)
	go func() {
		_, err := filtered.Next()
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := filtered.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrDestroyWatcherClosed) {
			t.Errorf("Next after Close: %v, want ErrDestroyWatcherClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not unblock Next")
	}
	if _, err := filtered.Next(); !errors.Is(err, ErrDestroyWatcherClosed) {
		t.Errorf("second Next after Close: %v", err)
	}
}

// TestSockDiagDestroyOverrunNetns overflows a watcher with a tiny receive
// buffer: Next reports ErrDestroyOverrun once, then goes on delivering.
func TestSockDiagDestroyOverrunNetns(t *testing.T) {
	if !sockDiagInNetns(t) {
		return
	}
	w, err := WatchUDPDestroy()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var serr error
	if err := w.rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 0) }); err != nil || serr != nil {
		t.Fatalf("shrinking the receive buffer: %v %v", err, serr)
	}
	guard := time.AfterFunc(20*time.Second, func() { w.Close() })
	defer guard.Stop()
	// The kernel sends the notifications from a work queue, so a reader
	// can keep up with a burst; give it time to overflow, and retry.
	const burst = 300
	events := 0
	for round := 1; ; round++ {
		for i := 0; i < burst; i++ {
			c, err := net.ListenUDP("udp6", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("[::1]:0")))
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
		time.Sleep(100 * time.Millisecond)
		// Somewhere among the queued notifications, the overrun; then the
		// backlog; then the second signal, once the queue is empty.
		overruns := 0
		for events = 0; overruns < 2 && events < burst; {
			_, err := w.Next()
			switch {
			case errors.Is(err, ErrDestroyOverrun):
				overruns++
			case err != nil:
				t.Fatalf("round %d, after %d events and %d overrun signals: %v", round, events, overruns, err)
			default:
				events++
			}
		}
		if overruns == 2 {
			break
		}
		if overruns == 1 || round == 5 {
			t.Fatalf("round %d: %d notifications, %d overrun signals; want 2 signals", round, events, overruns)
		}
	}
	t.Logf("burst of %d destroyed sockets: %d notifications delivered, overrun reported twice", burst, events)
	// Delivery goes on: a fresh socket's notification arrives.
	c, err := net.ListenUDP("udp6", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("[::1]:5353")))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	s, err := w.Next()
	if err != nil || s.Local.Port() != 5353 {
		t.Fatalf("after the overrun: %+v, %v; want the socket on port 5353", s, err)
	}
}
