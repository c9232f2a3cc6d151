// Package daemon is one run of anycostd: it opens the modes the
// configuration asks for (the OSPF instance, the ND speaker) on their
// interfaces, puts the service addresses in place, runs the service
// manager, serves the control socket and the metrics, reloads the
// configuration on SIGHUP, and on SIGTERM drains the services, stops the
// modes and cleans up.
//
//	daemon.go    New, Options, Run
//	start.go     start-up: keys, sockets, modes, addresses, manager
//	modes.go     the modes as one services.Advertiser
//	mode_ospf.go the OSPF instance as a mode
//	mode_nd.go   the ND speaker as a mode
//	bfd.go       BFD with the OSPF DR and BDR, glued to the instance
//	settings.go  the configuration translated into each engine's settings
//	link.go      waiting for the interface and following its changes
//	addrs.go     the service addresses
//	auth.go      OSPF authentication (keys, sequence numbers, drops)
//	reload.go    SIGHUP
//	signals.go   the running loop: reload, drain, stop
//	notify.go    what systemd is told (sd_notify): ready, status, watchdog
//	backend.go   the control socket's answers
//	host.go      what the daemon needs from the system (SystemHost)
//	caps.go      the capabilities `anycostd run` needs
//	router.go    the router agent (`anycostd router`)
package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/internal/sdnotify"
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

// Options are what `anycostd run` adds to the configuration. The zero
// value keeps the file's settings, logs to standard error and listens to
// the process's signals.
type Options struct {
	// ConfigPath is the file SIGHUP reads again.
	ConfigPath string
	// Control, LogFormat and LogLevel override control_socket,
	// log_format and log_level ("" keeps the file's).
	Control   string
	LogFormat string
	LogLevel  string
	// LogTo receives the log (nil: standard error).
	LogTo io.Writer
	// Signals delivers SIGTERM, SIGINT and SIGHUP (nil: the process's).
	Signals <-chan os.Signal
	// Notify is systemd's notification socket (nil: not started by
	// systemd as Type=notify); Watchdog its WatchdogSec= (0: none).
	// notify.go says what is sent when.
	Notify   *sdnotify.Notifier
	Watchdog time.Duration
}

// Daemon is one run of anycostd. Its fields are used by the goroutine of
// Run only (reload runs there too), except where noted.
type Daemon struct {
	opts     Options
	host     Host
	log      *slog.Logger
	level    *slog.LevelVar // shared with the log handler
	linkWait time.Duration
	// How the modes and the monitors are made; tests replace them.
	newOSPF newOSPFFunc
	newND   newNDFunc
	newBFD  newBFDFunc
	inputs  services.Inputs
	// newBackend makes the router agent's backend (router.go).
	newBackend newBackendFunc

	cfg   *config.Config // the running configuration (what reload applied)
	modes *modeSet
	mgr   *services.Manager // the services' monitors and cost models
	addrs *addrSet          // safe for any goroutine
	// ctl answers the control socket, from start-up on; safe for any
	// goroutine.
	ctl *phaseBackend
	// stopping is set by the first SIGTERM; notifyFailed after the first
	// notification that could not be sent. Safe for any goroutine.
	stopping     atomic.Bool
	notifyFailed atomic.Bool
	// lastStatus is the last running status line sent to systemd
	// (string; "" after READY).
	lastStatus atomic.Value
}

// New prepares a run of cfg on h; Run starts it.
func New(cfg *config.Config, h Host, opts Options) *Daemon {
	format, level := cfg.LogFormat, cfg.LogLevel
	if f, ok := config.ParseLogFormat(opts.LogFormat); ok {
		format = f
	}
	if l, ok := config.ParseLogLevel(opts.LogLevel); ok {
		level = l
	}
	if opts.LogTo == nil {
		opts.LogTo = os.Stderr
	}
	lv := new(slog.LevelVar)
	lv.Set(level)
	log := newLogger(opts.LogTo, format, lv)
	return &Daemon{
		opts:       opts,
		host:       h,
		log:        log,
		level:      lv,
		linkWait:   linkWait,
		newOSPF:    newOSPF,
		newND:      openND,
		newBFD:     newBFD,
		inputs:     &services.SystemInputs{Log: log},
		cfg:        cfg,
		newBackend: newBackend,
		ctl:        &phaseBackend{starting: "starting"},
	}
}

func newLogger(w io.Writer, format config.LogFormat, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == config.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func (d *Daemon) controlPath() string {
	if d.opts.Control != "" {
		return d.opts.Control
	}
	return d.cfg.ControlSocket
}

var (
	errSecondSignal = errors.New("stopped at once by a second signal; LSAs were not flushed")
	errFlushTimeout = errors.New("shutdown did not finish in time; stopped without waiting further")
	errInterrupted  = errors.New("interrupted while starting") // by SIGTERM or SIGINT
)

// Run starts the daemon and serves until a signal stops it (signals.go)
// or ctx is done. An error is logged ("anycostd stopped") and returned.
func (d *Daemon) Run(ctx context.Context) error {
	sigs, stop := d.signals()
	defer stop()
	err := d.run(ctx, sigs)
	if err != nil {
		d.log.Error("anycostd stopped", "err", err)
	}
	return err
}

// signals is Options.Signals, else the process's SIGTERM, SIGINT and
// SIGHUP until stop.
func (d *Daemon) signals() (sigs <-chan os.Signal, stop func()) {
	if d.opts.Signals != nil {
		return d.opts.Signals, func() {}
	}
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	return c, func() { signal.Stop(c) }
}
