package agent

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func testConfig() Config {
	c := Config{RouterID: ridAgent, Ifindex: 7, Log: quiet}
	c.defaults()
	return c
}

func hops(r Route) []int {
	out := []int{}
	for _, h := range r.Nexthops {
		out = append(out, h.Weight)
	}
	return out
}

// The engine follows the farm: weights by capacity, a withdrawn server
// out at once, no member no route, bad input counted once.
func TestStateFollowsFarm(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	s := newState(testConfig())
	f := newFarmLSDB(t, 3)
	f.set("load", 12, load(t, 12, lsa.ServerAdvertised, 10, 2, 0.5, ll(12)))
	set, remove := s.update(now, BuildView(f.snapshot(), ViewOptions{Self: ridAgent, Limits: s.cfg.Limits}))
	if len(set) != 1 || len(remove) != 0 || !slices.Equal(hops(set[0]), []int{128, 255, 128}) {
		t.Fatalf("set %v remove %v", set, remove)
	}
	if set[0].Nexthops[1].Addr != ll(12) || set[0].Nexthops[1].Ifindex != 7 {
		t.Errorf("next hop %+v", set[0].Nexthops[1])
	}
	s.applied(set[0], nil)
	// Same view: nothing to do.
	if set, remove := s.update(now.Add(100*time.Millisecond), BuildView(f.snapshot(), ViewOptions{Self: ridAgent, Limits: s.cfg.Limits})); len(set)+len(remove) != 0 {
		t.Errorf("no change, yet set %v remove %v", set, remove)
	}
	// Server 13's prefix flushed: out of the route at once.
	delete(f.raws, "iap/13")
	set, _ = s.update(now.Add(200*time.Millisecond), BuildView(f.snapshot(), ViewOptions{Self: ridAgent, Limits: s.cfg.Limits}))
	if len(set) != 1 || len(set[0].Nexthops) != 2 {
		t.Fatalf("after a withdrawal: %v", set)
	}
	s.applied(set[0], nil)
	st := s.snapshot()
	if len(st.Prefixes) != 1 || len(st.Prefixes[0].Excluded) != 1 || st.Prefixes[0].Excluded[0].Server != "192.0.2.13" {
		t.Errorf("status %+v", st)
	}
	// A bad load LSA: counted once however many snapshots show it.
	f.set("load", 11, load(t, 11, lsa.ServerAdvertised, 10, 1, 0.5, ll(13)))
	for i := range 3 {
		s.update(now.Add(time.Duration(300+i)*time.Millisecond), BuildView(f.snapshot(), ViewOptions{Self: ridAgent, Limits: s.cfg.Limits}))
	}
	if got := s.snapshot().Counters.Ignored["next-hop"]; got != 1 {
		t.Errorf("ignored next-hop counted %d times, want 1", got)
	}
	// Every server gone: the route goes, OSPF's own forwards.
	for _, i := range []int{11, 12} {
		delete(f.raws, "iap/"+itoa(i))
	}
	set, remove = s.update(now.Add(time.Second), BuildView(f.snapshot(), ViewOptions{Self: ridAgent, Limits: s.cfg.Limits}))
	if len(set) != 0 || !slices.Equal(remove, []netip.Prefix{dnsPrefix}) {
		t.Errorf("no member: set %v remove %v", set, remove)
	}
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

// Only the configured prefixes are programmed.
func TestStatePrefixFilter(t *testing.T) {
	c := testConfig()
	c.Prefixes = []netip.Prefix{netip.MustParsePrefix("2001:db8:54::54/128")}
	s := newState(c)
	f := newFarmLSDB(t, 2)
	if set, _ := s.update(time.Now(), BuildView(f.snapshot(), ViewOptions{Self: ridAgent, Limits: c.Limits})); len(set) != 0 {
		t.Errorf("programmed an unlisted prefix: %v", set)
	}
}

type fakeSource struct {
	mu      sync.Mutex
	raws    [][]byte
	changed chan struct{}
}

func (f *fakeSource) RawLSDB(context.Context) ([][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.raws, nil
}
func (f *fakeSource) LSDBChanged() <-chan struct{} { return f.changed }
func (f *fakeSource) put(raws [][]byte) {
	f.mu.Lock()
	f.raws = raws
	f.mu.Unlock()
	f.changed <- struct{}{}
}

type fakeBackend struct {
	mu     sync.Mutex
	routes map[netip.Prefix]Route
	closed bool
}

func (b *fakeBackend) Set(r Route) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.routes[r.Prefix] = r
	return nil
}
func (b *fakeBackend) Remove(p netip.Prefix) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.routes, p)
	return nil
}
func (b *fakeBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.routes, b.closed = map[netip.Prefix]Route{}, true
	return nil
}

// Run reads the LSDB when it changes, programs the backend, answers
// Status, and removes its routes when stopped.
func TestAgentRun(t *testing.T) {
	src := &fakeSource{changed: make(chan struct{})}
	be := &fakeBackend{routes: map[netip.Prefix]Route{}}
	a, ctx, cancel, errc := runAgent(t, src, be)
	src.put(newFarmLSDB(t, 2).snapshot())
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := a.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Prefixes) == 1 && len(st.Prefixes[0].Nexthops) == 2 {
			if st.Prefixes[0].Nexthops[0].Why != "joined: capacity 1" {
				t.Errorf("why %q", st.Prefixes[0].Nexthops[0].Why)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	be.mu.Lock()
	if r := be.routes[dnsPrefix]; len(r.Nexthops) != 2 {
		t.Errorf("backend route %v", r)
	}
	be.mu.Unlock()
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !be.closed || len(be.routes) != 0 {
		t.Errorf("backend not closed: %+v", be)
	}
}

// runAgent starts an agent of testConfig on src and be; cancel stops it
// and errc has Run's result.
func runAgent(t *testing.T, src Source, be Backend) (*Agent, context.Context, context.CancelFunc, chan error) {
	t.Helper()
	a, err := New(testConfig(), src, be)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	return a, ctx, cancel, errc
}

type lostBackend struct{ fakeBackend }

func (*lostBackend) Set(Route) error { return ErrZebraClosed }

// A lost zebra connection ends Run with an error wrapping ErrZebraClosed.
func TestAgentRunZebraLost(t *testing.T) {
	src := &fakeSource{changed: make(chan struct{}, 1), raws: newFarmLSDB(t, 2).snapshot()}
	a, err := New(testConfig(), src, &lostBackend{fakeBackend{routes: map[netip.Prefix]Route{}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(context.Background()); !errors.Is(err, ErrZebraClosed) {
		t.Errorf("Run: %v, want ErrZebraClosed", err)
	}
}
