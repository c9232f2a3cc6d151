package services

import (
	"context"
	"time"

	"github.com/anycostd/anycostd/config"
)

// settlePoll is how often DrainForShutdown checks the wire state.
const settlePoll = 20 * time.Millisecond

// DrainForShutdown is the planned stop: every service goes to its drain state (withdrawn, or the highest tier), the
// manager waits until the OSPF instance has that on the wire (pacing may
// hold a metric up to min_ls_interval; a withdrawal sent early waits for
// its acknowledgement or its resend, up to the router's MinLSArrival),
// then keeps the services up for the
// longest drain_time of those that were advertised, so the router moves
// traffic away before anything stops answering. It returns how long the
// drain took; ctx bounds it.
func (m *Manager) DrainForShutdown(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	st, err := m.adv.Status(ctx)
	if err != nil {
		return 0, err
	}
	advertised := map[string]bool{}
	for _, s := range st.Services {
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
	if err := m.Drain(ctx, "", true); err != nil {
		return 0, err
	}
	if len(advertised) == 0 {
		return time.Since(start), nil
	}
	for {
		if ok, err := m.onWire(ctx); err != nil {
			return time.Since(start), err
		} else if ok {
			break
		}
		select {
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		case <-time.After(settlePoll):
		}
	}
	m.log.Info("drain on the wire; holding the services up", "drain_time", hold)
	select {
	case <-ctx.Done():
		return time.Since(start), ctx.Err()
	case <-time.After(hold):
	}
	return time.Since(start), nil
}

// onWire reports whether every model decided its drain state and the
// OSPF instance has sent what was wanted.
func (m *Manager) onWire(ctx context.Context) (bool, error) {
	reply := make(chan bool, 1)
	decided, err := call(ctx, m, evSettled{reply: reply}, reply)
	if err != nil || !decided {
		return false, err
	}
	st, err := m.adv.Status(ctx)
	if err != nil {
		return false, err
	}
	for _, s := range st.Services {
		if s.Advertised != s.Wanted || (s.Advertised && s.Metric != s.WantMetric) || !s.NextChange.IsZero() || !s.ResendAt.IsZero() {
			return false, nil
		}
	}
	return true, nil
}

// drainDecided reports whether every model advertises its drain state.
func (m *Manager) drainDecided() bool {
	for _, e := range m.svcs {
		want := e.advert.Withdrawn
		if e.cfg.DrainAction == config.DrainMaxTier && len(e.cfg.Tiers) > 0 {
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
