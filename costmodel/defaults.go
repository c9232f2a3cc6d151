package costmodel

import "time"

// The defaults DefaultParams fills in that the configuration shares: each
// is written once, here, and config uses it for its key.
const (
	// DefaultStaticMetric is the metric of a service without tiers.
	DefaultStaticMetric = 10
	// DefaultMinInterval paces the changes handed to a mode: a little
	// above the routers' MinLSArrival (1 s, RFC 2328 appendix B), so that
	// no OSPF router drops a new LSA instance for arriving too soon. It is
	// also OSPF's default min_ls_interval (ospf.DefaultMinLSInterval).
	DefaultMinInterval = 1100 * time.Millisecond
	// DefaultRise and DefaultFall are the good and failed probe checks in
	// a row that make the service up and down.
	DefaultRise = 3
	DefaultFall = 2
	// DefaultHungAfter is how long failed checks behind a congested
	// receive queue count as load before the service counts as hung
	// (Params.HungAfter).
	DefaultHungAfter = 3 * time.Second
	// The sampling intervals of the measured inputs.
	DefaultSocketInterval   = 100 * time.Millisecond
	DefaultProbeInterval    = 200 * time.Millisecond
	DefaultExternalInterval = time.Second
	// DefaultCPUInterval is the CPU input's window: CPU usage is a rate,
	// and under a CFS quota (granted per 100 ms period) a window of a
	// few periods is a sawtooth (docs/configuration.md).
	DefaultCPUInterval = time.Second
)
