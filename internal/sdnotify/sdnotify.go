// Package sdnotify tells systemd how a service started with Type=notify
// is doing: the sd_notify(3) protocol, one datagram of newline-separated
// KEY=VALUE assignments to the unix socket named by $NOTIFY_SOCKET.
//
// A path starting with "@" names a socket in the abstract namespace (the
// "@" stands for the leading NUL byte; Go's net package makes that
// translation itself). Without $NOTIFY_SOCKET (not started by systemd, or
// not Type=notify) the Notifier is nil and every call does nothing.
//
// The daemon sends READY=1 once it runs (internal/daemon/notify.go says
// exactly when), STOPPING=1 when a stop begins, RELOADING=1 with
// MONOTONIC_USEC while it applies a new configuration (Type=notify-reload
// needs both), STATUS= lines that `systemctl status` shows and, with
// WatchdogSec=, WATCHDOG=1.
package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Env is the variable systemd sets to the notification socket's address.
const Env = "NOTIFY_SOCKET"

// The variables systemd sets when the unit has WatchdogSec=: the interval
// in microseconds and the process it is meant for.
const (
	WatchdogUsecEnv = "WATCHDOG_USEC"
	WatchdogPIDEnv  = "WATCHDOG_PID"
)

// ErrWatchdog reports a $WATCHDOG_USEC that is not a positive number.
var ErrWatchdog = errors.New("sdnotify: unusable WATCHDOG_USEC")

// ErrAddress reports a $NOTIFY_SOCKET this package cannot use: empty,
// relative, or of another family (systemd 253's "vsock:").
var ErrAddress = errors.New("sdnotify: unusable NOTIFY_SOCKET address")

// ErrAssignment reports an assignment that is not KEY=VALUE on one line.
var ErrAssignment = errors.New("sdnotify: not a KEY=VALUE assignment")

// Notifier sends notifications to one socket. The nil Notifier does
// nothing. Its methods may be called from any goroutine.
type Notifier struct {
	addr *net.UnixAddr
}

// FromEnv returns the Notifier of $NOTIFY_SOCKET, or nil without one. It
// unsets the variable, as sd_notify(3)'s unset_environment does, so that
// the commands the daemon runs (external load commands) do not inherit
// it and cannot speak for the service.
func FromEnv() (*Notifier, error) {
	v, ok := os.LookupEnv(Env)
	if !ok {
		return nil, nil
	}
	os.Unsetenv(Env)
	return New(v)
}

// New returns a Notifier that sends to the socket at addr: an absolute
// path, or "@name" in the abstract namespace.
func New(addr string) (*Notifier, error) {
	if len(addr) < 2 || addr[0] != '/' && addr[0] != '@' {
		return nil, fmt.Errorf("%w: %q (want an absolute path or @abstract)", ErrAddress, addr)
	}
	return &Notifier{addr: &net.UnixAddr{Name: addr, Net: "unixgram"}}, nil
}

// Send sends the assignments ("READY=1", "STATUS=...") in one datagram.
func (n *Notifier) Send(assignments ...string) error {
	if n == nil {
		return nil
	}
	for _, a := range assignments {
		if k, _, ok := strings.Cut(a, "="); !ok || k == "" || strings.ContainsRune(a, '\n') {
			return fmt.Errorf("%w: %q", ErrAssignment, a)
		}
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(strings.Join(assignments, "\n") + "\n")); err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	return nil
}

// Ready says the service is up (READY=1), with a status line.
func (n *Notifier) Ready(status string) error {
	return n.Send("READY=1", statusLine(status))
}

// Stopping says the service is stopping (STOPPING=1), with a status line.
func (n *Notifier) Stopping(status string) error {
	return n.Send("STOPPING=1", statusLine(status))
}

// Reloading says the service is reloading its configuration
// (RELOADING=1 and the CLOCK_MONOTONIC time in microseconds, which
// Type=notify-reload matches with the reload request); Ready ends it.
func (n *Notifier) Reloading(status string) error {
	if n == nil {
		return nil
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return fmt.Errorf("sdnotify: clock_gettime: %w", err)
	}
	usec := time.Duration(ts.Nano()) / time.Microsecond
	return n.Send("RELOADING=1", "MONOTONIC_USEC="+strconv.FormatInt(int64(usec), 10), statusLine(status))
}

// Watchdog tells systemd the service is alive (WATCHDOG=1); with
// WatchdogSec= it must come more often than that.
func (n *Notifier) Watchdog() error {
	return n.Send("WATCHDOG=1")
}

// WatchdogFromEnv returns the interval in which systemd wants WATCHDOG=1
// ($WATCHDOG_USEC), or 0 without one or when $WATCHDOG_PID names another
// process. Like FromEnv it unsets both variables, so that the commands
// the daemon runs do not inherit them.
func WatchdogFromEnv() (time.Duration, error) {
	usec, ok := os.LookupEnv(WatchdogUsecEnv)
	pid, pidSet := os.LookupEnv(WatchdogPIDEnv)
	os.Unsetenv(WatchdogUsecEnv)
	os.Unsetenv(WatchdogPIDEnv)
	if !ok {
		return 0, nil
	}
	if pidSet && pid != strconv.Itoa(os.Getpid()) {
		return 0, nil
	}
	v, err := strconv.ParseUint(usec, 10, 63)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("%w: %q", ErrWatchdog, usec)
	}
	return time.Duration(v) * time.Microsecond, nil
}

// Status sets the status line `systemctl status` shows.
func (n *Notifier) Status(status string) error {
	return n.Send(statusLine(status))
}

// statusLine is STATUS= with s on one line.
func statusLine(s string) string {
	return "STATUS=" + strings.ReplaceAll(s, "\n", " ")
}
