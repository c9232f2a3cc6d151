package monitor

import (
	"context"
	"errors"
	"math"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// startDNS serves on [::1]:random (loopback of the test process) with
// answers chosen by the query name:
//
//	ok.test.      NOERROR with an A record
//	nx.test.      NXDOMAIN
//	fail.test.    SERVFAIL
//	refused.test. REFUSED
//	slow.test.    no response at all
//	late.test.    NOERROR after 150 ms (a server answering from behind a
//	              full receive queue)
//	drop1.test.   the first query dropped (as a full receive queue drops
//	              it), every later one answered
func startDNS(t *testing.T) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Fatalf("listen on [::1]: %v", err)
	}
	var dropped atomic.Bool
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		r := new(dns.Msg)
		r.SetReply(q)
		switch strings.ToLower(q.Question[0].Name) {
		case "ok.test.":
			rr, _ := dns.NewRR("ok.test. 60 IN A 192.0.2.1")
			r.Answer = append(r.Answer, rr)
		case "nx.test.":
			r.Rcode = dns.RcodeNameError
		case "fail.test.":
			r.Rcode = dns.RcodeServerFailure
		case "refused.test.":
			r.Rcode = dns.RcodeRefused
		case "slow.test.":
			return
		case "late.test.":
			time.Sleep(150 * time.Millisecond)
		case "drop1.test.":
			if !dropped.Swap(true) {
				return
			}
		}
		w.WriteMsg(r)
	})
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return netip.MustParseAddrPort(pc.LocalAddr().String())
}

// collect runs run in a goroutine, takes n samples and stops it, checking
// that it returns nil.
func collect(t *testing.T, n int, run func(ctx context.Context, out chan<- Sample) error) []Sample {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Sample)
	done := make(chan error, 1)
	go func() { done <- run(ctx, out) }()
	var got []Sample
	for len(got) < n {
		got = append(got, recv(t, out))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	return got
}

// neverTimeout arms a timeout that never expires: a probe of a server that
// answers then ends with the answer's verdict however late the scheduler
// runs its reader, not with a timeout that won the race (and still ends when
// the test cancels it). Where the server never answers the tests arm
// realTimeout, whose race with nothing cannot be lost.
func neverTimeout(time.Duration, func()) func() bool { return func() bool { return true } }

// answerAfter models a server that answers after delay (never, when it
// never does): a wait shorter than that expires at once, a longer one never
// does, whatever the scheduler makes of the real times.
func answerAfter(delay time.Duration) armTimeout {
	return func(d time.Duration, expire func()) func() bool {
		if d < delay {
			expire()
		}
		return func() bool { return false }
	}
}

// never is the delay of a server that never answers.
const never = time.Duration(math.MaxInt64)

func TestRunProbeDNS(t *testing.T) {
	target := startDNS(t)
	for _, tc := range []struct {
		qname, qtype string
		timeout      armTimeout
		ok           bool
		err          string
	}{
		{"ok.test", "A", neverTimeout, true, ""},
		{"ok.test.", "", neverTimeout, true, ""}, // default qtype SOA, answered NOERROR
		{"nx.test.", "SOA", neverTimeout, true, ""},
		{"fail.test.", "SOA", neverTimeout, false, "rcode SERVFAIL"},
		{"refused.test.", "SOA", neverTimeout, false, "rcode REFUSED"},
		{"slow.test.", "SOA", realTimeout, false, "timeout: no response within 50ms"},
	} {
		t.Run(tc.qname+"/"+tc.qtype, func(t *testing.T) {
			cfg := ProbeConfig{Kind: ProbeDNS, Target: target, QName: tc.qname, QType: tc.qtype, Interval: 10 * time.Millisecond, Timeout: 50 * time.Millisecond}
			for _, s := range collect(t, 2, func(ctx context.Context, out chan<- Sample) error { return runProbe(ctx, "dns", cfg, out, tc.timeout) }) {
				if s.Service != "dns" || s.Kind != KindProbe || s.Err != nil || s.Probe == nil {
					t.Fatalf("sample %+v, want a probe result for dns", s)
				}
				if s.Probe.OK != tc.ok || s.Probe.Err != tc.err {
					t.Errorf("probe %+v, want OK %v, Err %q", *s.Probe, tc.ok, tc.err)
				}
				if s.Probe.Latency <= 0 {
					t.Errorf("latency %v, want a measured one", s.Probe.Latency)
				}
				if !tc.ok && tc.err != "" && strings.HasPrefix(tc.err, "timeout") && s.Probe.Latency < 50*time.Millisecond {
					t.Errorf("timeout reported after %v, before the 50ms timeout", s.Probe.Latency)
				}
			}
		})
	}
}

// TestRunProbeWait: each probe waits what cfg.Wait says, within Timeout
// and maxWaitIntervals intervals, so that an answer from behind a
// congested or throttled queue is seen (issue 14); without Wait it waits
// Timeout, as before. The server's delay is modelled (answerAfter), so
// that which of the answer and the wait comes first is the model's, not
// the scheduler's.
func TestRunProbeWait(t *testing.T) {
	target := startDNS(t)
	for _, tc := range []struct {
		name  string
		qname string
		delay time.Duration // startDNS's for qname
		wait  func() time.Duration
		ok    bool
		err   string
	}{
		{"no Wait: the timeout", "late.test.", 150 * time.Millisecond, nil, false, "timeout: no response within 100ms"},
		{"Wait 300ms, above the interval: the late answer", "late.test.", 150 * time.Millisecond, func() time.Duration { return 300 * time.Millisecond }, true, ""},
		{"Wait below the timeout: the timeout", "late.test.", 150 * time.Millisecond, func() time.Duration { return 10 * time.Millisecond }, false, "timeout: no response within 100ms"},
		{"Wait above the interval: that wait", "slow.test.", never, func() time.Duration { return 1200 * time.Millisecond }, false, "timeout: no response within 1.2s"},
		{"Wait above 16 intervals: 16 intervals", "slow.test.", never, func() time.Duration { return time.Hour }, false, "timeout: no response within 1.6s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ProbeConfig{Kind: ProbeDNS, Target: target, QName: tc.qname, Interval: 100 * time.Millisecond, Timeout: 100 * time.Millisecond, Wait: tc.wait}
			s := collect(t, 1, func(ctx context.Context, out chan<- Sample) error {
				return runProbe(ctx, "dns", cfg, out, answerAfter(tc.delay))
			})[0]
			if s.Probe == nil || s.Probe.OK != tc.ok || s.Probe.Err != tc.err {
				t.Fatalf("probe %+v, want OK %v, Err %q", s.Probe, tc.ok, tc.err)
			}
			if tc.ok && s.Probe.Latency < 150*time.Millisecond {
				t.Errorf("latency %v, want the server's 150 ms or more", s.Probe.Latency)
			}
		})
	}
}

// TestRunProbeOverlapsBehindCongestion: with a wait beyond the interval a
// probe starts every interval whatever is still open, so a probe dropped
// at a full queue does not hold back the next one for its whole wait: the
// first verdict is the second probe's answer, one interval in. Its wait
// never expires here, so that no verdict at all could come from the first
// probe. With a wait within the interval probes do not overlap, as before:
// the first verdict is that probe's timeout (a real one: no answer races
// it).
func TestRunProbeOverlapsBehindCongestion(t *testing.T) {
	for _, tc := range []struct {
		name    string
		wait    time.Duration
		timeout armTimeout
		ok      bool
	}{
		{"wait beyond the interval: overlap", 2 * time.Second, neverTimeout, true},
		{"wait within the interval: one at a time", 80 * time.Millisecond, realTimeout, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := startDNS(t)
			cfg := ProbeConfig{Kind: ProbeDNS, Target: target, QName: "drop1.test.", Interval: 100 * time.Millisecond,
				Timeout: 50 * time.Millisecond, Wait: func() time.Duration { return tc.wait }}
			s := collect(t, 1, func(ctx context.Context, out chan<- Sample) error { return runProbe(ctx, "dns", cfg, out, tc.timeout) })[0]
			if s.Probe == nil || s.Probe.OK != tc.ok {
				t.Fatalf("first verdict %+v, want OK %v", s.Probe, tc.ok)
			}
		})
	}
}

// startUDP serves on [::1]:random; it echoes each datagram, prefixed with
// "re:", except those starting with "mute", which get no answer.
func startUDP(t *testing.T) netip.AddrPort {
	t.Helper()
	c, err := net.ListenUDP("udp6", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("[::1]:0")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if strings.HasPrefix(string(buf[:n]), "mute") {
				continue
			}
			c.WriteToUDPAddrPort(append([]byte("re:"), buf[:n]...), from)
		}
	}()
	return netip.MustParseAddrPort(c.LocalAddr().String())
}

// closedPort returns a [::1] port nothing listens on.
func closedPort(t *testing.T) netip.AddrPort {
	t.Helper()
	c, err := net.ListenUDP("udp6", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("[::1]:0")))
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(c.LocalAddr().String())
	c.Close()
	return ap
}

func TestRunProbeUDP(t *testing.T) {
	echo := startUDP(t)
	for _, tc := range []struct {
		name            string
		target          netip.AddrPort
		payload, expect string
		timeout         armTimeout
		ok              bool
		err             string
	}{
		{"any response", echo, "ping", "", neverTimeout, true, ""},
		{"expected prefix", echo, "ping", "re:pi", neverTimeout, true, ""},
		{"wrong prefix", echo, "ping", "pong", neverTimeout, false, "response 72 65 3a 70 69 6e 67 does not start with 70 6f 6e 67"},
		{"no response", echo, "mute", "", realTimeout, false, "timeout: no response within 50ms"},
		{"port unreachable", closedPort(t), "ping", "", neverTimeout, false, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ProbeConfig{Kind: ProbeUDP, Target: tc.target, Payload: []byte(tc.payload), Expect: []byte(tc.expect), Interval: 10 * time.Millisecond, Timeout: 50 * time.Millisecond}
			for _, s := range collect(t, 2, func(ctx context.Context, out chan<- Sample) error { return runProbe(ctx, "echo", cfg, out, tc.timeout) }) {
				if s.Kind != KindProbe || s.Probe == nil {
					t.Fatalf("sample %+v", s)
				}
				if s.Probe.OK != tc.ok || !strings.Contains(s.Probe.Err, tc.err) || (tc.err == "") != (s.Probe.Err == "") {
					t.Errorf("probe %+v, want OK %v, Err containing %q", *s.Probe, tc.ok, tc.err)
				}
			}
		})
	}
}

func TestProbeConfigInvalid(t *testing.T) {
	target := netip.MustParseAddrPort("[2001:db8:53::53]:53")
	good := ProbeConfig{Kind: ProbeDNS, Target: target, QName: "example.org.", QType: "SOA", Interval: time.Second, Timeout: time.Second}
	for _, tc := range []struct {
		name string
		mod  func(*ProbeConfig)
		want string
	}{
		{"unknown kind", func(c *ProbeConfig) { c.Kind = "icmp" }, `kind "icmp"`},
		{"no target", func(c *ProbeConfig) { c.Target = netip.AddrPort{} }, "target"},
		{"port 0", func(c *ProbeConfig) { c.Target = netip.AddrPortFrom(target.Addr(), 0) }, "target"},
		{"interval 0", func(c *ProbeConfig) { c.Interval = 0 }, "interval"},
		{"timeout 0", func(c *ProbeConfig) { c.Timeout = 0 }, "timeout"},
		{"no qname", func(c *ProbeConfig) { c.QName = "" }, "qname"},
		{"bad qname", func(c *ProbeConfig) { c.QName = "a..b" }, "qname"},
		{"bad qtype", func(c *ProbeConfig) { c.QType = "SAO" }, `qtype "SAO"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.mod(&cfg)
			err := RunProbe(context.Background(), "svc", cfg, make(chan Sample))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `"svc"`) {
				t.Errorf("error %v, want one naming the service and %q", err, tc.want)
			}
		})
	}
}

func TestDNSVerdict(t *testing.T) {
	reply := func(rcode int, response bool) *dns.Msg {
		m := new(dns.Msg)
		m.Rcode, m.Response = rcode, response
		return m
	}
	for _, tc := range []struct {
		name string
		r    *dns.Msg
		err  error
		ok   bool
		why  string
	}{
		{"noerror", reply(dns.RcodeSuccess, true), nil, true, ""},
		{"nxdomain", reply(dns.RcodeNameError, true), nil, true, ""},
		{"servfail", reply(dns.RcodeServerFailure, true), nil, false, "rcode SERVFAIL"},
		{"refused", reply(dns.RcodeRefused, true), nil, false, "rcode REFUSED"},
		{"notimp", reply(dns.RcodeNotImplemented, true), nil, false, "rcode NOTIMP"},
		{"unnamed rcode", reply(12, true), nil, false, "rcode 12"},
		{"query bounced", reply(dns.RcodeSuccess, false), nil, false, "reply without the QR (response) bit"},
		{"no message", nil, nil, false, "no response"},
		{"deadline", nil, context.DeadlineExceeded, false, "timeout: no response within 1s"},
		{"other error", nil, errors.New("bad rdata"), false, "bad rdata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := dnsVerdict(tc.r, 3*time.Millisecond, tc.err, time.Second)
			want := ProbeResult{OK: tc.ok, Latency: 3 * time.Millisecond, Err: tc.why}
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}
