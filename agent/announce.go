package agent

import (
	"log/slog"
	"net/netip"
	"slices"
)

// announcing keeps the OSPF instance's announcements (Announcer) equal to
// the prefixes the agent has a route for: a prefix is announced once its
// weighted route is installed and no longer once it is removed, and
// nothing is announced after Run (stop). What a killed agent announced
// stays in the area's databases, but servers take it for live only while
// the agent is adjacent to a router (the servers' farm view checks it), so
// it stops counting after the router's dead interval.
type announcing struct {
	to  Announcer // nil: the Source announces nothing
	log *slog.Logger
	now []netip.Prefix // what the instance announces
}

func newAnnouncing(src Source, log *slog.Logger) *announcing {
	a, _ := src.(Announcer)
	return &announcing{to: a, log: log}
}

// update announces the prefixes of routes when they changed.
func (a *announcing) update(routes map[netip.Prefix]Route) {
	if a.to == nil {
		return
	}
	next := make([]netip.Prefix, 0, len(routes))
	for p := range routes {
		next = append(next, p)
	}
	slices.SortFunc(next, func(x, y netip.Prefix) int { return x.Addr().Compare(y.Addr()) })
	if slices.Equal(next, a.now) {
		return // nothing new (before the first route: nothing to announce)
	}
	if err := a.to.Announce(next); err != nil {
		a.log.Warn("cannot announce the weighed prefixes in the area", "prefixes", next, "err", err)
		return
	}
	a.now = next
	a.log.Info("announcing the weighed prefixes in the area", "prefixes", next)
}

// stop announces nothing any more.
func (a *announcing) stop() {
	if a.to == nil || len(a.now) == 0 {
		return
	}
	if err := a.to.Announce(nil); err != nil {
		a.log.Warn("cannot withdraw the announcements", "err", err)
	}
	a.now = nil
}
