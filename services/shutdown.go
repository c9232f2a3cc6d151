package services

import (
	"context"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
)

// DrainForShutdown is the planned stop: every service goes to its drain
// state (withdrawn, or the highest tier), the manager waits until its
// modes have that on the wire (in OSPF mode pacing may hold a metric up
// to min_ls_interval, and a withdrawal sent early waits for its
// acknowledgement or its resend, up to the router's MinLSArrival), then
// keeps the services up for the longest drain_time of those that were
// advertised, so the router moves traffic away before anything stops
// answering. It returns how long the drain took; ctx bounds it.
func (m *Manager) DrainForShutdown(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	wire, err := m.adv.Wire(ctx)
	if err != nil {
		return 0, err
	}
	advertised := map[string]bool{}
	for _, s := range wire {
		if s.Advertised {
			advertised[s.Name] = true
		}
	}
	hold := time.Duration(0)
	list, err := m.configs(ctx)
	if err != nil {
		return 0, err
	}
	for _, s := range list {
		if advertised[s.Name] && s.DrainTime > hold {
			hold = s.DrainTime
		}
	}
	if err := m.sendDrain(ctx, "", true, false); err != nil {
		return 0, err
	}
	if len(advertised) == 0 {
		return time.Since(start), nil
	}
	// The first Advertise that has every service in its drain state (the
	// models may hold it for pacing), then the modes' word that it is on
	// the wire.
	reply := make(chan (<-chan struct{}), 1)
	onWire, err := call(ctx, m, evDrainOnWire{reply: reply}, reply)
	if err != nil {
		return time.Since(start), err
	}
	select {
	case <-ctx.Done():
		return time.Since(start), ctx.Err()
	case <-onWire:
	}
	m.log.Info("drain on the wire; holding the services up", "drain_time", hold)
	select {
	case <-ctx.Done():
		return time.Since(start), ctx.Err()
	case <-time.After(hold):
	}
	return time.Since(start), nil
}

// drainDecided reports whether every model advertises its drain state.
func (m *Manager) drainDecided() bool {
	for _, e := range m.svcs {
		want := e.advert.Withdrawn
		if e.cfg.DrainAction == costmodel.DrainMaxTier && len(e.cfg.Tiers) > 0 {
			want = want || e.advert.Metric == e.cfg.Tiers[len(e.cfg.Tiers)-1].Metric
		}
		if !want {
			return false
		}
	}
	return true
}

// configs returns the services' current configuration.
func (m *Manager) configs(ctx context.Context) ([]config.Service, error) {
	reply := make(chan []config.Service, 1)
	return call(ctx, m, evConfigs{reply: reply}, reply)
}

type evConfigs struct{ reply chan []config.Service }
