package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/anycostd/anycostd/agent"
	"github.com/anycostd/anycostd/agent/weights"
	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/control"
)

// SIGHUP in `anycostd router`: the configuration file is read again with
// the same strict decoding and validation as at start. An invalid file
// changes nothing (its error, file:line, is logged and shown by `anycostd
// router status`). Of a valid file, the keys routerLiveSettings lists
// apply at once; every other key that changed is refused, named in the
// log, and keeps its running value until a restart.
//
// Why the others need a restart: router_id and every [ospf] key (and
// [ospf.auth], [ospf.bfd]) are the OSPF instance's, which would have to
// leave and join the area again; backend and zebra_socket are the backend's
// connection (a new one drops the agent's routes for a moment, which a
// restart does in the open); server_ifindex, server_dr and
// server_interface_id name the server link and its next hops' interface
// (every route would change at once); kernel_netns is the FIB the backend
// was opened on, and kernel_lease the lifetime of the routes it holds
// (a new lease would take both the backend's and the agent's refresh
// schedule, for a setting read once); control_socket, metrics_listen,
// log_format and state_dir are opened at start.

// routerLiveSettings can change while the agent runs.
var routerLiveSettings = map[string]bool{
	"log_level": true,
	// The weight bounds: the loops keep each server's correction,
	// held within the new bounds (weights.Loop.SetParams).
	"router.max_weight": true,
	"router.min_factor": true,
	"router.max_factor": true,
	// The noise rules: a streak under way counts on (weights.Loop
	// SetParams keeps it).
	"router.dead_band": true,
	"router.confirm":   true,
	// The prefix set: a prefix left out loses the agent's route (OSPF's
	// forwards), a new one gets one at once.
	"router.prefixes": true,
	// The route preference: every route is installed again with the new
	// one, replacing the old (agent.Preferrer).
	"router.distance":      true,
	"router.kernel_metric": true,
}

// routerReloadTimeout bounds the running agent's reconfiguration.
const routerReloadTimeout = 5 * time.Second

// planRouterReload sorts what differs between the running configuration
// and next into the changes applied and those refused. Keys a
// command-line flag overrides are left out.
func planRouterReload(running, next *config.Config, opts Options) (live, refused []settingChange) {
	p := planReload(running, next, opts)
	all := append(p.live, p.restart...)
	oldSet, newSet := running.Router.Settings(), next.Router.Settings()
	for i := range oldSet {
		if o, n := oldSet[i], newSet[i]; o.Value != n.Value {
			all = append(all, settingChange{key: o.Key, old: o.Value, new: n.Value})
		}
	}
	for _, c := range all {
		switch {
		case !routerLiveSettings[c.key]:
			refused = append(refused, c)
		case c.key == "router.max_weight" && running.Router.Backend == config.BackendZebra && next.Router.MaxWeight > weights.MaxZebraWeight:
			// Valid for the file's kernel backend, not for the
			// running zebra one.
			c.why = fmt.Sprintf("zebra keeps weights up to %d; the kernel backend needs a restart", weights.MaxZebraWeight)
			refused = append(refused, c)
		default:
			live = append(live, c)
		}
	}
	return live, refused
}

// withLive returns running with the live settings of next.
func withLive(running, next *config.Config, live []settingChange) *config.Config {
	c := *running
	r := *running.Router
	for _, ch := range live {
		switch ch.key {
		case "log_level":
			c.LogLevel = next.LogLevel
		case "router.max_weight":
			r.MaxWeight = next.Router.MaxWeight
		case "router.min_factor":
			r.MinFactor = next.Router.MinFactor
		case "router.max_factor":
			r.MaxFactor = next.Router.MaxFactor
		case "router.dead_band":
			r.DeadBand = next.Router.DeadBand
		case "router.confirm":
			r.Confirm = next.Router.Confirm
		case "router.prefixes":
			r.Prefixes = next.Router.Prefixes
		case "router.distance":
			r.Distance = next.Router.Distance
		case "router.kernel_metric":
			r.KernelMetric = next.Router.KernelMetric
		}
	}
	c.Router = &r
	return &c
}

// routerLive is the agent's part of a router configuration.
func routerLive(c *config.Config) agent.Live {
	ac := agentConfig(c, 1, nil)
	return agent.Live{Prefixes: ac.Prefixes, Weights: ac.Weights, Preference: ac.Preference}
}

// reloadRouter reads the configuration file again and applies its live
// settings to the running agent (or, while the agent restarts, to the
// next one).
func (d *Daemon) reloadRouter(run *routerRun) {
	now := time.Now()
	next, err := config.Load(d.opts.ConfigPath)
	if err == nil && next.Router == nil {
		err = errNoRouterTable(d.opts.ConfigPath)
	}
	if err != nil {
		d.log.Error("reload: invalid configuration; the running one is kept", "err", err.Error())
		run.reloaded(now, err, nil)
		return
	}
	for _, w := range next.Warnings() {
		d.log.Warn("reload: configuration: " + w)
	}
	running := run.config()
	live, refused := planRouterReload(running, next, d.opts)
	for _, c := range refused {
		args := []any{"key", c.key, "running", c.old, "new", c.new}
		if c.why != "" {
			args = append(args, "why", c.why)
		}
		d.log.Warn("reload: setting needs a restart, not applied; the running value stays", args...)
	}
	if len(live) == 0 {
		if len(refused) == 0 {
			d.log.Info("reload: no change")
		}
		run.reloaded(now, nil, keys(refused))
		return
	}
	applied := withLive(running, next, live)
	a := run.setConfig(applied)
	if a != nil {
		ctx, cancel := context.WithTimeout(context.Background(), routerReloadTimeout)
		err = a.Reconfigure(ctx, routerLive(applied))
		cancel()
		if errors.Is(err, agent.ErrStopped) {
			// It stopped (zebra closed the connection): the next
			// agent starts from applied.
			err = nil
		}
	}
	if err != nil {
		// The agent refused or could not apply the change: it runs
		// on as it was, and so does its configuration.
		run.setConfig(running)
		d.log.Error("reload: the agent could not apply the new settings; the running ones are kept", "err", err)
		run.reloaded(now, err, keys(refused))
		return
	}
	if running.LogLevel != applied.LogLevel && d.opts.LogLevel == "" {
		d.level.Set(applied.LogLevel)
	}
	for _, c := range live {
		d.log.Info("reload: setting applied", "key", c.key, "old", c.old, "new", c.new)
	}
	run.reloaded(now, nil, keys(refused))
}

func keys(cs []settingChange) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.key)
	}
	return out
}

// reloaded records the outcome of a reload for the status.
func (r *routerRun) reloaded(at time.Time, err error, refused []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.load.Reloads++
	r.load.LastReload = at
	r.load.Error = ""
	if err != nil {
		r.load.Error = err.Error()
		r.load.Failed++
	}
	r.load.Refused = refused
	if err == nil {
		// The file was read and is valid: what it says now runs,
		// except the keys refused.
		r.load.Loaded = at
	}
}

// configLoad is the status's view of the configuration's loads.
func (r *routerRun) configLoad() control.ConfigLoad {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.load
	l.Refused = append([]string(nil), r.load.Refused...)
	return l
}
