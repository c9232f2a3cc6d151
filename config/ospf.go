package config

import (
	"time"

	"github.com/anycostd/anycostd/ospf"
)

// OSPFConfig returns the engine configuration for the interface described
// by link (as found on the system at start-up).
func (c *Config) OSPFConfig(link ospf.Link) ospf.Config {
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
		TrailerOverhead: o.Auth.MaxTrailerLen(),
	}
	// Delayed acknowledgements must go out before the neighbor
	// retransmits (RFC 2328 13.5); the engine's default of 1 s only fits
	// a retransmit interval above it.
	if o.RetransmitInterval <= time.Second {
		oc.AckDelay = o.RetransmitInterval / 2
	}
	return oc
}

// OSPFServices returns each service with its static metric, advertised
// (Withdraw false), in file order.
func (c *Config) OSPFServices() []ospf.Service {
	out := make([]ospf.Service, len(c.Services))
	for i, s := range c.Services {
		out[i] = s.OSPF()
	}
	return out
}

// OSPF returns the service as the engine advertises it with its static
// metric.
func (s *Service) OSPF() ospf.Service {
	return ospf.Service{Name: s.Name, Prefix: s.AdvertisedPrefix(s.Metric), Metric: s.Metric}
}

// Service returns the service named name, or nil.
func (c *Config) Service(name string) *Service {
	for i := range c.Services {
		if c.Services[i].Name == name {
			return &c.Services[i]
		}
	}
	return nil
}

// Warnings lists settings that are valid but likely to hurt.
func (c *Config) Warnings() []string {
	var w []string
	if c.HasND() && len(c.ModeServices(ModeND)) == 0 {
		w = append(w, "[nd] is set but no service has mode = \"nd\": the ND speaker does not run")
	}
	if !c.HasOSPF() {
		return w
	}
	if c.OSPF.MinLSInterval < time.Second {
		w = append(w, "ospf.min_ls_interval "+c.OSPF.MinLSInterval.String()+
			" is below the 1s MinLSArrival of FRR and BIRD: routers will drop updates sent that close together")
	}
	if c.OSPF.RetransmitInterval < 3*time.Second {
		w = append(w, "ospf.retransmit_interval "+c.OSPF.RetransmitInterval.String()+
			" is short: FRR acknowledges updates about 3s late, so LSAs will be sent twice")
	}
	return w
}
