package services

import (
	"context"
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/config"
)

// The contract between the service manager and the modes that put its
// decisions on the wire: OSPF (package ospf), ND (package ndproxy) and,
// next, the router agent, which advertises nothing on the wire and
// programs the router's routes instead. The manager hands each mode the
// wanted state of its services (Wanted) and learns what is on the wire
// (Wire); the modes translate both into their own types. internal/daemon
// holds the translations, one file per mode.

// Wanted is what one service wants on the wire: its cost model's
// decision, and what a mode may weigh besides the metric.
type Wanted struct {
	Name   string
	Prefix netip.Prefix
	// Fallback is a second prefix the service is advertised as, beside
	// Prefix and at its own metric, while it is advertised: the dearest
	// tier's prefix of a service with tier prefixes that is below its
	// dearest tier (config.Service.AdvertisedAs, docs/sites.md); the zero
	// value otherwise. Tier prefixes are for OSPF-mode services only.
	Fallback config.PrefixMetric
	// Mode is the mode that announces the service.
	Mode config.Mode
	// Withdraw takes the service off the wire; Metric is then 0.
	Withdraw bool
	Metric   uint16
	// Reason is why the cost model decided so, as its change log says.
	Reason string
	// Drained says a withdrawal (or the drain's tier) is the operator's
	// drain, not a failure.
	Drained bool
	// Load is the cost model's load figure now (0 idle, 1 saturated, at
	// most costmodel.MaxLoad). The manager hands the set again when a
	// service's load has moved by more than LoadResend, so a mode that
	// publishes it (OSPF's server load LSA) or splits traffic by weight
	// follows it.
	Load float64
	// Capacity is what the service can take relative to its peers, in
	// the farm's unit (costmodel.Params.Capacity; 0: not known, every
	// server alike). It travels with the load so that a mode weighing
	// servers by capacity fits this contract as it is.
	Capacity float64
}

// Wire is what a mode has on the wire for one service: status and
// metrics show it, and the shutdown reads which services were advertised.
type Wire struct {
	Name   string       `json:"name"`
	Prefix netip.Prefix `json:"prefix"`
	Mode   config.Mode  `json:"mode"`
	// Advertised: the service is on the wire (OSPF: an
	// Intra-Area-Prefix-LSA carries its prefix; ND: it answers
	// solicitations and takes turns), with Metric.
	Advertised bool   `json:"advertised"`
	Metric     uint16 `json:"metric"`
	// Wanted and WantMetric are the state the mode was last handed; they
	// differ from Advertised and Metric while the mode's pacing holds the
	// change, until NextChange (zero when nothing is pending).
	Wanted     bool      `json:"wanted"`
	WantMetric uint16    `json:"want_metric"`
	NextChange time.Time `json:"next_change,omitzero"`
}

// Advertiser is one mode as the service manager drives it.
type Advertiser interface {
	// Advertise hands the mode the wanted state of every one of its
	// services. It does not wait for the wire: the returned channel is
	// closed once that state, or a later one, is on the wire (OSPF: every
	// LSA sent, nothing held by pacing), which is what the shutdown waits
	// for. A mode that stops first leaves it open.
	Advertise(want []Wanted) (onWire <-chan struct{}, err error)
	// Wire reports what is on the wire for each of the mode's services.
	Wire(ctx context.Context) ([]Wire, error)
	// Stop begins the mode's orderly stop: what it advertised leaves the
	// wire (OSPF flushes its LSAs); the mode's goroutine returns when that
	// is done.
	Stop() error
}
