package lab

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// The lab's counter load (docs/configuration.md, "A counter as the load:
// full_rate"): one server, its [service.external] reading lab.UDPCounter
// every counterInterval with full_rate counterFullRate, the other terms
// weighed 0, so that its load figure is the datagrams/s its namespace
// receives over counterFullRate.
const (
	counterFullRate = 2000 // datagrams/s at load 1.0
	// counterInterval is not 1 s, so that a rate per read instead of per
	// second is off by a factor of 2 and fails.
	counterInterval = 2 * time.Second
	counterOffered  = 1000 // dnsperf's rate, queries/s
	counterPerfTime = 25 * time.Second
	// counterTolerance is the share of the expected load figure the
	// term and the LSA may be off under load: the reads' timing (a fork
	// of awk each interval; the rate is over the times the reads
	// started) and dnsperf's pacing; dnsperf's own count is checked
	// apart. A wrong rate (per read, doubled, halved) is off by 50% or
	// more.
	counterTolerance = 0.1
	// counterIdleSlack is how far above the idle rate (the probe's
	// datagrams: measured before the load) the figure may stay once
	// dnsperf has stopped: 20 datagrams/s, 2% of the offered rate.
	counterIdleSlack = 20.0 / counterFullRate
)

// counterServiceTOML is the lab's DNS service with the counter as its
// only load term.
func counterServiceTOML(fullRate int) string {
	return DNSServiceTOML(0, fmt.Sprintf(`
[service.external]
command = %q
full_rate = %d
interval = %q

[service.load]
rqueue = 0
drops = 0
latency = 0
`, UDPCounter, fullRate, counterInterval))
}

// readUDPCounter runs lab.UDPCounter in s's namespace, as the daemon
// does, and returns the count and when it was read.
func readUDPCounter(s *Server) (float64, time.Time, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	at := time.Now()
	out, err := s.Run(ctx, "sh", "-c", UDPCounter)
	if err != nil {
		return 0, at, err
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		return 0, at, fmt.Errorf("%s: UDP counter printed %q: %w", s.Name(), out, err)
	}
	return n, at, nil
}

// counterFigures is what the test reads of the server's load: the
// external term and the load figure of `anycostd cost --json`, and the
// server load LSA the router holds.
type counterFigures struct {
	term, load float64
	source     string
	lsaLoad    float64
	lsaState   lsa.ServerState
}

func (c counterFigures) String() string {
	return fmt.Sprintf("external term %.4f, load %.4f from %s; router's server load LSA: load %.4f %s",
		c.term, c.load, c.source, c.lsaLoad, c.lsaState)
}

// readCounterFigures reads the figures; an error says one is missing
// (no external value yet, no LSA at the router).
func readCounterFigures(d *DNSFarm, s *Server, lsid string) (counterFigures, error) {
	e, err := s.Cost("dns")
	if err != nil {
		return counterFigures{}, err
	}
	term, ok := Term(e, "external")
	if !ok || !term.Used {
		return counterFigures{}, fmt.Errorf("%s: no external term in use yet: %+v", s.Name(), e.Terms)
	}
	_, body, ok, err := d.Router.ServerLoad(lsid, s.RouterID)
	if err != nil {
		return counterFigures{}, err
	}
	if !ok {
		return counterFigures{}, fmt.Errorf("the router holds no server load LSA %s of %s", lsid, s.RouterID)
	}
	return counterFigures{term: term.Value, load: e.Load, source: e.LoadSource, lsaLoad: body.LoadFigure(), lsaState: body.State}, nil
}

// TestExternalCounterLoad: a server's [service.external] reads the UDP
// datagrams its namespace received (lab.UDPCounter) with full_rate, the
// other load terms weighed 0 ([service.load]). While dnsperf offers a
// known rate through the router to the anycast address, the server's
// `anycostd cost --json` shows the external term at that rate (plus the
// probe's datagrams, measured idle) over full_rate, as the load figure,
// and the server load LSA the router holds carries the same load; once
// dnsperf has stopped, both fall back to the idle figure.
func TestExternalCounterLoad(t *testing.T) {
	d := NewDNSFarm(t, 1, nil)
	s := d.Servers[0]
	// Every move of the load figure by more than 0.01 goes out at once
	// (the default step, 0.05, lets a smaller one wait ServerLoadSettle).
	d.OSPFExtra = "load_step = 0.01"
	s.WriteConfig(s.TOML(counterServiceTOML(counterFullRate)))
	s.Start()
	fibIs(t, d.Farm, Anycast, 30*time.Second, "the server's route", LinkLocals(s))

	var lsid string
	WaitFor(t, 10*time.Second, s.Name()+": the service's LSA", func() (bool, error) {
		st, err := s.Status()
		if err != nil {
			return false, err
		}
		for _, svc := range st.Services {
			if svc.Name == "dns" && svc.Advertised {
				lsid = svc.LSID
			}
		}
		return lsid != "", nil
	})

	// The idle rate: what the namespace receives without dnsperf (the
	// probe's query and answer, 5 probes/s).
	c0, t0, err := readUDPCounter(s)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	c1, t1, err := readUDPCounter(s)
	if err != nil {
		t.Fatal(err)
	}
	idle := (c1 - c0) / t1.Sub(t0).Seconds()
	idleFigure := idle / counterFullRate
	t.Logf("idle: %.1f datagrams/s (load %.4f)", idle, idleFigure)
	if idle > counterTolerance/2*counterOffered {
		t.Fatalf("idle: %.1f datagrams/s into the server's namespace, far more than the probe's 10: the counter would not measure dnsperf's rate", idle)
	}
	idleNow := func(what string) {
		t.Helper()
		var last counterFigures
		took := WaitFor(t, 20*time.Second, what, func() (bool, error) {
			f, err := readCounterFigures(d, s, lsid)
			last = f
			return err == nil && f.term <= idleFigure+counterIdleSlack && f.lsaLoad <= idleFigure+counterIdleSlack, err
		})
		t.Logf("%s after %v: %s", what, took.Round(time.Millisecond), last)
	}
	idleNow("the idle figure before the load")

	want := (counterOffered + idle) / counterFullRate
	near := func(v float64) bool { return math.Abs(v-want) <= counterTolerance*want }
	check := func(f counterFigures) error {
		switch {
		case !near(f.term):
			return fmt.Errorf("external term %.4f, want %.4f ± %.0f%%", f.term, want, 100*counterTolerance)
		case f.source != "external" || math.Abs(f.load-f.term) > 1e-6:
			return fmt.Errorf("load %.4f from %s, want the external term %.4f", f.load, f.source, f.term)
		case !near(f.lsaLoad) || f.lsaState != lsa.ServerAdvertised:
			return fmt.Errorf("the router's server load LSA: load %.4f %s, want %.4f ± %.0f%% advertised", f.lsaLoad, f.lsaState, want, 100*counterTolerance)
		}
		return nil
	}
	perf := d.Client.StartDNSPerf(context.Background(), PerfOptions{Server: Anycast.Addr(), Duration: counterPerfTime, QPS: counterOffered})
	var last counterFigures
	took := WaitFor(t, 15*time.Second, fmt.Sprintf("the load figure near %.4f under %d qps", want, counterOffered), func() (bool, error) {
		f, err := readCounterFigures(d, s, lsid)
		if err != nil {
			return false, err
		}
		last = f
		err = check(f)
		return err == nil, err
	})
	t.Logf("under %d qps after %v: %s", counterOffered, took.Round(time.Millisecond), last)
	// And it stays there, read after read (15 s + 3 x 2 s is within
	// dnsperf's 25 s).
	for range 3 {
		time.Sleep(counterInterval)
		f, err := readCounterFigures(d, s, lsid)
		if err == nil {
			err = check(f)
		}
		if err != nil {
			t.Fatalf("under %d qps, a later read: %v", counterOffered, err)
		}
		t.Logf("under %d qps, a later read: %s", counterOffered, f)
	}
	r, err := perf()
	if err != nil {
		t.Fatal(err)
	}
	sentRate := float64(r.Sent) / counterPerfTime.Seconds()
	t.Logf("dnsperf: sent %d (%.0f/s), completed %d, lost %d", r.Sent, sentRate, r.Completed, r.Lost)
	if math.Abs(sentRate-counterOffered) > counterTolerance/2*counterOffered {
		t.Errorf("dnsperf sent %.0f queries/s, not the %d it was asked: the expected figure is off", sentRate, counterOffered)
	}
	idleNow("the idle figure after the load")
}
