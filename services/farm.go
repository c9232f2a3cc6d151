package services

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
)

// FarmViews is what one mode knows of the farm's other servers, per
// service prefix, as its link-state database held it at AsOf (OSPF: the
// peers' Intra-Area-Prefix-LSAs and server load LSAs, read by
// internal/daemon). The manager hands each service of the mode the view of
// its prefix as an input of its cost model (costmodel.Model.ObserveFarm).
type FarmViews struct {
	Mode config.Mode
	AsOf time.Time
	// Self is this server's router ID.
	Self costmodel.RouterID
	// Peers are the other servers of each prefix. A prefix that is not in
	// the map has none: its model decides as without the farm view.
	Peers map[netip.Prefix][]costmodel.Peer
	// Agents are the live router agents that weigh each prefix (OSPF:
	// their server load LSAs of state agent, while they are adjacent to
	// a router).
	Agents map[netip.Prefix][]costmodel.RouterAgent
}

// view is the farm view of service s: the peers advertising any prefix the
// service may be advertised as (config.Service.AdvertisedPrefixes), so
// that a peer in a tier with its own prefix (docs/sites.md) counts as
// advertising the service at that tier's metric, not as withdrawn.
func (f FarmViews) view(s *config.Service) costmodel.FarmView {
	prefixes := s.AdvertisedPrefixes()
	var agents []costmodel.RouterAgent
	for _, p := range prefixes {
		agents = append(agents, f.Agents[p]...)
	}
	return costmodel.FarmView{AsOf: f.AsOf, Self: f.Self, Peers: mergePeers(f.Peers, prefixes), Agents: agents}
}

// mergePeers is one entry per router of the peers of prefixes (the
// service's /128 first): advertised when it advertises any of them, at the
// lowest metric; its server load LSA's figures from the entry that has
// them (a peer has one server load LSA per service, which carries the
// prefix it advertises the service as); Since the latest. The order is by
// router ID.
func mergePeers(peers map[netip.Prefix][]costmodel.Peer, prefixes []netip.Prefix) []costmodel.Peer {
	if len(prefixes) == 1 {
		return peers[prefixes[0]]
	}
	var out []costmodel.Peer
	at := map[costmodel.RouterID]int{}
	for _, p := range prefixes {
		for _, pe := range peers[p] {
			i, ok := at[pe.RouterID]
			if !ok {
				at[pe.RouterID] = len(out)
				out = append(out, pe)
				continue
			}
			o := &out[i]
			if !pe.Withdrawn && (o.Withdrawn || pe.Metric < o.Metric) {
				o.Withdrawn, o.Metric = false, pe.Metric
			}
			if pe.LoadKnown && !o.LoadKnown {
				o.LoadKnown, o.Load, o.Capacity, o.State = true, pe.Load, pe.Capacity, pe.State
			}
			if pe.Since.After(o.Since) {
				o.Since = pe.Since
			}
		}
	}
	slices.SortFunc(out, func(a, b costmodel.Peer) int { return cmp.Compare(a.RouterID, b.RouterID) })
	return out
}

type evFarm struct {
	views FarmViews
	reply chan struct{}
}

// ObserveFarm hands the services of views.Mode their farm views and lets
// the models decide with them. A service added later starts from the
// latest views of its mode.
func (m *Manager) ObserveFarm(ctx context.Context, views FarmViews) error {
	reply := make(chan struct{}, 1)
	_, err := call(ctx, m, evFarm{views: views, reply: reply}, reply)
	return err
}

// observeFarm applies views (Run's goroutine).
func (m *Manager) observeFarm(now time.Time, views FarmViews) {
	if m.farm == nil {
		m.farm = map[config.Mode]FarmViews{}
	}
	m.farm[views.Mode] = views
	for _, name := range m.order {
		if e := m.svcs[name]; e != nil && e.cfg.Mode == views.Mode {
			e.model.ObserveFarm(now, views.view(&e.cfg))
		}
	}
	m.decide(now, false)
}
