package costmodel

import (
	"strings"
	"testing"
	"time"
)

// healthScript feeds, every 200 ms, a socket sample and a probe result as
// the checks string says, and returns after each whether the service is
// advertised ('A') or withdrawn ('W'):
//
//	'+' a good check, the receive queue empty
//	'-' a failed check, the queue empty (a dead or idle hung server)
//	'x' a failed check, the queue full and dropping (overloaded or hung)
//	'q' a failed check, the queue 60% full, no drops
//	'g' a good check answered late from behind a full, dropping queue
//	'f' a failed check, the queue 20% full, no drops (filling while a
//	    throttled process sleeps, or a hung one)
//	'd' a failed check, the queue 5% full, no drops (drained: smaller
//	    than after an 'f', so the process read from it)
//	'0' the socket gone (no probe result)
func healthScript(t *testing.T, p Params, checks string) (*Model, string) {
	t.Helper()
	var moments []at
	for i, c := range checks {
		var in []Sample
		switch c {
		case '+':
			in = []Sample{SocketSample(0, 0), ProbeResult(true, 2*time.Millisecond)}
		case '-':
			in = []Sample{SocketSample(0, 0), ProbeResult(false, 0)}
		case 'x':
			in = []Sample{SocketSample(1, 40), ProbeResult(false, 0)}
		case 'q':
			in = []Sample{SocketSample(0.6, 0), ProbeResult(false, 0)}
		case 'g':
			in = []Sample{SocketSample(1, 40), ProbeResult(true, 150*time.Millisecond)}
		case 'f':
			in = []Sample{SocketSample(0.2, 0), ProbeResult(false, 0)}
		case 'd':
			in = []Sample{SocketSample(0.05, 0), ProbeResult(false, 0)}
		case '0':
			in = []Sample{SocketGone()}
		default:
			t.Fatalf("check %q unknown", c)
		}
		moments = append(moments, at{i * 200, in})
	}
	m, steps := script(t, p, moments)
	return m, advertised(steps)
}

// healthCase is a healthScript run with hungAfter and its checks, and
// what it should give.
type healthCase struct {
	name      string
	hungAfter time.Duration
	checks    string
	want      string
}

// runHealthCases runs each case with healthParams and its hungAfter and
// compares the advertisements with want.
func runHealthCases(t *testing.T, tests []healthCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := healthParams()
			p.HungAfter = tt.hungAfter
			if _, got := healthScript(t, p, tt.checks); got != tt.want {
				t.Errorf("checks %s: got %s, want %s", tt.checks, got, tt.want)
			}
		})
	}
}

// healthParams: rise 3, fall 2, probe every 200 ms, socket every 100 ms,
// hung after 1 s.
func healthParams() Params {
	p := fast()
	p.Probe.Enabled = true
	p.Rise, p.Fall = 3, 2
	p.HungAfter = time.Second
	return p
}

// TestFailedChecksBehindCongestedQueue: a failed check while the socket
// monitor shows the receive queue congested is load, not death, until no
// check has passed for HungAfter (issue 14: an overloaded server's probe
// waits behind its full queue or is dropped by it).
func TestFailedChecksBehindCongestedQueue(t *testing.T) {
	tests := []healthCase{
		// The last good check at 400 ms; failures at 600..1200 ms are less
		// than 1 s after it, the one at 1400 ms is not: hung.
		{"full, dropping queue: up until hung_after", time.Second, "+++xxxxxx", "WWAAAAAWW"},
		{"a full queue without drops counts too", time.Second, "+++qqqqq", "WWAAAAAW"},
		{"a late answer restarts the hung clock", time.Second, "+++xxxxgxxxx", "WWAAAAAAAAAA"},
		{"an empty queue: down after fall, as before", time.Second, "+++--", "WWAAW"},
		{"hung_after 0: down after fall, as before", 0, "+++xx", "WWAAW"},
		{"hung: back only after rise good checks", time.Second, "+++xxxxxx+++", "WWAAAAAWWWWA"},
		{"socket gone: withdrawn at once", time.Second, "+++xx0", "WWAAAW"},
	}
	runHealthCases(t, tests)
}

// TestCongestionMustBeRecent: a congested socket sample explains a failed
// check only while a probe sent behind it may still be waiting: within the
// longer of the probe and socket intervals plus the congested wait
// (HungAfter/Fall); after that the failure counts towards fall again.
func TestCongestionMustBeRecent(t *testing.T) {
	p := healthParams()
	m := New("svc", p, t0)
	for i := range 3 {
		m.Observe(ms(i*200), ProbeResult(true, time.Millisecond))
	}
	window := max(p.Probe.Interval, p.Socket.Interval) + p.HungAfter/time.Duration(p.Fall)
	last := 500 * time.Millisecond
	m.Observe(t0.Add(last), SocketSample(1, 10))
	m.Observe(ms(600), ProbeResult(false, 0))
	m.Observe(t0.Add(last+window), ProbeResult(false, 0))
	if d := m.Decide(t0.Add(last + window)); d.Withdraw {
		t.Fatalf("withdrawn %v after a congested socket sample: %+v", window, d)
	}
	at := last + window + time.Millisecond // no socket sample since
	m.Observe(t0.Add(at), ProbeResult(false, 0))
	if d := m.Decide(t0.Add(at)); !d.Withdraw || !strings.Contains(d.Reason, "probe down") {
		t.Errorf("failed checks %v after the last congested sample: %+v, want withdrawn (probe down)", at-last, d)
	}
}

// TestHungReason: the withdrawal of a hung service says why.
func TestHungReason(t *testing.T) {
	m, got := healthScript(t, healthParams(), "+++xxxxx")
	if got != "WWAAAAAW" {
		t.Fatalf("got %s", got)
	}
	want := "probe down: 5 consecutive failed checks (fall 2), hung: no good check for 1s behind a congested receive queue (hung_after 1s)"
	if d := m.Decide(ms(1400)); !strings.HasSuffix(d.Reason, want) {
		t.Errorf("reason %q, want one ending in %q", d.Reason, want)
	}
}

// TestCongestedHealthExplained: while failed checks count as load,
// Explain says so and when the service will count as hung.
func TestCongestedHealthExplained(t *testing.T) {
	m, got := healthScript(t, healthParams(), "+++xxx")
	if got != "WWAAAA" {
		t.Fatalf("got %s", got)
	}
	h := m.Explain(ms(1000)).Health
	if !h.Up || h.Bad != 3 || !strings.Contains(h.Reason, "congested receive queue") ||
		!strings.Contains(h.Reason, "2025-03-01T12:00:01.4Z") {
		t.Errorf("health %+v: want up, 3 failed checks counted as load, hung at 12:00:01.4", h)
	}
	if l := m.Load(ms(1000)); l < 1 {
		t.Errorf("load %.3f behind a full, dropping queue with failing probes: want at least 1", l)
	}
}

// TestProbeWait: a probe waits its timeout while the queue is shallow and,
// while the socket monitor shows it congested, HungAfter/Fall (at least the
// probe interval), so that Fall failures of a hung process fit in HungAfter.
func TestProbeWait(t *testing.T) {
	const timeout = 100 * time.Millisecond
	p := healthParams()
	m := New("svc", p, t0)
	congestedWait := max(p.Probe.Interval, p.HungAfter/time.Duration(p.Fall))
	if congestedWait <= p.Probe.Interval {
		t.Fatalf("healthParams: HungAfter %v over Fall %d is not above the interval %v: the test cannot tell them apart", p.HungAfter, p.Fall, p.Probe.Interval)
	}
	if got := m.ProbeWait(ms(0), timeout); got != timeout {
		t.Errorf("no socket sample yet: wait %v, want %v", got, timeout)
	}
	m.Observe(ms(0), SocketSample(0.3, 0))
	if got := m.ProbeWait(ms(0), timeout); got != timeout {
		t.Errorf("queue 30%% full: wait %v, want %v", got, timeout)
	}
	for _, s := range []Sample{SocketSample(0.5, 0), SocketSample(0.6, 3)} {
		m.Observe(ms(100), s)
		if got := m.ProbeWait(ms(100), timeout); got != congestedWait {
			t.Errorf("socket %+v: wait %v, want HungAfter/Fall %v", s, got, congestedWait)
		}
	}
	if got := m.ProbeWait(ms(301), timeout); got != timeout {
		t.Errorf("201 ms after the last congested sample: wait %v, want %v", got, timeout)
	}
	if got := m.ProbeWait(ms(100), 2*time.Second); got != 2*time.Second {
		t.Errorf("a timeout above HungAfter/Fall: wait %v, want the timeout", got)
	}
	p.HungAfter = 0
	m = New("svc", p, t0)
	m.Observe(ms(100), SocketSample(0.5, 0))
	if got := m.ProbeWait(ms(100), timeout); got != p.Probe.Interval {
		t.Errorf("hung_after 0, congested: wait %v, want the probe interval %v", got, p.Probe.Interval)
	}
}

// TestFailedChecksBehindThrottledQueue: a failed check while the socket
// monitor shows the receive queue non-empty and saw it shrink within
// drainWindow is load, as behind a congested queue, until no check has
// passed for HungAfter (issue 14 in the lab: a CFS-throttled NSD sleeps
// through its probe's timeout with its queue far from full, then drains
// it). A queue that never shrinks is a hung process's: its failures count
// towards Fall, at once or drainWindow after its last read.
func TestFailedChecksBehindThrottledQueue(t *testing.T) {
	tests := []healthCase{
		// Good checks until 400 ms; the queue shrinks at 800, 1200, ...
		// The failure at 1400 ms is 1 s after the last good check: hung.
		{"read in bursts: up until hung_after", time.Second, "+++fdfdfdf", "WWAAAAAWWW"},
		{"read in bursts, hung_after 3s: up", 3 * time.Second, "+++fdfdfdfdfd", "WWAAAAAAAAAAA"},
		// The queue last shrinks at 800 ms: failures count as load up to
		// 1800 ms (drainWindow), the one at 2000 ms takes it down.
		{"read, then hung: down drainWindow after the last read", 5 * time.Second, "+++fdffffffff", "WWAAAAAAAAWWW"},
		{"a queue never seen read: down after fall", 3 * time.Second, "+++ff", "WWAAW"},
		{"hung_after 0: down after fall, as before", 0, "+++fd", "WWAAW"},
		{"back only after rise good checks", time.Second, "+++fdfdf+++", "WWAAAAAWWWA"},
	}
	runHealthCases(t, tests)
}

// TestThrottledHealthExplained: while failed checks behind a throttled
// queue count as load, Explain says so, with when the queue was last seen
// read and when the service will count as hung.
func TestThrottledHealthExplained(t *testing.T) {
	m, got := healthScript(t, healthParams(), "+++fdf")
	if got != "WWAAAA" {
		t.Fatalf("got %s", got)
	}
	h := m.Explain(ms(1000)).Health
	if !h.Up || h.Bad != 3 || !strings.Contains(h.Reason, "behind a receive queue the process reads in bursts (throttled: last seen read 200ms ago, at 20.0% full): counted as load") ||
		!strings.Contains(h.Reason, "2025-03-01T12:00:01.4Z") {
		t.Errorf("health %+v: want up, 3 failed checks counted as load behind a throttled queue, hung at 12:00:01.4", h)
	}
}

// TestProbeDownReasons: a probe-down withdrawal says what the socket
// monitor saw of the queue, and which bound ran out.
func TestProbeDownReasons(t *testing.T) {
	tests := []healthCase{
		{"never read", time.Second, "+++ff", "probe down: 2 consecutive failed checks (fall 2) (receive queue 20.0% full, never seen read)"},
		{"empty", time.Second, "+++--", "probe down: 2 consecutive failed checks (fall 2) (receive queue empty, never seen read)"},
		{"read, then not for drainWindow", 5 * time.Second, "+++fdfffffff",
			"probe down: 9 consecutive failed checks (fall 2) (receive queue 20.0% full, last seen read 1.2s ago)"},
		{"hung behind a throttled queue", time.Second, "+++fdfdf",
			"probe down: 5 consecutive failed checks (fall 2), hung: no good check for 1s behind a receive queue the process reads in bursts (hung_after 1s)"},
		{"hung_after 0: the reason before issue 14", 0, "+++ff", "probe down: 2 consecutive failed checks (fall 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := healthParams()
			p.HungAfter = tt.hungAfter
			m, got := healthScript(t, p, tt.checks)
			if !strings.HasSuffix(got, "W") {
				t.Fatalf("checks %s: %s, want withdrawn at the end", tt.checks, got)
			}
			at := ms((len(tt.checks) - 1) * 200)
			if d := m.Decide(at); !strings.HasSuffix(d.Reason, tt.want) {
				t.Errorf("reason %q, want one ending in %q", d.Reason, tt.want)
			}
		})
	}
}

// TestProbeWaitBehindThrottledQueue: a probe waits StaleAfter-1 probe
// intervals while the queue is non-empty, not congested, and was seen
// read within drainWindow; the interval behind a congested queue; its
// timeout otherwise.
func TestProbeWaitBehindThrottledQueue(t *testing.T) {
	const timeout = 100 * time.Millisecond
	p := healthParams()
	long := time.Duration(p.StaleAfter-1) * p.Probe.Interval
	m := New("svc", p, t0)
	m.Observe(ms(0), SocketSample(0.2, 0))
	if got := m.ProbeWait(ms(0), timeout); got != timeout {
		t.Errorf("queue 20%% full, never seen read: wait %v, want %v", got, timeout)
	}
	m.Observe(ms(100), SocketSample(0.05, 0))
	if got := m.ProbeWait(ms(100), timeout); got != long {
		t.Errorf("queue just seen read: wait %v, want %v", got, long)
	}
	for at := 200; at <= 1100; at += 100 {
		m.Observe(ms(at), SocketSample(0.05+float64(at)/10000, 0)) // growing: not read
	}
	if got := m.ProbeWait(ms(1100), timeout); got != long {
		t.Errorf("1 s after the last read: wait %v, want %v", got, long)
	}
	m.Observe(ms(1200), SocketSample(0.2, 0))
	if got := m.ProbeWait(ms(1200), timeout); got != timeout {
		t.Errorf("1.1 s after the last read: wait %v, want %v", got, timeout)
	}
	m.Observe(ms(1300), SocketSample(0, 0)) // read to empty
	m.Observe(ms(1400), SocketSample(0, 0))
	m.Observe(ms(1500), SocketSample(0, 0))
	if got := m.ProbeWait(ms(1500), timeout); got != timeout {
		t.Errorf("queue empty for 200 ms: wait %v, want %v", got, timeout)
	}
	m.Observe(ms(1600), SocketSample(0.7, 0))
	m.Observe(ms(1700), SocketSample(0.6, 0)) // read, but congested
	if want := max(p.Probe.Interval, p.HungAfter/time.Duration(p.Fall)); m.ProbeWait(ms(1700), timeout) != want {
		t.Errorf("congested queue seen read: wait %v, want the congested wait %v", m.ProbeWait(ms(1700), timeout), want)
	}
}
