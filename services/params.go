// Package services runs each service's monitors and cost model, and
// tells the modes what each service wants on the wire: the route's cost
// follows the state of the service's process, not only whether it
// answers.
//
// One goroutine (Manager.Run) owns every model; monitors, the control
// socket and the daemon reach it through events. The modes (OSPF, ND,
// the router agent to come) implement Advertiser (advertiser.go), the
// mode-neutral contract.
package services

import (
	"fmt"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
)

// Pacing is the least time between two changes of a service's
// advertisement that the cost model hands on (costmodel.Params
// MinInterval), by the service's mode: each mode is paced as its speaker
// needs, independently, in one daemon running both.
type Pacing struct {
	// OSPF paces services in OSPF mode: ospf.min_ls_interval. Routers
	// drop a new instance of an LSA that arrives within MinLSArrival (1 s)
	// of the previous one (RFC 2328 section 13, step 5a).
	OSPF time.Duration
	// ND paces services in ND mode: [nd] min_gap. The ND scheduler takes
	// a new weight at its next draw and stops at once when withdrawn;
	// turns come no closer than min_gap, so changes closer than that
	// would not show on the link.
	ND time.Duration
}

// PacingOf returns the pacing of cfg: min_ls_interval for OSPF mode,
// min_gap for ND mode.
func PacingOf(cfg *config.Config) Pacing {
	return Pacing{OSPF: cfg.OSPF.MinLSInterval, ND: cfg.ND.MinGap}
}

// For returns the pacing of s's mode (OSPF's for a mode without one of
// its own, or when ND is zero).
func (p Pacing) For(s config.Service) time.Duration {
	if s.Mode == config.ModeND && p.ND > 0 {
		return p.ND
	}
	return p.OSPF
}

// Params turns a service's configuration into cost model parameters:
// its tiers (none: the static metric), health counts, pacing and which
// inputs it has.
func Params(s config.Service, minLSInterval time.Duration) (costmodel.Params, error) {
	p := costmodel.DefaultParams()
	p.StaticMetric = s.Metric
	p.Tiers = nil
	for _, t := range s.Tiers {
		p.Tiers = append(p.Tiers, costmodel.Tier{Metric: t.Metric, Up: t.Up, Down: t.Down})
	}
	p.MinInterval = minLSInterval
	if s.DrainAction == config.DrainMaxTier {
		p.DrainAction = costmodel.DrainMaxTier
	}
	if s.Socket != nil {
		p.Socket = costmodel.Monitor{Enabled: true, Interval: s.Socket.Interval}
	}
	if s.Probe != nil {
		p.Probe = costmodel.Monitor{Enabled: true, Interval: s.Probe.Interval}
		p.Rise, p.Fall = s.Probe.Rise, s.Probe.Fall
	}
	if s.External != nil {
		p.External = costmodel.Monitor{Enabled: true, Interval: s.External.Interval}
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("service %s: %w", s.Name, err)
	}
	return p, nil
}
