package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// listen opens a datagram socket at addr, as systemd does, and returns a
// function that reads the next notification.
func listen(t *testing.T, addr string) func() string {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return func() string {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		b := make([]byte, 4096)
		n, err := c.Read(b)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(b[:n])
	}
}

func TestNotify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	next := listen(t, path)
	t.Setenv(Env, path)
	n, err := FromEnv()
	if err != nil || n == nil {
		t.Fatalf("FromEnv = %v, %v", n, err)
	}
	if _, set := os.LookupEnv(Env); set {
		t.Errorf("FromEnv left %s set: the daemon's child processes would inherit it", Env)
	}

	if err := n.Ready("advertising dns\nand ntp"); err != nil {
		t.Fatal(err)
	}
	if got, want := next(), "READY=1\nSTATUS=advertising dns and ntp\n"; got != want {
		t.Errorf("Ready sent %q, want %q", got, want)
	}
	if err := n.Stopping("draining"); err != nil {
		t.Fatal(err)
	}
	if got, want := next(), "STOPPING=1\nSTATUS=draining\n"; got != want {
		t.Errorf("Stopping sent %q, want %q", got, want)
	}
	if err := n.Status("waiting for eth0"); err != nil {
		t.Fatal(err)
	}
	if got, want := next(), "STATUS=waiting for eth0\n"; got != want {
		t.Errorf("Status sent %q, want %q", got, want)
	}

	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	before := ts.Nano() / 1000
	if err := n.Reloading("reloading"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(next(), "\n"), "\n")
	if len(lines) != 3 || lines[0] != "RELOADING=1" || lines[2] != "STATUS=reloading" {
		t.Fatalf("Reloading sent %q", lines)
	}
	usec, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64)
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	if !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") || err != nil || usec < before || usec > ts.Nano()/1000 {
		t.Errorf("Reloading: %q is not CLOCK_MONOTONIC in microseconds (between %d and %d)", lines[1], before, ts.Nano()/1000)
	}
}

// systemd may name a socket in the abstract namespace: "@name".
func TestAbstractSocket(t *testing.T) {
	addr := fmt.Sprintf("@anycostd-sdnotify-test-%d", os.Getpid())
	next := listen(t, addr)
	n, err := New(addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send("READY=1"); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != "READY=1\n" {
		t.Errorf("sent %q", got)
	}
}

// Without $NOTIFY_SOCKET nothing is sent and nothing fails.
func TestNoSocket(t *testing.T) {
	t.Setenv(Env, "")
	os.Unsetenv(Env)
	n, err := FromEnv()
	if n != nil || err != nil {
		t.Fatalf("FromEnv without %s = %v, %v", Env, n, err)
	}
	for _, err := range []error{n.Ready("x"), n.Stopping("x"), n.Reloading("x"), n.Status("x"), n.Send("READY=1")} {
		if err != nil {
			t.Errorf("nil Notifier: %v", err)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, addr := range []string{"", "@", "relative/notify", "vsock:2:1234"} {
		if _, err := New(addr); !errors.Is(err, ErrAddress) {
			t.Errorf("New(%q) = %v, want ErrAddress", addr, err)
		}
	}
	n, err := New(filepath.Join(t.TempDir(), "nobody-listens"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"READY", "=1", "STATUS=a\nREADY=1"} {
		if err := n.Send(a); !errors.Is(err, ErrAssignment) {
			t.Errorf("Send(%q) = %v, want ErrAssignment", a, err)
		}
	}
	// A socket nobody listens on: the error says so, the caller logs it.
	if err := n.Send("READY=1"); err == nil || !strings.Contains(err.Error(), "sdnotify: dial unixgram") {
		t.Errorf("Send to a missing socket = %v", err)
	}
	if diff := cmp.Diff("STATUS=a b", statusLine("a\nb")); diff != "" {
		t.Error(diff)
	}
}

func TestWatchdog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	next := listen(t, path)
	n, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Watchdog(); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != "WATCHDOG=1\n" {
		t.Errorf("Watchdog sent %q", got)
	}

	for _, tc := range []struct {
		usec, pid string // "-": unset
		want      time.Duration
		err       bool
	}{
		{"-", "-", 0, false},
		{"30000000", "-", 30 * time.Second, false},
		{"30000000", strconv.Itoa(os.Getpid()), 30 * time.Second, false},
		{"30000000", "1", 0, false}, // meant for another process
		{"0", "-", 0, true},
		{"3s", "-", 0, true},
	} {
		for k, v := range map[string]string{WatchdogUsecEnv: tc.usec, WatchdogPIDEnv: tc.pid} {
			t.Setenv(k, v)
			if v == "-" {
				os.Unsetenv(k)
			}
		}
		got, err := WatchdogFromEnv()
		if got != tc.want || (err != nil) != tc.err || err != nil && !errors.Is(err, ErrWatchdog) {
			t.Errorf("WATCHDOG_USEC=%s WATCHDOG_PID=%s: %v, %v; want %v, error %v", tc.usec, tc.pid, got, err, tc.want, tc.err)
		}
		for _, k := range []string{WatchdogUsecEnv, WatchdogPIDEnv} {
			if _, set := os.LookupEnv(k); set {
				t.Errorf("WatchdogFromEnv left %s set", k)
			}
		}
	}
}
