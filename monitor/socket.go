package monitor

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/anycostd/anycostd/monitor/sockdiag"
)

// SocketConfig configures the socket monitor of one service.
type SocketConfig struct {
	// Addr is the service's anycast address. Sockets bound to it or to the
	// wildcard address (:: or, for an IPv4 Addr, 0.0.0.0) count.
	Addr netip.Addr
	// Port is the service's UDP port.
	Port uint16
	// Interval is the polling period (the default is 100 ms; the
	// caller applies defaults).
	Interval time.Duration
}

func (c SocketConfig) validate() error {
	switch {
	case !c.Addr.IsValid():
		return errors.New("no address")
	case c.Port == 0:
		return errors.New("port 0")
	case c.Interval <= 0:
		return fmt.Errorf("interval %v is not positive", c.Interval)
	}
	return nil
}

// The seams a SocketMonitor is built on, replaced in tests.
type (
	socketLister  func(port uint16, family int) ([]sockdiag.UDPSocket, error)
	destroySource interface {
		Next() (sockdiag.UDPSocket, error)
		FilterPorts(ports ...uint16) error
		Close() error
	}
	destroyOpener func() (destroySource, error)
)

// How long the SocketMonitor waits before reopening a destroy watcher that
// failed or could not be opened.
const watchRetry = 5 * time.Second

// SocketMonitor runs the socket monitors of any number of services over one
// shared sockdiag.DestroyWatcher: each service polls its sockets at its own
// interval, and the watcher's notifications wake the services whose port and
// address a destroyed socket had, which re-list at once. A killed service is
// thus seen absent within milliseconds instead of up to one interval.
//
// If the watcher cannot be opened or fails, the monitor polls only, retries
// the watcher every 5 s, and WatchErr says why.
type SocketMonitor struct {
	list  socketLister
	retry time.Duration

	mu       sync.Mutex
	subs     map[*socketSub]struct{}
	w        destroySource // nil while no watcher is open
	watchErr error

	stop context.CancelFunc
	done chan struct{}
}

// socketSub is one running service monitor, as the fan-out sees it.
type socketSub struct {
	port uint16
	addr netip.Addr    // unmapped, no zone
	kick chan struct{} // capacity 1: wake-ups coalesce
}

// NewSocketMonitor starts a SocketMonitor over the kernel's sockets of the
// calling process's network namespace. Close it when done.
func NewSocketMonitor() *SocketMonitor {
	return newSocketMonitor(sockdiag.ListUDPSockets, func() (destroySource, error) {
		return sockdiag.WatchUDPDestroy()
	}, watchRetry)
}

func newSocketMonitor(list socketLister, open destroyOpener, retry time.Duration) *SocketMonitor {
	ctx, cancel := context.WithCancel(context.Background())
	m := &SocketMonitor{
		list:  list,
		retry: retry,
		subs:  make(map[*socketSub]struct{}),
		stop:  cancel,
		done:  make(chan struct{}),
	}
	go m.watchLoop(ctx, open)
	return m
}

// Close stops the shared destroy watcher and waits for its goroutine.
// Services still running go on polling.
func (m *SocketMonitor) Close() error {
	m.stop()
	<-m.done
	return nil
}

// WatchErr returns why the destroy watcher is not running, or nil while it
// runs or is being opened.
func (m *SocketMonitor) WatchErr() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.watchErr
}

// watching reports whether a destroy watcher is open.
func (m *SocketMonitor) watching() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.w != nil
}

// RunSocket runs the socket monitor of one service with a destroy watcher
// of its own. With several services, share one SocketMonitor instead.
func RunSocket(ctx context.Context, service string, cfg SocketConfig, out chan<- Sample) error {
	m := NewSocketMonitor()
	defer m.Close()
	return m.Run(ctx, service, cfg, out)
}

// Run sends a KindSocket Sample at once, then every cfg.Interval, and also
// at once whenever the kernel announces that a socket on cfg.Port (bound to
// cfg.Addr or the wildcard) was destroyed; such a Sample has
// SocketState.Destroyed set. A failed listing gives a Sample with Err set.
// Run returns nil when ctx ends, or an error at once for an invalid cfg.
func (m *SocketMonitor) Run(ctx context.Context, service string, cfg SocketConfig, out chan<- Sample) error {
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("monitor: service %q: socket monitor: %w", service, err)
	}
	sub := &socketSub{port: cfg.Port, addr: cfg.Addr.Unmap().WithZone(""), kick: make(chan struct{}, 1)}
	m.subscribe(sub)
	defer m.unsubscribe(sub)

	tr := socketTracker{addr: sub.addr, port: cfg.Port}
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	destroyed := false
	for {
		socks, err := m.listFor(sub)
		s := Sample{Service: service, Kind: KindSocket, At: time.Now()}
		if err != nil {
			s.Err = err
		} else {
			st := tr.update(socks)
			st.Destroyed = destroyed
			s.Socket = &st
		}
		if !send(ctx, out, s) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			// A notification that came with the tick still counts.
			select {
			case <-sub.kick:
				destroyed = true
			default:
				destroyed = false
			}
		case <-sub.kick:
			destroyed = true
			tick.Reset(cfg.Interval)
		}
	}
}

// listFor lists the sockets that can receive the service's datagrams: for an
// IPv6 address the AF_INET6 ones; for an IPv4 address the AF_INET ones and
// the AF_INET6 ones (dual-stack wildcard or v4-mapped).
func (m *SocketMonitor) listFor(sub *socketSub) ([]sockdiag.UDPSocket, error) {
	socks, err := m.list(sub.port, unix.AF_INET6)
	if err != nil || !sub.addr.Is4() {
		return socks, err
	}
	v4, err := m.list(sub.port, unix.AF_INET)
	if err != nil {
		return nil, err
	}
	return append(socks, v4...), nil
}

func (m *SocketMonitor) subscribe(sub *socketSub) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.subs[sub] = struct{}{}
	m.filterLocked()
}

func (m *SocketMonitor) unsubscribe(sub *socketSub) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.subs, sub)
	m.filterLocked()
}

// filterLocked tells the watcher which ports matter. A failure leaves the
// previous filter, or none: more wake-ups than needed, never fewer, except
// for a port just added.
func (m *SocketMonitor) filterLocked() {
	if m.w == nil {
		return
	}
	_ = m.w.FilterPorts(m.portsLocked()...)
}

func (m *SocketMonitor) portsLocked() []uint16 {
	seen := make(map[uint16]bool)
	var ports []uint16
	for s := range m.subs {
		if !seen[s.port] {
			seen[s.port] = true
			ports = append(ports, s.port)
		}
	}
	return ports
}

// wake kicks the services a destroyed socket concerned, or all of them when
// s is nil (notifications were lost).
func (m *SocketMonitor) wake(s *sockdiag.UDPSocket) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for sub := range m.subs {
		if s == nil || socketMatches(sub.addr, sub.port, *s) {
			select {
			case sub.kick <- struct{}{}:
			default:
			}
		}
	}
}

// watchLoop keeps a destroy watcher open and fans its notifications out.
func (m *SocketMonitor) watchLoop(ctx context.Context, open destroyOpener) {
	defer close(m.done)
	for {
		err := m.watchOnce(ctx, open)
		if ctx.Err() != nil {
			return
		}
		m.mu.Lock()
		m.watchErr = err
		m.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(m.retry):
		}
	}
}

// watchOnce opens a watcher and reads it until it fails or ctx ends.
func (m *SocketMonitor) watchOnce(ctx context.Context, open destroyOpener) error {
	w, err := open()
	if err != nil {
		return fmt.Errorf("monitor: socket destroy watcher: %w", err)
	}
	m.mu.Lock()
	m.w = w
	m.watchErr = nil
	m.filterLocked()
	m.mu.Unlock()
	stopClose := context.AfterFunc(ctx, func() { w.Close() })
	defer func() {
		stopClose()
		w.Close()
		m.mu.Lock()
		m.w = nil
		m.mu.Unlock()
	}()
	for {
		s, err := w.Next()
		switch {
		case err == nil:
			m.wake(&s)
		case errors.Is(err, sockdiag.ErrDestroyOverrun):
			m.wake(nil)
		case errors.Is(err, sockdiag.ErrSockDiagMalformed):
			// One odd message; the watcher is still good.
		default:
			return fmt.Errorf("monitor: socket destroy watcher: %w", err)
		}
	}
}

// socketMatches reports whether s is a server socket of the service at addr
// (unmapped, no zone) and port: unconnected, on that port, bound to addr or
// to a wildcard address of a family that receives addr's datagrams.
func socketMatches(addr netip.Addr, port uint16, s sockdiag.UDPSocket) bool {
	if s.Local.Port() != port || !s.Unconnected() {
		return false
	}
	if addr.Is6() && s.Family != unix.AF_INET6 {
		return false
	}
	got := s.Local.Addr().Unmap()
	return got.IsUnspecified() || got == addr
}

// socketTracker turns successive listings into SocketStates; it keeps each
// socket's drop counter to report the increase. Pure: no I/O, no clock.
type socketTracker struct {
	addr   netip.Addr
	port   uint16
	drops  map[uint32]uint32 // inode -> drop counter at the last listing
	primed bool
}

func (t *socketTracker) update(socks []sockdiag.UDPSocket) SocketState {
	var st SocketState
	next := make(map[uint32]uint32)
	best := -1.0
	for _, s := range socks {
		if !socketMatches(t.addr, t.port, s) {
			continue
		}
		st.Present = true
		st.Sockets++
		if f := s.Fill(); f > best {
			best, st.Fill, st.RQueue, st.RcvBuf = f, f, s.RQueue, s.RcvBuf
		}
		if prev, ok := t.drops[s.Inode]; ok {
			st.DropsDelta += s.Drops - prev // modulo 2^32, as the counter wraps
		} else if t.primed {
			st.DropsDelta += s.Drops // a socket new since the last listing
		}
		next[s.Inode] = s.Drops
	}
	t.drops = next
	t.primed = true
	return st
}
