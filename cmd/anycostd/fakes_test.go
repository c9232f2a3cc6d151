package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anycostd/anycostd/costmodel"
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

// fakeHost implements host in memory.
type fakeHost struct {
	rec *recorder
	// link is returned by lookupLink; linkLocalAfter makes the first
	// lookups report no usable link-local address (DAD).
	link           linkInfo
	linkLocalAfter int
	lookups        int
	failAdd        map[netip.Prefix]bool
	linkEvents     chan linkInfo
	// inbound feeds the transport's ReadDatagram (nil: nothing arrives).
	inbound chan ospf.Datagram
	// tr is the last transport listenOSPF opened.
	tr *fakeTransport
	mu sync.Mutex
}

func newFakeHost(rec *recorder) *fakeHost {
	return &fakeHost{
		rec: rec,
		link: linkInfo{Up: true, Link: ospf.Link{
			Name: "eth0", Index: 2, MTU: 1500, LinkLocal: netip.MustParseAddr("fe80::11"),
		}},
		failAdd:    make(map[netip.Prefix]bool),
		linkEvents: make(chan linkInfo, 4),
	}
}

func (h *fakeHost) lookupLink(name string) (linkInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lookups++
	if name != h.link.Link.Name {
		return linkInfo{}, errors.New("no such interface")
	}
	li := h.link
	if h.lookups <= h.linkLocalAfter {
		li.Link.LinkLocal = netip.Addr{}
	}
	return li, nil
}

func (h *fakeHost) watchLink(ctx context.Context, name string, fn func(linkInfo)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case li := <-h.linkEvents:
			fn(li)
		}
	}
}

func (h *fakeHost) listenOSPF(ifname string, noKernelChecksum, ttlSecurity bool) (ospf.Transport, error) {
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

func (h *fakeHost) addServiceAddr(ifname string, p netip.Prefix) error {
	if h.failAdd[p] {
		h.rec.add("add-failed %s %s", ifname, p)
		return errors.New("operation not permitted")
	}
	h.rec.add("add %s %s", ifname, p)
	return nil
}

func (h *fakeHost) delServiceAddr(ifname string, p netip.Prefix) error {
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
	status         ospf.Status
	mu             sync.Mutex
	svcs           []ospf.Service
	lsdb           []ospf.LSDBEntry

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

func (f *fakeSpeaker) factory() newSpeakerFunc {
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

func (f *fakeSpeaker) Done() <-chan struct{} { return f.done }

// Status is the configured status with the services as last set, all of
// them on the wire at once (no pacing in the fake).
func (f *fakeSpeaker) Status(ctx context.Context) (ospf.Status, error) {
	f.mu.Lock()
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

// fakeBackend answers the control server with fixed data.
type fakeBackend struct {
	status  ospf.Status
	lsdb    []ospf.LSDBEntry
	explain []costmodel.Explanation
	drains  []string
	err     error

	mu           sync.Mutex
	explainCalls int
}

func (b *fakeBackend) Status(ctx context.Context) (ospf.Status, error) { return b.status, b.err }

func (b *fakeBackend) LSDB(ctx context.Context) ([]ospf.LSDBEntry, error) { return b.lsdb, b.err }

func (b *fakeBackend) Drain(ctx context.Context, service string, on bool) error {
	if b.err != nil {
		return b.err
	}
	if service != "" && service != "dns" {
		return fmt.Errorf("no such service %q", service)
	}
	b.drains = append(b.drains, fmt.Sprintf("%s=%v", service, on))
	return nil
}

// Explain answers like services.Manager: every service for "", else the
// named one, or an error naming the known services.
func (b *fakeBackend) Explain(ctx context.Context, service string) ([]costmodel.Explanation, error) {
	b.mu.Lock()
	b.explainCalls++
	b.mu.Unlock()
	if b.err != nil || service == "" {
		return b.explain, b.err
	}
	var known []string
	for _, e := range b.explain {
		if e.Service == service {
			return []costmodel.Explanation{e}, nil
		}
		known = append(known, e.Service)
	}
	return nil, fmt.Errorf("no such service %q (known: %v)", service, known)
}

func (b *fakeBackend) explained() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.explainCalls
}

// testNow is the time the render tests show relative times against.
var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// sampleStatus is a daemon's status with one neighbor of each kind and a
// service in each state.
func sampleStatus() ospf.Status {
	return ospf.Status{
		RouterID: "192.0.2.11",
		Area:     "0.0.0.0",
		Interface: ospf.InterfaceStatus{
			Name: "eth0", Index: 2, InterfaceID: 2, State: "DROther",
			LinkLocal: "fe80::11", MTU: 1500, Cost: 10,
			DR: "192.0.2.1", BDR: "192.0.2.2", HelloSec: 1, DeadSec: 4,
		},
		Neighbors: []ospf.NeighborStatus{
			{RouterID: "192.0.2.1", Address: "fe80::1", InterfaceID: 5, Priority: 10, State: "Full", Role: "DR",
				DeadIn: 3200 * time.Millisecond, Uptime: 3725 * time.Second},
			{RouterID: "192.0.2.2", Address: "fe80::2", InterfaceID: 6, Priority: 5, State: "Full", Role: "BDR",
				DeadIn: 2900 * time.Millisecond, Uptime: 61 * time.Second, RxmtCount: 1},
			{RouterID: "192.0.2.12", Address: "fe80::12", InterfaceID: 2, Priority: 0, State: "2-Way", Role: "DROther",
				DeadIn: 3900 * time.Millisecond, Uptime: 59 * time.Second},
		},
		Services: []ospf.ServiceStatus{
			{Name: "dns", Prefix: "2001:db8:53::53/128", Advertised: true, Metric: 10, Wanted: true, WantMetric: 10,
				LSID: "0.0.0.1", Seq: "80000003"},
			{Name: "ntp", Prefix: "2001:db8:123::123/128", Advertised: true, Metric: 10, Wanted: true, WantMetric: 40,
				LSID: "0.0.0.2", Seq: "80000007", NextChange: testNow.Add(800 * time.Millisecond)},
			{Name: "web", Prefix: "2001:db8:80::80/128", Wanted: false, WantMetric: 10, LSID: "0.0.0.3"},
		},
		Counters: ospf.Counters{
			PacketsIn:    map[string]uint64{"hello": 120, "lsupdate": 8, "lsack": 5},
			PacketsOut:   map[string]uint64{"hello": 118, "lsupdate": 6},
			Dropped:      map[string]uint64{"bad-checksum": 1, "wrong-area": 2},
			LSAsIn:       14,
			LSAsOut:      9,
			Retransmits:  1,
			Originations: 7,
		},
	}
}

func sampleLSDB() []ospf.LSDBEntry {
	return []ospf.LSDBEntry{
		{Scope: "link", Type: "Link", TypeCode: 0x0008, LSID: "0.0.0.5", AdvRouter: "192.0.2.1", Age: 35,
			Seq: "80000002", Checksum: "1a2b", Length: 56, Summary: "fe80::1"},
		{Scope: "link", Type: "Link", TypeCode: 0x0008, LSID: "0.0.0.2", AdvRouter: "192.0.2.11", Age: 3,
			Seq: "80000001", Checksum: "3c4d", Length: 44, Self: true, Summary: "fe80::11"},
		{Scope: "area", Type: "Router", TypeCode: 0x2001, LSID: "0.0.0.0", AdvRouter: "192.0.2.1", Age: 35,
			Seq: "80000004", Checksum: "5e6f", Length: 40, Summary: "transit 0.0.0.5/192.0.2.1 cost 10"},
		{Scope: "area", Type: "Intra-Prefix", TypeCode: 0x2009, LSID: "0.0.0.1", AdvRouter: "192.0.2.11", Age: 3,
			Seq: "80000003", Checksum: "7081", Length: 52, Self: true, Summary: "2001:db8:53::53/128 metric 10"},
		{Scope: "as", Type: "AS-External", TypeCode: 0x4005, LSID: "0.0.0.1", AdvRouter: "192.0.2.1", Age: 1200,
			Seq: "80000001", Checksum: "92a3", Length: 36, Summary: "2001:db8:ffff::/48 metric 20"},
	}
}
