package lab

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// envDrainStops sets how many planned stops TestDrainSoak makes (make
// soak: 100); without it the test is skipped.
const envDrainStops = "ANYCOSTD_DRAIN_STOPS"

// drainPerf is the load of a drain trial: 8 s at 3000 qps from 50 client
// sockets, queries unanswered after 2 s counted lost.
var drainPerf = PerfOptions{Server: Anycast.Addr(), Duration: 8 * time.Second, QPS: 3000, Clients: 50, Timeout: 2 * time.Second}

// drainStopResult is what one planned stop measured.
type drainStopResult struct {
	perf PerfResult
	exit time.Duration // SIGTERM -> anycostd exited
	// stall is the longest time the machine left the test process
	// without running during the dnsperf run (Recorder).
	stall time.Duration
}

// drainStop makes one planned stop of s1 (SIGTERM to its anycostd) 2 s
// into a dnsperf run and waits until the router has moved to the others.
// The run is recorded (Recorder); when a query is lost the recording is
// explained in the test log and kept for reading.
func drainStop(t *testing.T, d *DNSFarm, label string) drainStopResult {
	t.Helper()
	s1 := d.Servers[0]
	rec := d.Record(t, label)
	perf := d.Client.StartDNSPerf(context.Background(), drainPerf)
	time.Sleep(2 * time.Second)
	sig := time.Now()
	s1.Signal(syscall.SIGTERM)
	if err := s1.Proc.WaitTimeout(15 * time.Second); err != nil {
		t.Errorf("%s: anycostd exit: %v", label, err)
	}
	res := drainStopResult{exit: time.Since(sig)}
	r, err := perf()
	rec.Stop()
	if err != nil {
		t.Fatalf("%s: dnsperf: %v\n%s", label, err, r.Output)
	}
	res.perf = r
	res.stall = rec.stall.longest
	if r.Lost != 0 {
		t.Logf("%s: SIGTERM at %s (%.3f s into the run); what the recording shows:\n%s", label,
			sig.Format("15:04:05.000000"), sig.Sub(rec.start).Seconds(), rec.Explain(r, drainPerf.Timeout))
		if dir, err := rec.Keep(); err != nil {
			t.Logf("%s: keeping the recording: %v", label, err)
		} else {
			t.Logf("%s: recording, captures and logs kept in %s", label, dir)
		}
	} else {
		rec.Discard()
	}
	fibIs(t, d.Farm, Anycast, 5*time.Second, label+": s1 out after its stop", LinkLocals(d.Servers[1:]...))
	return res
}

// restartS1 starts s1's anycostd again and waits until the router routes
// through it and the farm has settled.
func restartS1(t *testing.T, d *DNSFarm) {
	t.Helper()
	d.Servers[0].Start()
	fibIs(t, d.Farm, Anycast, 30*time.Second, "s1 back", LinkLocals(d.Servers...))
	time.Sleep(1500 * time.Millisecond)
}

// TestDrainSoak is the long form of TestDrainLosesNothing (make soak):
// ANYCOSTD_DRAIN_STOPS planned stops of s1 in a row, each under 3000
// qps, on one farm. Any lost query fails it, with the recording of the
// stop that lost it explained in the log.
func TestDrainSoak(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(envDrainStops))
	if n <= 0 {
		t.Skipf("set %s=N for N planned stops (make soak runs 100)", envDrainStops)
	}
	d := startDNSFarm(t, 3)
	var sent, completed, lost, lossy int
	var exits, stalls []time.Duration
	start := time.Now()
	for i := range n {
		if i > 0 {
			restartS1(t, d)
		}
		res := drainStop(t, d, fmt.Sprintf("stop%03d", i))
		sent += res.perf.Sent
		completed += res.perf.Completed
		lost += res.perf.Lost
		exits = append(exits, res.exit)
		stalls = append(stalls, res.stall)
		if res.perf.Lost != 0 {
			lossy++
			t.Errorf("stop %d: %d of %d queries lost in a planned stop", i, res.perf.Lost, res.perf.Sent)
		}
		t.Logf("stop %d: sent %d, completed %d, lost %d; SIGTERM -> exit %v; longest stall %v", i, res.perf.Sent, res.perf.Completed, res.perf.Lost,
			res.exit.Round(time.Millisecond), res.stall.Round(time.Millisecond))
	}
	t.Logf("%d planned stops under %d qps in %v: sent %d, completed %d, lost %d (%d stops with a loss); SIGTERM -> exit %s; longest stall of the test process per stop %s",
		n, drainPerf.QPS, time.Since(start).Round(time.Second), sent, completed, lost, lossy, durationRange(exits), durationRange(stalls))
}

// durationRange is "min-max (median)" of ds.
func durationRange(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	s := slices.Sorted(slices.Values(ds))
	return fmt.Sprintf("%v-%v (median %v)", s[0].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond), s[len(s)/2].Round(time.Millisecond))
}
