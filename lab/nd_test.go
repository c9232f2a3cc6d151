// The ND-mode lab test (TestNDFarm, about 4 minutes; 6 with ANYCOSTD_LONG=1, which also measures a static metric against the tiers). It runs in make
// test (the lab target); alone: ANYCOSTD_LAB=1 go test -run TestND ./lab/

package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/ndproxy"
)

// The ND mode's lab (issue 7): a plain Linux router, three servers with
// NSD and anycostd in ND mode taking turns with Neighbor Advertisements,
// a client with dnsperf behind the router.

// ndDaemon is anycostd in ND mode on one server of an NDFarm.
type ndDaemon struct {
	*NDServer
	bin, cfg, ctl string
	proc          *Proc // the current run
	runs          int
}

// ndTOML is an ND-only configuration: no router_id, no [ospf].
// ndPerfRun is how long the share measurements offer load: 30 s, or 60 s
// with ANYCOSTD_LONG=1 (make test keeps the lab under its timeout).
func ndPerfRun() time.Duration {
	if os.Getenv(envLong) == "1" {
		return 60 * time.Second
	}
	return 30 * time.Second
}

func ndTOML(ctl string, minGap, standby time.Duration, tiers bool) string {
	extra := ""
	if tiers {
		extra = TiersTOML
	}
	return fmt.Sprintf(`control_socket = %q
state_dir = %q
log_level = "debug"

[nd]
interface = "eth0"
min_gap = %q
standby_after = %q

[[service]]
name = "dns"
prefix = "%s/128"
mode = "nd"
drain_time = "0s"

%s%s`, ctl, strings.TrimSuffix(ctl, ".sock")+"-state", minGap, standby, NDAddr, dnsMonitorsTOML, extra)
}

func (d *ndDaemon) start(t *testing.T, toml string) {
	t.Helper()
	if err := os.WriteFile(d.cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	d.runs++
	d.proc = d.Start(fmt.Sprintf("anycostd-%d", d.runs), d.bin, "run", "--config", d.cfg)
}

// stop ends the daemon gracefully (it withdraws the service first).
func (d *ndDaemon) stop(t *testing.T) {
	t.Helper()
	d.proc.Signal(syscall.SIGTERM)
	if err := d.proc.WaitTimeout(15 * time.Second); err != nil {
		t.Errorf("%s: anycostd did not stop: %v", d.Name(), err)
		d.proc.Kill()
	}
}

// log returns the log of the daemon's current run.
func (d *ndDaemon) log(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(d.proc.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// ndStateRe matches the speaker's log line for each state change.
var ndStateRe = regexp.MustCompile(`msg="ND state" (?:mode=nd )?service=dns from=(\S+) to=(\S+)`)

// state is the ND state the current run last logged ("" none yet).
func (d *ndDaemon) state(t *testing.T) string {
	m := ndStateRe.FindAllStringSubmatch(d.log(t), -1)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1][2]
}

// ndStatus is `anycostd status --json` of an ND-only daemon.
type ndStatus struct{ control.Status }

func (d *ndDaemon) status(t *testing.T) ndStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := d.Run(ctx, d.bin, "status", "--json", "--control", d.ctl)
	if err != nil {
		t.Fatalf("%s: anycostd status: %v", d.Name(), err)
	}
	var st control.Status
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("%s: status --json: %v", d.Name(), err)
	}
	if st.ND == nil || len(st.ND.Services) != 1 || st.ND.Services[0].Name != "dns" {
		t.Fatalf("%s: status --json has no ND status of service dns:\n%s", d.Name(), out)
	}
	return ndStatus{st}
}

// svc is the ND status of the lab's one service.
func (s ndStatus) svc() *ndproxy.ServiceStatus { return &s.ND.Services[0] }

// ndFarmLab is the lab of TestNDFarm.
type ndFarmLab struct {
	*NDFarm
	t       *testing.T
	capture *NDCapture
	ds      []*ndDaemon
	shown   map[time.Time]bool // turns under the gap whose logs were shown
}

// holder is the server the router's neighbor entry for NDAddr points to
// (nil: none or unknown).
func (l *ndFarmLab) holder() *ndDaemon {
	n, ok, err := l.Router.Neighbor("eth0", NDAddr)
	if err != nil || !ok {
		return nil
	}
	for _, d := range l.ds {
		if strings.EqualFold(d.MAC, n.MAC) {
			return d
		}
	}
	return nil
}

func (l *ndFarmLab) rx() []uint64 {
	var out []uint64
	for _, d := range l.ds {
		n, err := d.RxPackets("eth0")
		if err != nil {
			l.t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// perf runs dnsperf from the client at qps for d and returns the result
// and each server's share of the packets received meanwhile.
func (l *ndFarmLab) perf(d time.Duration, qps int) (PerfResult, []float64) {
	l.t.Helper()
	before := l.rx()
	r, err := l.Client.DNSPerf(context.Background(), PerfOptions{Server: NDAddr, Duration: d, QPS: qps, Clients: 50, Timeout: time.Second})
	if err != nil {
		l.t.Fatalf("dnsperf: %v", err)
	}
	after := l.rx()
	var total float64
	for i := range after {
		total += float64(after[i] - before[i])
	}
	shares := make([]float64, len(after))
	for i := range after {
		shares[i] = float64(after[i]-before[i]) / total
	}
	return r, shares
}

// turns returns the servers' turns captured so far (the NAs the test
// injects itself come through the router and are left out).
func (l *ndFarmLab) turns() []NDPacket {
	l.t.Helper()
	pkts, err := l.capture.Packets()
	if err != nil {
		l.t.Fatal(err)
	}
	return slices.DeleteFunc(Turns(pkts, NDAddr), func(p NDPacket) bool {
		return l.ServerByMAC(p.SrcMAC) == nil
	})
}

// checkGap fails the test if two turns on the link were closer than gap,
// and returns the smallest interval and the number of turns.
func (l *ndFarmLab) checkGap(gap time.Duration) (time.Duration, int) {
	l.t.Helper()
	ts := l.turns()
	best := time.Duration(-1)
	for i := 1; i < len(ts); i++ {
		d := ts[i].At.Sub(ts[i-1].At)
		if best < 0 || d < best {
			best = d
		}
		if d < gap && !l.shown[ts[i].At] {
			l.t.Errorf("turns %d (%s at %s) and %d (%s) only %v apart, under min_gap %v",
				i-1, ts[i-1].SrcMAC, ts[i-1].At.Format("15:04:05.000000"), i, ts[i].SrcMAC, d, gap)
			if l.shown == nil {
				l.shown = map[time.Time]bool{}
			}
			l.shown[ts[i].At] = true
			for _, p := range ts[i-1 : i+1] {
				l.logAround(p.SrcMAC, p.At, 2*time.Second)
			}
		}
	}
	return best, len(ts)
}

// logAround logs the lines of the daemon on mac (its current run) within
// span of at: what its scheduler saw and decided around a turn.
func (l *ndFarmLab) logAround(mac string, at time.Time, span time.Duration) {
	for _, d := range l.ds {
		if !strings.EqualFold(d.MAC, mac) {
			continue
		}
		var lines []string
		for _, line := range strings.Split(d.log(l.t), "\n") {
			if t, err := logTime(line); err == nil && t.Sub(at).Abs() <= span {
				lines = append(lines, line)
			}
		}
		l.t.Logf("%s's log within %v of %s (run %d):\n%s", d.Name(), span, at.Format("15:04:05.000000"), d.runs, strings.Join(lines, "\n"))
	}
}

// waitState waits until the daemon's last ND state is want.
func (l *ndFarmLab) waitState(d *ndDaemon, want string, timeout time.Duration) {
	l.t.Helper()
	WaitFor(l.t, timeout, fmt.Sprintf("%s in state %s", d.Name(), want), func() (bool, error) {
		if st := d.state(l.t); st != want {
			return false, fmt.Errorf("state %q; last change: %s", st, lastLine(d.log(l.t), `msg="ND state"`))
		}
		return true, nil
	})
}

// waitLogCount waits until the daemon's log holds s at least n times.
func (l *ndFarmLab) waitLogCount(d *ndDaemon, s string, n int, timeout time.Duration) {
	l.t.Helper()
	WaitFor(l.t, timeout, fmt.Sprintf("%d× %q in %s's log", n, s, d.Name()), func() (bool, error) {
		return strings.Count(d.log(l.t), s) >= n, nil
	})
}

// failover kills the holder's NSD (and its anycostd too if crash) while
// dnsperf runs, and returns how long the router kept sending queries to
// it, when the next turn of another server came, and the queries lost.
// ok is false when the server killed was not receiving queries just
// before (the turn moved between reading the router's entry and the
// kill): such a trial says nothing.
func (l *ndFarmLab) failover(crash bool) (sendFor, takeover time.Duration, lost int, ok bool) {
	t := l.t
	t.Helper()
	perfDone := make(chan PerfResult, 1)
	go func() {
		r, _ := l.Client.DNSPerf(context.Background(), PerfOptions{Server: NDAddr, Duration: 10 * time.Second, QPS: 2000, Clients: 50, Timeout: time.Second})
		perfDone <- r
	}()
	time.Sleep(2 * time.Second)
	times := make([][]time.Time, len(l.ds))
	var wg sync.WaitGroup
	for i, d := range l.ds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts, err := d.QueryTimes(context.Background(), "eth0", NDAddr, 6*time.Second)
			if err != nil {
				t.Errorf("%s: capturing queries: %v", d.Name(), err)
			}
			times[i] = ts
		}()
	}
	time.Sleep(2500 * time.Millisecond) // tshark is capturing
	h := l.holder()
	if h == nil {
		t.Fatal("the router has no entry for the service address while dnsperf runs")
	}
	hi := slices.Index(l.ds, h)
	killAt := time.Now()
	h.NSD.Kill()
	if crash {
		h.proc.Kill()
	}
	wg.Wait()
	r := <-perfDone
	before, last := false, time.Time{}
	for _, at := range times[hi] {
		if at.Before(killAt) && killAt.Sub(at) < 100*time.Millisecond {
			before = true
		}
		if at.After(killAt) {
			last = at
		}
	}
	if !last.IsZero() {
		sendFor = last.Sub(killAt)
	}
	for _, p := range l.turns() {
		if p.At.After(killAt) && !strings.EqualFold(p.SrcMAC, h.MAC) {
			takeover = p.At.Sub(killAt)
			break
		}
	}
	// Back to three healthy servers.
	h.NSD.Start()
	if crash {
		h.start(t, ndTOML(h.ctl, 500*time.Millisecond, 10*time.Second, false))
	}
	l.waitState(h, "active", 20*time.Second)
	time.Sleep(time.Second)
	return sendFor, takeover, r.Lost, before
}

// TestNDFarm is issue 7's lab: servers take turns at a plain router.
func TestNDFarm(t *testing.T) {
	const (
		minGap  = 500 * time.Millisecond
		standby = 10 * time.Second
	)
	f := NewNDFarm(t, 3, nil)
	bin := BuildAnycostd(t)
	l := &ndFarmLab{NDFarm: f, t: t, capture: f.LAN.CaptureND(t)}
	for _, s := range f.Servers {
		d := &ndDaemon{NDServer: s, bin: bin,
			cfg: filepath.Join(f.Lab.Dir(), s.Name()+".toml"),
			ctl: filepath.Join(f.Lab.Dir(), s.Name()+".sock")}
		d.start(t, ndTOML(d.ctl, minGap, standby, false))
		l.ds = append(l.ds, d)
	}

	// Before any query the router has no entry and nobody takes turns;
	// after standby_after idle, each server says why it is idle.
	for _, d := range l.ds {
		l.waitLogCount(d, "service idle: the router has not solicited its address", 1, standby+15*time.Second)
	}
	if _, ok, _ := f.Router.Neighbor("eth0", NDAddr); ok {
		t.Errorf("the router has an entry for %s before any query", NDAddr)
	}
	if n := len(l.turns()); n != 0 {
		t.Errorf("%d turns before the router solicited the address", n)
	}
	t.Logf("idle: %s", lastLine(l.ds[0].log(t), "service idle"))
	for _, d := range l.ds {
		if s := d.status(t).svc(); s.State != "idle" || s.IdleCause != ndproxy.IdleNoSolicitation.String() || s.Stats.Turns != 0 {
			t.Errorf("%s before any query: state %s, idle cause %q, %d turns; want idle, %s, none",
				d.Name(), s.State, s.IdleCause, s.Stats.Turns, ndproxy.IdleNoSolicitation)
		}
	}

	// The first query: the router solicits, the servers answer, turns
	// begin.
	var who string
	WaitFor(t, 10*time.Second, "a first answer through the router", func() (bool, error) {
		var err error
		who, err = f.Client.Whoami(netip.AddrPortFrom(NDAddr, 53))
		return err == nil, err
	})
	for _, d := range l.ds {
		l.waitState(d, "active", 5*time.Second)
	}
	t.Logf("first answer from %s", who)

	// 1. Queries reach every server; NAs never closer than min_gap. The
	// answers come from the service address (NSD is bound to it); the
	// servers' status counts the turns the link carried.
	before, beforeAt := l.statuses()
	sources := make(chan map[netip.Addr]int, 1)
	go func() {
		n, err := f.Client.AnswerSources(context.Background(), "eth0", 20*time.Second)
		if err != nil {
			t.Errorf("capturing answers at the client: %v", err)
		}
		sources <- n
	}()
	start := len(l.turns())
	r, shares := l.perf(ndPerfRun(), 2000)
	turns := l.turns()[start:]
	byMAC := map[string]int{}
	for _, p := range turns {
		byMAC[p.SrcMAC]++
	}
	after, afterAt := l.statuses()
	l.captureUntil(afterAt[len(afterAt)-1][1])
	linkTurns := l.turns()
	src := <-sources
	t.Logf("answers at the client by source address (20 s of the run): %v", src)
	if len(src) != 1 || src[NDAddr] == 0 {
		t.Errorf("answers came from %v, want all from the service address %s", src, NDAddr)
	}
	for i, d := range l.ds {
		s, b := after[i].svc(), before[i].svc()
		counted := int(s.Stats.Turns - b.Stats.Turns)
		// Each status is a snapshot taken while its command ran: the
		// turns the link carried between the end of the first command and
		// the start of the second are counted, those outside the start of
		// the first and the end of the second are not.
		inner := countTurns(linkTurns, d.MAC, beforeAt[i][1], afterAt[i][0])
		outer := countTurns(linkTurns, d.MAC, beforeAt[i][0], afterAt[i][1])
		t.Logf("%s status: %s, turns %d (link: %d), NAs sent %d, peer NAs %d, solicitations answered %d, mean turn %v, wait mean %v max %v (weight %g, grid %d), router sends to %s",
			d.Name(), s.State, counted, inner, s.NAsSent, s.Stats.PeerNAs, s.Stats.Answers, s.MeanTurn, s.Timing.MeanWait, s.Timing.MaxWait,
			s.Timing.Weight, s.Timing.Grid, holderName(l, s))
		if counted < inner || counted > outer {
			t.Errorf("%s: status counted %d turns, the link carried %d to %d meanwhile", d.Name(), counted, inner, outer)
		}
		if s.MeanTurn < minGap || s.MeanTurn > 3*minGap || s.Timing.Grid != 3 || s.Stats.PeerNAs == 0 {
			t.Errorf("%s: mean turn %v (want between min_gap and 3 x min_gap), grid %d (want 3), %d peer NAs",
				d.Name(), s.MeanTurn, s.Timing.Grid, s.Stats.PeerNAs)
		}
	}
	t.Logf("equal servers, %v at 2000 qps: completed %d of %d (lost %d); shares %.3f; %d turns (%.2f/s) by %v",
		ndPerfRun(), r.Completed, r.Sent, r.Lost, shares, len(turns), float64(len(turns))/ndPerfRun().Seconds(), byMAC)
	// Fairness is judged on the turns, as what the design promises: each
	// turn goes to a server by a race of equal random draws, so a
	// server's count of n turns is Binomial(n, 1/3). A fixed floor on
	// the query share failed by chance: over 30 s (about 42 turns) a
	// fair race leaves some server at 6 turns or fewer (share near 0.15)
	// in 1.4% of runs, as one CI run did (turns 21/15/6, shares
	// 0.498/0.347/0.155). The race is called unfair when a server's count
	// is below what a fair race gives once in 10,000 runs; and the queries
	// must follow the turns: a server gets at least half the share its
	// turns would give it (the router sends where the last turn points).
	for i, d := range l.ds {
		k := 0
		for mac, c := range byMAC {
			if strings.EqualFold(mac, d.MAC) {
				k += c
			}
		}
		if p := binomialAtMost(k, len(turns), 1.0/float64(len(l.ds))); p < 1e-4 {
			t.Errorf("%s took %d of %d turns: a fair race gives that few with probability %.2g", d.Name(), k, len(turns), p)
		}
		if len(turns) > 0 && shares[i] < 0.5*float64(k)/float64(len(turns)) {
			t.Errorf("%s got %.1f%% of the queries for %d of %d turns: the router did not follow its turns", d.Name(), 100*shares[i], k, len(turns))
		}
	}
	if r.Lost*100 > r.Sent {
		t.Errorf("lost %d of %d queries with three healthy servers", r.Lost, r.Sent)
	}
	best, n := l.checkGap(minGap)
	t.Logf("gap: %d turns so far, smallest interval %v (min_gap %v)", n, best, minGap)

	// 2. A server whose NSD dies: how long the router keeps sending to it.
	trials := 5
	if n, err := strconv.Atoi(os.Getenv("ANYCOSTD_ND_TRIALS")); err == nil && n > 0 {
		trials = n // more trials for the figures
	}
	var withCall, crash, takeCall, takeCrash []time.Duration
	// A trial is not counted when the turn moved between reading the
	// router's entry and the kill; more than trials such trials is a
	// broken lab, not bad luck.
	tries := 0
	try := func() {
		if tries++; tries > 3*trials {
			t.Fatalf("%d failover trials and only %d counted: the killed server was not receiving queries before the kill", tries-1, len(withCall)+len(crash))
		}
	}
	for len(withCall) < trials {
		try()
		sendFor, take, lost, ok := l.failover(false)
		t.Logf("NSD killed on the holder: router sent to it for %v more, next turn of a peer after %v, %d queries lost (trial counted: %v)", sendFor, take, lost, ok)
		if ok {
			withCall, takeCall = append(withCall, sendFor), append(takeCall, take)
		}
	}
	for len(crash) < max(3, trials*3/5) {
		try()
		sendFor, take, lost, ok := l.failover(true)
		t.Logf("NSD and anycostd killed on the holder: router sent to it for %v more, next turn of a peer after %v, %d queries lost (trial counted: %v)", sendFor, take, lost, ok)
		if ok {
			crash, takeCrash = append(crash, sendFor), append(takeCrash, take)
		}
	}
	t.Logf("router kept sending after NSD died (the server calls): %s; next turn of a peer: %s", spread(withCall), spread(takeCall))
	t.Logf("router kept sending after a silent crash (no call): %s; next turn of a peer: %s", spread(crash), spread(takeCrash))
	slices.Sort(withCall)
	slices.Sort(crash)
	// The withdrawn holder calls: a peer takes over at most min_gap after
	// the holder's last turn plus the early wait (mean 2 slots × weight,
	// cut at 8) and a round of the grid, plus the withdrawal's own delay
	// (socket destroy notice, pacing of the cost model's decision).
	callBound := minGap + 8*20*time.Millisecond + 3*20*time.Millisecond + 700*time.Millisecond
	if m := withCall[len(withCall)-1]; m > callBound {
		t.Errorf("the router kept sending to a server with NSD down for %v, want under %v", m, callBound)
	}
	// Without a call, the peers' own draws bound it: min_gap × (1 + 4)
	// plus a round of the grid.
	if m := crash[len(crash)-1]; m > 5*minGap+3*20*time.Millisecond+200*time.Millisecond {
		t.Errorf("the router kept sending to a crashed server for %v", m)
	}
	best, n = l.checkGap(minGap)
	t.Logf("gap: %d turns so far, smallest interval %v", n, best)

	// 3. Shares follow capacity: s1's NSD gets a sliver of a core.
	s1 := l.ds[0]
	if err := f.Lab.LimitCPU("nsd-s1", starvedCPU, s1.NSD.Pids()...); err != nil {
		t.Fatal(err)
	}
	// The farm's rate: the rate s1 fails at alone, but at least 2000
	// qps. s1's equal share (a third) must overload it unless the tiers
	// move queries off it; a farm offered only 1000 qps (once, when the
	// starved s1 lost a fifth at 1000 alone, answering 481 a second)
	// left s1 333 a second, under what it answers, and the shares equal
	// (s1 0.295, s3 0.287). Every other run found 2000 (s1 answering
	// 385-746 a second alone at 2000 in the runs kept here; at an equal
	// share of 667 a second its bursts of 1 ms of CPU every 400 ms
	// overflow its socket, and the tiers take it off).
	offered := 0
	for _, q := range []int{1000, 2000, 3000, 4500} {
		c, err := f.Client.DNSPerf(context.Background(), PerfOptions{Server: netip.MustParseAddr("2001:db8:1::100"), Duration: 3 * time.Second, QPS: q,
			Queries: []string{"whoami.example.org TXT"}, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("starved s1 alone at %d qps: completed %d of %d", q, c.Completed, c.Sent)
		time.Sleep(2 * time.Second)
		if c.Lost*5 >= c.Sent {
			offered = max(q, 2000)
			break
		}
	}
	if offered == 0 {
		t.Fatal("could not overload the starved server at up to 4500 qps")
	}
	t.Logf("offering the farm %d qps", offered)
	static := map[string]float64{}
	// The static metric's run is a figure for comparison, judged by
	// nothing: only the long run (make soak) measures it.
	runs := []bool{true}
	if os.Getenv(envLong) == "1" {
		runs = []bool{false, true}
	}
	for _, tiers := range runs {
		name := "static metric"
		if tiers {
			name = "tiers 10/20/40"
			for _, d := range l.ds {
				d.stop(t)
				d.start(t, ndTOML(d.ctl, minGap, standby, true))
			}
			// The first query after the restart makes the router
			// solicit again (or reach the last holder, which wakes).
			WaitFor(t, 10*time.Second, "an answer after the restart", func() (bool, error) {
				_, err := f.Client.Whoami(netip.AddrPortFrom(NDAddr, 53))
				return err == nil, err
			})
			// Every server active, with queries flowing: an active farm
			// with no queries goes standby after standby (10 s) and sends
			// no NA, and the starved s1, whose probe can take longer than
			// that to rise, then waits idle for a query or a peer's NA
			// (CI of e3948f3: s1 idle for 20 s after the one answer).
			WaitFor(t, 20*time.Second, "every server active with queries flowing", func() (bool, error) {
				f.Client.Whoami(netip.AddrPortFrom(NDAddr, 53))
				for _, d := range l.ds {
					if st := d.state(t); st != "active" {
						return false, fmt.Errorf("%s in state %q; last change: %s", d.Name(), st, lastLine(d.log(t), `msg="ND state"`))
					}
				}
				return true, nil
			})
		}
		changes := strings.Count(s1.log(t), `msg="service advertisement"`)
		r, shares := l.perf(ndPerfRun(), offered)
		changes = strings.Count(s1.log(t), `msg="service advertisement"`) - changes
		t.Logf("%s, s1 starved, %v at %d qps: completed %d of %d (%.1f%%), lost %d; shares s1 %.3f s2 %.3f s3 %.3f; s1 changed its metric %d times",
			name, ndPerfRun(), offered, r.Completed, r.Sent, 100*float64(r.Completed)/float64(r.Sent), r.Lost, shares[0], shares[1], shares[2], changes)
		if !tiers {
			static["s1"], static["lost"] = shares[0], float64(r.Lost)
			continue
		}
		if shares[0] >= shares[1] || shares[0] >= shares[2] {
			t.Errorf("with tiers the starved s1 got %.3f of the queries, s2 %.3f and s3 %.3f: want s1 the least", shares[0], shares[1], shares[2])
		}
		// Losses are reported, not judged: with a static metric the
		// probe's withdrawals of the starved s1 are a load signal too,
		// faster than the tiers' dwell, and which loses fewer queries
		// depends on how far s1 is overloaded (see nd-figures).
		if _, ok := static["lost"]; ok {
			t.Logf("lost with a static metric %.0f, with tiers %d", static["lost"], r.Lost)
		}
	}
	afterRuns := len(s1.log(t))
	best, n = l.checkGap(minGap)
	t.Logf("gap: %d turns so far, smallest interval %v", n, best)

	// s1's CPU back. Starved, its NSD still works through the queries
	// queued in its socket for many seconds after dnsperf ends (1 ms of
	// CPU every 400 ms), so its probe fails and passes by turns, and each
	// return from withdrawn to active starts its standby clock afresh: a
	// standby that comes whenever the backlog ends (the CI failure of
	// 2026-12-07: s1 still active 20 s after the run).
	if err := f.Lab.UnlimitCPU("nsd-s1"); err != nil {
		t.Fatal(err)
	}
	// Healthy: its last change is to active or standby and older than a
	// probe's rise (3 × 200 ms), so that no probe sent while starved can
	// still withdraw it.
	WaitFor(t, 15*time.Second, "s1 healthy with its CPU back", func() (bool, error) {
		line := lastLine(s1.log(t), `msg="ND state"`)
		m := ndStateRe.FindStringSubmatch(line)
		at, err := logTime(line)
		if m == nil || err != nil || (m[2] != "active" && m[2] != "standby") {
			return false, fmt.Errorf("last change: %s", line)
		}
		return time.Since(at) > 1500*time.Millisecond, nil
	})
	var changes []string
	for _, line := range strings.Split(s1.log(t)[afterRuns:], "\n") {
		if m := ndStateRe.FindStringSubmatch(line); m != nil {
			changes = append(changes, m[1]+"->"+m[2])
		}
	}
	t.Logf("s1's state changes from the end of the runs to its CPU back: %v; last: %s", changes, lastLine(s1.log(t), `msg="ND state"`))

	// 4. Standby: no queries for standby_after, silence; a query wakes
	// the farm.
	for _, d := range l.ds {
		l.waitState(d, "standby", standby+10*time.Second)
	}
	quietFrom := time.Now()
	time.Sleep(5 * time.Second)
	for _, p := range l.turns() {
		if p.At.After(quietFrom) {
			t.Errorf("turn by %s at %s while every server is in standby", p.SrcMAC, p.At.Format("15:04:05.000"))
		}
	}
	wakes := make([]int, len(l.ds))
	for i, d := range l.ds {
		wakes[i] = strings.Count(d.log(t), "from=standby to=active")
	}
	who, err := f.Client.Whoami(netip.AddrPortFrom(NDAddr, 53))
	if err != nil {
		t.Errorf("first query after standby: %v", err)
	}
	for i, d := range l.ds {
		l.waitLogCount(d, "from=standby to=active", wakes[i]+1, 10*time.Second)
	}
	t.Logf("after standby: answered by %s, every server active again: %s", who, lastLine(l.ds[1].log(t), "from=standby to=active"))

	// 5. Bad input: an NA routed in from the client (hop limit 254 on
	// arrival), an NA for another target and a malformed NS on the link.
	na := []byte{136, 0, 0, 0, 0x20, 0, 0, 0}
	na = append(na, NDAddr.AsSlice()...)
	if err := f.Client.SendICMPv6("eth0", NDAddr, 255, na); err != nil {
		t.Fatal(err)
	}
	other := append([]byte{136, 0, 0, 0, 0x20, 0, 0, 0}, netip.MustParseAddr("2001:db8:1::99").AsSlice()...)
	if err := f.Router.SendICMPv6("eth0", netip.MustParseAddr("ff02::1"), 255, other); err != nil {
		t.Fatal(err)
	}
	bad := append([]byte{135, 0, 0, 0, 0, 0, 0, 0}, NDAddr.AsSlice()...)
	bad = append(bad, 1, 0, 0, 0, 0, 0, 0, 0) // option length 0
	if err := f.Router.SendICMPv6("eth0", netip.MustParseAddr("ff02::1:ff00:53"), 255, bad); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	sum := map[string]uint64{}
	for _, d := range l.ds {
		st := d.status(t)
		for k, v := range st.ND.Counters.Dropped {
			sum[k] += v
		}
	}
	t.Logf("ignored messages over the three servers: %v", sum)
	for _, k := range []string{"hop_limit", "other_target", "malformed"} {
		if sum[k] == 0 {
			t.Errorf("no %s message counted: %v", k, sum)
		}
	}
	best, n = l.checkGap(minGap)
	t.Logf("gap over the whole test: %d turns, smallest interval %v (min_gap %v)", n, best, minGap)
}

// statuses reads every daemon's status, and when each command started
// and ended.
func (l *ndFarmLab) statuses() ([]ndStatus, [][2]time.Time) {
	l.t.Helper()
	var sts []ndStatus
	var at [][2]time.Time
	for _, d := range l.ds {
		from := time.Now()
		sts = append(sts, d.status(l.t))
		at = append(at, [2]time.Time{from, time.Now()})
	}
	return sts, at
}

// captureUntil waits until the capture holds a packet sent after at:
// tshark's lines can lag the wire by more than a second (seen on a 2-core
// machine with builds running beside), so only then is everything sent
// before at in it. The servers' turns and the router's solicitations keep
// the link busy while queries flow and for standby_after after.
func (l *ndFarmLab) captureUntil(at time.Time) {
	l.t.Helper()
	WaitFor(l.t, 10*time.Second, "a captured ND packet sent after "+at.Format("15:04:05.000"), func() (bool, error) {
		pkts, err := l.capture.Packets()
		return err == nil && len(pkts) > 0 && pkts[len(pkts)-1].At.After(at), err
	})
}

// countTurns counts the turns by mac in (from, to).
func countTurns(turns []NDPacket, mac string, from, to time.Time) int {
	n := 0
	for _, p := range turns {
		if strings.EqualFold(p.SrcMAC, mac) && p.At.After(from) && p.At.Before(to) {
			n++
		}
	}
	return n
}

// holderName names the server the status says the router sends to.
func holderName(l *ndFarmLab, s *ndproxy.ServiceStatus) string {
	if srv := l.ServerByMAC(s.Holder); srv != nil {
		return srv.Name()
	}
	return s.Holder
}

// lastLine returns the last line of log holding s.
// logTime is the time= of a daemon's log line.
func logTime(line string) (time.Time, error) {
	v, ok := strings.CutPrefix(line, "time=")
	if !ok {
		return time.Time{}, fmt.Errorf("no time= in %q", line)
	}
	v, _, _ = strings.Cut(v, " ")
	return time.Parse(time.RFC3339Nano, v)
}

func lastLine(log, s string) string {
	lines := strings.Split(log, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], s) {
			return lines[i]
		}
	}
	return ""
}

// spread sorts ds and describes them: n, min, median, max.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
	return fmt.Sprintf("n=%d min %v median %v max %v (all: %v)", len(ds), r(ds[0]), r(ds[len(ds)/2]), r(ds[len(ds)-1]), ds)
}

// binomialAtMost is P(X <= k) for X ~ Binomial(n, p).
func binomialAtMost(k, n int, p float64) float64 {
	sum, term := 0.0, math.Pow(1-p, float64(n)) // P(X = 0)
	for i := 0; i <= k && i <= n; i++ {
		sum += term
		term *= float64(n-i) / float64(i+1) * p / (1 - p) // P(X = i+1)
	}
	return min(sum, 1)
}
