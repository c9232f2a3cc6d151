package monitor

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/anycostd/anycostd/monitor/sockdiag"
)

func udp6(addr string, inode, rq, rcvbuf, drops uint32) sockdiag.UDPSocket {
	ap := netip.MustParseAddrPort(addr)
	return sockdiag.UDPSocket{Family: unix.AF_INET6, Local: ap, Remote: netip.AddrPortFrom(netip.IPv6Unspecified(), 0),
		Inode: inode, RQueue: rq, RcvBuf: rcvbuf, Drops: drops}
}

func udp4(addr string, inode uint32) sockdiag.UDPSocket {
	ap := netip.MustParseAddrPort(addr)
	return sockdiag.UDPSocket{Family: unix.AF_INET, Local: ap, Remote: netip.AddrPortFrom(netip.IPv4Unspecified(), 0), Inode: inode}
}

func TestSocketMatches(t *testing.T) {
	v6 := netip.MustParseAddr("2001:db8:53::53")
	v4 := netip.MustParseAddr("192.0.2.53")
	connected := udp6("[2001:db8:53::53]:53", 1, 0, 0, 0)
	connected.Remote = netip.MustParseAddrPort("[2001:db8::1]:4000")
	for _, tc := range []struct {
		name string
		addr netip.Addr
		s    sockdiag.UDPSocket
		want bool
	}{
		{"v6 exact", v6, udp6("[2001:db8:53::53]:53", 1, 0, 0, 0), true},
		{"v6 wildcard", v6, udp6("[::]:53", 1, 0, 0, 0), true},
		{"v6 other address", v6, udp6("[2001:db8:53::54]:53", 1, 0, 0, 0), false},
		{"v6 other port", v6, udp6("[2001:db8:53::53]:54", 1, 0, 0, 0), false},
		{"v6 connected", v6, connected, false},
		{"v6 service, v4 wildcard socket", v6, udp4("0.0.0.0:53", 1), false},
		{"v4 exact", v4, udp4("192.0.2.53:53", 1), true},
		{"v4 wildcard", v4, udp4("0.0.0.0:53", 1), true},
		{"v4 via dual-stack ::", v4, udp6("[::]:53", 1, 0, 0, 0), true},
		{"v4 via v4-mapped", v4, udp6("[::ffff:192.0.2.53]:53", 1, 0, 0, 0), true},
		{"v4 other", v4, udp4("192.0.2.54:53", 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := socketMatches(tc.addr, 53, tc.s); got != tc.want {
				t.Errorf("socketMatches(%v, 53, %+v) = %v, want %v", tc.addr, tc.s, got, tc.want)
			}
		})
	}
}

func TestSocketTracker(t *testing.T) {
	tr := socketTracker{addr: netip.MustParseAddr("2001:db8:53::53"), port: 53}
	steps := []struct {
		name  string
		socks []sockdiag.UDPSocket
		want  SocketState
	}{
		{"first sight: drops are baseline", []sockdiag.UDPSocket{
			udp6("[2001:db8:53::53]:53", 10, 1000, 8000, 7),
			udp6("[2001:db8:53::99]:53", 11, 8000, 8000, 100), // other address: ignored
		}, SocketState{Present: true, Sockets: 1, Fill: 0.125, RQueue: 1000, RcvBuf: 8000}},
		{"drops grow, second socket appears with drops", []sockdiag.UDPSocket{
			udp6("[2001:db8:53::53]:53", 10, 4000, 8000, 9),
			udp6("[::]:53", 12, 6000, 8000, 3),
		}, SocketState{Present: true, Sockets: 2, Fill: 0.75, RQueue: 6000, RcvBuf: 8000, DropsDelta: 2 + 3}},
		{"counter wraps", []sockdiag.UDPSocket{
			udp6("[2001:db8:53::53]:53", 10, 0, 8000, 9),
			udp6("[::]:53", 12, 9000, 8000, 1<<32-1),
		}, SocketState{Present: true, Sockets: 2, Fill: 1, RQueue: 9000, RcvBuf: 8000, DropsDelta: 1<<32 - 1 - 3}},
		{"gone", nil, SocketState{}},
		{"back under the same inode after absence counts as new", []sockdiag.UDPSocket{
			udp6("[2001:db8:53::53]:53", 10, 0, 8000, 20),
		}, SocketState{Present: true, Sockets: 1, RcvBuf: 8000, DropsDelta: 20}},
	}
	for _, st := range steps {
		got := tr.update(st.socks)
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", st.name, diff)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindSocket: "socket", KindProbe: "probe", KindExternal: "external", KindDrain: "drain", 0: "Kind(0)", 9: "Kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

func TestSocketConfigInvalid(t *testing.T) {
	m := newSocketMonitor(func(uint16, int) ([]sockdiag.UDPSocket, error) { return nil, nil },
		func() (destroySource, error) { return nil, errors.New("none") }, time.Hour)
	defer m.Close()
	a := netip.MustParseAddr("2001:db8:53::53")
	for _, cfg := range []SocketConfig{
		{Port: 53, Interval: time.Second},
		{Addr: a, Interval: time.Second},
		{Addr: a, Port: 53},
		{Addr: a, Port: 53, Interval: -1},
	} {
		if err := m.Run(context.Background(), "svc", cfg, make(chan Sample)); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// fakeLister serves a settable socket table.
type fakeLister struct {
	mu    sync.Mutex
	socks []sockdiag.UDPSocket
	err   error
	calls []int // families asked
}

func (f *fakeLister) set(err error, socks ...sockdiag.UDPSocket) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.socks, f.err = socks, err
}

func (f *fakeLister) list(port uint16, family int) ([]sockdiag.UDPSocket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, family)
	if f.err != nil {
		return nil, f.err
	}
	var out []sockdiag.UDPSocket
	for _, s := range f.socks {
		if s.Local.Port() == port && int(s.Family) == family {
			out = append(out, s)
		}
	}
	return out, nil
}

// fakeWatcher delivers what the test pushes.
type fakeWatcher struct {
	ev     chan fakeEvent
	closed chan struct{}
	once   sync.Once
	mu     sync.Mutex
	ports  []uint16
}

type fakeEvent struct {
	s   sockdiag.UDPSocket
	err error
}

func newFakeWatcher() *fakeWatcher {
	return &fakeWatcher{ev: make(chan fakeEvent), closed: make(chan struct{})}
}

func (w *fakeWatcher) Next() (sockdiag.UDPSocket, error) {
	select {
	case e := <-w.ev:
		return e.s, e.err
	case <-w.closed:
		return sockdiag.UDPSocket{}, sockdiag.ErrDestroyWatcherClosed
	}
}

func (w *fakeWatcher) FilterPorts(ports ...uint16) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ports = slices.Sorted(slices.Values(ports))
	return nil
}

func (w *fakeWatcher) Close() error {
	w.once.Do(func() { close(w.closed) })
	return nil
}

func (w *fakeWatcher) filter() []uint16 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ports
}

// push hands e to the monitor's reader (which has then received it).
func (w *fakeWatcher) push(t *testing.T, e fakeEvent) {
	t.Helper()
	select {
	case w.ev <- e:
	case <-time.After(5 * time.Second):
		t.Fatal("monitor is not reading the watcher")
	}
}

// recv returns the next sample, failing after 5 s.
func recv(t *testing.T, out <-chan Sample) Sample {
	t.Helper()
	select {
	case s := <-out:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no sample within 5 s")
	}
	return Sample{}
}

// quiet fails if a sample arrives within d.
func quiet(t *testing.T, out <-chan Sample, d time.Duration) {
	t.Helper()
	select {
	case s := <-out:
		t.Fatalf("unexpected sample %+v (socket %+v)", s, s.Socket)
	case <-time.After(d):
	}
}

func TestSocketMonitorFanOut(t *testing.T) {
	lister := &fakeLister{}
	anycast := "[2001:db8:53::53]"
	lister.set(nil, udp6(anycast+":53", 1, 0, 8000, 0), udp6("[::]:853", 2, 0, 8000, 0))

	opened := make(chan *fakeWatcher, 4)
	opens := 0
	m := newSocketMonitor(lister.list, func() (destroySource, error) {
		opens++
		if opens == 1 {
			return nil, errors.New("no CAP_NET_ADMIN") // first attempt fails
		}
		w := newFakeWatcher()
		opened <- w
		return w, nil
	}, 10*time.Millisecond)
	defer m.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outA, outB := make(chan Sample), make(chan Sample)
	addr := netip.MustParseAddr("2001:db8:53::53")
	errs := make(chan error, 2)
	go func() { errs <- m.Run(ctx, "a", SocketConfig{Addr: addr, Port: 53, Interval: time.Hour}, outA) }()
	go func() { errs <- m.Run(ctx, "b", SocketConfig{Addr: addr, Port: 853, Interval: time.Hour}, outB) }()

	for _, c := range []struct {
		out  chan Sample
		name string
	}{{outA, "a"}, {outB, "b"}} {
		s := recv(t, c.out)
		if s.Service != c.name || s.Kind != KindSocket || s.Err != nil || s.Socket == nil || !s.Socket.Present || s.Socket.Destroyed {
			t.Fatalf("first sample of %s: %+v %+v, want present, not destroyed", c.name, s, s.Socket)
		}
	}

	var w *fakeWatcher
	select {
	case w = <-opened:
	case <-time.After(5 * time.Second):
		t.Fatal("watcher not reopened after the first failure")
	}
	// The filter is set once the watcher is open and both services subscribed.
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Equal(w.filter(), []uint16{53, 853}) {
		if time.Now().After(deadline) {
			t.Fatalf("filter %v, want [53 853]", w.filter())
		}
		time.Sleep(time.Millisecond)
	}
	if err := m.WatchErr(); err != nil {
		t.Errorf("WatchErr with a running watcher: %v", err)
	}

	// a's socket dies: a re-lists at once, b stays quiet.
	lister.set(nil, udp6("[::]:853", 2, 0, 8000, 0))
	w.push(t, fakeEvent{s: udp6(anycast+":53", 0, 0, 0, 0)})
	if s := recv(t, outA); s.Socket == nil || s.Socket.Present || !s.Socket.Destroyed {
		t.Errorf("a after destroy: %+v %+v, want absent and destroyed", s, s.Socket)
	}
	quiet(t, outB, 30*time.Millisecond)

	// A socket on 853 but another address, and a connected one on the
	// wildcard: neither concerns b.
	w.push(t, fakeEvent{s: udp6("[2001:db8::1]:853", 0, 0, 0, 0)})
	conn := udp6("[::]:853", 0, 0, 0, 0)
	conn.Remote = netip.MustParseAddrPort("[2001:db8::2]:5000")
	w.push(t, fakeEvent{s: conn})
	quiet(t, outB, 30*time.Millisecond)
	quiet(t, outA, 0)

	// A malformed message is skipped; an overrun wakes everyone.
	w.push(t, fakeEvent{err: sockdiag.ErrSockDiagMalformed})
	w.push(t, fakeEvent{err: sockdiag.ErrDestroyOverrun})
	for _, out := range []chan Sample{outA, outB} {
		if s := recv(t, out); s.Socket == nil || !s.Socket.Destroyed {
			t.Errorf("after overrun: %+v %+v, want a destroyed-triggered sample", s, s.Socket)
		}
	}

	// A listing error is reported in the sample.
	lister.set(errors.New("netlink broke"))
	w.push(t, fakeEvent{s: udp6("[::]:853", 0, 0, 0, 0)})
	if s := recv(t, outB); s.Err == nil || s.Socket != nil {
		t.Errorf("listing error: %+v, want Err and no Socket", s)
	}

	// A fatal watcher error: the monitor opens a new one.
	w.push(t, fakeEvent{err: errors.New("socket gone")})
	select {
	case w2 := <-opened:
		lister.set(nil)
		w2.push(t, fakeEvent{s: udp6("[::]:853", 0, 0, 0, 0)})
		if s := recv(t, outB); s.Socket == nil || s.Socket.Present {
			t.Errorf("through the reopened watcher: %+v %+v", s, s.Socket)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watcher not reopened after a fatal error")
	}

	cancel()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("Run returned %v after cancel, want nil", err)
		}
	}
}

func TestSocketMonitorPollsAndIPv4(t *testing.T) {
	lister := &fakeLister{}
	lister.set(nil, udp6("[::]:53", 1, 0, 8000, 0), udp4("192.0.2.53:53", 2))
	m := newSocketMonitor(lister.list, func() (destroySource, error) { return nil, errors.New("none") }, time.Hour)
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Sample)
	done := make(chan error)
	go func() {
		done <- m.Run(ctx, "v4", SocketConfig{Addr: netip.MustParseAddr("192.0.2.53"), Port: 53, Interval: 5 * time.Millisecond}, out)
	}()
	for i := 0; i < 3; i++ { // the first at once, then polled
		s := recv(t, out)
		if s.Socket == nil || s.Socket.Sockets != 2 || s.Socket.Destroyed {
			t.Fatalf("sample %d: %+v %+v, want 2 sockets (dual-stack and IPv4)", i, s, s.Socket)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	lister.mu.Lock()
	defer lister.mu.Unlock()
	if !slices.Contains(lister.calls, unix.AF_INET) || !slices.Contains(lister.calls, unix.AF_INET6) {
		t.Errorf("families listed %v, want both", lister.calls)
	}
	for deadline := time.Now().Add(time.Second); m.WatchErr() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("WatchErr nil although the watcher never opened")
		}
	}
}
