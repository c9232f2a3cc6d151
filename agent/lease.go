package agent

import (
	"net/netip"
	"slices"
	"time"
)

// Leaser is a backend whose routes live only as long as their lease: the
// kernel backend installs each route with an expiry (RTA_EXPIRES), so
// that a killed agent's route goes by itself. The agent's Run refreshes
// every route it holds (Refresh) every third of the lease; a lease of 0
// asks for no refresh (the routes stay until removed).
//
// The refresh comes from Run's own loop, not from a timer of the
// backend's: a route outlives the lease only while the agent's engine
// runs, not merely while its process does.
type Leaser interface {
	Lease() time.Duration
	// Refresh renews the lease of r, the route last installed for its
	// prefix.
	Refresh(r Route) error
}

// leaseSchedule says when each route's lease is refreshed: a third of the
// lease after its last successful install or refresh (so that two
// refreshes in a row may fail before the route expires), and a tenth of
// the lease after a failed one. It does no I/O and reads no clock.
type leaseSchedule struct {
	every, retry time.Duration // 0: no lease
	next         map[netip.Prefix]time.Time
}

func newLeaseSchedule(lease time.Duration) *leaseSchedule {
	return &leaseSchedule{every: lease / 3, retry: lease / 10, next: map[netip.Prefix]time.Time{}}
}

// done records an install (or refresh) of p's route at now: after a
// success the next refresh is a third of the lease later; after a failure
// (err) the route installed before, if any, keeps its lease, and the
// refresh is tried again a tenth of the lease later.
func (l *leaseSchedule) done(p netip.Prefix, now time.Time, err error) {
	switch {
	case l.every == 0:
	case err != nil:
		l.next[p] = now.Add(l.retry)
	default:
		l.next[p] = now.Add(l.every)
	}
}

// removed forgets p: the agent has no route for it (or could not remove
// it, and then lets its lease run out).
func (l *leaseSchedule) removed(p netip.Prefix) { delete(l.next, p) }

// due returns the prefixes whose refresh time has come at now, sorted.
func (l *leaseSchedule) due(now time.Time) []netip.Prefix {
	var out []netip.Prefix
	for p, at := range l.next {
		if !at.After(now) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	return out
}

// nextAt is the earliest refresh time; ok is false when nothing is leased.
func (l *leaseSchedule) nextAt() (at time.Time, ok bool) {
	for _, t := range l.next {
		if !ok || t.Before(at) {
			at, ok = t, true
		}
	}
	return at, ok
}

// leaseOf is be's lease, 0 for a backend without one.
func leaseOf(be Backend) time.Duration {
	if l, ok := be.(Leaser); ok {
		return l.Lease()
	}
	return 0
}
