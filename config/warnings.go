package config

import "time"

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
			" is below the 1s MinLSArrival of FRR and BIRD: routers will drop updates sent that close together"+
			" unless theirs is lowered to match (FRR: timers lsa min-arrival; BIRD 2 has no setting); see docs/failover-timing.md")
	}
	if c.OSPF.RetransmitInterval < 3*time.Second {
		w = append(w, "ospf.retransmit_interval "+c.OSPF.RetransmitInterval.String()+
			" is short: FRR acknowledges updates about 3s late, so LSAs will be sent twice")
	}
	return w
}
