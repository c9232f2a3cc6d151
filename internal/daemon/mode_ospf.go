package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"os"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/netif"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/auth"
	"github.com/anycostd/anycostd/services"
)

// speaker is the part of *ospf.Instance the daemon uses; tests use a
// fake.
type speaker interface {
	Run(ctx context.Context) error
	SetServices(svcs []ospf.Service) error
	OnWire() (<-chan struct{}, error)
	SetLink(up bool, mtu int) error
	// SetLinkPrefixes reports the interface's global addresses after a
	// change (the instance's Link-LSA follows them).
	SetLinkPrefixes(prefixes []netip.Prefix) error
	Shutdown() error
	Status(ctx context.Context) (ospf.Status, error)
	LSDB(ctx context.Context) ([]ospf.LSDBEntry, error)
	// RawLSDB and LSDBChanged are the database's snapshot and its change
	// signal, which the farm view reads (farmview.go).
	RawLSDB(ctx context.Context) ([][]byte, error)
	LSDBChanged() <-chan struct{}
}

// newOSPFFunc builds the OSPF instance.
type newOSPFFunc func(cfg ospf.Config, tr ospf.Transport, log *slog.Logger) (speaker, error)

// newOSPF builds the real engine on the system clock.
func newOSPF(cfg ospf.Config, tr ospf.Transport, log *slog.Logger) (speaker, error) {
	in, err := ospf.New(cfg, tr, nil, log)
	if err != nil {
		return nil, err
	}
	return in, nil
}

// ospfMode is the OSPF instance as a mode: each service an
// Intra-Area-Prefix-LSA (package ospf).
type ospfMode struct {
	in   speaker
	tr   ospf.Transport // the instance's, closed by close on a failed start
	link netif.Link     // as found at start
	auth *auth.Transport
	// last is the set last handed to the instance; loadStep the
	// instance's ServerLoadStep (loadOnly).
	last     []ospf.Service
	loadStep float64
}

// openOSPF waits for the [ospf] interface, opens its socket (wrapped in
// the authentication, if any) and builds the instance on it.
func (d *Daemon) openOSPF(ctx context.Context, sigs <-chan os.Signal, oa *ospfAuth) (*ospfMode, error) {
	ifname := d.cfg.OSPF.Interface
	link, err := d.waitLink(ctx, ifname, sigs)
	if err != nil {
		return nil, err
	}
	raw, err := d.host.ListenOSPF(ifname, oa.noKernelChecksum(), d.cfg.OSPF.TTLSecurity)
	if err != nil {
		return nil, fmt.Errorf("OSPF socket on %s: %w", ifname, err)
	}
	tr, err := oa.wrap(raw, link.LinkLocal, d.log)
	if err != nil {
		raw.Close()
		return nil, err
	}
	oc := ospfConfig(d.cfg, link, oa.trailer())
	in, err := d.newOSPF(oc, tr, d.log)
	if err != nil {
		tr.Close()
		return nil, err
	}
	step := oc.ServerLoadStep
	if step == 0 {
		step = ospf.DefaultServerLoadStep
	}
	return &ospfMode{in: in, tr: tr, link: link, auth: oa.transport(), loadStep: step}, nil
}

func (m *ospfMode) Run(ctx context.Context) error {
	if err := m.in.Run(ctx); err != nil {
		return fmt.Errorf("OSPF instance: %w", err)
	}
	return nil
}

// Advertise hands the instance its services; they are on the wire once
// every LSA is sent and none is held by pacing (ospf.Instance.OnWire).
func (m *ospfMode) Advertise(want []services.Wanted) (<-chan struct{}, error) {
	svcs := make([]ospf.Service, len(want))
	for i, w := range want {
		svcs[i] = ospf.Service{
			Name: w.Name, Prefix: w.Prefix, Metric: w.Metric, Withdraw: w.Withdraw,
			// The server load LSA: the peers' farm views and the router
			// agent read it.
			Drained: w.Drained, Capacity: w.Capacity, Load: w.Load,
		}
	}
	if m.loadOnly(svcs) {
		return m.in.OnWire()
	}
	if err := m.in.SetServices(svcs); err != nil {
		return nil, err
	}
	m.last = svcs
	return m.in.OnWire()
}

// loadOnly reports whether svcs differs from the set last handed, and
// only by loads the instance would not put on the wire (within
// ServerLoadStep of the last handed): handing it over would only mark the
// unchanged LSAs as pending for a pacing interval. The same set again (a
// reload's) is handed over as before.
func (m *ospfMode) loadOnly(svcs []ospf.Service) bool {
	if m.last == nil || len(svcs) != len(m.last) {
		return false
	}
	moved := false
	for i, s := range svcs {
		l := m.last[i]
		s.Load = l.Load
		if s != l || math.Abs(svcs[i].Load-l.Load) > m.loadStep {
			return false
		}
		moved = moved || svcs[i].Load != l.Load
	}
	return moved
}

// Wire reports each service's Intra-Area-Prefix-LSA.
func (m *ospfMode) Wire(ctx context.Context) ([]services.Wire, error) {
	st, err := m.in.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]services.Wire, 0, len(st.Services))
	for _, s := range st.Services {
		p, _ := netip.ParsePrefix(s.Prefix)
		out = append(out, services.Wire{
			Name: s.Name, Prefix: p, Mode: config.ModeOSPF,
			Advertised: s.Advertised, Metric: s.Metric,
			Wanted: s.Wanted, WantMetric: s.WantMetric, NextChange: s.NextChange,
		})
	}
	return out, nil
}

// Stop flushes the LSAs; Run returns once they are acknowledged or
// flush_timeout has passed.
func (m *ospfMode) Stop() error { return m.in.Shutdown() }

// Status is the instance's status, with the authentication drops added
// to its drop counters (auth.go).
func (m *ospfMode) Status(ctx context.Context) (ospf.Status, error) {
	st, err := m.in.Status(ctx)
	if err != nil || m.auth == nil {
		return st, err
	}
	st.Counters.Dropped = mergeAuthDrops(st.Counters.Dropped, m.auth.Counters())
	return st, nil
}

// LSDB is the instance's database.
func (m *ospfMode) LSDB(ctx context.Context) ([]ospf.LSDBEntry, error) { return m.in.LSDB(ctx) }
