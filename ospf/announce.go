package ospf

import (
	"net/netip"
	"slices"

	"github.com/anycostd/anycostd/lsa"
)

// A router agent's announcements (docs/router-agent.md, "Tiers under the
// agent"): one server load LSA of state lsa.ServerAgent per prefix the
// agent weighs, so that the servers of the prefix learn from their own
// LSDB that a live agent balances it by weight. Originated, paced and
// flushed like every own LSA: a prefix no longer announced is flushed at
// once (as pacing allows), and a graceful stop (beginShutdown) flushes
// them with the rest.

type evAnnounce struct{ prefixes []netip.Prefix }

func (evAnnounce) eventName() string { return "announce" }

// Announce replaces the set of prefixes this instance announces as
// weighed by a router agent. Each change reaches the wire as soon as
// pacing allows.
func (in *Instance) Announce(prefixes []netip.Prefix) error {
	return in.send(evAnnounce{append([]netip.Prefix(nil), prefixes...)})
}

// setAnnounced applies a new announced set: new prefixes take the lowest
// free Link State ID of the server load type, removed ones are flushed.
func (e *engine) setAnnounced(prefixes []netip.Prefix) {
	if e.shutdown.active {
		return
	}
	want := map[netip.Prefix]bool{}
	for _, p := range prefixes {
		if p.IsValid() && p.Addr().Is6() {
			want[p.Masked()] = true
		}
	}
	for p, id := range e.announced {
		if !want[p] {
			delete(e.announced, p)
			e.want(lsa.Key{Type: lsa.TypeServerLoad, ID: id, AdvRouter: e.cfg.RouterID}, nil)
		}
	}
	order := make([]netip.Prefix, 0, len(want))
	for p := range want {
		order = append(order, p)
	}
	slices.SortFunc(order, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	for _, p := range order {
		id, ok := e.announced[p]
		if !ok {
			id = e.freeLSID()
			e.announced[p] = id
		}
		e.want(lsa.Key{Type: lsa.TypeServerLoad, ID: id, AdvRouter: e.cfg.RouterID}, &lsa.ServerLoad{
			State:   lsa.ServerAgent,
			NextHop: e.cfg.Link.LinkLocal.WithZone(""),
			Prefix:  lsa.Prefix{Prefix: p},
		})
	}
}
