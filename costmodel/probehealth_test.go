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
	tests := []struct {
		name      string
		hungAfter time.Duration
		checks    string
		want      string
	}{
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
	for _, s := range []Sample{SocketSample(0.5, 0), SocketSample(0.1, 3)} {
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
