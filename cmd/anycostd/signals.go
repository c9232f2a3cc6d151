package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// Signals of a running daemon:
//   - SIGHUP reloads the configuration (reload.go);
//   - SIGTERM or SIGINT starts the graceful shutdown: the instance flushes
//     its LSAs and waits (bounded) for their acknowledgement, then the
//     addresses and the control socket go and anycostd exits 0;
//   - a second SIGTERM or SIGINT stops at once, without waiting for the
//     flush (exit 1).

// loop handles signals until the instance has stopped.
func (d *daemon) loop(ctx context.Context, sigs <-chan os.Signal, runErr <-chan error, cancel context.CancelFunc) error {
	stopping := false
	var deadline <-chan time.Time
	stopNow := func(err error) error {
		cancel()
		<-runErr
		return err
	}
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				d.reload()
				continue
			}
			if stopping {
				d.log.Warn("second signal", "signal", sig.String())
				return stopNow(errSecondSignal)
			}
			stopping = true
			d.log.Info("shutting down: flushing the advertisements", "signal", sig.String())
			if err := d.sp.Shutdown(); err != nil {
				return stopNow(fmt.Errorf("shutdown: %w", err))
			}
			deadline = time.After(d.cfg.OSPF.FlushTimeout + shutdownGrace)
		case err := <-runErr:
			switch {
			case stopping && err == nil:
				d.log.Info("shut down")
				return nil
			case err == nil:
				return errors.New("the OSPF instance stopped by itself")
			}
			return fmt.Errorf("OSPF instance: %w", err)
		case <-deadline:
			return stopNow(errFlushTimeout)
		case <-ctx.Done():
			return stopNow(ctx.Err())
		}
	}
}
