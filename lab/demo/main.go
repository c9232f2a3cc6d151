// Command demo shows anycostd at work on one machine (issue 5, `make
// demo`): an FRR router, three DNS servers running NSD and anycostd, and a
// client with dnsperf behind the router, each in its own network
// namespace. It offers a steady DNS load to the anycast address and plays
// a short script (overload a server, kill and restart an NSD, drain a
// server) while a live table shows what each server advertises, the
// queries per second it receives and the router's next hops. At the end,
// or on ^C, it removes every namespace and process it started and writes
// a plot of the run.
//
// With -sites (`make demo-sites`) it builds the two-site lab of
// docs/sites.md instead: two farms of three servers, each behind an FRR
// area border router, joined by a core FRR router with the client behind
// it, and shows the core moving the service from site A to site B when
// A is overloaded or drained, and back (sites.go).
//
// With -agent (`make demo-agent`) it builds the farm with the router
// agent's host instead (lab.OpenAgentFarm): three NSDs of different
// capacity, first OSPF's equal split, then `anycostd router` taking over
// with weighted next hops, the shares moving to the capacities, then the
// agent stopped (agent.go).
//
//	go run ./lab/demo [-sites | -agent [-agent-cpu 1,2,0.5] [-agent-tiers] [-agent-loads]] [-qps 4500] [-cpu 1] [-png demo.png] [-svg demo.svg]
//
// It needs root, FRR, NSD and dnsperf; `make demo` installs them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// options are the command line's.
type options struct {
	sites bool // the two-site variant
	agent bool // the router agent variant
	// caps are the agent variant's NSD CPU caps (percent of one core),
	// also the servers' capacities.
	caps []float64
	// agentTiers gives the agent variant's servers the quick start's
	// tiers (default: a static metric, as docs/router-agent.md
	// recommends with the agent).
	agentTiers bool
	// agentLoads lets the agent correct its weights from the servers'
	// loads (by default they stay at the capacities: min_factor and
	// max_factor 1).
	agentLoads bool
	qps        int // dnsperf's offered rate
	// qpsAuto: -qps was not given, and the agent variant sizes qps to
	// the machine (agentRate).
	qpsAuto bool
	cpu     float64 // the overloaded NSD's share of one CPU, in percent
	png     string  // the plot
	svg     string  // the plot again, as SVG ("" for none)
	// logs is a folder to copy the daemons' logs to before the lab and its
	// folder go ("" to let them go).
	logs string
}

// demo is one run.
type demo struct {
	opt     options
	log     strings.Builder // the lab's own lines, shown on failure
	scr     *screen
	rec     *record
	smp     *sampler
	farm    *lab.DNSFarm   // the single farm (nil with -sites)
	sites   *lab.Sites     // the two sites (nil without -sites)
	agent   *lab.AgentFarm // the agent variant's farm (nil without -agent)
	lab     *lab.Lab       // the lab of either
	client  *lab.Host      // where dnsperf runs
	servers []*lab.Server
	labName string
	bin     string
	step    atomic.Pointer[stepState]
	tick    int // samples since the last status line (not a terminal)
}

func main() { os.Exit(run()) }

func run() int {
	var opt options
	flag.BoolVar(&opt.sites, "sites", false, "two sites behind a core router (docs/sites.md) instead of one farm")
	flag.IntVar(&opt.qps, "qps", 4500, "queries per second dnsperf offers the farm (with -sites, default 2000)")
	flag.Float64Var(&opt.cpu, "cpu", 0.25, "percent of one CPU the overloaded server's NSD gets")
	flag.StringVar(&opt.png, "png", "demo.png", "write the plot here (PNG)")
	flag.StringVar(&opt.svg, "svg", "demo.svg", "also write the plot here (SVG; empty for none)")
	flag.StringVar(&opt.logs, "logs", "", "copy the daemons' logs into this `folder` before removing the lab")
	flag.BoolVar(&opt.agent, "agent", false, "the router agent taking over from OSPF's equal split (docs/router-agent.md) instead of the one-farm script")
	flag.BoolVar(&opt.agentTiers, "agent-tiers", false, "with -agent: the servers advertise the quick start's three tiers instead of a static metric")
	flag.BoolVar(&opt.agentLoads, "agent-loads", false, "with -agent: the agent corrects its weights from the servers' loads (its default configuration) instead of keeping them at the capacities")
	cpus := flag.String("agent-cpu", agentCPUDefault, "with -agent: the three NSDs' shares of one CPU in `percent`, also their capacities")
	flag.Parse()
	if opt.sites && opt.agent {
		fmt.Fprintln(os.Stderr, "demo: -sites and -agent are two different demos: choose one")
		return 2
	}
	if opt.sites && !flagSet("qps") {
		opt.qps = sitesQPS
	}
	if opt.agent {
		var err error
		if opt.caps, err = parseCPUs(*cpus); err != nil {
			fmt.Fprintln(os.Stderr, "demo:", err)
			return 2
		}
		if !flagSet("qps") {
			opt.qps, opt.qpsAuto = agentQPS, true
		}
	}
	if opt.qps < 100 || opt.cpu < 0.1 || opt.cpu > 100 {
		fmt.Fprintln(os.Stderr, "demo: -qps must be at least 100 and -cpu between 0.1 and 100")
		return 2
	}
	scr := newScreen(os.Stdout)
	defer scr.close()
	if os.Geteuid() != 0 {
		scr.say(line{{"demo: needs root (it builds network namespaces and runs FRR, NSD and dnsperf in them): sudo make demo", red}}, 0)
		return 1
	}
	d := &demo{opt: opt, scr: scr, rec: &record{}}

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.body(ctx) }()

	var err error
	interrupted := false
	select {
	case err = <-done:
	case sig := <-sigs:
		interrupted = true
		cancel()
		d.scr.say(line{{fmt.Sprintf("%s: stopping and removing the lab...", sig), yellow}}, 0)
		select {
		case err = <-done:
		case <-time.After(20 * time.Second):
			d.scr.say(line{{"the demo did not stop within 20 s; removing the lab anyway", yellow}}, 0)
		}
	}
	// From here on a signal does not interrupt the cleanup.
	go func() {
		for range sigs {
			d.scr.say(line{{"still cleaning up, a moment...", yellow}}, 0)
		}
	}()
	return d.finish(err, interrupted)
}

// body builds the lab and plays the script.
func (d *demo) body(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	setup, steps := d.setup, d.script
	switch {
	case d.opt.sites:
		setup, steps = d.setupSites, d.sitesScript
	case d.opt.agent:
		setup, steps = d.setupAgent, d.agentScript
	}
	if err := setup(ctx); err != nil {
		return err
	}
	return d.play(ctx, steps())
}

func (d *demo) glyph(unicode, ascii string) string {
	if d.scr.utf8 {
		return unicode
	}
	return ascii
}

// setup builds anycostd and the lab, starts anycostd on every server and
// waits until the router spreads the anycast /128 over all of them.
func (d *demo) setup(ctx context.Context) error {
	d.scr.say(line{{"anycostd demo", boldCy}, {": an FRR router (r1), three DNS servers s1, s2, s3 (NSD + anycostd) and a client with dnsperf behind r1, each in its own network namespace.", plain}}, 2)
	d.scr.say(line{{"building anycostd and the lab...", dim}}, 0)
	t0 := time.Now()
	var err error
	if d.bin, err = lab.Build(); err != nil {
		return err
	}
	f, err := lab.OpenDNSFarm(&d.log, 3, nil)
	if err != nil {
		return err
	}
	d.farm, d.lab, d.client, d.servers, d.labName = f, f.Lab, f.Client, f.Servers, f.Lab.Name()
	for _, s := range f.Servers {
		if err := s.TryWriteConfig(s.TOML(lab.DNSServiceTOML(2*time.Second, lab.TiersTOML))); err != nil {
			return err
		}
		if _, err := s.TryStart(); err != nil {
			return err
		}
	}
	for _, s := range f.Servers {
		d.rec.names = append(d.rec.names, s.Name())
	}
	d.scr.say(line{{fmt.Sprintf("lab %s up in %.1f s; anycostd runs on every server with the quick start's three tiers (metric 10, 20, 40) and a DNS probe. Daemon logs go to %s.",
		d.labName, time.Since(t0).Seconds(), f.Lab.Dir()), dim}}, 2)

	t1 := time.Now()
	if err := d.waitFIB(ctx, len(f.Servers), 60*time.Second); err != nil {
		return err
	}
	d.scr.say(line{{fmt.Sprintf("r1 routes %s over all three servers after %.1f s (OSPF adjacency, then anycostd's advertisements).",
		lab.Anycast, time.Since(t1).Seconds()), dim}}, 2)
	d.scr.say(line{}, 0)

	d.rec.setStart(time.Now())
	d.smp = newSampler(f.Servers, farmRoutes(f.RouterHost, f.Servers), d.rec, d.refresh)
	d.smp.start()
	return nil
}

// refresh redraws the live table (or, when the output is not a terminal,
// prints a status line every 5 s).
func (d *demo) refresh() {
	if d.scr.tty {
		d.scr.show(d.board())
		return
	}
	if d.tick++; d.tick%5 == 1 {
		if l := d.statusLine(); l != nil {
			d.scr.say(l, 6)
		}
	}
}

// waitFIB waits until the router's FIB has n next hops for the anycast
// address.
func (d *demo) waitFIB(ctx context.Context, n int, timeout time.Duration) error {
	var hops []netip.Addr
	err := d.poll(ctx, timeout, func() (bool, error) {
		var err error
		hops, err = d.farm.RouterHost.FIBNextHops(lab.Anycast)
		return err == nil && len(hops) == n, err
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("r1 has %d next hops for %s, want %d: %w", len(hops), lab.Anycast, n, err)
	}
	return err
}

// finish stops sampling, removes the lab, writes the plot and says how it
// went. It returns the exit code.
func (d *demo) finish(err error, interrupted bool) int {
	if d.smp != nil {
		d.smp.halt()
	}
	if d.scr.tty && d.smp != nil {
		d.step.Store(nil)
		d.scr.show(d.board())
	}
	d.scr.freeze()
	d.scr.say(line{}, 0)
	if err != nil && !interrupted && !errors.Is(err, context.Canceled) {
		d.scr.say(line{{"demo failed: ", red}, {err.Error(), plain}}, 2)
	}

	t0 := time.Now()
	nns := 0
	if d.lab != nil {
		nns = len(d.lab.Namespaces())
	}
	failed := err != nil && !interrupted
	if failed && d.lab != nil {
		d.log.WriteString(d.lab.ProcessTails(30))
	}
	if d.opt.logs != "" && d.lab != nil {
		if n, err := copyLogs(d.lab.Dir(), d.opt.logs); err != nil {
			d.scr.say(line{{"copying the logs: " + err.Error(), red}}, 2)
		} else {
			d.scr.say(line{{fmt.Sprintf("copied %d daemon logs to %s", n, d.opt.logs), dim}}, 2)
		}
	}
	if d.lab != nil {
		if cerr := d.lab.Close(); cerr != nil {
			d.scr.say(line{{"removing the lab: " + cerr.Error(), red}}, 2)
		}
	}
	left := d.sweep()
	lab.RemoveBuild()
	switch {
	case d.labName == "":
		d.scr.say(line{{"removed what the demo had started", dim}}, 0)
	case len(left) > 0:
		d.scr.say(line{{fmt.Sprintf("could not remove every namespace of lab %s: %s", d.labName, strings.Join(left, " ")), red}}, 2)
	default:
		d.scr.say(line{{fmt.Sprintf("removed lab %s in %.1f s: its %d namespaces, every process in them and its files; `ip netns list` shows none of it.",
			d.labName, time.Since(t0).Seconds(), nns), dim}}, 2)
	}
	if failed {
		if logs := d.log.String(); logs != "" {
			const path = "demo-failure.log"
			if os.WriteFile(path, []byte(logs), 0o644) == nil {
				d.scr.say(line{{"the daemons' last log lines are in " + path, yellow}}, 0)
			}
		}
	}

	samples, events := d.rec.snapshot()
	if len(samples) > 1 {
		note := ""
		if interrupted {
			note = fmt.Sprintf("(stopped at %s)", clock(samples[len(samples)-1].At))
		}
		write := writePlots
		if d.opt.agent {
			write = d.writeAgentPlots
		}
		if perr := write(d.rec.names, samples, events, d.opt.qps, note, d.opt.png, d.opt.svg); perr != nil {
			d.scr.say(line{{"plot: " + perr.Error(), red}}, 2)
		} else {
			files := d.opt.png
			if d.opt.svg != "" {
				files += " and " + d.opt.svg
			}
			d.scr.say(line{{"plot of the run: ", bold}, {files, plain}}, 2)
		}
	}
	d.summary(events)
	if d.opt.agent {
		d.shareSummary(samples, events)
	}

	switch {
	case interrupted:
		return 130
	case err != nil || left != nil:
		return 1
	}
	return 0
}

// board is the live block of the variant that runs.
func (d *demo) board() []line {
	switch {
	case d.sites != nil:
		return d.sitesDashboard()
	case d.agent != nil:
		return d.agentDashboard()
	}
	return d.dashboard()
}

// flagSet reports whether the command line set the flag name.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// summary prints each step with what dnsperf counted during it.
func (d *demo) summary(events []event) {
	if len(events) == 0 {
		return
	}
	d.scr.say(line{{fmt.Sprintf("%-5s %-24s %9s %7s", "at", "step", "sent", "lost"), bold}}, 0)
	for _, e := range events {
		sent, lost, st := "-", "-", plain
		if e.Measured {
			sent, lost = fmt.Sprint(e.Sent), fmt.Sprint(e.Lost)
			st = green
			if e.Lost > 0 {
				st = yellow
			}
		}
		d.scr.say(line{{fmt.Sprintf("%-5s %-24s %9s ", clock(e.At), fmt.Sprintf("%d %s", e.N, e.Title), sent), plain},
			{fmt.Sprintf("%7s", lost), st}}, 0)
	}
}

// sweep removes what is left of the lab's namespaces after its cleanup
// (there should be nothing: this only matters when the demo had to be
// removed while a lab call was still running) and returns the names that
// could not be removed.
func (d *demo) sweep() []string {
	if d.labName == "" {
		return nil
	}
	var left []string
	for _, dir := range []string{"/var/run/netns", "/var/run/frr"} {
		m, _ := filepath.Glob(filepath.Join(dir, d.labName+"-*"))
		for _, p := range m {
			if dir == "/var/run/netns" {
				ns := filepath.Base(p)
				if out, err := exec.Command("ip", "netns", "pids", ns).Output(); err == nil {
					for _, pid := range strings.Fields(string(out)) {
						exec.Command("kill", "-9", pid).Run()
					}
				}
				if exec.Command("ip", "netns", "del", ns).Run() != nil {
					left = append(left, ns)
				}
				continue
			}
			os.RemoveAll(p)
		}
	}
	return left
}

// copyLogs copies the *.log files of the lab's folder (and its
// subfolders) into dst and returns how many.
func copyLogs(src, dst string) (int, error) {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return 0, err
	}
	n := 0
	err := filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".log") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		n++
		return os.WriteFile(filepath.Join(dst, strings.ReplaceAll(rel, string(filepath.Separator), "_")), b, 0o644)
	})
	return n, err
}
