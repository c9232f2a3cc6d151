package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/internal/sdnotify"
)

// Signals of a running daemon:
//   - SIGHUP reloads the configuration (reload.go);
//   - SIGTERM or SIGINT starts the graceful shutdown: the services are
//     drained for drain_time, the modes stop (the OSPF instance flushes
//     its LSAs and waits, bounded, for their acknowledgement), then the
//     addresses and the control socket go and anycostd exits 0;
//   - a second SIGTERM or SIGINT stops at once, without waiting for the
//     flush (exit 1).

// loop handles signals until the modes have stopped. The first SIGTERM
// or SIGINT drains the services (withdrawn on the wire, then held up for
// drain_time so queries in flight are answered), then stops the modes,
// which flushes every LSA.
func (d *Daemon) loop(ctx context.Context, sigs <-chan os.Signal, runErr <-chan error, cancel context.CancelFunc) error {
	stopping := false
	var deadline <-chan time.Time
	drained := make(chan error, 1)
	stopNow := func(err error) error {
		cancel()
		<-runErr
		return err
	}
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				if stopping {
					d.log.Warn("SIGHUP ignored while shutting down")
					continue
				}
				d.notify(func(n *sdnotify.Notifier) error { return n.Reloading("reloading the configuration") })
				d.reload()
				d.ready("running: configuration reloaded")
				continue
			}
			if stopping {
				d.log.Warn("second signal", "signal", sig.String())
				return stopNow(errSecondSignal)
			}
			stopping = true
			d.stopping.Store(true)
			d.log.Info("shutting down: draining the services", "signal", sig.String())
			d.notify(func(n *sdnotify.Notifier) error {
				return n.Stopping("stopping: draining the services (" + sig.String() + ")")
			})
			go func() {
				dctx, cancel := context.WithTimeout(ctx, d.drainBound())
				defer cancel()
				took, err := d.mgr.DrainForShutdown(dctx)
				if err == nil {
					d.log.Info("drained", "took", took.Round(time.Millisecond))
				}
				drained <- err
			}()
		case err := <-drained:
			if err != nil {
				d.log.Warn("drain did not complete; flushing anyway", "err", err)
			}
			d.log.Info("shutting down: flushing the advertisements")
			d.notify(func(n *sdnotify.Notifier) error { return n.Status("stopping: flushing the advertisements") })
			if err := d.modes.Stop(); err != nil {
				return stopNow(fmt.Errorf("shutdown: %w", err))
			}
			deadline = time.After(d.cfg.OSPF.FlushTimeout + shutdownGrace)
		case err := <-runErr:
			switch {
			case stopping && err == nil:
				d.log.Info("shut down")
				return nil
			case err == nil:
				return errors.New("a mode stopped by itself")
			}
			return err
		case <-deadline:
			return stopNow(errFlushTimeout)
		case <-ctx.Done():
			return stopNow(ctx.Err())
		}
	}
}

// drainBound limits the drain: the longest drain_time, plus pacing and
// some slack for the instance to put the withdrawal on the wire.
func (d *Daemon) drainBound() time.Duration {
	longest := time.Duration(0)
	for _, s := range d.cfg.Services {
		longest = max(longest, s.DrainTime)
	}
	return longest + 2*pacingOf(d.cfg).longest() + shutdownGrace
}
