package main

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// routeEvent is one kernel notification about the watched prefix, as
// `ip -ts -6 monitor route` printed it in the router's namespace.
type routeEvent struct {
	At      time.Time // the kernel message's timestamp (CLOCK_REALTIME)
	Deleted bool      // "Deleted ..." (the route is gone)
	// Type is the route's type when it is not a unicast route:
	// "blackhole" (an ABR's discard route for its area range),
	// "unreachable", "prohibit" or "throw".
	Type string
	Hops []netip.Addr // the gateways of the route (none when Deleted)
	Raw  string       // the message as ip printed it
}

// verboseMonitor logs every route event (-v).
var verboseMonitor bool

// routeMonitor runs `ip -ts -6 monitor route` inside a namespace and keeps
// the events about one prefix. It measures FIB changes by notification,
// not by polling: ip prints the time it read each netlink message.
type routeMonitor struct {
	prefix netip.Prefix
	cmd    *exec.Cmd

	mu      sync.Mutex
	events  []routeEvent
	changed chan struct{} // closed and replaced on every event
	err     error
}

// startRouteMonitor starts the monitor in namespace ns.
func startRouteMonitor(ns string, prefix netip.Prefix) (*routeMonitor, error) {
	m := &routeMonitor{prefix: prefix, changed: make(chan struct{})}
	m.cmd = exec.Command("ip", "netns", "exec", ns, "ip", "-ts", "-6", "monitor", "route")
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := m.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("ip monitor in %s: %w", ns, err)
	}
	go m.read(out)
	// ip subscribes to the multicast groups right after it starts; give it
	// a moment so that nothing done just after this returns is missed.
	time.Sleep(200 * time.Millisecond)
	return m, nil
}

// stop ends the monitor process (its whole process group).
func (m *routeMonitor) stop() {
	if m.cmd.Process != nil {
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		_ = m.cmd.Wait()
	}
}

var tsRe = regexp.MustCompile(`^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})\] (.*)$`)

// read parses ip's output: a message starts with "[timestamp] " and
// multipath next hops follow on lines that start with a tab. ip flushes
// its output after each message, so a message is complete when no more
// input is buffered (or the next message starts).
func (m *routeMonitor) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<20)
	var cur []string
	var at time.Time
	emitted := false // cur was handed over already, without its end
	flush := func(final bool) {
		if cur != nil {
			m.handle(at, cur, emitted)
			emitted = !final
		}
		if final {
			cur, emitted = nil, false
		}
	}
	var err error
	for {
		var line string
		line, err = br.ReadString('\n')
		line = strings.TrimRight(line, "\n")
		if mm := tsRe.FindStringSubmatch(line); mm != nil {
			flush(true)
			if t, perr := time.ParseInLocation("2006-01-02T15:04:05.000000", mm[1], time.Local); perr == nil {
				at, cur = t, []string{mm[2]}
			}
		} else if cur != nil && (strings.HasPrefix(line, "\t") || strings.HasPrefix(line, " ")) {
			cur = append(cur, line)
		}
		if err != nil {
			break
		}
		if br.Buffered() == 0 {
			flush(false)
		}
	}
	flush(true)
	m.mu.Lock()
	m.err = err // io.EOF when ip exits
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
}

// handle records one message if it is about the watched prefix; with
// replace it updates the event it recorded for the same message before
// (a message that arrived in two reads).
func (m *routeMonitor) handle(at time.Time, lines []string, replace bool) {
	first := strings.Fields(lines[0])
	ev := routeEvent{At: at, Raw: strings.Join(lines, " | ")}
	if len(first) > 0 && first[0] == "Deleted" {
		ev.Deleted = true
		first = first[1:]
	}
	if len(first) > 0 && slices.Contains([]string{"blackhole", "unreachable", "prohibit", "throw"}, first[0]) {
		ev.Type = first[0]
		first = first[1:]
	}
	if len(first) == 0 {
		return
	}
	dst := first[0]
	if !strings.Contains(dst, "/") {
		dst += "/128"
	}
	p, err := netip.ParsePrefix(dst)
	if err != nil || p != m.prefix {
		return
	}
	if !ev.Deleted {
		for _, l := range lines {
			f := strings.Fields(l)
			for i := 0; i+1 < len(f); i++ {
				if f[i] == "via" {
					if a, err := netip.ParseAddr(f[i+1]); err == nil {
						ev.Hops = append(ev.Hops, a)
					}
				}
			}
		}
		slices.SortFunc(ev.Hops, netip.Addr.Compare)
	}
	if verboseMonitor {
		fmt.Fprintf(os.Stderr, "%s route event (ts %s): %s\n", time.Now().Format("15:04:05.000000"), at.Format("15:04:05.000000"), ev.Raw)
	}
	m.mu.Lock()
	if replace && len(m.events) > 0 && m.events[len(m.events)-1].At.Equal(at) {
		m.events[len(m.events)-1] = ev
	} else {
		m.events = append(m.events, ev)
	}
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
}

// between returns the events from from (inclusive) to to (exclusive).
func (m *routeMonitor) between(from, to time.Time) []routeEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []routeEvent
	for _, ev := range m.events {
		if !ev.At.Before(from) && ev.At.Before(to) {
			out = append(out, ev)
		}
	}
	return out
}

// goneAt returns when the route went for good between from and to: the
// time of the last event there if it is a deletion (a route replaced in
// place is a deletion followed by the new route).
func (m *routeMonitor) goneAt(from, to time.Time) (time.Time, bool) {
	evs := m.between(from, to)
	if len(evs) == 0 || !evs[len(evs)-1].Deleted {
		return time.Time{}, false
	}
	return evs[len(evs)-1].At, true
}

// nextAfter returns the first event after t.
func (m *routeMonitor) nextAfter(t time.Time) (routeEvent, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ev := range m.events {
		if ev.At.After(t) {
			return ev, true
		}
	}
	return routeEvent{}, false
}

// absentMs is how long, between from and to, the kernel had no route
// for the prefix, in milliseconds: the state at from is the last event's
// before it, or none (the monitor starts before the lab's routes).
func (m *routeMonitor) absentMs(from, to time.Time) float64 {
	gone, since := true, from
	for _, ev := range m.between(time.Time{}, from) {
		gone = ev.Deleted
	}
	total := time.Duration(0)
	for _, ev := range m.between(from, to) {
		if gone && !ev.Deleted {
			total += ev.At.Sub(since)
		}
		if !gone && ev.Deleted {
			since = ev.At
		}
		gone = ev.Deleted
	}
	if gone {
		total += to.Sub(since)
	}
	return float64(total.Microseconds()) / 1000
}

// stateAt says what the kernel had for the prefix at t, from the events
// up to t: "none", "blackhole" or "via <next hops>", with the time of the
// event that set it.
func (m *routeMonitor) stateAt(t time.Time) string {
	evs := m.between(time.Time{}, t.Add(time.Microsecond))
	if len(evs) == 0 {
		return "unknown (no event since the monitor started)"
	}
	last := evs[len(evs)-1]
	state := "none"
	switch {
	case last.Deleted:
	case last.Type != "":
		state = last.Type
	default:
		var hops []string
		for _, h := range last.Hops {
			hops = append(hops, h.String())
		}
		state = "via " + strings.Join(hops, ",")
	}
	return fmt.Sprintf("%s (since %s)", state, last.At.Format("15:04:05.000000"))
}

// waitEvent returns the first event after `after` for which match is true,
// waiting up to timeout for it.
func (m *routeMonitor) waitEvent(after time.Time, timeout time.Duration, match func(routeEvent) bool) (routeEvent, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	seen := 0
	for {
		m.mu.Lock()
		for ; seen < len(m.events); seen++ {
			ev := m.events[seen]
			if ev.At.After(after) && match(ev) {
				m.mu.Unlock()
				return ev, nil
			}
		}
		if seen > 0 {
			seen-- // the last event may still grow (handle's replace)
		}
		ch, err := m.changed, m.err
		m.mu.Unlock()
		if err != nil {
			return routeEvent{}, fmt.Errorf("ip monitor: %w", err)
		}
		select {
		case <-ch:
		case <-deadline.C:
			return routeEvent{}, fmt.Errorf("no matching FIB change for %s within %v", m.prefix, timeout)
		}
	}
}
