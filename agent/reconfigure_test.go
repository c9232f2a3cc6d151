package agent

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/anycostd/anycostd/agent/weights"
	"github.com/anycostd/anycostd/lsa"
	"github.com/google/go-cmp/cmp"
)

var ntpPrefix = netip.MustParsePrefix("2001:db8:123::123/128")

// prefBackend is a backend whose routes carry a preference, like zebra's
// distance: it keeps what the router would hold, one route per prefix and
// preference, so that a preference change that left the old route beside
// the new one shows.
type prefBackend struct {
	fakeBackend
	pref int
	fib  map[string]Route // "prefix@preference"
	log  []string
}

func newPrefBackend(pref int) *prefBackend {
	return &prefBackend{fakeBackend: fakeBackend{routes: map[netip.Prefix]Route{}}, pref: pref, fib: map[string]Route{}}
}

func fibKey(p netip.Prefix, pref int) string { return fmt.Sprintf("%s@%d", p, pref) }

func (b *prefBackend) Set(r Route) error {
	b.mu.Lock()
	b.fib[fibKey(r.Prefix, b.pref)] = r
	b.log = append(b.log, fmt.Sprintf("set %s pref %d weights %v", r.Prefix, b.pref, hops(r)))
	b.mu.Unlock()
	return b.fakeBackend.Set(r)
}

func (b *prefBackend) Remove(p netip.Prefix) error {
	b.mu.Lock()
	delete(b.fib, fibKey(p, b.pref))
	b.log = append(b.log, fmt.Sprintf("remove %s pref %d", p, b.pref))
	b.mu.Unlock()
	return b.fakeBackend.Remove(p)
}

func (b *prefBackend) Preference() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pref
}

// SetPreference moves every route, as the real backends do: the new
// instance first, then the old one goes.
func (b *prefBackend) SetPreference(p int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for prefix, r := range b.routes {
		b.fib[fibKey(prefix, p)] = r
		delete(b.fib, fibKey(prefix, b.pref))
	}
	b.log = append(b.log, fmt.Sprintf("preference %d -> %d", b.pref, p))
	b.pref = p
	return nil
}

func (b *prefBackend) takeLog() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.log
	b.log = nil
	return l
}

func (b *prefBackend) fibKeys() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ks []string
	for k := range b.fib {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// twoPrefixFarm: servers 11 (capacity 1) and 12 (capacity 2) serve the
// DNS prefix and the NTP prefix, each with its load LSA.
func twoPrefixFarm(t *testing.T) [][]byte {
	f := newFarmLSDB(t, 2)
	f.set("load", 12, load(t, 12, lsa.ServerAdvertised, 10, 2, 0.5, ll(12)))
	for i := 11; i <= 12; i++ {
		f.set("iap-ntp", i, mk(t, 1, rid(i), 2, &lsa.IntraAreaPrefix{RefType: lsa.TypeRouter, RefAdvRouter: rid(i),
			Prefixes: []lsa.Prefix{{Prefix: ntpPrefix, Metric: 10}}}))
		f.set("load-ntp", i, mk(t, 1, rid(i), 2, &lsa.ServerLoad{State: lsa.ServerAdvertised, Load: lsa.EncodeLoad(0.5),
			Capacity: lsa.EncodeCapacity(float64(i - 10)), NextHop: ll(i), Prefix: lsa.Prefix{Prefix: ntpPrefix, Metric: 10}}))
	}
	return f.snapshot()
}

// startAgent runs an agent of cfg on be over the two-prefix farm until
// the test ends, and waits for its first routes.
func startAgent(t *testing.T, cfg Config, be Backend, want int) *Agent {
	t.Helper()
	src := &fakeSource{changed: make(chan struct{}), raws: twoPrefixFarm(t)}
	a, err := New(cfg, src, be)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := a.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Prefixes) == want {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %+v, want %d prefixes", st, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func reconfigure(t *testing.T, a *Agent, l Live) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return a.Reconfigure(ctx, l)
}

// Reconfigure, as a reload does: the weight bounds, the prefix set and
// the preference change as the backend sees them, at once, and each
// route stays one route.
func TestAgentReconfigure(t *testing.T) {
	cfg := testConfig()
	cfg.Prefixes = []netip.Prefix{dnsPrefix}
	cfg.Preference = 100
	be := newPrefBackend(100)
	a := startAgent(t, cfg, be, 1)
	if got, want := be.takeLog(), []string{"set 2001:db8:53::53/128 pref 100 weights [128 255]"}; !cmp.Equal(got, want) {
		t.Errorf("start (-want +got):\n%s", cmp.Diff(want, got))
	}
	live := Live{Prefixes: cfg.Prefixes, Weights: cfg.Weights, Preference: 100}

	// The weight bounds: max_weight 100.
	live.Weights.MaxWeight = 100
	if err := reconfigure(t, a, live); err != nil {
		t.Fatal(err)
	}
	if got, want := be.takeLog(), []string{"set 2001:db8:53::53/128 pref 100 weights [50 100]"}; !cmp.Equal(got, want) {
		t.Errorf("max_weight 100 (-want +got):\n%s", cmp.Diff(want, got))
	}
	st, _ := a.Status(context.Background())
	if why := st.Prefixes[0].Nexthops[0].Why; why != "configuration reloaded" {
		t.Errorf("why %q, want the reload", why)
	}

	// The prefix set: the NTP prefix too, then the NTP prefix alone.
	live.Prefixes = []netip.Prefix{dnsPrefix, ntpPrefix}
	if err := reconfigure(t, a, live); err != nil {
		t.Fatal(err)
	}
	if got, want := be.takeLog(), []string{"set 2001:db8:123::123/128 pref 100 weights [50 100]"}; !cmp.Equal(got, want) {
		t.Errorf("prefix added (-want +got):\n%s", cmp.Diff(want, got))
	}
	live.Prefixes = []netip.Prefix{ntpPrefix}
	if err := reconfigure(t, a, live); err != nil {
		t.Fatal(err)
	}
	if got, want := be.takeLog(), []string{"remove 2001:db8:53::53/128 pref 100"}; !cmp.Equal(got, want) {
		t.Errorf("prefix left out (-want +got):\n%s", cmp.Diff(want, got))
	}

	// The preference (zebra's distance): the route moves, and is one
	// route; later routes carry the new one.
	live.Preference = 50
	if err := reconfigure(t, a, live); err != nil {
		t.Fatal(err)
	}
	if got, want := be.takeLog(), []string{"preference 100 -> 50"}; !cmp.Equal(got, want) {
		t.Errorf("preference (-want +got):\n%s", cmp.Diff(want, got))
	}
	if got, want := be.fibKeys(), []string{"2001:db8:123::123/128@50"}; !cmp.Equal(got, want) {
		t.Errorf("routes held (-want +got):\n%s", cmp.Diff(want, got))
	}
	live.Prefixes = nil // every prefix with load LSAs
	if err := reconfigure(t, a, live); err != nil {
		t.Fatal(err)
	}
	if got, want := be.takeLog(), []string{"set 2001:db8:53::53/128 pref 50 weights [50 100]"}; !cmp.Equal(got, want) {
		t.Errorf("every prefix (-want +got):\n%s", cmp.Diff(want, got))
	}

	// The same settings again: nothing to do.
	if err := reconfigure(t, a, live); err != nil {
		t.Fatal(err)
	}
	if got := be.takeLog(); len(got) != 0 {
		t.Errorf("no change, yet %v", got)
	}
}

// Invalid weight parameters, or a preference the backend cannot change,
// change nothing at all.
func TestAgentReconfigureRefused(t *testing.T) {
	cfg := testConfig()
	be := &fakeBackend{routes: map[netip.Prefix]Route{}}
	a := startAgent(t, cfg, be, 2)
	bad := Live{Weights: cfg.Weights}
	bad.Weights.MaxWeight = 0
	if err := reconfigure(t, a, bad); !errors.Is(err, ErrReconfigure) || !errors.Is(err, weights.ErrBadParams) {
		t.Errorf("max weight 0: %v", err)
	}
	// A preference change with a backend that has none, together with a
	// new prefix set: neither applies.
	if err := reconfigure(t, a, Live{Prefixes: []netip.Prefix{ntpPrefix}, Weights: cfg.Weights, Preference: 50}); !errors.Is(err, ErrReconfigure) {
		t.Errorf("preference on a backend without one: %v", err)
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.routes) != 2 || !slices.Equal(hops(be.routes[dnsPrefix]), []int{128, 255}) {
		t.Errorf("routes changed by refused reconfigurations: %v", be.routes)
	}
}
