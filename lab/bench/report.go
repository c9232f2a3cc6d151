package main

import (
	"cmp"
	_ "embed"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// writeReport writes BENCHMARKS.md.
func (b *bench) writeReport(w io.Writer, csvName string, ran map[string]bool) error {
	var r strings.Builder
	m := b.meta
	mode := "full"
	cmd := "make bench"
	if b.cfg.quick {
		mode = "quick"
		cmd = "make bench QUICK=1"
	}
	fmt.Fprintf(&r, "# anycostd benchmarks\n\n")
	fmt.Fprintf(&r, "Written by `%s` (`go run ./lab/bench%s`), a **%s** run, on %s; the run took %v. ",
		cmd, map[bool]string{true: " -quick", false: ""}[b.cfg.quick], mode, m.Date.UTC().Format("2006-01-02 15:04 MST"), m.Duration.Round(time.Second))
	fmt.Fprintf(&r, "Every raw number is in [%s](%s) (one line per trial and metric). ", csvName, csvName)
	fmt.Fprintf(&r, "Each row measures anycostd and its alternatives one after the other in the same run, on the same lab (network namespaces on one machine).\n\n")

	r.WriteString("## Machine and method\n\n")
	r.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(&r, "| cores (`nproc`) | %d (%s) |\n", m.Cores, m.CPU)
	fmt.Fprintf(&r, "| memory | %s |\n", m.MemTotal)
	fmt.Fprintf(&r, "| kernel (`uname -r`) | %s (%s) |\n", m.Kernel, m.OS)
	fmt.Fprintf(&r, "| FRR | %s (Debian package) |\n", m.FRR)
	fmt.Fprintf(&r, "| zebra | `--v6-rr-semantics` (an IPv6 route is replaced in one kernel message, not deleted and added: lab/frr_v6replace.go); work-queue default (not configured; FRR 8.4 batches FIB updates for 10 ms) |\n")
	fmt.Fprintf(&r, "| NSD, dnsperf, ExaBGP | %s, %s, %s |\n", m.NSD, m.DNSPerf, m.ExaBGP)
	fmt.Fprintf(&r, "| Go, anycostd | %s, commit %s |\n", m.Go, m.Commit)
	fmt.Fprintf(&r, "| load at start | %s (1/5/15 min); %d namespaces of other lab runs present |\n", m.LoadAvg, m.OtherLabs)
	if m.StallOK && m.Duration > 0 {
		fmt.Fprintf(&r, "| CPU pressure over the run | some task waited for a CPU %.1f%% of the run's time (PSI `some`, %v of %v) |\n",
			100*m.Stall.Seconds()/m.Duration.Seconds(), m.Stall.Round(time.Second), m.Duration.Round(time.Second))
	}
	fmt.Fprintf(&r, "| CPU pinning | none (no taskset): the 2 cores are shared by every daemon of the lab and by whatever else runs on the machine |\n")
	fmt.Fprintf(&r, "| scheduler autogroup | `kernel.sched_autogroup_enabled` = %s (1: each session is one scheduling group, so `nice` work of another session competes with the lab at full weight; docs in BENCHMARKS.md, \"Machine and method\") |\n\n", m.Autogroup)
	r.WriteString("The lab: one FRR router (zebra, staticd, ospf6d, and bgpd for ExaBGP; hello 1 s, dead 4 s, priority 10, " +
		"maximum-paths 64, `fib_multipath_hash_policy=1`), servers on one bridged link, each with NSD on [::]:53 and the anycast " +
		"2001:db8:53::53/128, and a client with dnsperf behind the router on a second link. " +
		"FIB changes are timed by notification, not by polling: `ip -ts -6 monitor route` runs in the router's namespace and " +
		"its timestamp of the kernel's route message is compared with `time.Now()` taken just before the event is caused; " +
		"both are CLOCK_REALTIME on the same machine. Medians: the middle value (mean of the two middle ones for an even count); " +
		"p99: nearest rank, which for fewer than 100 trials is the largest value.\n\n")
	fmt.Fprintf(&r, "The health checks of the alternatives send one DNS query (example.org. SOA, 0.5 s timeout) to the local NSD: "+
		"`bench dnscheck` (this program, built on github.com/miekg/dns) stands in for `dig`, which Debian does not install by default.\n\n")

	if ran["failover"] {
		b.reportFailover(&r)
	}
	if ran["drain"] {
		b.reportDrain(&r)
	}
	if ran["coldstart"] {
		b.reportColdStart(&r)
	}
	if ran["footprint"] {
		b.reportFootprint(&r)
	}
	if ran["scale"] || ran["external"] {
		b.reportScale(&r, ran)
	}
	if ran["balance"] {
		b.reportBalance(&r)
	}
	appendNDFigures(&r)
	if ran["sites"] {
		b.reportSites(&r)
	}
	if ran["dark"] {
		b.reportDark(&r)
	}
	b.reportCaveats(&r)
	_, err := io.WriteString(w, r.String())
	return err
}

// ndFigures is section 7, the ND mode's figures: measured by the ND lab
// test (lab/nd_test.go), not by this program, and kept in nd_figures.md so
// that every run of the bench carries them.
//
//go:embed nd_figures.md
var ndFigures string

// appendNDFigures appends section 7 verbatim after the numbered rows, as
// a paragraph of its own.
func appendNDFigures(r *strings.Builder) {
	endParagraph(r)
	r.WriteString(ndFigures)
	endParagraph(r)
}

// endParagraph ends r with a blank line unless it is empty or already does.
func endParagraph(r *strings.Builder) {
	s := r.String()
	switch {
	case s == "" || strings.HasSuffix(s, "\n\n"):
	case strings.HasSuffix(s, "\n"):
		r.WriteString("\n")
	default:
		r.WriteString("\n\n")
	}
}

// stalls describes the CPU stall (cpu_stall_ms) of each alternative's
// trials of a row, with that of its slowest trial by metric.
func (b *bench) stalls(row, metric string, alts [][2]string) []string {
	var stalls []string
	for _, a := range alts {
		v := b.res.values(row, a[0], "cpu_stall_ms")
		if len(v) == 0 || slices.Min(v) < 0 {
			continue
		}
		s := summarize(v)
		line := fmt.Sprintf("%s: median %s ms, max %s ms", a[1], fmtNum(s.Median), fmtNum(s.Max))
		if tr, slow, ok := b.res.slowest(row, a[0], metric); ok {
			if st, ok := b.res.trialValue(row, a[0], "cpu_stall_ms", tr); ok {
				line += fmt.Sprintf(" (its slowest trial, %s ms: %s ms)", fmtNum(slow), fmtNum(st))
			}
		}
		stalls = append(stalls, line)
	}
	return stalls
}

// statTable writes one line per alternative of a timing metric.
func (b *bench) statTable(r *strings.Builder, row, metric, unit string, alts [][2]string) map[string]summary {
	out := map[string]summary{}
	fmt.Fprintf(r, "| alternative | n | min | median | p99 | max |\n|---|---:|---:|---:|---:|---:|\n")
	for _, a := range alts {
		v := b.res.values(row, a[0], metric)
		if len(v) == 0 {
			fmt.Fprintf(r, "| %s | 0 | - | - | - | - |\n", a[1])
			continue
		}
		s := summarize(v)
		out[a[0]] = s
		fmt.Fprintf(r, "| %s | %d | %s | **%s** | %s | %s |\n", a[1], s.N, fmtNum(s.Min), fmtNum(s.Median), fmtNum(s.P99), fmtNum(s.Max))
	}
	fmt.Fprintf(r, "\n(%s)\n\n", unit)
	return out
}

func (b *bench) writeNotes(r *strings.Builder, row string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.notes[row] {
		fmt.Fprintf(r, "- %s\n", n)
	}
	if len(b.notes[row]) > 0 {
		r.WriteString("\n")
	}
}

func (b *bench) reportFailover(r *strings.Builder) {
	r.WriteString("## 1. Failover: NSD killed -> the router's FIB withdraws the server\n\n")
	r.WriteString("Three servers in ECMP. Each trial SIGKILLs the process group of one server's NSD (the servers take turns), " +
		"at a random moment within one poll period of the alternative, and times the first kernel route message for the /128 " +
		"at the router whose next hops no longer include that server (zebra replaces the route in one kernel message; the new route's message is timed). Then NSD is restarted, the server is awaited back in " +
		"the FIB, and the lab rests before the next trial.\n\n")
	withAgent := len(b.res.values("failover", agentAltKey, "kill_to_fib_ms")) > 0
	r.WriteString("- **anycostd**: socket monitor (sock_diag destroy notification of NSD's UDP socket; 100 ms samples) and a DNS probe every 200 ms (rise 3, fall 2); the withdrawal is a flushed Intra-Area-Prefix-LSA.\n")
	if withAgent {
		r.WriteString("- **anycostd + router agent**: anycostd as above, and `anycostd router` (zebra backend, docs/router-agent.md) on a host of its own on a link to the router's ospf6d; its weighted route (distance 100) is the one in the FIB. The withdrawal reaches the FIB through the agent: ospf6d floods the flush to it, it sends zebra its route without the server. Each trial checks that zebra's selected route is then still the agent's.\n")
	}
	r.WriteString("- **FRR + script**: zebra, staticd and ospf6d on the server (the /128 on lo, lo passive in area 0); a bash loop checks NSD every 1 s or every 200 ms and, on the first failure, removes the /128 from lo (rise = fall = 1).\n" +
		"- **ExaBGP defaults**: `exabgp healthcheck` with its defaults (interval 5 s, fast interval 1 s, rise 3, fall 3): down means MED 1000 instead of 100, which drops the path from the router's multipath set (BGP to bgpd on the same router, AS 65001 -> 65000).\n" +
		"- **ExaBGP fastest**: `--interval 0.2 --fast-interval 0.2 --rise 1 --fall 1 --timeout 1 --withdraw-on-down`.\n\n")
	alts := [][2]string{
		{"anycostd", "anycostd"},
		{agentAltKey, "anycostd + router agent"},
		{"frr+script-1s", "FRR ospf6d + script, 1 s poll"},
		{"frr+script-200ms", "FRR ospf6d + script, 200 ms poll"},
		{"exabgp-defaults", "ExaBGP healthcheck, defaults"},
		{"exabgp-fastest", "ExaBGP healthcheck, fastest"},
	}
	if !withAgent {
		alts = slices.Delete(alts, 1, 2)
	}
	sums := b.statTable(r, "failover", "kill_to_fib_ms", "milliseconds from SIGKILL to the FIB change", alts)
	if v := b.res.values("failover", "anycostd", "kill_to_decision_ms"); len(v) > 0 {
		s := summarize(v)
		by := b.res.notes("failover", "anycostd", "kill_to_decision_ms")
		var parts []string
		for _, src := range slices.Sorted(maps.Keys(by)) {
			parts = append(parts, fmt.Sprintf("%s %d", cmp.Or(src, "unknown"), by[src]))
		}
		fmt.Fprintf(r, "Where anycostd's time goes: from the kill to its decision to withdraw (its log, millisecond resolution) median %s ms, p99 %s ms, max %s ms over %d trials; the input that fired: %s. The rest is the LSA on the wire, the router's SPF and zebra.\n\n",
			fmtNum(s.Median), fmtNum(s.P99), fmtNum(s.Max), s.N, strings.Join(parts, ", "))
	}
	if stalls := b.stalls("failover", "kill_to_fib_ms", alts); len(stalls) > 0 {
		r.WriteString("The machine's CPU pressure during each trial (Linux PSI, /proc/pressure/cpu `some` total, from the kill to the FIB change: the time during which some runnable task of the whole machine, the router's daemons included, waited for a CPU): " +
			strings.Join(stalls, "; ") + ". A trial that stalled for much of its duration measured the machine, not the alternative; no trial is dropped.\n\n")
	}
	if v := b.res.values("failover", "anycostd", "kill_to_exit_ms"); len(v) > 0 {
		s := summarize(v)
		fmt.Fprintf(r, "NSD's own death (kill to its main process reaped, as the lab's wait saw it, anycostd's trials): median %s ms, max %s ms.\n\n", fmtNum(s.Median), fmtNum(s.Max))
	}
	acd, ok := sums["anycostd"]
	if ok {
		best, bestAlt := math.Inf(1), ""
		for _, a := range alts[1:] {
			if a[0] == agentAltKey {
				continue // anycostd itself, with the agent
			}
			if s, ok := sums[a[0]]; ok && s.Median < best {
				best, bestAlt = s.Median, a[1]
			}
		}
		if bestAlt != "" {
			fmt.Fprintf(r, "Goal (anycostd's p99 below every alternative's median): %s. anycostd's p99 is %s ms; the fastest alternative's median is %s ms (%s). ",
				metOrNot(acd.P99 < best), fmtNum(acd.P99), fmtNum(best), bestAlt)
			fmt.Fprintf(r, "anycostd's median is %s ms. A withdrawal on the wire reaches this router's FIB in about 13 ms (measured outside these runs, on this kind of machine); "+
				"everything above that is detection. The polling alternatives are bounded below by their poll interval "+
				"(on average half of it, plus the LSA/UPDATE path).\n\n", fmtNum(acd.Median))
		}
	}
	b.reportAgentFailover(r, sums)
	if failoverParts["readvert"] {
		b.reportReadvert(r)
	}
	b.writeNotes(r, "failover")
}

func (b *bench) reportDrain(r *strings.Builder) {
	r.WriteString("## 2. Planned drain: queries lost while one server is stopped\n\n")
	fmt.Fprintf(r, "dnsperf sends %d queries/s from 50 client sockets for %v through the router (1 s timeout: a query without "+
		"an answer by then is lost). Two seconds in, one server is stopped the way its tooling offers, and its NSD is "+
		"stopped (SIGTERM) the moment that returns, as `systemctl stop` of both in order would do.\n\n", b.cfg.drainQPS, b.cfg.drainRun)
	alts := drainAlts(b.exaWhy)
	var readings []string
	r.WriteString("| alternative | how it stops | n | lost / sent (all trials) | lost per trial: median | max | routing side's stop took (median) |\n|---|---|---:|---:|---:|---:|---:|\n")
	if bl := b.res.values("drain", "baseline", "lost"); len(bl) > 0 {
		sent := b.res.values("drain", "baseline", "sent")
		fmt.Fprintf(r, "| baseline (anycostd, nothing stopped) | - | 1 | %.0f / %.0f | - | - | - |\n", bl[0], sent[0])
	}
	for _, a := range alts {
		lost := b.res.values("drain", a.key, "lost")
		sent := b.res.values("drain", a.key, "sent")
		stop := b.res.values("drain", a.key, "stop_ms")
		if len(lost) == 0 {
			fmt.Fprintf(r, "| %s | %s | 0 | - | - | - | - |\n", a.label, a.how)
			continue
		}
		var tl, ts float64
		for i := range lost {
			tl += lost[i]
			ts += sent[i]
		}
		sl := summarize(lost)
		fmt.Fprintf(r, "| %s | %s | %d | %.0f / %.0f (%.3f%%) | %s | %s | %s ms |\n", a.label, a.how, sl.N, tl, ts, 100*tl/math.Max(ts, 1),
			fmtNum(sl.Median), fmtNum(sl.Max), fmtNum(summarize(stop).Median))
		readings = append(readings, fmt.Sprintf("%s lost %.0f of %.0f", a.label, tl, ts))
	}
	r.WriteString("\n")
	if len(readings) > 0 {
		fmt.Fprintf(r, "Reading: %s. A stop that withdraws the route and keeps the service answering until the router has moved "+
			"(anycostd's drain_time; ospf6d's flush on SIGTERM and ExaBGP's withdrawal, each followed here by NSD's stop after "+
			"the daemon exited) loses nothing when the withdrawal reaches the router; removing the address first "+
			"(the script) drops the queries already routed to the server until the router has re-run SPF. Earlier checks on this kind of machine saw "+
			"ospf6d skip the flush in 2 of 3 SIGTERMs (the route then stays for the dead interval); count this row's trials "+
			"before reading too much into a zero.\n\n", strings.Join(readings, "; "))
	}
	b.writeNotes(r, "drain")
}

func (b *bench) reportColdStart(r *strings.Builder) {
	r.WriteString("## 3. Cold start: daemon started -> first FIB entry at the router\n\n")
	r.WriteString("One server; before each trial the router has no route through it and no OSPF neighbor with its router ID. " +
		"The clock starts just before the daemon is launched (for FRR: zebra, then staticd and ospf6d, as the lab starts them) and stops at the " +
		"kernel route message that first has the server as a next hop. anycostd's figure includes its DNS probe's rise " +
		"(3 x 200 ms) before the service is advertised; FRR advertises the /128 on lo without any check.\n\n")
	b.statTable(r, "coldstart", "start_to_fib_ms", "milliseconds", [][2]string{
		{"anycostd", "anycostd"}, {"frr", "FRR zebra+staticd+ospf6d"}})
	if wa := b.res.values("coldstart", "anycostd", "warmup_start_to_fib_ms"); len(wa) > 0 {
		fmt.Fprintf(r, "On a fresh lab anycostd first makes one untimed warm-up start, left out of the table: the very first contact of a daemon "+
			"with a router that has been alone on its link is slower: the router, started shortly before, is still in its Waiting state "+
			"(RFC 2328 9.4: one dead interval, 4 s here, with no DR elected) and ignores the server's DBDs until it ends. Here it took %s ms. FRR runs with the same router ID afterwards, so the router has met it before.\n\n", fmtNum(wa[0]))
	} else {
		r.WriteString("This run's farm had already served the rows above, so the router had met the server before the first trial; no warm-up was needed.\n\n")
	}
	r.WriteString("Both must first become adjacent: Hello (1 s interval), 2-Way, ExStart/Exchange/Loading, Full, then the router's SPF (throttled, 0/50/5000 ms) and zebra.")
	if a, f := b.res.values("coldstart", "anycostd", "start_to_fib_ms"), b.res.values("coldstart", "frr", "start_to_fib_ms"); len(a) > 0 && len(f) > 0 {
		sa, sf := summarize(a), summarize(f)
		fmt.Fprintf(r, " Reading: median %s ms for anycostd against %s ms for FRR; anycostd does not advertise before its probe has "+
			"succeeded 3 times (about 600 ms), which FRR, advertising whatever is on lo, never waits for.", fmtNum(sa.Median), fmtNum(sf.Median))
	}
	r.WriteString("\n\n")
	b.writeNotes(r, "coldstart")
}

func (b *bench) reportFootprint(r *strings.Builder) {
	r.WriteString("## 4. Footprint on a server\n\n")
	fmt.Fprintf(r, "Resident memory (VmRSS from /proc/PID/status) and CPU (utime+stime from /proc/PID/stat over a %v window, "+
		"in %% of one core), idle and while the advertised cost changes 10 times a second. anycostd: its config's metric "+
		"alternates 10/20 and it gets SIGHUP every 100 ms (it paces LSAs to one per 1.1 s). FRR: `ipv6 ospf6 cost` on lo "+
		"alternates 10/20 through vtysh every 100 ms (vtysh's own CPU is not counted). Both on a DNS farm like that of rows 1-3, "+
		"anycostd with its socket monitor and DNS probe running.\n\n", b.cfg.window)
	r.WriteString("| | anycostd | FRR zebra + ospf6d |\n|---|---:|---:|\n")
	get := func(alt, metric string) string {
		v := b.res.values("footprint", alt, metric)
		if len(v) == 0 {
			return "-"
		}
		return fmtNum(v[0])
	}
	for _, row := range [][2]string{
		{"rss_idle_kib", "RSS idle (KiB)"}, {"cpu_idle_pct", "CPU idle (% of a core)"},
		{"rss_busy_kib", "RSS under 10 changes/s (KiB)"}, {"cpu_busy_pct", "CPU under 10 changes/s (% of a core)"},
		{"cost_changes", "changes made in the window"},
	} {
		fmt.Fprintf(r, "| %s | %s | %s |\n", row[1], get("anycostd", row[0]), get("frr", row[0]))
	}
	if v := b.res.values("footprint", "frr-staticd", "rss_idle_kib"); len(v) > 0 {
		fmt.Fprintf(r, "\nFRR's staticd (started with the others, not counted above) adds %s KiB.", fmtNum(v[0]))
	}
	fmt.Fprintf(r, " CPU over a %v window is counted in clock ticks of 10 ms, so a figure below about %.2f%% is noise.\n",
		b.cfg.window, 100*0.02/b.cfg.window.Seconds())
	r.WriteString("\n")
	b.writeNotes(r, "footprint")
}

func (b *bench) reportScale(r *strings.Builder, ran map[string]bool) {
	r.WriteString("## 5. Scale\n\n")
	if ran["scale"] {
		for _, n := range b.cfg.scaleServers {
			alt := fmt.Sprintf("anycostd-x%d", n)
			fmt.Fprintf(r, "### %d anycostd servers on one link (%d-way ECMP)\n\n", n, n)
			fmt.Fprintf(r, "All %d daemons (static metric 10, no monitor) are launched at once; the clock stops at the kernel route "+
				"message that has all %d next hops. The router: FRR 8.4, maximum-paths 64. Trial 1 is the router's first contact "+
				"with any server (slower, see row 3); later trials start after every daemon has stopped and the router has dropped every neighbor.\n\n", n, n)
			if b.cfg.quick && n < 64 {
				fmt.Fprintf(r, "(A quick run uses %d servers; the full run uses 64.)\n\n", n)
			}
			r.WriteString("| metric | n | min | median | max |\n|---|---:|---:|---:|---:|\n")
			for _, m := range [][3]string{
				{alt, "start_to_first_hop_ms", "first next hop in the FIB (ms)"},
				{alt, "start_to_all_hops_ms", fmt.Sprintf("all %d next hops in the FIB (ms)", n)},
				{alt, "rss_median_kib", "anycostd RSS, median over the daemons (KiB)"},
				{alt, "rss_max_kib", "anycostd RSS, largest daemon (KiB)"},
				{"router-ospf6d", "rss_kib", "the router's ospf6d RSS (KiB)"},
			} {
				v := b.res.values("scale", m[0], m[1])
				if len(v) == 0 {
					fmt.Fprintf(r, "| %s | 0 | - | - | - |\n", m[2])
					continue
				}
				s := summarize(v)
				fmt.Fprintf(r, "| %s | %d | %s | **%s** | %s |\n", m[2], s.N, fmtNum(s.Min), fmtNum(s.Median), fmtNum(s.Max))
			}
			r.WriteString("\n")
			b.reportScaleAgent(r, n)
		}
		b.writeNotes(r, "scale")
	}
	if ran["external"] {
		n := b.cfg.externalLSAs
		fmt.Fprintf(r, "### A router holding %d AS-external LSAs\n\n", n)
		fmt.Fprintf(r, "The router redistributes %d connected prefixes (2001:db8:ff00:X::/64 on an interface outside OSPF, "+
			"`redistribute connected`): one AS-external LSA each. (20,000 `ipv6 route ... blackhole` lines with `redistribute static` "+
			"were tried first: FRR 8.4's staticd spent over 10 minutes at 100%% of a core on that config without finishing.) "+
			"One server starts its daemon; the clock stops when the server "+
			"reports the router Full (anycostd: `anycostd neighbors --json`; FRR: `show ipv6 ospf6 neighbor` on the server), "+
			"polled every 50 ms. RSS (VmRSS, summed over the alternative's processes) is taken then, every 100 ms for the next 10 s "+
			"(the peak: the router floods its whole database again once Full) and 10 s after Full.\n\n", n)
		r.WriteString("| alternative | n | start -> Full (ms), median | min | max | RSS at Full (KiB), median | RSS peak in the next 10 s | RSS 10 s after Full |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, a := range [][2]string{{"anycostd", "anycostd"}, {"frr", "FRR zebra + ospf6d"}} {
			v := b.res.values("external", a[0], "start_to_full_ms")
			if len(v) == 0 {
				fmt.Fprintf(r, "| %s | 0 | - | - | - | - | - | - |\n", a[1])
				continue
			}
			s := summarize(v)
			if w := b.res.values("external", a[0], "warmup_start_to_full_ms"); len(w) > 0 {
				a[1] += fmt.Sprintf(" (warm-up, not counted: %s ms)", fmtNum(w[0]))
			}
			rs := summarize(b.res.values("external", a[0], "rss_at_full_kib"))
			rp := summarize(b.res.values("external", a[0], "rss_peak_kib"))
			r10 := summarize(b.res.values("external", a[0], "rss_full_plus_10s_kib"))
			fmt.Fprintf(r, "| %s | %d | **%s** | %s | %s | %s | %s | %s |\n", a[1], s.N, fmtNum(s.Median), fmtNum(s.Min), fmtNum(s.Max), fmtNum(rs.Median), fmtNum(rp.Median), fmtNum(r10.Median))
		}
		if v := b.res.values("external", "anycostd", "heap_inuse_at_full_kib"); len(v) > 0 {
			fmt.Fprintf(r, "\nanycostd's Go heap in use (go_memstats_heap_inuse_bytes, medians): %s KiB at Full, %s KiB at its peak, %s KiB 10 s after Full.",
				fmtNum(summarize(v).Median), fmtNum(summarize(b.res.values("external", "anycostd", "heap_inuse_peak_kib")).Median),
				fmtNum(summarize(b.res.values("external", "anycostd", "heap_inuse_full_plus_10s_kib")).Median))
		}
		if v := b.res.values("external", "anycostd", "rss_lsdb_peak_kib"); len(v) > 0 {
			fmt.Fprintf(r, " Answering `anycostd lsdb --json` with the whole database (medians): RSS peak %s KiB, 10 s later %s KiB.",
				fmtNum(summarize(v).Median), fmtNum(summarize(b.res.values("external", "anycostd", "rss_lsdb_plus_10s_kib")).Median))
		}
		if v := b.res.values("external", "router-ospf6d", "rss_kib"); len(v) > 0 {
			fmt.Fprintf(r, "\nThe router's ospf6d holding them: %s KiB.", fmtNum(v[0]))
		}
		if v := b.res.values("external", "anycostd", "lsdb_entries_at_full"); len(v) > 0 {
			fmt.Fprintf(r, " anycostd's database held %s LSAs when it reported Full (`anycostd lsdb --json`).", fmtNum(summarize(v).Min))
		}
		r.WriteString("\n")
		r.WriteString("\n")
		b.writeNotes(r, "external")
	}
}

func (b *bench) reportBalance(r *strings.Builder) {
	r.WriteString("## 6. Balance\n\n")
	r.WriteString("Plain OSPF (and FRR on the servers) has no weights: equal-cost paths share traffic equally, whatever each server " +
		"can answer. So the lab compares anycostd's cost model with static equal metrics, which is what an OSPF farm without anycostd gets.\n\n")
	fmt.Fprintf(r, "### Simulation (`%s`)\n\n", b.simCmd)
	r.WriteString("The discrete-event simulator drives the real costmodel code with sampling, pacing, router and FIB delays, " +
		"and first checks itself against the supermarket model (Mitzenmacher: mean time in system 2.61 at load 0.9 with two choices, 10 with one random choice).\n\n")
	r.WriteString("```\n" + strings.TrimRight(b.sim, "\n") + "\n```\n\n")
	if v := b.res.values("balance", "capacity", "capacity_qps"); len(v) > 0 {
		r.WriteString("### Lab: three NSDs of different capacity\n\n")
		caps := make([]string, len(v))
		for i, c := range v {
			caps[i] = fmt.Sprintf("s%d %.0f qps (capped at %g%% of a core)", i+1, c, balanceQuotas[i])
		}
		runs := b.cfg.balanceRuns
		loads := make([]string, len(b.cfg.balanceLoads))
		for i, l := range b.cfg.balanceLoads {
			loads[i] = fmt.Sprintf("%d%%", l)
		}
		alone := b.res.values("balance", "capacity-alone", "capacity_qps")
		fullQueue := b.res.values("balance", "capacity-full-queue", "capacity_qps")
		fmt.Fprintf(r, "Capacities: each server alone first (dnsperf offering twice what the server answers in a closed loop of 20 queries, from 200 sockets with up to 2000 in flight, for 4 s, three times: the median of the rates it answers with its queue full): %s qps; "+
			"then all three at once, each offered its alone capacity straight to its address (three 4 s shots, the medians): %s qps with their queues full; "+
			"then the largest part of those (1, 0.95, 0.9, ... 0.6) that all three at once, each offered that part straight to its address from as many sockets as a run, answer in full (at least 99.9%%, two 8 s shots in a row): %s. "+
			"The row uses the last. The servers share the machine's two cores and its network stack "+
			"(and the kernel charges the softirq time that moves packets to whatever task runs, a capped NSD included), so that with the farm's whole traffic on the machine each answers less than alone; "+
			"and a CFS-capped NSD answers more with its queue full (less CPU per query) than it answers in full at any steady rate. "+
			"The caps are scaled to the machine (the first server near %d qps in a closed loop) unless `-balance-caps` gives them. "+
			"dnsperf offers %s of their sum for 30 s through the router from %d client sockets "+
			"(each one flow, which the router's multipath hash places as a whole: a server's share moves in steps of about 1/%d; dnsperf opens at most 256 sockets, so above that several dnsperf processes share the rate), "+
			"%d runs per cell (the cells of one run back to back). anycostd: the socket monitor, a DNS probe and docs/quickstart.md's three tiers, each server's "+
			"`capacity` its measured qps, so its server load LSA and its peers' farm views weigh it right. "+
			"Utilisation: packets received on the server's eth0 per second over its capacity (above 1: it drops). "+
			"Share: the server's part of the packets the three received, over its part of their summed capacity (1: exactly its capacity share). "+
			"With the router agent (`anycostd router`, zebra backend, on a link of its own to the router's ospf6d, docs/router-agent.md), "+
			"its weights at the end of the run (0: the server was not in its route). "+
			"lab.DNSPerf reports the average latency only, so no p50/p99 here.\n\n", joinNums(alone, func(x float64) string { return fmt.Sprintf("%.0f", x) }),
			joinNums(fullQueue, func(x float64) string { return fmt.Sprintf("%.0f", x) }), strings.Join(caps, ", "), smallServerTarget, strings.Join(loads, " and "), b.cfg.balanceClients, b.cfg.balanceClients, runs)
		var together []string
		for _, l := range b.cfg.balanceLoads {
			if a := b.res.values("balance", fmt.Sprintf("together@%d%%", l), "answered_pct"); len(a) > 0 {
				together = append(together, fmt.Sprintf("at %d%%: %s", l, joinNums(a, func(x float64) string { return fmt.Sprintf("%.2f%%", x) })))
			}
		}
		if len(together) > 0 {
			r.WriteString("A perfect split, the control: all three at once, each offered the load's share of its own capacity straight to its address for 30 s, from as many sockets as a run (split by capacity), with the runs' queries (the most any balancer can answer at that load here), answered (all / s1 / s2 / s3) " +
				strings.Join(together, "; ") + ".\n\n")
		}
		r.WriteString("| config | load | run | answered | avg latency (ms) | utilisation s1 / s2 / s3 | share / capacity share s1 / s2 / s3 | agent weights s1 / s2 / s3 |\n|---|---:|---:|---:|---:|---|---|---|\n")
		two := func(x float64) string { return fmt.Sprintf("%.2f", x) }
		whole := func(x float64) string { return fmt.Sprintf("%.0f", x) }
		for _, load := range b.cfg.balanceLoads {
			for _, c := range balanceLabConfigs() {
				alt := fmt.Sprintf("%s@%d%%", c[0], load)
				ans := b.res.values("balance", alt, "answered_pct")
				lat := b.res.values("balance", alt, "avg_latency_ms")
				util := b.res.values("balance", alt, "utilisation")
				ratio := b.res.values("balance", alt, "share_ratio")
				weights := b.res.values("balance", alt, "agent_weight")
				for k := range ans {
					fmt.Fprintf(r, "| %s | %d%% | %d | %.2f%% | %s | %s | %s | %s |\n", c[1], load, k+1, ans[k], fmtNum(lat[k]),
						joinNums(perServer(util, k, 3), two), joinNums(perServer(ratio, k, 3), two), joinNums(perServer(weights, k, 3), whole))
				}
			}
		}
		r.WriteString("\nReading:")
		for _, load := range b.cfg.balanceLoads {
			st := b.res.values("balance", fmt.Sprintf("static-equal@%d%%", load), "answered_pct")
			ac := b.res.values("balance", fmt.Sprintf("anycostd@%d%%", load), "answered_pct")
			var diffs []string
			for k := range min(len(st), len(ac)) {
				diffs = append(diffs, fmt.Sprintf("%+.2f", ac[k]-st[k]))
			}
			if len(diffs) > 0 {
				fmt.Fprintf(r, " At %d%% anycostd minus static equal metrics, run by run: %s points.", load, strings.Join(diffs, ", "))
			}
		}
		r.WriteString(" The CPU caps are CFS quotas: a capped NSD answers in bursts and its socket " +
			"queue fills while it is throttled, which is the load signal the socket monitor reads, but also makes the " +
			"capacities approximate.\n")
		var goals []string
		for _, c := range balanceConfigs {
			if !c.agent {
				continue
			}
			for _, load := range b.cfg.balanceLoads {
				if g := b.agentBalanceGoal(c.key, load, 3); g != "" {
					goals = append(goals, "- "+g)
				}
			}
		}
		if len(goals) > 0 {
			r.WriteString("\nGoal with the router agent (issue 13: at least 99% answered, above both static equal metrics and anycostd alone, in every run; " +
				"each server's share within 10% of its capacity share):\n\n" + strings.Join(goals, "\n") + "\n")
		}
	}
	b.writeNotes(r, "balance")
}

// reportCaveats lists what the numbers do not say.
func (b *bench) reportCaveats(r *strings.Builder) {
	r.WriteString("## Caveats\n\n")
	r.WriteString("- One machine, 2 cores, no CPU pinning: router, servers, client and the daemons share them, and other sessions' lab tests may run at the same time (see \"load at start\"). Timings of tens of milliseconds are sensitive to that; the medians are steadier than the tails.\n")
	r.WriteString("- p99 is the largest value whenever a row has fewer than 100 trials; read it as \"worst seen\".\n")
	r.WriteString("- The link is a Linux bridge between namespaces: no serialisation or propagation delay worth mentioning. On real links the wire part grows a little for every alternative alike.\n")
	r.WriteString("- ExaBGP's \"fastest\" is a choice (200 ms checks, rise and fall 1): the healthcheck accepts any interval; faster checks cost CPU on the server (each check is a process).\n")
	r.WriteString("- The script alternative uses rise = fall = 1, the most favourable setting for its speed (and the most prone to flapping).\n")
	if b.cfg.quick {
		r.WriteString("- This is a quick run: few trials, a shorter footprint window, fewer servers in the scale row and fewer AS-external LSAs; run `make bench` for the full set.\n")
	}
	r.WriteString("\n")
}
