package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/agent"
	"github.com/anycostd/anycostd/agent/weights"
	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/metrics"
	"github.com/anycostd/anycostd/ospf"
)

// The router agent (`anycostd router`, docs/router-agent.md): an OSPF
// instance that originates no prefix, on the link the [ospf] table names,
// and the agent (package agent) reading its database and programming the
// router's routes through the [router] table's backend. SIGHUP reloads
// the configuration (router_reload.go). It runs until SIGTERM or SIGINT;
// then the agent removes its routes (the routing daemon's OSPF routes
// forward again) and the instance leaves.

// routerRestartDelay is the pause before the agent starts again after
// zebra closed its connection (zebra restarted: the agent's routes went
// with it).
const routerRestartDelay = time.Second

// newBackendFunc builds the agent's backend; tests use a fake.
type newBackendFunc func(r *config.Router, log *slog.Logger) (agent.Backend, error)

// newBackend builds the backend the [router] table names.
func newBackend(r *config.Router, log *slog.Logger) (agent.Backend, error) {
	if r.Backend == config.BackendKernel {
		return agent.NewKernel(agent.KernelConfig{Metric: r.KernelMetric, Lease: r.KernelLease, Netns: r.KernelNetns, Log: log})
	}
	return agent.NewZebra(agent.ZebraConfig{Socket: r.ZebraSocket, Distance: r.Distance, Log: log})
}

// agentConfig translates the [router] table into the agent's settings;
// ifindex is the [ospf] interface's, the default server interface.
func agentConfig(c *config.Config, ifindex int, log *slog.Logger) agent.Config {
	r := c.Router
	w := weights.DefaultParams()
	w.MaxWeight, w.MinFactor, w.MaxFactor = r.MaxWeight, r.MinFactor, r.MaxFactor
	w.DeadBand, w.Confirm = r.DeadBand, r.Confirm
	ac := agent.Config{
		RouterID:   c.RouterID,
		Ifindex:    ifindex,
		Prefixes:   r.Prefixes,
		Weights:    w,
		Preference: int(r.Distance),
		Log:        log,
	}
	if r.Backend == config.BackendKernel {
		ac.Preference = r.KernelMetric
	}
	if r.ServerIfindex != 0 {
		ac.Ifindex = r.ServerIfindex
	}
	if r.ServerDR != 0 {
		ac.Link = agent.LinkID{Router: r.ServerDR, InterfaceID: r.ServerInterfaceID}
	}
	return ac
}

// routerSource is the OSPF instance as the agent reads it.
type routerSource interface {
	speaker
	agent.Source
}

// routerRun is one run of the router agent: the control socket's view of
// it, and the configuration each agent (the first, and each after zebra
// closed the connection) starts from.
type routerRun struct {
	src     routerSource
	backend string
	ifindex int // the [ospf] interface's
	log     *slog.Logger

	mu       sync.Mutex
	cfg      *config.Config // running: the start's, with what reloads applied
	load     control.ConfigLoad
	agent    *agent.Agent // the running agent; nil between restarts
	restarts uint64
}

func (r *routerRun) config() *config.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

// setConfig makes c the running configuration and returns the running
// agent (nil between restarts: the next one starts from c).
func (r *routerRun) setConfig(c *config.Config) *agent.Agent {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cfg = c
	return r.agent
}

// newAgent builds the agent of the running configuration on be and makes
// it the running one, in one step with setConfig: a reload either
// reaches the agent or is what it starts from.
func (r *routerRun) newAgent(be agent.Backend) (*agent.Agent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, err := agent.New(agentConfig(r.cfg, r.ifindex, r.log), r.src, be)
	if err == nil {
		r.agent = a
	}
	return a, err
}

func (r *routerRun) current() (*agent.Agent, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.agent, r.restarts
}

// RouterStatus is the agent's status and its OSPF instance's.
func (r *routerRun) RouterStatus(ctx context.Context) (control.RouterStatus, error) {
	res := control.RouterStatus{Backend: r.backend, Config: r.configLoad()}
	a, restarts := r.current()
	res.Restarts = restarts
	if a == nil {
		return res, errors.New("the agent is restarting (zebra closed the connection)")
	}
	st, err := a.Status(ctx)
	if err != nil {
		return res, err
	}
	res.Agent = st
	if res.OSPF, err = r.src.Status(ctx); err != nil {
		return res, err
	}
	return res, nil
}

// AgentStatus is the agent's status (the metrics' source).
func (r *routerRun) AgentStatus(ctx context.Context) (agent.Status, error) {
	a, _ := r.current()
	if a == nil {
		return agent.Status{}, errors.New("the agent is restarting (zebra closed the connection)")
	}
	return a.Status(ctx)
}

// LSDB is the agent's OSPF database.
func (r *routerRun) LSDB(ctx context.Context) ([]ospf.LSDBEntry, error) { return r.src.LSDB(ctx) }

// RunRouter runs the router agent of cfg (which has a [router] table)
// until a signal stops it or ctx is done. An error is logged and returned.
func (d *Daemon) RunRouter(ctx context.Context) error {
	sigs, stop := d.signals()
	defer stop()
	err := d.runRouter(ctx, sigs)
	if err != nil {
		d.log.Error("anycostd router stopped", "err", err)
	}
	return err
}

func (d *Daemon) runRouter(ctx context.Context, sigs <-chan os.Signal) error {
	cfg := d.cfg
	if cfg.Router == nil {
		return errNoRouterTable(d.opts.ConfigPath)
	}
	oa, err := loadAuth(cfg.OSPF)
	if err != nil {
		return err
	}
	ln, err := control.Listen(d.controlPath())
	if err != nil {
		return err
	}
	defer ln.Close()
	var ms *metrics.Server
	if cfg.MetricsListen != "" {
		if ms, err = metrics.Listen(cfg.MetricsListen); err != nil {
			return fmt.Errorf("metrics_listen %s: %w", cfg.MetricsListen, err)
		}
		defer ms.Shutdown(context.Background())
	}
	link, err := d.waitLink(ctx, cfg.OSPF.Interface, sigs)
	if errors.Is(err, errInterrupted) {
		d.log.Info("stopped while starting")
		return nil
	}
	if err != nil {
		return err
	}
	raw, err := d.host.ListenOSPF(cfg.OSPF.Interface, oa.noKernelChecksum(), cfg.OSPF.TTLSecurity)
	if err != nil {
		return fmt.Errorf("OSPF socket on %s: %w", cfg.OSPF.Interface, err)
	}
	tr, err := oa.wrap(raw, link.LinkLocal, d.log)
	if err != nil {
		raw.Close()
		return err
	}
	defer oa.close()
	oc := ospfConfig(cfg, link, oa.trailer())
	oc.Priority = 0 // a host: never the DR of the link it joins
	sp, err := d.newOSPF(oc, tr, d.log)
	if err != nil {
		tr.Close()
		return err
	}
	src, ok := sp.(routerSource)
	if !ok {
		tr.Close()
		return errors.New("the OSPF instance does not expose its database")
	}
	ac := agentConfig(cfg, link.Index, d.log.With("component", "agent"))
	if _, err := agent.New(ac, src, nil); err != nil {
		tr.Close()
		return fmt.Errorf("[router]: %w", err)
	}
	run := &routerRun{src: src, backend: cfg.Router.Backend.String(), ifindex: link.Index, log: ac.Log, cfg: cfg,
		load: control.ConfigLoad{Path: d.opts.ConfigPath, Loaded: time.Now()}}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ospfDone := make(chan error, 1)
	go func() { ospfDone <- src.Run(runCtx) }()
	agentCtx, stopAgent := context.WithCancel(runCtx)
	defer stopAgent()
	agentDone := make(chan error, 1)
	go func() { agentDone <- d.runAgents(agentCtx, run) }()
	srv := control.NewRouterServer(ln, run, d.log)
	go srv.Serve(runCtx)
	defer srv.Close()
	if ms != nil {
		d.serveMetricsOf(ms, metrics.Sources{OSPF: src, Router: run})
	}
	d.log.Info("anycostd router running", "router_id", config.DottedQuad(cfg.RouterID), "interface", link.Name,
		"link_local", link.LinkLocal, "backend", run.backend, "server_ifindex", ac.Ifindex, "control", d.controlPath())

	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				d.reloadRouter(run)
				continue
			}
			d.log.Info("shutting down: removing the agent's routes", "signal", sig.String())
			return d.stopRouter(stopAgent, agentDone, src, ospfDone, cancel)
		case <-ctx.Done():
			return d.stopRouter(stopAgent, agentDone, src, ospfDone, cancel)
		case err := <-agentDone:
			cancel()
			<-ospfDone
			return err
		case err := <-ospfDone:
			stopAgent()
			<-agentDone
			if err == nil {
				err = errors.New("the OSPF instance stopped by itself")
			}
			return fmt.Errorf("OSPF instance: %w", err)
		}
	}
}

// stopRouter removes the agent's routes first (the routing daemon's own
// routes forward again), then lets the instance leave the area.
func (d *Daemon) stopRouter(stopAgent context.CancelFunc, agentDone <-chan error, src routerSource, ospfDone <-chan error, cancel context.CancelFunc) error {
	stopAgent()
	err := <-agentDone
	if err != nil {
		d.log.Warn("agent", "err", err)
	}
	if serr := src.Shutdown(); serr == nil {
		select {
		case <-ospfDone:
		case <-time.After(d.cfg.OSPF.FlushTimeout + shutdownGrace):
			cancel()
			<-ospfDone
		}
	} else {
		cancel()
		<-ospfDone
	}
	d.log.Info("shut down")
	return err
}

// runAgents runs the agent until ctx ends; when zebra closes the
// connection (a zebra restart takes the agent's routes with it) it starts
// again with a new backend, from the running configuration.
func (d *Daemon) runAgents(ctx context.Context, run *routerRun) error {
	for {
		be, err := d.newBackend(run.config().Router, run.log)
		if err != nil {
			d.log.Error("cannot open the backend; trying again", "backend", run.backend, "err", err)
		} else {
			a, err := run.newAgent(be)
			if err != nil {
				be.Close()
				return err
			}
			err = a.Run(ctx)
			run.mu.Lock()
			run.agent = nil
			run.mu.Unlock()
			if ctx.Err() != nil {
				return err
			}
			if !errors.Is(err, agent.ErrZebraClosed) {
				return err
			}
			d.log.Warn("zebra closed the connection; the agent starts again", "err", err)
			run.mu.Lock()
			run.restarts++
			run.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(routerRestartDelay):
		}
	}
}

// errNoRouterTable: the file is a server's configuration.
func errNoRouterTable(path string) error {
	return fmt.Errorf("%s: no [router] table: this is a server's configuration (anycostd run)", path)
}
