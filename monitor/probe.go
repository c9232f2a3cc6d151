package monitor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/anycostd/anycostd/internal/probeloop"
	"github.com/miekg/dns"
)

// ProbeConfig configures the active probe of one service.
type ProbeConfig struct {
	// Kind is "dns" or "udp".
	Kind string
	// Target is the service's anycast address and port; the probe is sent
	// from the server itself, so it reaches the local instance.
	Target netip.AddrPort
	// QName and QType are the DNS question (kind dns). QType is a type
	// mnemonic such as "SOA"; empty means SOA.
	QName, QType string
	// Payload is the request datagram (kind udp); Expect, when not empty,
	// is a prefix the response must start with.
	Payload, Expect []byte
	// Interval is the time between probe starts; Timeout how long a probe
	// waits for its response.
	Interval, Timeout time.Duration
	// Wait, when set, is asked before each probe how long that probe
	// waits for its response instead of Timeout: the daemon gives the cost
	// model's ProbeWait, longer than the interval while the service's
	// receive queue is congested, so that an answer from behind a full
	// queue is seen (issue 14). A result below Timeout counts as Timeout,
	// one above maxWaitIntervals times the larger of Interval and Timeout
	// as that. It is called from RunProbe's goroutine.
	Wait func() time.Duration
}

// maxWaitIntervals bounds what Wait may ask, in probe intervals (or
// timeouts, when longer): a guard against a runaway Wait, above what the
// cost model asks (hung_after/fall, 1.5 s by default, against 200 ms
// intervals), and as many as probeloop.MaxOpen, so that a probe started on
// every tick never meets the bound on open probes.
const maxWaitIntervals = probeloop.MaxOpen

// wait is how long the next probe waits for its response (see Wait).
func (c ProbeConfig) wait() time.Duration {
	if c.Wait == nil {
		return c.Timeout
	}
	return min(max(c.Wait(), c.Timeout), maxWaitIntervals*max(c.Interval, c.Timeout))
}

// The probe kinds.
const (
	ProbeDNS = "dns"
	ProbeUDP = "udp"
)

// maxUDPResponse bounds a udp probe's response buffer.
const maxUDPResponse = 64 << 10

func (c ProbeConfig) validate() (qtype uint16, err error) {
	switch {
	case c.Kind != ProbeDNS && c.Kind != ProbeUDP:
		return 0, fmt.Errorf("kind %q is neither %q nor %q", c.Kind, ProbeDNS, ProbeUDP)
	case !c.Target.Addr().IsValid() || c.Target.Port() == 0:
		return 0, fmt.Errorf("target %v has no address or port", c.Target)
	case c.Interval <= 0:
		return 0, fmt.Errorf("interval %v is not positive", c.Interval)
	case c.Timeout <= 0:
		return 0, fmt.Errorf("timeout %v is not positive", c.Timeout)
	}
	if c.Kind == ProbeUDP {
		return 0, nil
	}
	if c.QName == "" {
		return 0, errors.New("dns probe without qname")
	}
	if _, ok := dns.IsDomainName(c.QName); !ok {
		return 0, fmt.Errorf("qname %q is not a domain name", c.QName)
	}
	if c.QType == "" {
		return dns.TypeSOA, nil
	}
	t, ok := dns.StringToType[c.QType]
	if !ok {
		return 0, fmt.Errorf("qtype %q is not a DNS type", c.QType)
	}
	return t, nil
}

// RunProbe probes at once and then every cfg.Interval, sending one
// KindProbe Sample per probe as its verdict comes (Sample.Err is never
// set: a probe that cannot even be sent is a failed ProbeResult). Each
// probe waits for its response cfg.Timeout, or what cfg.Wait says. Probes
// do not overlap, one that takes longer than Interval delaying the next,
// unless the wait is longer than both the interval and the timeout (the
// cost model's wait behind a congested queue): then a probe starts every
// interval whatever is still open (at most probeloop.MaxOpen), so that a
// probe the kernel dropped at a full queue does not hold back the next one
// for its whole wait (the rule is internal/probeloop's, which the farm
// simulator follows too).
//
// A dns probe asks cfg.QName/cfg.QType (recursion not desired) over UDP and
// is OK when a response with rcode NOERROR or NXDOMAIN arrives within
// its wait: both mean the server answered from its loaded zone. SERVFAIL,
// REFUSED (typical of a server whose zone failed to load), any other rcode,
// a malformed response and a timeout fail it.
//
// A udp probe sends cfg.Payload from a fresh socket and is OK when a
// datagram comes back within its wait and starts with cfg.Expect (any
// datagram when Expect is empty). An ICMP port unreachable fails it at once.
//
// RunProbe returns nil when ctx ends, or an error at once for an invalid cfg.
func RunProbe(ctx context.Context, service string, cfg ProbeConfig, out chan<- Sample) error {
	return runProbe(ctx, service, cfg, out, realTimeout)
}

// armTimeout arms a probe's timeout: it calls expire once d has passed,
// unless the returned stop is called first.
type armTimeout func(d time.Duration, expire func()) (stop func() bool)

// realTimeout is the clock's armTimeout, the one RunProbe uses. (The
// tests arm one that never expires where the server answers, so that an
// answered probe's verdict cannot hang on how soon the scheduler runs the
// answer's reader.)
func realTimeout(d time.Duration, expire func()) func() bool {
	return time.AfterFunc(d, expire).Stop
}

// runProbe is RunProbe with each probe's timeout armed by arm.
func runProbe(ctx context.Context, service string, cfg ProbeConfig, out chan<- Sample, arm armTimeout) error {
	qtype, err := cfg.validate()
	if err != nil {
		return fmt.Errorf("monitor: service %q: probe: %w", service, err)
	}
	probe := func(ctx context.Context, c ProbeConfig) ProbeResult { return udpProbe(ctx, c, arm) }
	if cfg.Kind == ProbeDNS {
		probe = func(ctx context.Context, c ProbeConfig) ProbeResult { return dnsProbe(ctx, c, qtype, arm) }
	}
	// Buffered for every open probe, so that none blocks after RunProbe
	// has returned.
	results := make(chan ProbeResult, probeloop.MaxOpen)
	open, due := 0, false
	start := func(w time.Duration) {
		c := cfg
		c.Timeout = w
		open++
		go func() { results <- probe(ctx, c) }()
	}
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	start(cfg.wait())
	for {
		select {
		case <-ctx.Done():
			return nil
		case r := <-results:
			open--
			if ctx.Err() != nil {
				return nil // cancelled mid-probe: not the service's fault
			}
			if !send(ctx, out, Sample{Service: service, Kind: KindProbe, At: time.Now(), Probe: &r}) {
				return nil
			}
			if due && open == 0 {
				due = false
				start(cfg.wait())
			}
		case <-tick.C:
			w := cfg.wait()
			switch probeloop.Tick(open, w, cfg.Interval, cfg.Timeout) {
			case probeloop.Start:
				start(w)
			case probeloop.Due:
				due = true // the next starts when the open one ends
			}
		}
	}
}

// dnsProbe asks cfg.QName/qtype over UDP from a socket connected to the
// target, skipping responses whose ID is not the query's (late replies to an
// earlier probe): the resolver's first match of RFC 1035 section 7.3.
func dnsProbe(ctx context.Context, cfg ProbeConfig, qtype uint16, arm armTimeout) ProbeResult {
	start := time.Now()
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(cfg.QName), qtype)
	q.RecursionDesired = false
	c, closeConn, err := dialProbe(ctx, cfg, arm)
	if err != nil {
		return dnsVerdict(nil, time.Since(start), err, cfg.Timeout)
	}
	defer closeConn()
	co := &dns.Conn{Conn: c}
	if err := co.WriteMsg(q); err != nil {
		return dnsVerdict(nil, time.Since(start), err, cfg.Timeout)
	}
	for {
		r, err := co.ReadMsg()
		if err != nil || r.Id == q.Id {
			return dnsVerdict(r, time.Since(start), err, cfg.Timeout)
		}
	}
}

// dnsVerdict judges a DNS probe's outcome (see RunProbe).
func dnsVerdict(r *dns.Msg, rtt time.Duration, err error, timeout time.Duration) ProbeResult {
	res := ProbeResult{Latency: rtt}
	switch {
	case err != nil:
		res.Err = describeNetErr(err, timeout)
	case r == nil:
		res.Err = "no response"
	case !r.Response:
		res.Err = "reply without the QR (response) bit"
	case r.Rcode == dns.RcodeSuccess || r.Rcode == dns.RcodeNameError:
		res.OK = true
	default:
		res.Err = "rcode " + dns.RcodeToString[r.Rcode]
		if res.Err == "rcode " {
			res.Err = fmt.Sprintf("rcode %d", r.Rcode)
		}
	}
	return res
}

func udpProbe(ctx context.Context, cfg ProbeConfig, arm armTimeout) ProbeResult {
	start := time.Now()
	fail := func(err error) ProbeResult {
		return ProbeResult{Latency: time.Since(start), Err: describeNetErr(err, cfg.Timeout)}
	}
	c, closeConn, err := dialProbe(ctx, cfg, arm)
	if err != nil {
		return fail(err)
	}
	defer closeConn()
	if _, err := c.Write(cfg.Payload); err != nil {
		return fail(err)
	}
	buf := make([]byte, maxUDPResponse)
	n, err := c.Read(buf)
	if err != nil {
		return fail(err)
	}
	return udpVerdict(buf[:n], cfg.Expect, time.Since(start))
}

// dialProbe opens a probe's UDP socket to cfg.Target. Its reads and writes
// fail with os.ErrDeadlineExceeded once the timeout that arm arms for
// cfg.Timeout expires or ctx ends. closeConn disarms the timeout and closes
// the socket.
func dialProbe(ctx context.Context, cfg ProbeConfig, arm armTimeout) (c net.Conn, closeConn func(), err error) {
	var d net.Dialer
	c, err = d.DialContext(ctx, "udp", cfg.Target.String())
	if err != nil {
		return nil, nil, err
	}
	expire := func() { c.SetDeadline(time.Now()) }
	stopTimeout := arm(cfg.Timeout, expire)
	stopCtx := context.AfterFunc(ctx, expire)
	return c, func() {
		stopTimeout()
		stopCtx()
		c.Close()
	}, nil
}

// udpVerdict judges a udp probe's response (see RunProbe).
func udpVerdict(resp, expect []byte, rtt time.Duration) ProbeResult {
	if !bytes.HasPrefix(resp, expect) {
		shown := resp
		if len(shown) > 16 {
			shown = shown[:16]
		}
		return ProbeResult{Latency: rtt, Err: fmt.Sprintf("response % x does not start with % x", shown, expect)}
	}
	return ProbeResult{OK: true, Latency: rtt}
}

// describeNetErr words a probe error for ProbeResult.Err.
func describeNetErr(err error, timeout time.Duration) string {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("timeout: no response within %v", timeout)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Sprintf("timeout: no response within %v", timeout)
	}
	return err.Error()
}
