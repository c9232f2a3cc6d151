package daemon

import (
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anycostd/anycostd/internal/sdnotify"
)

// fakeSystemd is a notification socket, as systemd opens for a
// Type=notify unit: it keeps every datagram.
type fakeSystemd struct {
	mu      sync.Mutex
	msgs    []string
	c       *net.UnixConn
	flushed chan struct{} // flushMarker read
}

// flushMarker is the datagram of flush, not kept.
const flushMarker = "X-TEST-FLUSH=1\n"

func newFakeSystemd(t *testing.T) (*fakeSystemd, *sdnotify.Notifier) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSystemd{c: c, flushed: make(chan struct{}, 1)}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := c.Read(b)
			if err != nil {
				return
			}
			if string(b[:n]) == flushMarker {
				s.flushed <- struct{}{}
				continue
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, string(b[:n]))
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close() })
	n, err := sdnotify.New(path)
	if err != nil {
		t.Fatal(err)
	}
	return s, n
}

// flush returns once the fake has read every datagram sent to it before
// the call: a marker sent after them is queued, and read, after them.
func (s *fakeSystemd) flush(t *testing.T) {
	t.Helper()
	c, err := net.DialUnix("unixgram", nil, s.c.LocalAddr().(*net.UnixAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(flushMarker)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.flushed:
	case <-time.After(5 * time.Second):
		t.Fatal("the fake systemd did not read the flush marker within 5 s")
	}
}

// list returns the datagrams received so far, without the watchdog
// pings and the periodic running lines when plain.
func (s *fakeSystemd) list(plain bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.msgs {
		if plain && (m == "WATCHDOG=1\n" || strings.HasPrefix(m, "STATUS=running: ")) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// waitFor waits for a datagram that matches re.
func (s *fakeSystemd) waitFor(t *testing.T, re string) {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, m := range s.list(false) {
			if rx.MatchString(m) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("systemd was never sent %s; got %q", re, s.list(false))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDaemonNotifiesSystemd: the sd_notify sequence of a run (notify.go):
// the start's status, READY=1 once running, the running line and the
// watchdog pings, RELOADING=1 and READY=1 around a reload, STOPPING=1 as
// the drain begins, then the flush.
func TestDaemonNotifiesSystemd(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS+svcNTP)
	sd, n := newFakeSystemd(t)
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.host.link.Name = "eth9" // eth0 does not exist yet
		td.opts.Notify = n
		td.opts.Watchdog = 150 * time.Millisecond
	})
	sd.waitFor(t, `^STATUS=starting: waiting for interface eth0 \(no such interface\)\n$`)
	time.Sleep(500 * time.Millisecond) // more polls of the interface: no more datagrams
	if got := sd.list(false); len(got) != 2 {
		t.Errorf("while waiting: %q, want two status lines (opening, waiting)", got)
	}
	td.host.mu.Lock()
	td.host.link.Name = "eth0"
	td.host.mu.Unlock()
	sd.waitFor(t, `^READY=1\nSTATUS=running: 2 services handed to their modes\n$`)
	sd.waitFor(t, `^WATCHDOG=1\n$`)
	sd.waitFor(t, `^STATUS=running: 2 of 2 services advertised \(dns, ntp\); OSPF eth0: 2 of 3 neighbors Full\n$`)

	td.sigs <- syscall.SIGHUP
	sd.waitFor(t, `^READY=1\nSTATUS=running: configuration reloaded\n$`)
	td.sigs <- syscall.SIGTERM
	if err := td.wait(); err != nil {
		t.Fatal(err)
	}
	sd.waitFor(t, `^STATUS=stopping: flushing the advertisements\n$`) // sent; maybe not read yet
	got := sd.list(true)
	want := []*regexp.Regexp{
		regexp.MustCompile(`^STATUS=starting: opening the modes\n$`),
		regexp.MustCompile(`^STATUS=starting: waiting for interface eth0 \(no such interface\)\n$`),
		regexp.MustCompile(`^STATUS=starting: putting the service addresses in place\n$`),
		regexp.MustCompile(`^READY=1\nSTATUS=running: 2 services handed to their modes\n$`),
		regexp.MustCompile(`^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=reloading the configuration\n$`),
		regexp.MustCompile(`^READY=1\nSTATUS=running: configuration reloaded\n$`),
		regexp.MustCompile(`^STOPPING=1\nSTATUS=stopping: draining the services \(terminated\)\n$`),
		regexp.MustCompile(`^STATUS=stopping: flushing the advertisements\n$`),
	}
	if len(got) != len(want) {
		t.Fatalf("notifications:\n%q\nwant %d of them", got, len(want))
	}
	for i, rx := range want {
		if !rx.MatchString(got[i]) {
			t.Errorf("notification %d = %q, want %s", i, got[i], rx)
		}
	}
}

// pings counts the watchdog pings received.
func (s *fakeSystemd) pings() int {
	n := 0
	for _, m := range s.list(false) {
		if m == "WATCHDOG=1\n" {
			n++
		}
	}
	return n
}

// TestDaemonWatchdogStopsWhenWedged: the pings stop while the OSPF
// instance does not answer a status request, and resume once it does.
func TestDaemonWatchdogStopsWhenWedged(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS)
	sd, n := newFakeSystemd(t)
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.opts.Notify = n
		td.opts.Watchdog = 150 * time.Millisecond
	})
	sd.waitFor(t, `^WATCHDOG=1\n$`)
	td.sp.mu.Lock() // the fake instance's Status blocks: a wedged engine
	// Once a Status call waits (only the watchdog's check asks here), the
	// check has sent its last ping; flush makes sure the fake has read it.
	for deadline := time.Now().Add(5 * time.Second); td.sp.statusBlocked.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			td.sp.mu.Unlock()
			t.Fatal("the watchdog's check did not ask the instance's status within 5 s")
		}
	}
	sd.flush(t)
	before := sd.pings()
	time.Sleep(500 * time.Millisecond)
	after := sd.pings()
	td.sp.mu.Unlock()
	if after != before {
		t.Errorf("%d watchdog pings while the instance did not answer", after-before)
	}
	deadline := time.Now().Add(5 * time.Second)
	for sd.pings() <= after {
		if time.Now().After(deadline) {
			t.Fatal("the pings did not resume")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
