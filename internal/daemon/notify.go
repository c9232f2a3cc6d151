package daemon

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/internal/sdnotify"
)

// What the daemon tells systemd under Type=notify (sd_notify(3),
// internal/sdnotify; Options.Notify):
//
//   - STATUS=starting: ... while it starts, the line `anycostd status`
//     prints then ("starting: waiting for interface eth0 (...)");
//   - READY=1 once it runs: the configuration is valid, the keys are
//     read, the control socket answers, the OSPF instance runs on its
//     socket (its first Hello, the first adjacency attempt, leaves at
//     once) and the ND speaker on its own, every service address is in
//     place and the service manager has started (the manual drains
//     restored before its first advertisement). It does not wait for an
//     adjacency: when one forms is the router's business (a DR election
//     alone waits a dead interval), and `systemctl start` should not hang
//     on it;
//   - STATUS=running: ... (services advertised, OSPF neighbors Full,
//     manual drains), sent when it changes, checked every statusEvery;
//   - RELOADING=1 on SIGHUP, then READY=1 once the new configuration is
//     applied (or refused);
//   - STOPPING=1 with the first SIGTERM or SIGINT, as the drain begins,
//     then STATUS= lines through the flush;
//   - WATCHDOG=1 with WatchdogSec= (Options.Watchdog), every third of it,
//     while a status request through the service manager and every mode
//     is answered within watchdogCheck: a wedged engine or manager
//     goroutine stops the pings and systemd restarts the daemon (the
//     manual drains survive it). While stopping the pings go on
//     regardless: the stop has its own bounds.

// Bounds of the notifications.
const (
	statusEvery   = 10 * time.Second
	watchdogCheck = 5 * time.Second
)

// notify sends to systemd, if it listens. The first failure is logged.
func (d *Daemon) notify(send func(*sdnotify.Notifier) error) {
	if err := send(d.opts.Notify); err != nil && !d.notifyFailed.Swap(true) {
		d.log.Warn("cannot notify systemd; further failures are not logged", "err", err)
	}
}

// starting records what the start is doing, for the control socket and
// for systemd.
func (d *Daemon) starting(what string) {
	if d.ctl.start(what) {
		d.notify(func(n *sdnotify.Notifier) error { return n.Status("starting: " + what) })
	}
}

// ready tells systemd the daemon runs, with a status line that the next
// check of keepNotified replaces.
func (d *Daemon) ready(status string) {
	d.notify(func(n *sdnotify.Notifier) error { return n.Ready(status) })
	d.lastStatus.Store("")
}

// keepNotified sends the status line when it changes and, with a
// watchdog, WATCHDOG=1 while b answers, until ctx is done.
func (d *Daemon) keepNotified(ctx context.Context, b control.Backend) {
	if d.opts.Notify == nil {
		return
	}
	every := statusEvery
	if w := d.opts.Watchdog; w > 0 {
		every = min(every, w/3)
	}
	tick(ctx, every, func() {
		if d.stopping.Load() {
			d.pingWatchdog()
			return
		}
		cctx, cancel := context.WithTimeout(ctx, min(every, watchdogCheck))
		st, err := b.Status(cctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("status check failed; no watchdog ping", "err", err)
			}
			return
		}
		d.pingWatchdog()
		if line := runningLine(st); d.lastStatus.Swap(line) != line {
			d.notify(func(n *sdnotify.Notifier) error { return n.Status(line) })
		}
	})
}

func (d *Daemon) pingWatchdog() {
	if d.opts.Watchdog > 0 {
		d.notify(func(n *sdnotify.Notifier) error { return n.Watchdog() })
	}
}

// runningLine sums a running daemon's status up in one line:
// "running: 1 of 2 services advertised (dns); OSPF eth0: 1 neighbor Full; drained by the operator: ntp".
func runningLine(st control.Status) string {
	var adv []string
	for _, s := range st.Services {
		if s.Advertised {
			adv = append(adv, s.Name)
		}
	}
	line := fmt.Sprintf("running: %d of %d services advertised", len(adv), len(st.Services))
	if len(adv) > 0 {
		line += " (" + strings.Join(adv, ", ") + ")"
	}
	if o := st.OSPF; o != nil {
		full := 0
		for _, n := range o.Neighbors {
			if n.State == "Full" {
				full++
			}
		}
		line += fmt.Sprintf("; OSPF %s: %d of %d neighbors Full", o.Interface.Name, full, len(o.Neighbors))
	}
	if dr := st.Drains; dr != nil && len(dr.Manual) > 0 {
		line += "; drained by the operator: " + strings.Join(dr.Manual, ", ")
	}
	if dr := st.Drains; dr != nil && dr.Problem != "" {
		line += "; drain state: " + dr.Problem
	}
	return line
}
