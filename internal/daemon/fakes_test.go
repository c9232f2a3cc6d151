package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anycostd/anycostd/netif"
	"github.com/anycostd/anycostd/ospf"
)

// recorder keeps, in order, what the fakes were asked to do.
type recorder struct {
	mu     sync.Mutex
	events []string
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// index returns the position of the first event equal to e, or -1.
func (r *recorder) index(e string) int {
	for i, x := range r.list() {
		if x == e {
			return i
		}
	}
	return -1
}

// waitFor waits until an event equal to e has been recorded.
func (r *recorder) waitFor(t *testing.T, e string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for r.index(e) < 0 {
		select {
		case <-r.notify:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no event %q; got:\n%s", e, strings.Join(r.list(), "\n"))
		}
	}
}

// count returns how many events equal e.
func (r *recorder) count(e string) int {
	n := 0
	for _, x := range r.list() {
		if x == e {
			n++
		}
	}
	return n
}

// fakeHost implements Host in memory.
type fakeHost struct {
	rec *recorder
	// link is returned by LookupLink; linkLocalAfter makes the first
	// lookups report no usable link-local address (DAD).
	link           netif.Link
	linkLocalAfter int
	lookups        int
	failAdd        map[netip.Prefix]bool
	linkEvents     chan netif.Link
	// inbound feeds the transport's ReadDatagram (nil: nothing arrives).
	inbound chan ospf.Datagram
	// tr is the last transport ListenOSPF opened.
	tr *fakeTransport
	mu sync.Mutex
}

func newFakeHost(rec *recorder) *fakeHost {
	return &fakeHost{
		rec: rec,
		link: netif.Link{Up: true,
			Name: "eth0", Index: 2, MTU: 1500, LinkLocal: netip.MustParseAddr("fe80::11"),
		},
		failAdd:    make(map[netip.Prefix]bool),
		linkEvents: make(chan netif.Link, 4),
	}
}

func (h *fakeHost) LookupLink(name string) (netif.Link, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lookups++
	if name != h.link.Name {
		return netif.Link{}, errors.New("no such interface")
	}
	li := h.link
	if h.lookups <= h.linkLocalAfter {
		li.LinkLocal = netip.Addr{}
	}
	return li, nil
}

func (h *fakeHost) WatchLink(ctx context.Context, name string, fn func(netif.Link)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case li := <-h.linkEvents:
			fn(li)
		}
	}
}

func (h *fakeHost) ListenOSPF(ifname string, noKernelChecksum, ttlSecurity bool) (ospf.Transport, error) {
	what := "listen " + ifname
	if noKernelChecksum {
		what += " no-kernel-checksum"
	}
	if ttlSecurity {
		what += " ttl-security"
	}
	h.rec.add("%s", what)
	tr := &fakeTransport{rec: h.rec, in: h.inbound, closed: make(chan struct{})}
	h.mu.Lock()
	h.tr = tr
	h.mu.Unlock()
	return tr, nil
}

func (h *fakeHost) AddServiceAddr(ifname string, p netip.Prefix) error {
	if h.failAdd[p] {
		h.rec.add("add-failed %s %s", ifname, p)
		return errors.New("operation not permitted")
	}
	h.rec.add("add %s %s", ifname, p)
	return nil
}

func (h *fakeHost) DelServiceAddr(ifname string, p netip.Prefix) error {
	h.rec.add("del %s %s", ifname, p)
	return nil
}

type fakeTransport struct {
	rec    *recorder
	in     <-chan ospf.Datagram
	once   sync.Once
	closed chan struct{}
	mu     sync.Mutex
	sent   [][]byte // every packet written, as written
}

func (t *fakeTransport) ReadDatagram() (ospf.Datagram, error) {
	select {
	case d := <-t.in:
		return d, nil
	case <-t.closed:
		return ospf.Datagram{}, errors.New("closed")
	}
}

func (t *fakeTransport) WriteDatagram(dst netip.Addr, data []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent = append(t.sent, append([]byte(nil), data...))
	return nil
}

func (t *fakeTransport) Close() error {
	t.once.Do(func() {
		t.rec.add("transport closed")
		close(t.closed)
	})
	return nil
}

// fakeSpeaker implements speaker. Shutdown makes Run return nil unless
// hangOnShutdown.
type fakeSpeaker struct {
	rec            *recorder
	cfg            ospf.Config
	tr             ospf.Transport
	hangOnShutdown bool
	onWire         chan struct{}
	status         ospf.Status
	mu             sync.Mutex
	svcs           []ospf.Service
	sets           [][]ospf.Service // every SetServices, in order
	lsdb           []ospf.LSDBEntry
	raws           [][]byte      // RawLSDB
	changed        chan struct{} // LSDBChanged; nil: never
	statusBlocked  atomic.Int32  // Status calls waiting for mu

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	// desig is DesignatedChanged's channel (nil: never signalled).
	desig chan struct{}
}

func (f *fakeSpeaker) factory() newOSPFFunc {
	return func(cfg ospf.Config, tr ospf.Transport, log *slog.Logger) (speaker, error) {
		f.cfg, f.tr = cfg, tr
		f.stop = make(chan struct{})
		f.done = make(chan struct{})
		f.rec.add("new router=%08x if=%s ll=%s", cfg.RouterID, cfg.Link.Name, cfg.Link.LinkLocal)
		return f, nil
	}
}

func (f *fakeSpeaker) Run(ctx context.Context) error {
	defer close(f.done)
	defer f.tr.Close()
	f.rec.add("run")
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-f.stop:
		return nil
	}
}

func (f *fakeSpeaker) SetServices(svcs []ospf.Service) error {
	f.mu.Lock()
	f.svcs = append([]ospf.Service(nil), svcs...)
	f.sets = append(f.sets, f.svcs)
	f.mu.Unlock()
	parts := make([]string, len(svcs))
	for i, s := range svcs {
		parts[i] = fmt.Sprintf("%s=%s/%d", s.Name, s.Prefix.Addr(), s.Metric)
	}
	f.rec.add("services %s", strings.Join(parts, " "))
	return nil
}

func (f *fakeSpeaker) SetLink(up bool, mtu int) error {
	f.rec.add("link up=%v mtu=%d", up, mtu)
	return nil
}

func (f *fakeSpeaker) SetLinkPrefixes(prefixes []netip.Prefix) error {
	f.rec.add("link prefixes %v", prefixes)
	return nil
}

func (f *fakeSpeaker) Shutdown() error {
	f.rec.add("shutdown")
	if !f.hangOnShutdown {
		f.stopOnce.Do(func() { close(f.stop) })
	}
	return nil
}

// OnWire: the fake has everything on the wire at once, unless onWire is
// set: then when it is closed.
func (f *fakeSpeaker) OnWire() (<-chan struct{}, error) {
	if f.onWire != nil {
		return f.onWire, nil
	}
	return closedChan, nil
}

// Status is the configured status with the services as last set, all of
// them on the wire at once (no pacing in the fake).
func (f *fakeSpeaker) Status(ctx context.Context) (ospf.Status, error) {
	f.statusBlocked.Add(1)
	f.mu.Lock()
	f.statusBlocked.Add(-1)
	defer f.mu.Unlock()
	st := f.status
	st.Services = nil
	for _, s := range f.svcs {
		st.Services = append(st.Services, ospf.ServiceStatus{
			Name: s.Name, Prefix: s.Prefix.String(),
			Advertised: !s.Withdraw, Wanted: !s.Withdraw, Metric: s.Metric, WantMetric: s.Metric,
		})
	}
	return st, nil
}

func (f *fakeSpeaker) LSDB(ctx context.Context) ([]ospf.LSDBEntry, error) { return f.lsdb, nil }

func (f *fakeSpeaker) RawLSDB(ctx context.Context) ([][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.raws, nil
}

func (f *fakeSpeaker) LSDBChanged() <-chan struct{} { return f.changed }

// setRaws replaces the fake's database and signals the change.
func (f *fakeSpeaker) setRaws(raws [][]byte) {
	f.mu.Lock()
	f.raws = raws
	f.mu.Unlock()
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

func (f *fakeSpeaker) NeighborDown(addr netip.Addr, reason string) error {
	f.rec.add("neighbor down %s: %s", addr, reason)
	return nil
}

func (f *fakeSpeaker) DesignatedChanged() <-chan struct{} { return f.desig }

// setStatus replaces the status the fake reports (services aside).
func (f *fakeSpeaker) setStatus(st ospf.Status) {
	f.mu.Lock()
	f.status = st
	f.mu.Unlock()
}
