package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// PerfResult is what one dnsperf run reports.
type PerfResult struct {
	Sent, Completed, Lost int
	QPS                   float64
	AvgLatency            time.Duration
	Output                string
}

// PerfOptions describe one dnsperf run.
type PerfOptions struct {
	Server   netip.Addr
	Duration time.Duration
	QPS      int // -Q: the offered rate (0: as fast as it can)
	Clients  int // -c: distinct client sockets, so ECMP hashing spreads (above 256: several processes)
	Timeout  time.Duration
	Queries  []string // "name TYPE" lines; default whoami TXT and www AAAA
	// Outstanding is -q, the most queries in flight (default 2000;
	// dnsperf's own 100 caps the rate at 100 / round-trip time).
	Outstanding int
}

// CheckDNSPerf reports a MissingError without dnsperf installed.
func CheckDNSPerf() error {
	if _, err := os.Stat("/usr/bin/dnsperf"); err != nil {
		return missing("dnsperf is not installed (apt-get install dnsperf): %v", err)
	}
	return nil
}

// RequireDNSPerf skips (or fails, under ANYCOSTD_LAB=1) without dnsperf.
func RequireDNSPerf(t testing.TB) {
	t.Helper()
	require(t, CheckDNSPerf())
}

var perfRe = map[string]*regexp.Regexp{
	"sent":      regexp.MustCompile(`Queries sent:\s+(\d+)`),
	"completed": regexp.MustCompile(`Queries completed:\s+(\d+)`),
	"lost":      regexp.MustCompile(`Queries lost:\s+(\d+)`),
	"qps":       regexp.MustCompile(`Queries per second:\s+([\d.]+)`),
	"latency":   regexp.MustCompile(`Average Latency \(s\):\s+([\d.]+)`),
}

// maxPerfClients is the most client sockets one dnsperf process opens:
// dnsperf 2.10 takes "-c 2000" without a word and opens 256 (measured:
// the process's open files during the run).
const maxPerfClients = 256

// DNSPerf runs dnsperf in the host's namespace and parses its statistics.
// Asked for more client sockets than one dnsperf opens (maxPerfClients),
// it runs as many processes as that takes side by side, each with an
// equal part of the sockets, the rate and the queries in flight, and
// sums their statistics: each socket is one flow for a router's
// multipath hash, and a few hundred flows split by weight place a 20%
// share within 15% of itself only (a binomial draw per flow).
func (h *Host) DNSPerf(ctx context.Context, o PerfOptions) (PerfResult, error) {
	procs := (o.Clients + maxPerfClients - 1) / maxPerfClients
	if procs <= 1 {
		return h.dnsperf(ctx, o)
	}
	part := o
	part.Clients = (o.Clients + procs - 1) / procs
	part.QPS = (o.QPS + procs - 1) / procs
	part.Outstanding = (max(o.Outstanding, 2000) + procs - 1) / procs
	type result struct {
		r   PerfResult
		err error
	}
	done := make(chan result, procs)
	for range procs {
		go func() {
			r, err := h.dnsperf(ctx, part)
			done <- result{r, err}
		}()
	}
	var sum PerfResult
	var latency float64 // completed-weighted sum of the average latencies
	var errs []error
	for range procs {
		res := <-done
		if res.err != nil {
			errs = append(errs, res.err)
		}
		sum.Sent += res.r.Sent
		sum.Completed += res.r.Completed
		sum.Lost += res.r.Lost
		sum.QPS += res.r.QPS
		latency += float64(res.r.AvgLatency) * float64(res.r.Completed)
		sum.Output += res.r.Output
	}
	if sum.Completed > 0 {
		sum.AvgLatency = time.Duration(latency / float64(sum.Completed))
	}
	return sum, errors.Join(errs...)
}

// queryFiles numbers the query files of dnsperf runs (several run at
// once).
var queryFiles atomic.Int64

// dnsperf runs one dnsperf process.
func (h *Host) dnsperf(ctx context.Context, o PerfOptions) (PerfResult, error) {
	if len(o.Queries) == 0 {
		o.Queries = []string{"whoami.example.org TXT", "www.example.org AAAA"}
	}
	if o.Clients == 0 {
		o.Clients = 20
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Outstanding == 0 {
		o.Outstanding = 2000
	}
	qf := filepath.Join(h.lab.dir, fmt.Sprintf("%s-queries-%d.txt", h.name, queryFiles.Add(1)))
	if err := os.WriteFile(qf, []byte(strings.Join(o.Queries, "\n")+"\n"), 0o644); err != nil {
		return PerfResult{}, err
	}
	args := []string{"dnsperf", "-s", o.Server.String(), "-d", qf,
		"-l", strconv.FormatFloat(o.Duration.Seconds(), 'f', 1, 64),
		"-c", strconv.Itoa(o.Clients), "-q", strconv.Itoa(o.Outstanding),
		"-t", strconv.FormatFloat(o.Timeout.Seconds(), 'f', 1, 64)}
	if o.QPS > 0 {
		args = append(args, "-Q", strconv.Itoa(o.QPS))
	}
	out, err := h.Run(ctx, args...)
	r := PerfResult{Output: string(out)}
	if err != nil {
		return r, err
	}
	get := func(k string) string {
		if m := perfRe[k].FindStringSubmatch(r.Output); m != nil {
			return m[1]
		}
		return ""
	}
	var perr error
	atoi := func(k string) int {
		v, e := strconv.Atoi(get(k))
		if e != nil && perr == nil {
			perr = fmt.Errorf("dnsperf output: no %q figure:\n%s", k, r.Output)
		}
		return v
	}
	r.Sent, r.Completed, r.Lost = atoi("sent"), atoi("completed"), atoi("lost")
	r.QPS, _ = strconv.ParseFloat(get("qps"), 64)
	if s, e := strconv.ParseFloat(get("latency"), 64); e == nil {
		r.AvgLatency = time.Duration(s * float64(time.Second))
	}
	return r, perr
}

// StartDNSPerf runs DNSPerf in the background; wait returns its result
// once it has finished.
func (h *Host) StartDNSPerf(ctx context.Context, o PerfOptions) (wait func() (PerfResult, error)) {
	type result struct {
		r   PerfResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := h.DNSPerf(ctx, o)
		done <- result{r, err}
	}()
	return func() (PerfResult, error) {
		res := <-done
		done <- res // wait may be called again
		return res.r, res.err
	}
}

// RxPackets returns the received-packet counter of the host's ifname.
func (h *Host) RxPackets(ifname string) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := h.Run(ctx, "cat", "/sys/class/net/"+ifname+"/statistics/rx_packets")
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64)
}
