// Package services runs each service's monitors and cost model and tells
// the OSPF instance what to advertise: the seed's "cost value of the
// service anycast route determined from the state of the service process".
//
// One goroutine (Manager.Run) owns every model; monitors, the control
// socket and the daemon reach it through events.
package services

import (
	"fmt"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
)

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
