package bfd

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// memLink is an in-memory link between transports: what one writes to an
// address, the transport at that address reads, with hop limit 255.
type memLink struct {
	mu    sync.Mutex
	ports map[netip.Addr]*memTransport
}

type memTransport struct {
	link   *memLink
	addr   netip.Addr
	in     chan Datagram
	closed chan struct{}
	once   sync.Once
}

func (l *memLink) attach(a netip.Addr) *memTransport {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ports == nil {
		l.ports = map[netip.Addr]*memTransport{}
	}
	t := &memTransport{link: l, addr: a, in: make(chan Datagram, 1024), closed: make(chan struct{})}
	l.ports[a] = t
	return t
}

func (t *memTransport) ReadDatagram() (Datagram, error) {
	select {
	case d := <-t.in:
		return d, nil
	case <-t.closed:
		return Datagram{}, errors.New("closed")
	}
}

func (t *memTransport) WriteDatagram(dst netip.Addr, data []byte) error {
	t.link.mu.Lock()
	to := t.link.ports[dst.WithZone("")]
	t.link.mu.Unlock()
	if to == nil {
		return nil // nobody there: lost, as on a wire
	}
	select {
	case to.in <- Datagram{Src: t.addr, HopLimit: 255, Data: append([]byte(nil), data...)}:
	case <-to.closed:
	}
	return nil
}

func (t *memTransport) Close() error {
	t.once.Do(func() { close(t.closed) })
	return nil
}

// waitEvent reads events from sp until one satisfies ok.
func waitEvent(t *testing.T, sp *Speaker, what string, ok func(Event) bool) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, open := <-sp.Events():
			if !open {
				t.Fatalf("events closed while waiting for %s", what)
			}
			if ok(ev) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no event %s in 10 s", what)
		}
	}
}

// TestSpeaker runs two speakers over an in-memory link on the real clock:
// sessions come Up and show in Status; Shutdown of one ends its Run and
// closes its events, and the other sees Down that is no failure.
func TestSpeaker(t *testing.T) {
	var link memLink
	cfg := Config{Interface: simIface, DesiredMinTx: 20 * ms, RequiredMinRx: 20 * ms}
	a, err := New(cfg, link.attach(addrA), nil, testLog(t, "a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(cfg, link.attach(addrB), nil, testLog(t, "b"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- a.Run(ctx) }()
	go func() { errs <- b.Run(ctx) }()
	if err := a.SetPeers([]netip.Addr{addrB}); err != nil {
		t.Fatal(err)
	}
	if err := b.SetPeers([]netip.Addr{addrA.WithZone(simIface)}); err != nil {
		t.Fatal(err)
	}
	for _, sp := range []*Speaker{a, b} {
		waitEvent(t, sp, "Up", func(ev Event) bool { return ev.To == StateUp })
	}
	// A's Up event may come before B's Up packet: wait for both.
	var st Status
	for deadline := time.Now().Add(10 * time.Second); ; {
		if st, err = a.Status(ctx); err != nil {
			t.Fatal(err)
		}
		if len(st.Sessions) == 1 && st.Sessions[0].RemoteState == "Up" || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * ms)
	}
	if len(st.Sessions) != 1 || st.Interface != simIface {
		t.Fatalf("status %+v", st)
	}
	ss := st.Sessions[0]
	if ss.Peer != "fe80::b" || ss.State != "Up" || ss.RemoteState != "Up" || ss.Ups != 1 || ss.Counters.PacketsIn == 0 || ss.Counters.PacketsOut == 0 {
		t.Errorf("A's session %+v", ss)
	}
	if err := a.SetPeers([]netip.Addr{netip.MustParseAddr("2001:db8::1")}); !errors.Is(err, ErrBadPeer) {
		t.Errorf("SetPeers(global address) = %v", err)
	}
	if err := a.SetPeers([]netip.Addr{addrB.WithZone("eth9")}); !errors.Is(err, ErrBadPeer) {
		t.Errorf("SetPeers(other interface) = %v", err)
	}
	if err := a.Shutdown(); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, b, "Down", func(ev Event) bool { return ev.To == StateDown })
	if ev.Failure() || ev.RemoteState != StateAdminDown || ev.Diag != DiagNeighborDown {
		t.Errorf("B's Down after A's shutdown: %+v", ev)
	}
	select {
	case err := <-errs:
		if err != nil {
			t.Errorf("A's Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("A's Run did not return after Shutdown")
	}
	for range a.Events() { // closed: the loop ends
	}
	if _, err := a.Status(ctx); !errors.Is(err, ErrStopped) {
		t.Errorf("Status after stop: %v", err)
	}
	if err := a.SetPeers(nil); !errors.Is(err, ErrStopped) {
		t.Errorf("SetPeers after stop: %v", err)
	}
	cancel()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Errorf("B's Run: %v", err)
	}
}

func TestConfig(t *testing.T) {
	var c Config
	c.Defaults()
	if c.DesiredMinTx != 100*ms || c.RequiredMinRx != 100*ms || c.Multiplier != 3 {
		t.Errorf("defaults %+v", c)
	}
	if err := c.Validate(); err == nil {
		t.Error("no interface accepted")
	}
	c.Interface = "eth0"
	for _, bad := range []time.Duration{9 * ms, 11 * time.Second, 10*ms + 1} {
		d := c
		d.DesiredMinTx = bad
		if err := d.Validate(); err == nil {
			t.Errorf("desired min TX %v accepted", bad)
		}
	}
	if _, err := New(Config{DesiredMinTx: time.Hour, Interface: "x"}, &memTransport{}, nil, nil); err == nil {
		t.Error("New accepted an interval of an hour")
	}
}
