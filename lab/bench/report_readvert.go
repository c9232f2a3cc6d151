package main

import (
	"fmt"
	"strings"
)

// readvertCells are the cells of row 1's second part, in report order:
// CSV alternative and report name.
var readvertCells = [][2]string{
	{"anycostd", "anycostd, router defaults"},
	{"anycostd/min-arrival-50", "anycostd (`min_ls_interval = \"100ms\"`), router `timers lsa min-arrival 50`"},
	{"frr+script-200ms", "FRR ospf6d + script (200 ms poll), router defaults"},
	{"frr+script-200ms/min-arrival-50", "FRR ospf6d + script (200 ms poll), router `timers lsa min-arrival 50`"},
	{"exabgp-fastest", "ExaBGP healthcheck, fastest (BGP: no MinLSArrival)"},
}

// reportReadvert writes row 1's second part: the kill right after
// (re)advertisement.
func (b *bench) reportReadvert(r *strings.Builder) {
	r.WriteString("### 1b. Kill right after (re)advertisement\n\n")
	fmt.Fprintf(r, "The same farm and timing, but each trial takes the server out first (NSD killed, untimed), restarts NSD, and "+
		"kills it again at a random moment within %v of the kernel route message that put the server back in the router's FIB: "+
		"the alternative has just (re)advertised the server, as in a crash loop. A router drops, without an acknowledgement, "+
		"an LSA instance that arrives within its MinLSArrival of the previous one (RFC 2328 13 (5a); FRR `timers lsa min-arrival`, "+
		"default 1000 ms; BIRD 2: 1 s, no option), so an OSPF withdrawal cannot take effect before the router's MinLSArrival has "+
		"passed since the re-advertisement. anycostd sends it at once and, if the router drops it, again when that window has passed "+
		"(docs/failover-timing.md). Each OSPF alternative runs with the router's defaults and with `timers lsa min-arrival 50` "+
		"(set with vtysh on the running router), anycostd then with `min_ls_interval = \"100ms\"` as the docs pair it; BGP has no such "+
		"window and runs once.\n\n", readvertKillWindow)
	sums := b.statTable(r, readvertRow, "kill_to_fib_ms", "milliseconds from SIGKILL to the FIB change", readvertCells)

	var lines []string
	for _, c := range readvertCells {
		k, o := b.res.values(readvertRow, c[0], "back_to_kill_ms"), b.res.values(readvertRow, c[0], "back_to_out_ms")
		if len(k) == 0 {
			continue
		}
		sk, so := summarize(k), summarize(o)
		lines = append(lines, fmt.Sprintf("| %s | %s | %s | %s | %s |", c[1], fmtNum(sk.Min), fmtNum(sk.Max), fmtNum(so.Median), fmtNum(so.Max)))
	}
	if len(lines) > 0 {
		r.WriteString("When the kill came, and how long the server stayed in the router's FIB in all (from the route message that put it back to the one that took it out; with the router's defaults the floor is its 1000 ms MinLSArrival, less the time from its install of the re-advertisement to that route message):\n\n")
		r.WriteString("| cell | kill after return to the FIB: min | max | back in the FIB for: median | max |\n|---|---:|---:|---:|---:|\n")
		r.WriteString(strings.Join(lines, "\n") + "\n\n(milliseconds)\n\n")
	}

	var goals []string
	if s, ok := sums["anycostd"]; ok {
		goals = append(goals, fmt.Sprintf("router defaults, median at most MinLSArrival + 30 ms = 1030 ms: %s (median %s ms)",
			metOrNot(s.Median <= 1030), fmtNum(s.Median)))
	}
	if s, ok := sums["anycostd/min-arrival-50"]; ok {
		goals = append(goals, fmt.Sprintf("`timers lsa min-arrival 50`, median at most 80 ms and p99 at most 150 ms: %s (median %s ms, p99 %s ms)",
			metOrNot(s.Median <= 80 && s.P99 <= 150), fmtNum(s.Median), fmtNum(s.P99)))
	}
	if len(goals) > 0 {
		fmt.Fprintf(r, "Goals (issue 15) for anycostd: %s.\n\n", strings.Join(goals, "; "))
	}
	if v := b.res.values(readvertRow, "anycostd", "kill_to_decision_ms"); len(v) > 0 {
		s := summarize(v)
		fmt.Fprintf(r, "anycostd decided to withdraw (its log) median %s ms, max %s ms after the kill with the router's defaults; the rest is the wait for the router's window.\n\n",
			fmtNum(s.Median), fmtNum(s.Max))
	}
}

// metOrNot is a goal's verdict in the report.
func metOrNot(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**not met**"
}
