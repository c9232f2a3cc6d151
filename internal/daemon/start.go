package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/metrics"
	"github.com/anycostd/anycostd/services"
)

// run starts the daemon and serves until a signal stops it. What can fail
// is tried before anything is touched, and nothing is advertised unless
// every service address could be put in place first.
func (d *Daemon) run(ctx context.Context, sigs <-chan os.Signal) error {
	cfg := d.cfg
	for _, w := range cfg.Warnings() {
		d.log.Warn("configuration: " + w)
	}

	// The authentication keys first: a key file that is missing or that
	// others may read stops the start before anything is touched.
	oa, err := loadAuth(cfg.OSPF)
	if err != nil {
		return err
	}

	// Then the control socket: a daemon already running makes this one
	// fail before it touches anything. The metrics listener next, for the
	// same reason: a port in use is found before anything is advertised.
	ln, err := control.Listen(d.controlPath())
	if err != nil {
		return err
	}
	defer ln.Close() // also removes the socket file; idempotent
	// The socket answers from now on: status says what the start is
	// doing, the other commands that the daemon is starting.
	srv := control.NewServer(ln, d.ctl, d.log)
	sctx, stopCtl := context.WithCancel(ctx)
	go srv.Serve(sctx)
	closeCtl := func() { // ends the requests in progress; idempotent
		stopCtl()
		srv.Close()
	}
	defer closeCtl()
	var ms *metrics.Server
	if cfg.MetricsListen != "" {
		if ms, err = metrics.Listen(cfg.MetricsListen); err != nil {
			return fmt.Errorf("metrics_listen %s: %w", cfg.MetricsListen, err)
		}
		defer ms.Shutdown(context.Background()) // when run returns early
	}

	d.starting("opening the modes")
	d.modes, err = d.openModes(ctx, sigs, oa)
	if errors.Is(err, errInterrupted) {
		d.log.Info("stopped while starting; nothing was advertised")
		return nil
	}
	if err != nil {
		return err
	}
	defer oa.close()

	d.starting("putting the service addresses in place")
	d.addrs = newAddrSet(d.host, cfg.OSPF.AddressInterface, d.log)
	for _, s := range cfg.Services {
		if err := d.addrs.add(s.Prefix); err != nil {
			d.modes.close()
			d.releaseAddrs()
			return fmt.Errorf("service %s: cannot put %s on %s: %w", s.Name, s.Prefix, cfg.OSPF.AddressInterface, err)
		}
	}

	d.mgr, err = services.New(cfg.Services, pacingOf(cfg).params, d.modes, d.inputs, d.log)
	if err != nil {
		d.modes.close()
		d.releaseAddrs()
		return err
	}
	// The manual drains of the last run are restored before the first
	// advertisement (services.Manager.PersistDrains).
	statePath := filepath.Join(cfg.StateDir, services.DrainStateFile)
	d.mgr.PersistDrains(services.DrainState{Path: statePath}, statePath)
	if c, ok := d.inputs.(interface{ Close() }); ok {
		defer c.Close()
	}
	return d.serve(ctx, sigs, closeCtl, ms)
}

// serve runs the modes, the manager, the control socket and the metrics
// until the loop (signals.go) ends, then stops them and releases the
// addresses.
func (d *Daemon) serve(ctx context.Context, sigs <-chan os.Signal, closeCtl func(), ms *metrics.Server) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The control socket serves the running daemon before the modes and
	// the manager start: whoever sees them act (a mode's first packet, a
	// service handed to a mode) can command them, and a request sent
	// meanwhile waits for them.
	b := backend{d.modes, d.mgr}
	d.ctl.run(b)
	runErr := make(chan error, 1)
	go func() { runErr <- d.modes.Run(runCtx) }()
	if o := d.modes.ospf; o != nil {
		if !o.link.Up {
			d.setLink(o.link)
		}
		go d.watchLink(runCtx, o.link)
	}
	mgrCtx, stopMgr := context.WithCancel(runCtx)
	defer stopMgr()
	go d.mgr.Run(mgrCtx)
	if o := d.modes.ospf; o != nil {
		go watchFarm(mgrCtx, o.in, d.mgr, d.cfg.RouterID, time.Now, d.log)
	}
	go trimMemory(runCtx, d.log)
	if ms != nil {
		d.serveMetrics(ms)
	}
	d.log.Info("anycostd running", d.runningAttrs()...)
	d.ready(fmt.Sprintf("running: %d services handed to their modes", len(d.cfg.Services)))
	go d.keepNotified(runCtx, b)

	err := d.loop(ctx, sigs, runErr, cancel)
	cancel()
	closeCtl()
	if ms != nil {
		// Scrapes in progress get a moment; the sources have stopped.
		sctx, scancel := context.WithTimeout(context.Background(), metricsShutdown)
		ms.Shutdown(sctx)
		scancel()
	}
	d.releaseAddrs()
	return err
}

// serveMetrics serves the modes' and the manager's figures on ms.
func (d *Daemon) serveMetrics(ms *metrics.Server) {
	src := metrics.Sources{Wire: d.modes, Explain: d.mgr}
	if o := d.modes.ospf; o != nil {
		src.OSPF = o
		if o.bfd != nil {
			src.BFD = o.bfd.sp
		}
	}
	if d.modes.nd != nil {
		src.ND = d.modes.nd
	}
	d.serveMetricsOf(ms, src)
}

// serveMetricsOf serves src's figures on ms.
func (d *Daemon) serveMetricsOf(ms *metrics.Server, src metrics.Sources) {
	h := metrics.NewHandler(metrics.NewCollector(src, d.log), d.log)
	go func() {
		if err := ms.Serve(h); err != nil {
			d.log.Error("metrics listener stopped", "err", err)
		}
	}()
	d.log.Info("serving metrics", "address", "http://"+ms.Addr().String()+metrics.Path)
}

// runningAttrs describe the running daemon for its first log line.
func (d *Daemon) runningAttrs() []any {
	cfg := d.cfg
	attrs := []any{"services", len(cfg.Services), "control", d.controlPath()}
	if o := d.modes.ospf; o != nil {
		attrs = append(attrs, "router_id", config.DottedQuad(cfg.RouterID),
			"interface", o.link.Name, "link_local", o.link.LinkLocal)
	}
	if d.modes.nd != nil {
		attrs = append(attrs, "nd_interface", cfg.ND.Interface, "nd_services", len(cfg.ModeServices(config.ModeND)))
	}
	return attrs
}

// releaseAddrs removes the service addresses, unless keep_addresses.
func (d *Daemon) releaseAddrs() {
	if d.cfg.OSPF.KeepAddresses {
		d.addrs.keepAll()
	} else {
		d.addrs.removeAll()
	}
}
