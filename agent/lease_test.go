package agent

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

// The refresh schedule on a fake clock: a third of the lease after each
// successful install, a tenth after a failed one, nothing for a removed
// prefix or without a lease.
func TestLeaseSchedule(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	p1 := netip.MustParsePrefix("2001:db8:53::53/128")
	p2 := netip.MustParsePrefix("2001:db8:53::54/128")
	l := newLeaseSchedule(3 * time.Second)
	if _, ok := l.nextAt(); ok {
		t.Fatal("an empty schedule has a next refresh")
	}
	l.done(p1, t0, nil)
	l.done(p2, t0.Add(500*time.Millisecond), nil)
	if at, _ := l.nextAt(); !at.Equal(t0.Add(time.Second)) {
		t.Errorf("next refresh at %v, want 1 s after the first install", at.Sub(t0))
	}
	if due := l.due(t0.Add(999 * time.Millisecond)); len(due) != 0 {
		t.Errorf("due before a third of the lease: %v", due)
	}
	if due := l.due(t0.Add(time.Second)); !slices.Equal(due, []netip.Prefix{p1}) {
		t.Errorf("due at 1 s: %v, want %v", due, p1)
	}
	if due := l.due(t0.Add(2 * time.Second)); !slices.Equal(due, []netip.Prefix{p1, p2}) {
		t.Errorf("due at 2 s: %v, want both, sorted", due)
	}
	// p1 refreshed at 1 s; p2's refresh fails at 1.5 s: tried again
	// 300 ms later, while its route keeps the lease of its last install.
	l.done(p1, t0.Add(time.Second), nil)
	l.done(p2, t0.Add(1500*time.Millisecond), errors.New("netlink: no buffer space"))
	if at, _ := l.nextAt(); !at.Equal(t0.Add(1800 * time.Millisecond)) {
		t.Errorf("after a failed refresh the next is at %v, want 1.8 s", at.Sub(t0))
	}
	l.done(p2, t0.Add(1800*time.Millisecond), nil)
	if at, _ := l.nextAt(); !at.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("next refresh at %v, want p1's at 2 s", at.Sub(t0))
	}
	// A route removed is not refreshed.
	l.removed(p1)
	if due := l.due(t0.Add(10 * time.Second)); !slices.Equal(due, []netip.Prefix{p2}) {
		t.Errorf("due after p1's removal: %v", due)
	}
	// No lease: nothing is ever due.
	none := newLeaseSchedule(0)
	none.done(p1, t0, nil)
	none.done(p2, t0, errors.New("x"))
	if _, ok := none.nextAt(); ok || len(none.due(t0.Add(time.Hour))) != 0 {
		t.Error("a schedule without a lease refreshes")
	}
}

// leasedBackend is fakeBackend with a lease: it records when each
// prefix was installed.
type leasedBackend struct {
	fakeBackend
	lease time.Duration
	mu    sync.Mutex
	sets  map[netip.Prefix][]time.Time
}

func (b *leasedBackend) Lease() time.Duration { return b.lease }
func (b *leasedBackend) Set(r Route) error {
	b.mu.Lock()
	b.sets[r.Prefix] = append(b.sets[r.Prefix], time.Now())
	b.mu.Unlock()
	return b.fakeBackend.Set(r)
}

// Refresh must renew the route installed: it counts as an install.
func (b *leasedBackend) Refresh(r Route) error {
	b.fakeBackend.mu.Lock()
	installed := b.fakeBackend.routes[r.Prefix]
	b.fakeBackend.mu.Unlock()
	if !slices.Equal(installed.Nexthops, r.Nexthops) {
		return errors.New("refresh of a route other than the one installed")
	}
	return b.Set(r)
}

func (b *leasedBackend) setTimes() map[netip.Prefix][]time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[netip.Prefix][]time.Time{}
	for p, ts := range b.sets {
		out[p] = slices.Clone(ts)
	}
	return out
}

// Run installs a Leaser backend's routes again and again while nothing
// changes, each at least a third of the lease after the last, and counts
// the refreshes; a backend without a lease gets each route once.
func TestAgentRunRefreshesLeases(t *testing.T) {
	for _, lease := range []time.Duration{300 * time.Millisecond, 0} {
		t.Run(lease.String(), func(t *testing.T) {
			be := &leasedBackend{fakeBackend: fakeBackend{routes: map[netip.Prefix]Route{}}, lease: lease,
				sets: map[netip.Prefix][]time.Time{}}
			cfg := testConfig()
			cfg.Poll = time.Hour // no re-read: every install after the first is a refresh
			cfg.Weights.Interval = time.Hour
			a := startAgent(t, cfg, be, 2)
			time.Sleep(time.Second)
			st, err := a.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			sets := be.setTimes()
			if len(sets) != 2 {
				t.Fatalf("routes installed: %v, want the two prefixes'", sets)
			}
			if lease == 0 {
				for p, ts := range sets {
					if len(ts) != 1 {
						t.Errorf("no lease: %s installed %d times, want once", p, len(ts))
					}
				}
				if st.Counters.Refreshes != 0 {
					t.Errorf("no lease: %d refreshes", st.Counters.Refreshes)
				}
				return
			}
			// 1 s with a refresh every 100 ms: about 10 per route (the
			// machine's clock; only the order of the gaps against the
			// lease is checked, never a speed).
			if st.Counters.Refreshes < 6 {
				t.Errorf("%d refreshes in 1 s with a lease of %s", st.Counters.Refreshes, lease)
			}
			for p, ts := range sets {
				if len(ts) < 4 {
					t.Errorf("%s installed %d times in 1 s", p, len(ts))
				}
				// The schedule counts from the clock read just before
				// each install, so a gap may fall short of a third by
				// that instant.
				for i := 1; i < len(ts); i++ {
					if gap := ts[i].Sub(ts[i-1]); gap < lease/3-time.Millisecond {
						t.Errorf("%s: refresh %d after %s, before a third of the lease (%s)", p, i, gap, lease/3)
					}
				}
			}
		})
	}
}
