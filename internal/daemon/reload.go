package daemon

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"time"

	"github.com/anycostd/anycostd/config"
)

// settingChange is one top-level or [ospf] key whose value changed.
type settingChange struct {
	key, old, new string
	why           string // why it is refused, when not the usual reason
}

// serviceChange is one service present before and after a reload whose
// settings differ.
type serviceChange struct {
	old, new config.Service
	what     []string // "metric 10 -> 20", "probe", ...
}

// reloadPlan is the difference between the running configuration and a
// new one.
type reloadPlan struct {
	restart        []settingChange // need a restart: logged, not applied
	live           []settingChange // applied at once
	added, removed []config.Service
	changed        []serviceChange
}

// liveSettings can change without a restart.
var liveSettings = map[string]bool{
	"log_level":           true,
	"ospf.keep_addresses": true,
	"stop_timeout":        true, // read by the check of the file only
}

func (p *reloadPlan) empty() bool {
	return len(p.restart)+len(p.live)+len(p.added)+len(p.removed)+len(p.changed) == 0
}

// planReload compares the running configuration with a new one. Settings
// that a command-line flag overrides are left out.
func planReload(running, next *config.Config, opts Options) reloadPlan {
	var p reloadPlan
	overridden := map[string]bool{
		"control_socket": opts.Control != "",
		"log_format":     opts.LogFormat != "",
		"log_level":      opts.LogLevel != "",
	}
	oldSet, newSet := running.Settings(), next.Settings()
	for i := range oldSet {
		o, n := oldSet[i], newSet[i]
		if o.Value == n.Value || overridden[o.Key] {
			continue
		}
		c := settingChange{key: o.Key, old: o.Value, new: n.Value}
		if liveSettings[o.Key] {
			p.live = append(p.live, c)
		} else {
			p.restart = append(p.restart, c)
		}
	}
	// The keys are read at start only (the key files' content is not
	// compared: a new secret also needs a restart).
	if !reflect.DeepEqual(running.OSPF.Auth, next.OSPF.Auth) {
		p.restart = append(p.restart, settingChange{key: "ospf.auth",
			old: running.OSPF.Auth.Summary(), new: next.OSPF.Auth.Summary()})
	}
	// The BFD speaker's settings are its sessions' (bfd.go).
	if !reflect.DeepEqual(running.OSPF.BFD, next.OSPF.BFD) {
		p.restart = append(p.restart, settingChange{key: "ospf.bfd",
			old: running.OSPF.BFD.Summary(), new: next.OSPF.BFD.Summary()})
	}
	for i := range next.Services {
		n := next.Services[i]
		o := running.Service(n.Name)
		if o == nil {
			p.added = append(p.added, n)
			continue
		}
		if what := serviceDiff(o, &n); len(what) > 0 {
			p.changed = append(p.changed, serviceChange{old: *o, new: n, what: what})
		}
	}
	for _, o := range running.Services {
		if next.Service(o.Name) == nil {
			p.removed = append(p.removed, o)
		}
	}
	return p
}

// serviceDiff says what differs between two versions of a service.
func serviceDiff(o, n *config.Service) []string {
	var what []string
	if o.Prefix != n.Prefix {
		what = append(what, fmt.Sprintf("prefix %s -> %s", o.Prefix, n.Prefix))
	}
	if o.Metric != n.Metric {
		what = append(what, fmt.Sprintf("metric %d -> %d", o.Metric, n.Metric))
	}
	if o.DrainTime != n.DrainTime {
		what = append(what, fmt.Sprintf("drain_time %s -> %s", o.DrainTime, n.DrainTime))
	}
	if o.DrainFile != n.DrainFile {
		what = append(what, fmt.Sprintf("drain_file %q -> %q", o.DrainFile, n.DrainFile))
	}
	if o.DrainAction != n.DrainAction {
		what = append(what, fmt.Sprintf("drain_action %s -> %s", o.DrainAction, n.DrainAction))
	}
	if o.Mode != n.Mode {
		what = append(what, fmt.Sprintf("mode %s -> %s", o.Mode, n.Mode))
	}
	for _, part := range []struct {
		name string
		o, n any
	}{
		{"socket", o.Socket, n.Socket},
		{"probe", o.Probe, n.Probe},
		{"external", o.External, n.External},
		{"cpu", o.CPU, n.CPU},
		{"tier", o.Tiers, n.Tiers},
		{"tier prefix", o.TierPrefixes, n.TierPrefixes},
	} {
		if !reflect.DeepEqual(part.o, part.n) {
			what = append(what, part.name)
		}
	}
	return what
}

// reload reads the configuration file again and applies what it can: the
// services (added, removed, changed) and the live settings. An invalid
// file changes nothing.
func (d *Daemon) reload() {
	next, err := config.Load(d.opts.ConfigPath)
	if err != nil {
		d.log.Error("reload: invalid configuration; the running one is kept", "err", err.Error())
		return
	}
	for _, w := range next.Warnings() {
		d.log.Warn("reload: configuration: " + w)
	}
	plan := planReload(d.cfg, next, d.opts)
	if plan.empty() {
		d.log.Info("reload: no change")
		return
	}
	running := *d.cfg
	for _, c := range plan.restart {
		d.log.Warn("reload: setting needs a restart, not applied", "key", c.key, "running", c.old, "new", c.new)
	}
	for _, c := range plan.live {
		switch c.key {
		case "log_level":
			running.LogLevel = next.LogLevel
			d.level.Set(next.LogLevel)
		case "ospf.keep_addresses":
			running.OSPF.KeepAddresses = next.OSPF.KeepAddresses
		case "stop_timeout":
			running.StopTimeout = next.StopTimeout
		}
		d.log.Info("reload: setting applied", "key", c.key, "old", c.old, "new", c.new)
	}
	running.Services = d.applyServices(&plan, next)
	d.cfg = &running
}

// applyServices puts the addresses of new prefixes in place, hands the
// new service set to the instance and schedules the removal of the
// addresses no longer advertised. It returns the services now running: a
// service whose address cannot be added is left out (or kept as it was).
func (d *Daemon) applyServices(plan *reloadPlan, next *config.Config) []config.Service {
	keep := make(map[string]config.Service) // changed services kept as they were
	skip := make(map[string]bool)           // added services that failed
	// A mode whose speaker did not start with the daemon needs a restart.
	for _, s := range plan.added {
		if why := d.modeMissing(s); why != "" {
			d.log.Error("reload: service not added: "+why, "service", s.Name, "mode", s.Mode.String())
			skip[s.Name] = true
		}
	}
	for _, c := range plan.changed {
		if why := d.modeMissing(c.new); why != "" {
			d.log.Error("reload: service not changed: "+why, "service", c.new.Name, "mode", c.new.Mode.String())
			keep[c.new.Name] = c.old
		}
	}
	for _, s := range plan.added {
		if skip[s.Name] {
			continue
		}
		if err := d.addrs.add(s.Prefix); err != nil {
			d.log.Error("reload: service not added: cannot put its address in place", "service", s.Name, "prefix", s.Prefix, "err", err)
			skip[s.Name] = true
			continue
		}
		d.log.Info("reload: service added", "service", s.Name, "prefix", s.Prefix, "metric", s.Metric)
	}
	for _, c := range plan.changed {
		if _, kept := keep[c.new.Name]; kept {
			continue
		}
		if c.old.Prefix != c.new.Prefix {
			if err := d.addrs.add(c.new.Prefix); err != nil {
				d.log.Error("reload: service not changed: cannot put its new address in place", "service", c.new.Name, "prefix", c.new.Prefix, "err", err)
				keep[c.new.Name] = c.old
				continue
			}
		}
		d.log.Info("reload: service changed", "service", c.new.Name, "changes", strings.Join(c.what, ", "))
	}
	var applied []config.Service
	for _, s := range next.Services {
		if skip[s.Name] {
			continue
		}
		if o, ok := keep[s.Name]; ok {
			s = o
		}
		applied = append(applied, s)
	}
	inUse := make(map[netip.Prefix]bool)
	for i := range applied {
		inUse[applied[i].Prefix] = true
	}
	// The ND speaker learns its new set before the manager hands out
	// decisions for them.
	if nd := d.modes.nd; nd != nil {
		if err := nd.sp.SetConfig(ndServices(applied)); err != nil {
			d.log.Error("reload: cannot apply the ND services", "err", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.mgr.Update(ctx, applied); err != nil {
		d.log.Error("reload: cannot apply the services", "err", err)
	}
	// An address goes once the withdrawal has had time to reach the
	// router and move the traffic: the old service's drain time plus the
	// pacing of its mode (of its LSA in OSPF mode).
	retire := func(s config.Service) {
		if !inUse[s.Prefix] {
			d.addrs.removeAfter(s.Prefix, s.DrainTime+pacingOf(d.cfg).of(s))
		}
	}
	for _, s := range plan.removed {
		d.log.Info("reload: service removed", "service", s.Name, "prefix", s.Prefix)
		retire(s)
	}
	for _, c := range plan.changed {
		if _, kept := keep[c.new.Name]; !kept && c.old.Prefix != c.new.Prefix {
			retire(c.old)
		}
	}
	return applied
}

// modeMissing says why a service cannot run in this daemon: its mode's
// speaker did not start (no [ospf] or no [nd] at start). "" when it can.
func (d *Daemon) modeMissing(s config.Service) string {
	switch {
	case s.Mode == config.ModeND && d.modes.nd == nil:
		return `mode = "nd" needs the ND speaker, which starts only with an [nd] table: restart anycostd`
	case s.Mode == config.ModeOSPF && d.modes.ospf == nil:
		return `mode = "ospf" needs the OSPF instance, which starts only with an [ospf] table: restart anycostd`
	}
	return ""
}
