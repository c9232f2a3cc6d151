package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"

	"github.com/anycostd/anycostd/bfd"
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
	// NeighborDown and DesignatedChanged serve the BFD sessions (bfd.go).
	NeighborDown(addr netip.Addr, reason string) error
	DesignatedChanged() <-chan struct{}
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
	// bfd runs the BFD sessions with the DR and BDR ([ospf.bfd]); nil
	// without. bfdTr is its socket, closed by close on a failed start.
	bfd   *bfdGlue
	bfdTr io.Closer
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
	m := &ospfMode{in: in, tr: tr, link: link, auth: oa.transport()}
	if b := d.cfg.OSPF.BFD; b != nil {
		sp, bt, err := d.newBFD(bfdConfig(b, ifname), link, d.log)
		if err != nil {
			tr.Close()
			return nil, fmt.Errorf("BFD on %s: %w", ifname, err)
		}
		m.bfd, m.bfdTr = newBFDGlue(sp, in, d.log), bt
	}
	return m, nil
}

// Run runs the instance and, with [ospf.bfd], the BFD sessions. After
// Stop, once the instance has flushed its LSAs, the sessions say
// AdminDown (bfd.go), then Run returns.
func (m *ospfMode) Run(ctx context.Context) error {
	if m.bfd == nil {
		return m.runInstance(ctx)
	}
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bfdErr := make(chan error, 1)
	go func() { bfdErr <- m.bfd.run(bctx) }()
	err := m.runInstance(ctx)
	if err == nil {
		m.bfd.stop(cancel)
	}
	cancel()
	if berr := <-bfdErr; err == nil {
		err = berr
	}
	return err
}

func (m *ospfMode) runInstance(ctx context.Context) error {
	if err := m.in.Run(ctx); err != nil {
		return fmt.Errorf("OSPF instance: %w", err)
	}
	return nil
}

// BFDStatus is the BFD speaker's status; ok is false without [ospf.bfd].
func (m *ospfMode) BFDStatus(ctx context.Context) (st bfd.Status, ok bool, err error) {
	if m.bfd == nil {
		return st, false, nil
	}
	st, err = m.bfd.sp.Status(ctx)
	return st, true, err
}

// Advertise hands the instance its services; they are on the wire once
// every LSA is sent and none is held by pacing (ospf.Instance.OnWire).
func (m *ospfMode) Advertise(want []services.Wanted) (<-chan struct{}, error) {
	svcs := make([]ospf.Service, len(want))
	for i, w := range want {
		svcs[i] = ospf.Service{
			Name: w.Name, Prefix: w.Prefix, Metric: w.Metric, Withdraw: w.Withdraw,
			Fallback: w.Fallback.Prefix, FallbackMetric: w.Fallback.Metric,
			// The server load LSA: the peers' farm views and the router
			// agent read it.
			Drained: w.Drained, Capacity: w.Capacity, Load: w.Load,
		}
	}
	// Every set goes, however little its loads moved: the instance
	// decides what reaches the wire (the server load LSA's step and
	// settle, ospf/serverload.go) and leaves unchanged LSAs alone.
	if err := m.in.SetServices(svcs); err != nil {
		return nil, err
	}
	return m.in.OnWire()
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
