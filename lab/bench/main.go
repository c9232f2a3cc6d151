// Command bench measures anycostd side by side with what operators run
// today (FRR ospf6d driven by a health-check script, ExaBGP's
// healthcheck), each row on the same network-namespace lab in the same
// run, and writes BENCHMARKS.md and the raw numbers as CSV (issue 5).
//
//	go run ./lab/bench [-quick] [-out BENCHMARKS.md] [-csv BENCHMARKS.csv]
//	                   [-rows failover,drain,coldstart,footprint,scale,external,balance,sites,dark]
//	                   [-alts anycostd,frr+script-1s,...] [-failover-parts rested,readvert]
//	                   [-balance-configs static-equal,anycostd,...] [-scale-parts ecmp,agent]
//	                   [-sites-parts failover,overload,drain] [-dark-trials N]
//	                   [-keep-logs DIR] [-v]
//
// It needs root, FRR, NSD and dnsperf (and exabgp for the ExaBGP rows);
// `make bench` runs it. It removes every namespace and process it started,
// also on failure and on SIGINT/SIGTERM.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// onlyAlts limits the failover and drain rows to some alternatives (nil:
// all of them).
var onlyAlts map[string]bool

// failoverParts are the parts of row 1 to run: "rested" (the kill long
// after the last change) and "readvert" (the kill right after the
// server's (re)advertisement).
var failoverParts = map[string]bool{"rested": true, "readvert": true}

// sitesParts are the parts of the sites row to run.
var sitesParts = map[string]bool{"failover": true, "overload": true, "drain": true}

// scaleParts are the parts of the scale row to run: "ecmp" (n servers
// started at once -> n next hops, their memory) and "agent" (the router
// agent joining the n-server farm: its memory once its route has every
// server).
var scaleParts = map[string]bool{"ecmp": true}

// selfPath is this program's executable, run by the health checks as
// `bench dnscheck`.
var selfPath string

// config is what differs between a quick and a full run.
type config struct {
	quick          bool
	failTrials     int
	drainTrials    int
	coldTrials     int
	settle         time.Duration // quiet time after a server is back, before the next trial
	drainRun       time.Duration // dnsperf run per drain trial
	drainQPS       int
	window         time.Duration // footprint CPU window
	scaleServers   []int
	scaleTrials    int
	externalLSAs   int
	externalTrials int
	balance        bool
	balanceRuns    int   // lab balance: runs per cell
	balanceLoads   []int // lab balance: offered loads, % of the summed capacity
	balanceSim     bool  // run the simulator for the balance row
	// balanceClients is dnsperf's number of client sockets in the lab
	// balance cells: each is one flow the router's multipath hash places.
	balanceClients int
	// balanceConfigs are the lab balance configs (of balanceConfigKeys).
	balanceConfigs []string
	darkTrials     int // dark: trials per setting
}

func fullConfig() config {
	return config{failTrials: 20, drainTrials: 5, coldTrials: 10, settle: 5 * time.Second,
		drainRun: 9 * time.Second, drainQPS: 2000, window: 20 * time.Second,
		scaleServers: []int{64}, scaleTrials: 3, externalLSAs: 20000, externalTrials: 3, balance: true,
		balanceRuns: 3, balanceLoads: []int{70, 90}, balanceSim: true, balanceClients: 4096,
		balanceConfigs: []string{"static-equal", "anycostd", "anycostd-agent", "anycostd-agent-rate"}, darkTrials: 20}
}

func quickConfig() config {
	return config{quick: true, failTrials: 2, drainTrials: 1, coldTrials: 1, settle: 2 * time.Second,
		drainRun: 6 * time.Second, drainQPS: 2000, window: 3 * time.Second,
		scaleServers: []int{16}, scaleTrials: 1, externalLSAs: 5000, externalTrials: 1, balance: false,
		balanceRuns: 1, balanceLoads: []int{70, 90}, balanceSim: true, balanceClients: 4096,
		balanceConfigs: []string{"static-equal", "anycostd", "anycostd-agent-rate"}, darkTrials: 2}
}

// allRows are the rows in the order they run.
var allRows = []string{"failover", "drain", "coldstart", "footprint", "scale", "external", "balance", "sites", "dark"}

// bench is one run.
type bench struct {
	cfg   config
	res   *results
	log   io.Writer
	r     *row // the running row
	meta  meta
	start time.Time

	mu     sync.Mutex
	notes  map[string][]string
	sim    string // anycost-sim's output
	simCmd string
	exaWhy string // why ExaBGP rows were left out, or ""
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// note records a sentence for a row's section of the report.
func (b *bench) note(row, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.logf("note [%s]: %s", row, msg)
	b.mu.Lock()
	b.notes[row] = append(b.notes[row], msg)
	b.mu.Unlock()
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "dnscheck" {
		os.Exit(dnscheck(os.Args[2:]))
	}
	os.Exit(run())
}

func run() int {
	quick := flag.Bool("quick", false, "a few trials of each row (under 5 minutes)")
	out := flag.String("out", "BENCHMARKS.md", "the report to write")
	csvPath := flag.String("csv", "BENCHMARKS.csv", "the raw numbers to write")
	rows := flag.String("rows", strings.Join(allRows, ","), "rows to run, comma-separated")
	alts := flag.String("alts", "", "failover and drain: only these alternatives (keys as in the CSV, comma-separated; default all but anycostd-agent, row 1 with the router agent, which runs only when named here)")
	flag.StringVar(&keepLogs, "keep-logs", "", "copy every lab's process logs and configs into this folder before removing the lab")
	flag.BoolVar(&verboseMonitor, "v", false, "log every kernel route message about the anycast /128 at the router")
	flag.BoolVar(&debugDaemons, "debug", false, "anycostd at log level debug and the router's ospf6d with SPF, flooding and zebra debugs (use with -keep-logs)")
	failTrials := flag.Int("fail-trials", 0, "failover: trials per alternative (default 20, quick 2)")
	drainTrials := flag.Int("drain-trials", 0, "drain, and the sites row's overload and drain: trials (default 5, quick 1)")
	darkTrials := flag.Int("dark-trials", 0, "dark: trials per setting (no BFD, BFD 50 ms, BFD 100 ms; default 20, quick 2)")
	drainQPS := flag.Int("drain-qps", 0, "drain and the sites row's drain: the offered rate (default 2000)")
	flag.BoolVar(&sitesCapture, "sites-capture", false, "sites: capture each drain trial at the core's client link and both sides of ABR A; keep the captures of a trial that loses queries (with -keep-logs)")
	balanceRuns := flag.Int("balance-runs", 0, "balance: lab runs per cell (default 3)")
	balanceCaps := flag.String("balance-caps", "", "balance: the three NSDs' CPU caps in % of a core, comma-separated (default 1,1,2)")
	balanceLoads := flag.String("balance-loads", "", "balance: offered loads in % of the summed capacity, comma-separated (default 70,90)")
	balanceClients := flag.Int("balance-clients", 0, "balance: dnsperf's client sockets in the lab cells, each one flow for the router's multipath hash (default 4096)")
	noSim := flag.Bool("no-sim", false, "balance: leave out the simulator (lab part only)")
	balanceConfigs := flag.String("balance-configs", "", "balance: lab configs, comma-separated, of "+strings.Join(balanceConfigKeys, ", ")+" (default static-equal,anycostd,anycostd-agent,anycostd-agent-rate)")
	parts := flag.String("failover-parts", "rested,readvert", "failover: the parts of row 1 to run (rested: the kill long after the last change; readvert: the kill right after the server's (re)advertisement)")
	scparts := flag.String("scale-parts", "ecmp", "scale: the parts of the row to run (ecmp: n servers started at once -> n next hops; agent: the router agent joining the n-server farm, its memory)")
	sparts := flag.String("sites-parts", "failover,overload,drain", "sites: the parts of the row to run (failover: a site's NSDs killed; overload: a site's load rises; drain: a whole site drained under load)")
	flag.Parse()
	for _, pf := range []struct {
		name, value string
		into        *map[string]bool
		known       []string
	}{
		{"sites", *sparts, &sitesParts, []string{"failover", "overload", "drain"}},
		{"failover", *parts, &failoverParts, []string{"rested", "readvert"}},
		{"scale", *scparts, &scaleParts, []string{"ecmp", "agent"}},
	} {
		m, err := parseParts(pf.value, pf.known)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s part: %v\n", pf.name, err)
			return 2
		}
		*pf.into = m
	}

	var err error
	if selfPath, err = os.Executable(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	b := &bench{cfg: fullConfig(), res: &results{}, log: os.Stderr, notes: map[string][]string{}, start: time.Now()}
	if *quick {
		b.cfg = quickConfig()
		rowTimeout = 4 * time.Minute
	}
	if *failTrials > 0 {
		b.cfg.failTrials = *failTrials
	}
	if *drainTrials > 0 {
		b.cfg.drainTrials = *drainTrials
	}
	if *darkTrials > 0 {
		b.cfg.darkTrials = *darkTrials
	}
	if *drainQPS > 0 {
		b.cfg.drainQPS = *drainQPS
	}
	if *balanceRuns > 0 {
		b.cfg.balanceRuns = *balanceRuns
	}
	if *balanceClients > 0 {
		b.cfg.balanceClients = *balanceClients
	}
	if *balanceCaps != "" {
		var caps []float64
		for _, c := range strings.Split(*balanceCaps, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(c), 64)
			if err != nil || v <= 0 || v > 100 {
				fmt.Fprintf(os.Stderr, "bench: -balance-caps %q: want three shares of a core in %%, 0 < cap <= 100\n", *balanceCaps)
				return 2
			}
			caps = append(caps, v)
		}
		if len(caps) != len(balanceQuotas) {
			fmt.Fprintf(os.Stderr, "bench: -balance-caps %q: want %d caps, one per server\n", *balanceCaps, len(balanceQuotas))
			return 2
		}
		balanceQuotas, balanceCapsGiven = caps, true
	}
	if *balanceLoads != "" {
		b.cfg.balanceLoads = nil
		for _, l := range strings.Split(*balanceLoads, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(l))
			if err != nil || n <= 0 || n > 200 {
				fmt.Fprintf(os.Stderr, "bench: -balance-loads %q: want percentages 1..200\n", *balanceLoads)
				return 2
			}
			b.cfg.balanceLoads = append(b.cfg.balanceLoads, n)
		}
	}
	b.cfg.balanceSim = !*noSim
	if *balanceConfigs != "" {
		if b.cfg.balanceConfigs, err = parseList(*balanceConfigs, balanceConfigKeys); err != nil {
			fmt.Fprintf(os.Stderr, "bench: -balance-configs: %v\n", err)
			return 2
		}
	}
	if *alts != "" {
		onlyAlts = map[string]bool{}
		for _, a := range strings.Split(*alts, ",") {
			onlyAlts[strings.TrimSpace(a)] = true
		}
	}
	want := map[string]bool{}
	for _, r := range strings.Split(*rows, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if !slices.Contains(allRows, r) {
			fmt.Fprintf(os.Stderr, "bench: unknown row %q (rows: %s)\n", r, strings.Join(allRows, ","))
			return 2
		}
		want[r] = true
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "bench: needs root (network namespaces, FRR, NSD)")
		return 1
	}

	// Clean up on ^C or SIGTERM: every running row's lab goes.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "bench: %v: cleaning up\n", sig)
		cleanupAll()
		os.Exit(130)
	}()

	b.meta = collectMeta()
	b.exaWhy = exabgpAvailable()
	b.logf("bench: %s run; rows %s", map[bool]string{true: "quick", false: "full"}[*quick], *rows)

	failed := false
	// A quick run shares one DNS farm among the rows that use one (it
	// saves the set-up time); a full run gives each row a lab of its own.
	shared := map[string]bool{}
	if b.cfg.quick {
		for _, row := range dnsRows {
			if want[row] {
				shared[row] = true
			}
		}
	}
	if len(shared) > 0 {
		rowStart := time.Now()
		err := runRow("dns-rows", b.log, func(r *row) {
			f := b.newDNSFarm(r, shared["failover"] && b.agentFailover())
			for _, row := range dnsRows {
				if shared[row] {
					if err := b.guard(row, func() { b.dnsRow(row, f) }); err != nil {
						failed = true
						b.note(row, "the row stopped early: %v", err)
					}
				}
			}
		})
		if err != nil {
			failed = true
			b.logf("bench: %v", err)
		}
		b.logf("bench: rows %v took %v", dnsRows, time.Since(rowStart).Round(time.Second))
	}
	for _, row := range allRows {
		if !want[row] || shared[row] {
			continue
		}
		rowStart := time.Now()
		if err := b.runRow(row); err != nil {
			failed = true
			b.note(row, "the row stopped early: %v", err)
		}
		b.logf("bench: row %s took %v", row, time.Since(rowStart).Round(time.Second))
	}
	b.meta.Duration = time.Since(b.start)
	if d, err := cpuStall(); err == nil && b.meta.StallOK {
		b.meta.Stall = d - b.meta.StallStart
	} else {
		b.meta.StallOK = false
	}
	lab.RemoveBuild()

	if err := writeFile(*csvPath, b.res.writeCSV); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	if err := writeFile(*out, func(w io.Writer) error { return b.writeReport(w, filepath.Base(*csvPath), want) }); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	b.logf("bench: wrote %s and %s in %v", *out, *csvPath, b.meta.Duration.Round(time.Second))
	if failed {
		return 1
	}
	return 0
}

// dnsRows are the rows that run on a DNS farm (3 servers with NSD, a
// client, BGP on the router when ExaBGP is there).
var dnsRows = []string{"failover", "drain", "coldstart", "footprint"}

// newDNSFarm builds the DNS farm, with the router agent's host and link
// when agent.
func (b *bench) newDNSFarm(r *row, agent bool) *farm {
	b.r = r
	return newFarm(r, farmOptions{servers: 3, dns: true, bgp: b.exaWhy == "", noDAD: true, agent: agent})
}

// agentFailover reports whether row 1's rested part also runs anycostd
// with the router agent: only when -alts names it (until it has run in
// the lab, a default run leaves it out).
func (b *bench) agentFailover() bool {
	return failoverParts["rested"] && onlyAlts[agentAltKey]
}

// dnsRow runs one of dnsRows on f.
func (b *bench) dnsRow(row string, f *farm) {
	switch row {
	case "failover":
		if failoverParts["rested"] {
			alts := []alternative{anycostdAlt()}
			if f.agent != nil {
				alts = append(alts, anycostdAgentAlt())
			}
			b.failover(f, append(alts,
				frrScriptAlt(time.Second),
				frrScriptAlt(200*time.Millisecond),
				exabgpAlt(exaDefaults, 5*time.Second, b.exaWhy),
				exabgpAlt(exaFastest, 200*time.Millisecond, b.exaWhy),
			))
		}
		if failoverParts["readvert"] {
			// The fastest of each kind: a slower poll only adds its
			// detection time to a kill that comes right after a change.
			b.failoverReadvert(f, []alternative{
				anycostdAlt(),
				frrScriptAlt(200 * time.Millisecond),
				exabgpAlt(exaFastest, 200*time.Millisecond, b.exaWhy),
			})
		}
	case "drain":
		b.drain(f, drainAlts(b.exaWhy))
	case "coldstart":
		// On a fresh farm the router has never met s1: warm up first.
		b.coldStart(f, []alternative{
			anycostdAlt(),
			{key: "frr", label: "FRR zebra+staticd+ospf6d", start: func(s *server) { s.startFRR() }, stop: func(s *server) { s.stopFRR() }},
		}, !f.used)
	case "footprint":
		b.footprint(f)
	}
	f.used = true
}

// guard runs fn and turns the row's stop into an error, so that the next
// row on a shared farm still runs.
func (b *bench) guard(row string, fn func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			rs, ok := p.(rowStop)
			if !ok {
				panic(p)
			}
			b.r.stopped(rs.err)
			err = rs.err
		}
	}()
	fn()
	return nil
}

// runRow runs one row with its own lab(s).
func (b *bench) runRow(name string) error {
	if slices.Contains(dnsRows, name) {
		return runRow(name, b.log, func(r *row) { b.dnsRow(name, b.newDNSFarm(r, name == "failover" && b.agentFailover())) })
	}
	switch name {
	case "scale":
		var errs []error
		for i, n := range b.cfg.scaleServers {
			if err := b.scaleECMP(n); err != nil {
				errs = append(errs, err)
				if n > 32 {
					b.note("scale", "%d servers did not complete here; measuring 32 instead", n)
					b.cfg.scaleServers[i] = 32
					if err := b.scaleECMP(32); err != nil {
						errs = append(errs, err)
					}
				}
			}
		}
		return errors.Join(errs...)
	case "external":
		b.scaleExternal(b.cfg.externalLSAs)
		return nil
	case "sites":
		return runRow(name, b.log, func(r *row) { b.sitesRow(r) })
	case "dark":
		return runRow(name, b.log, func(r *row) { b.darkRow(r) })
	case "balance":
		if b.cfg.balanceSim {
			b.balanceSim()
		}
		if b.cfg.balance {
			return runRow(name, b.log, func(r *row) { b.balanceLab(r) })
		}
		b.note("balance", "the lab part of this row (heterogeneous NSD farm) runs only in a full run")
		return nil
	}
	return fmt.Errorf("unknown row %q", name)
}

// parseParts reads a comma-separated list of parts, each one of known.
func parseParts(list string, known []string) (map[string]bool, error) {
	ps, err := parseList(list, known)
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, p := range ps {
		m[p] = true
	}
	return m, nil
}

// parseList reads a comma-separated list of names, each one of known,
// in its order, without repeats.
func parseList(list string, known []string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" || slices.Contains(out, p) {
			continue
		}
		if !slices.Contains(known, p) {
			return nil, fmt.Errorf("unknown part %q (%s)", p, strings.Join(known, ", "))
		}
		out = append(out, p)
	}
	return out, nil
}

// writeFile writes path through fn, atomically.
func writeFile(path string, fn func(io.Writer) error) error {
	tmp := path + ".tmp"
	fh, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := fn(fh); err != nil {
		fh.Close()
		os.Remove(tmp)
		return err
	}
	if err := fh.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
