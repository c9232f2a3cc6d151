package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/metrics"
	"github.com/anycostd/anycostd/services"
)

// Start-up and shutdown bounds.
const (
	// linkWait bounds the wait for the interface and its link-local
	// address (DAD takes about a second after the link comes up).
	linkWait = 10 * time.Second
	linkPoll = 200 * time.Millisecond
	// shutdownGrace is added to flush_timeout before a shutdown that has
	// not finished is cut short.
	shutdownGrace = 5 * time.Second
	// metricsShutdown bounds the wait for scrapes in progress at exit.
	metricsShutdown = time.Second
)

// runOptions are the flags of `anycostd run`; the last three override the
// configuration file.
type runOptions struct {
	configPath string
	control    string
	logFormat  string
	logLevel   string
}

func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "run the daemon in the foreground (logs to standard error)",
		Description: "SIGTERM or SIGINT: flush the advertisements and exit (a second signal exits at once).\n" +
			"SIGHUP: reload the configuration and apply service changes.",
		Flags: []cli.Flag{
			configFlag(),
			controlFlag("control socket `PATH` (overrides control_socket)"),
			&cli.StringFlag{Name: "log-format", Usage: "text or json (overrides log_format)"},
			&cli.StringFlag{Name: "log-level", Usage: "debug, info, warn or error (overrides log_level)"},
		},
		Action: func(c *cli.Context) error {
			opts := runOptions{
				configPath: c.String("config"),
				control:    c.String("control"),
				logFormat:  c.String("log-format"),
				logLevel:   c.String("log-level"),
			}
			if _, ok := config.ParseLogFormat(opts.logFormat); opts.logFormat != "" && !ok {
				return cli.Exit(fmt.Sprintf("--log-format %q: want text or json", opts.logFormat), exitFailure)
			}
			if _, ok := config.ParseLogLevel(opts.logLevel); opts.logLevel != "" && !ok {
				return cli.Exit(fmt.Sprintf("--log-level %q: want debug, info, warn or error", opts.logLevel), exitFailure)
			}
			cfg, err := config.Load(opts.configPath)
			if err != nil {
				return configError(err)
			}
			if err := checkCapabilities(); err != nil {
				return err
			}
			d := newDaemon(opts, cfg, systemHost{}, newOSPFSpeaker, c.App.ErrWriter)
			sigs := make(chan os.Signal, 4)
			signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
			defer signal.Stop(sigs)
			if err := d.run(c.Context, sigs); err != nil {
				d.log.Error("anycostd stopped", "err", err)
				return cli.Exit("", exitFailure)
			}
			return nil
		},
	}
}

// daemon is one run of anycostd. Its fields are used by the goroutine of
// run only (reload runs there too), except where noted.
type daemon struct {
	opts       runOptions
	host       host
	newSpeaker newSpeakerFunc
	log        *slog.Logger
	level      *slog.LevelVar // shared with the log handler
	linkWait   time.Duration

	cfg    *config.Config // the running configuration (what reload applied)
	sp     speaker
	newND  newNDFunc
	nd     *ndSpeaker        // nil without [nd]
	split  *splitSpeaker     // sp when nd is set
	mgr    *services.Manager // the services' monitors and cost models
	inputs services.Inputs
	addrs  *addrSet // safe for any goroutine
}

func newDaemon(opts runOptions, cfg *config.Config, h host, ns newSpeakerFunc, logTo io.Writer) *daemon {
	format, level := cfg.LogFormat, cfg.LogLevel
	if f, ok := config.ParseLogFormat(opts.logFormat); ok {
		format = f
	}
	if l, ok := config.ParseLogLevel(opts.logLevel); ok {
		level = l
	}
	lv := new(slog.LevelVar)
	lv.Set(level)
	return &daemon{
		opts:       opts,
		host:       h,
		newSpeaker: ns,
		log:        newLogger(logTo, format, lv),
		level:      lv,
		linkWait:   linkWait,
		cfg:        cfg,
		newND:      openND,
		inputs:     &services.SystemInputs{Log: newLogger(logTo, format, lv)},
	}
}

func newLogger(w io.Writer, format config.LogFormat, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == config.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func (d *daemon) controlPath() string {
	if d.opts.control != "" {
		return d.opts.control
	}
	return d.cfg.ControlSocket
}

var (
	errSecondSignal = errors.New("stopped at once by a second signal; LSAs were not flushed")
	errFlushTimeout = errors.New("shutdown did not finish in time; stopped without waiting further")
	errInterrupted  = errors.New("interrupted while starting") // by SIGTERM or SIGINT
)

// run starts the daemon and serves until a signal stops it. Nothing is
// advertised unless every service address could be put in place first.
func (d *daemon) run(ctx context.Context, sigs <-chan os.Signal) error {
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
	ln, err := listenControl(d.controlPath())
	if err != nil {
		return err
	}
	defer ln.Close() // also removes the socket file; idempotent
	var ms *metrics.Server
	if cfg.MetricsListen != "" {
		if ms, err = metrics.Listen(cfg.MetricsListen); err != nil {
			return fmt.Errorf("metrics_listen %s: %w", cfg.MetricsListen, err)
		}
		defer ms.Shutdown(context.Background()) // when run returns early
	}

	// The speakers: OSPF with [ospf], ND with [nd] (services with
	// mode = "nd"); closeAll releases their sockets on a failed start.
	var (
		sp       speaker
		closers  []func() error
		ifname   = cfg.OSPF.Interface
		link     linkInfo
		closeAll = func() {
			for _, c := range closers {
				c()
			}
		}
	)
	if cfg.HasOSPF() {
		link, err = d.waitLink(ctx, ifname, sigs)
		if errors.Is(err, errInterrupted) {
			d.log.Info("stopped while starting; nothing was advertised")
			return nil
		}
		if err != nil {
			return err
		}
		raw, err := d.host.listenOSPF(ifname, oa.noKernelChecksum(), cfg.OSPF.TTLSecurity)
		if err != nil {
			return fmt.Errorf("OSPF socket on %s: %w", ifname, err)
		}
		tr, err := oa.wrap(raw, link.Link.LinkLocal, d.log)
		if err != nil {
			raw.Close()
			return err
		}
		defer oa.close()
		sp, err = d.newSpeaker(cfg.OSPFConfig(link.Link), tr, d.log)
		if err != nil {
			tr.Close()
			return err
		}
		sp = oa.speaker(sp) // status shows the authentication drops
		closers = append(closers, tr.Close)
	}
	if cfg.HasND() {
		ndLink, err := d.waitLink(ctx, cfg.ND.Interface, sigs)
		if errors.Is(err, errInterrupted) {
			closeAll()
			d.log.Info("stopped while starting; nothing was advertised")
			return nil
		}
		if err != nil {
			closeAll()
			return err
		}
		ns, err := d.newND(cfg.NDConfig(ndLink.Link.Prefixes), cfg.NDServices(), d.log)
		if err != nil {
			closeAll()
			return fmt.Errorf("ND speaker on %s: %w", cfg.ND.Interface, err)
		}
		d.nd = newNDSpeaker(ns)
		d.split = newSplitSpeaker(sp, d.nd, cfg.Services)
		sp = d.split
		closers = append(closers, func() error { return d.nd.Shutdown() })
	}
	d.sp = sp

	d.addrs = newAddrSet(d.host, cfg.OSPF.AddressInterface, d.log)
	for _, s := range cfg.Services {
		if err := d.addrs.add(s.Prefix); err != nil {
			closeAll()
			d.releaseAddrs()
			return fmt.Errorf("service %s: cannot put %s on %s: %w", s.Name, s.Prefix, cfg.OSPF.AddressInterface, err)
		}
	}

	mgr, err := services.New(cfg.Services, services.PacingOf(cfg), sp, d.inputs, d.log)
	if err != nil {
		closeAll()
		d.releaseAddrs()
		return err
	}
	d.mgr = mgr
	if c, ok := d.inputs.(interface{ Close() }); ok {
		defer c.Close()
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- sp.Run(runCtx) }()
	if cfg.HasOSPF() && !link.Up {
		d.setLink(link)
	}
	mgrCtx, stopMgr := context.WithCancel(runCtx)
	defer stopMgr()
	go mgr.Run(mgrCtx)
	if cfg.HasOSPF() {
		go d.watchLink(runCtx, ifname, link)
	}

	srv := newControlServer(ln, backendOf(sp, mgr), d.log)
	go srv.serve(runCtx)
	go trimMemory(runCtx, d.log)
	if ms != nil {
		col := metrics.NewCollector(sp, mgr, d.log)
		if d.nd != nil {
			col.WithND(d.nd)
		}
		h := metrics.NewHandler(col, d.log)
		go func() {
			if err := ms.Serve(h); err != nil {
				d.log.Error("metrics listener stopped", "err", err)
			}
		}()
		d.log.Info("serving metrics", "address", "http://"+ms.Addr().String()+metrics.Path)
	}
	running := []any{"services", len(cfg.Services), "control", d.controlPath()}
	if cfg.HasOSPF() {
		running = append(running, "router_id", config.DottedQuad(cfg.RouterID),
			"interface", ifname, "link_local", link.Link.LinkLocal)
	}
	if cfg.HasND() {
		running = append(running, "nd_interface", cfg.ND.Interface, "nd_services", len(cfg.ModeServices(config.ModeND)))
	}
	d.log.Info("anycostd running", running...)

	err = d.loop(ctx, sigs, runErr, cancel)
	cancel()
	srv.close()
	if ms != nil {
		// Scrapes in progress get a moment; the sources have stopped.
		sctx, scancel := context.WithTimeout(context.Background(), metricsShutdown)
		ms.Shutdown(sctx)
		scancel()
	}
	d.releaseAddrs()
	return err
}

// releaseAddrs removes the service addresses, unless keep_addresses.
func (d *daemon) releaseAddrs() {
	if d.cfg.OSPF.KeepAddresses {
		d.addrs.keepAll()
	} else {
		d.addrs.removeAll()
	}
}

// waitLink waits (bounded) for the interface to exist with a usable
// link-local address.
func (d *daemon) waitLink(ctx context.Context, name string, sigs <-chan os.Signal) (linkInfo, error) {
	deadline := time.Now().Add(d.linkWait)
	logged := false
	for {
		li, err := d.host.lookupLink(name)
		switch {
		case err != nil:
		case !li.Link.LinkLocal.IsValid():
			err = fmt.Errorf("interface %s has no usable IPv6 link-local address (DAD not finished?)", name)
		default:
			return li, nil
		}
		if !time.Now().Before(deadline) {
			return linkInfo{}, fmt.Errorf("waited %s for interface %s: %w", d.linkWait, name, err)
		}
		if !logged {
			d.log.Info("waiting for the interface", "interface", name, "reason", err.Error())
			logged = true
		}
		select {
		case <-ctx.Done():
			return linkInfo{}, ctx.Err()
		case sig := <-sigs:
			if sig != syscall.SIGHUP {
				return linkInfo{}, errInterrupted
			}
			d.log.Warn("SIGHUP ignored while starting")
		case <-time.After(linkPoll):
		}
	}
}

// watchLink passes link up/down and MTU changes to the instance.
func (d *daemon) watchLink(ctx context.Context, name string, last linkInfo) {
	err := d.host.watchLink(ctx, name, func(li linkInfo) {
		if li.Link.LinkLocal.IsValid() && last.Link.LinkLocal.IsValid() && li.Link.LinkLocal != last.Link.LinkLocal {
			// The socket sends from the address it was opened with.
			d.log.Error("the interface's link-local address changed; restart anycostd to use the new one",
				"interface", name, "running", last.Link.LinkLocal, "new", li.Link.LinkLocal)
		}
		if li.Link.LinkLocal.IsValid() {
			last.Link.LinkLocal = li.Link.LinkLocal
		}
		if li.Link.MTU == 0 { // the interface is gone: keep the last MTU
			li.Link.MTU = last.Link.MTU
		}
		if !slices.Equal(li.Link.Prefixes, last.Link.Prefixes) {
			last.Link.Prefixes = li.Link.Prefixes
			d.setLinkPrefixes(li)
		}
		if li.Up == last.Up && li.Link.MTU == last.Link.MTU {
			return
		}
		last.Up, last.Link.MTU = li.Up, li.Link.MTU
		d.setLink(li)
	})
	if err != nil && ctx.Err() == nil {
		d.log.Error("cannot watch the interface; link changes will be missed", "interface", name, "err", err)
	}
}

// setLinkPrefixes hands the engine the interface's new global addresses.
func (d *daemon) setLinkPrefixes(li linkInfo) {
	d.log.Info("interface addresses changed", "interface", li.Link.Name, "prefixes", li.Link.Prefixes)
	if err := d.sp.SetLinkPrefixes(li.Link.Prefixes); err != nil && !errors.Is(err, context.Canceled) {
		d.log.Debug("SetLinkPrefixes", "err", err)
	}
}

func (d *daemon) setLink(li linkInfo) {
	d.log.Info("link changed", "interface", li.Link.Name, "up", li.Up, "mtu", li.Link.MTU)
	if err := d.sp.SetLink(li.Up, li.Link.MTU); err != nil && !errors.Is(err, context.Canceled) {
		d.log.Debug("SetLink", "err", err)
	}
}
