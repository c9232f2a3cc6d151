package services

import (
	"context"
	"net/netip"
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
}

// view is the farm view of prefix p.
func (f FarmViews) view(p netip.Prefix) costmodel.FarmView {
	return costmodel.FarmView{AsOf: f.AsOf, Self: f.Self, Peers: f.Peers[p]}
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
			e.model.ObserveFarm(now, views.view(e.cfg.Prefix))
		}
	}
	m.decide(now, false)
}
