package daemon

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/ndproxy"
	"github.com/anycostd/anycostd/netif"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/auth"
	"github.com/anycostd/anycostd/ospf/auth/authfile"
)

// The configuration's typed values translated into each engine's
// settings, in one place: the cost models' parameters, the OSPF
// instance's, the ND speaker's and the authentication's keys.

// pacing is the least time between two changes of a service's
// advertisement that the cost model hands on (costmodel.Params
// MinInterval), by the service's mode: each mode is paced as it needs,
// independently, in one daemon running both.
type pacing struct {
	// ospf paces services in OSPF mode: ospf.min_ls_interval. Routers
	// drop a new instance of an LSA that arrives within MinLSArrival (1 s)
	// of the previous one (RFC 2328 section 13, step 5a).
	ospf time.Duration
	// nd paces services in ND mode: [nd] min_gap. The ND scheduler takes
	// a new weight at its next draw and stops at once when withdrawn;
	// turns come no closer than min_gap, so changes closer than that
	// would not show on the link.
	nd time.Duration
}

// pacingOf returns the pacing of c: min_ls_interval for OSPF mode,
// min_gap for ND mode.
func pacingOf(c *config.Config) pacing {
	return pacing{ospf: c.OSPF.MinLSInterval, nd: c.ND.MinGap}
}

// of returns the pacing of s's mode (OSPF's for a mode without one of its
// own, or when nd is zero).
func (p pacing) of(s config.Service) time.Duration {
	if s.Mode == config.ModeND && p.nd > 0 {
		return p.nd
	}
	return p.ospf
}

// longest is the longest pacing of any mode.
func (p pacing) longest() time.Duration { return max(p.ospf, p.nd) }

// params builds the cost model parameters of each service paced as p
// says (services.ParamsFunc).
func (p pacing) params(s config.Service) (costmodel.Params, error) {
	return modelParams(s, p.of(s))
}

// ModelParams is the cost model's parameters of service s of c, as the
// daemon builds them: what `anycostd cost what-if` runs.
func ModelParams(c *config.Config, s config.Service) (costmodel.Params, error) {
	return pacingOf(c).params(s)
}

// modelParams turns a service's configuration into cost model
// parameters: its tiers (none: the static metric), health counts, pacing
// and which inputs it has.
func modelParams(s config.Service, pace time.Duration) (costmodel.Params, error) {
	p := costmodel.DefaultParams()
	p.StaticMetric = s.Metric
	p.Tiers = s.Tiers
	p.MinInterval = pace
	p.DrainAction = s.DrainAction
	p.Capacity = s.Capacity
	p.FarmRules = s.FarmRules
	if s.Socket != nil {
		p.Socket = costmodel.Monitor{Enabled: true, Interval: s.Socket.Interval}
	}
	if s.Probe != nil {
		p.Probe = costmodel.Monitor{Enabled: true, Interval: s.Probe.Interval}
		p.Rise, p.Fall, p.HungAfter = s.Probe.Rise, s.Probe.Fall, s.Probe.HungAfter
	}
	if s.External != nil {
		p.External = costmodel.Monitor{Enabled: true, Interval: s.External.Interval}
	}
	if s.CPU != nil {
		p.CPU = costmodel.Monitor{Enabled: true, Interval: s.CPU.Interval}
	}
	if s.LoadWeights != nil {
		p.Weights = *s.LoadWeights
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("service %s: %w", s.Name, err)
	}
	return p, nil
}

// ospfConfig is the OSPF instance's configuration on link (as found on
// the system at start-up); trailer is the longest authentication trailer
// the transport adds to a packet (0 without authentication).
func ospfConfig(c *config.Config, link netif.Link, trailer int) ospf.Config {
	o := c.OSPF
	oc := ospf.Config{
		RouterID:           c.RouterID,
		AreaID:             o.Area,
		InstanceID:         o.InstanceID,
		Link:               link,
		Cost:               o.InterfaceCost,
		StubArea:           o.StubArea,
		HelloInterval:      o.HelloInterval,
		DeadInterval:       o.DeadInterval,
		RetransmitInterval: o.RetransmitInterval,
		TransmitDelay:      o.TransmitDelay,
		MinLSInterval:      o.MinLSInterval,
		FlushTimeout:       o.FlushTimeout,
		DisableSPFNudge:    !o.SPFNudge,
		TTLSecurity:        o.TTLSecurity,
		ServerLoadStep:     o.LoadStep,
		// Packets must leave room for the longest trailer below the MTU.
		TrailerOverhead: trailer,
	}
	// Delayed acknowledgements must go out before the neighbor
	// retransmits (RFC 2328 13.5); the engine's default of 1 s only fits
	// a retransmit interval above it.
	if o.RetransmitInterval <= time.Second {
		oc.AckDelay = o.RetransmitInterval / 2
	}
	return oc
}

// ndConfig is the ND speaker's configuration; prefixes are the
// interface's on-link prefixes as found on the system.
func ndConfig(c *config.Config, prefixes []netip.Prefix) ndproxy.Config {
	return ndproxy.Config{
		Interface: c.ND.Interface,
		Params:    ndproxy.Params{MinGap: c.ND.MinGap, StandbyAfter: c.ND.StandbyAfter},
		Prefixes:  prefixes,
	}
}

// ndServices are the services in ND mode as the ND speaker takes them:
// the address, and the metric of weight 1 (the first tier's, or the
// static metric).
func ndServices(svcs []config.Service) []ndproxy.Service {
	var out []ndproxy.Service
	for _, s := range svcs {
		if s.Mode != config.ModeND {
			continue
		}
		base := s.Metric
		if len(s.Tiers) > 0 {
			base = s.Tiers[0].Metric
		}
		out = append(out, ndproxy.Service{Name: s.Name, Addr: s.Prefix.Addr(), BaseMetric: base})
	}
	return out
}

// authKeys reads every key file of [ospf.auth] (authfile.LoadKeyFile: the
// file holds the key alone, mode 0600 or stricter) and returns the keys.
func authKeys(a *config.Auth) ([]auth.Key, error) {
	keys := make([]auth.Key, 0, len(a.Keys))
	for _, k := range a.Keys {
		secret, err := authfile.LoadKeyFile(k.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("ospf.auth key %d: %w", k.ID, err)
		}
		keys = append(keys, auth.Key{
			ID:          k.ID,
			Algorithm:   k.Algorithm,
			Dialect:     a.Dialect,
			Secret:      secret,
			SendFrom:    k.SendFrom,
			SendUntil:   k.SendUntil,
			AcceptFrom:  k.AcceptFrom,
			AcceptUntil: k.AcceptUntil,
		})
	}
	return keys, nil
}
