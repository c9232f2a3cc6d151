package daemon

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/ndproxy"
	"github.com/anycostd/anycostd/netif"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/auth"
	"github.com/anycostd/anycostd/ospf/auth/authfile"
)

// The configuration's typed values translated into each engine's
// settings, in one place: the OSPF instance's, the ND speaker's and the
// authentication's keys.

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
