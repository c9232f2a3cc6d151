package main

import (
	"fmt"
	"math"
	"strings"
)

// The router agent's figures in the failover, balance and scale sections
// (issue 13's targets).

// agentFailoverSlack is issue 13's bound on the agent's failover: its
// median at most this far above the same run's OSPF-only anycostd
// median (ms).
const agentFailoverSlack = 5.0

// reportAgentFailover writes the agent's failover goal when both
// anycostd cells ran.
func (b *bench) reportAgentFailover(r *strings.Builder, sums map[string]summary) {
	ag, ok1 := sums[agentAltKey]
	acd, ok2 := sums["anycostd"]
	if !ok1 {
		return
	}
	if !ok2 {
		fmt.Fprintf(r, "Goal with the router agent (its median at most %g ms above the same run's OSPF-only anycostd median): not judged: this run did not measure anycostd alone (run `-alts anycostd,%s`).\n\n",
			agentFailoverSlack, agentAltKey)
		return
	}
	d := ag.Median - acd.Median
	fmt.Fprintf(r, "Goal with the router agent (its median at most %g ms above the same run's OSPF-only anycostd median): %s: median %s ms with the agent against %s ms without (%+.1f ms).",
		agentFailoverSlack, metOrNot(d <= agentFailoverSlack), fmtNum(ag.Median), fmtNum(acd.Median), d)
	if v := b.res.values("failover", agentAltKey, "kill_to_decision_ms"); len(v) > 0 {
		fmt.Fprintf(r, " The servers' decision to withdraw came after a median of %s ms in the agent's trials; the rest is the flush flooded to the router and on to the agent, the agent's update and zebra.", fmtNum(summarize(v).Median))
	}
	r.WriteString("\n\n")
}

// balanceLabConfigs are the balance configs the report lists, with their
// labels.
func balanceLabConfigs() [][2]string {
	var cs [][2]string
	for _, c := range balanceConfigs {
		cs = append(cs, [2]string{c.key, c.label})
	}
	return cs
}

// perServer returns run k's values of a metric recorded once per server
// (n servers, in the farm's order).
func perServer(v []float64, k, n int) []float64 {
	return v[min(len(v), n*k):min(len(v), n*k+n)]
}

// joinNums prints values with fmtNum, joined by " / " ("-" for none).
func joinNums(v []float64, format func(float64) string) string {
	if len(v) == 0 {
		return "-"
	}
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = format(x)
	}
	return strings.Join(s, " / ")
}

// maxShareError is the largest |share/capacity share - 1| of ratios
// (NaN when there are none or one is NaN).
func maxShareError(ratios []float64) float64 {
	if len(ratios) == 0 {
		return math.NaN()
	}
	m := 0.0
	for _, x := range ratios {
		if math.IsNaN(x) {
			return math.NaN()
		}
		m = max(m, math.Abs(x-1))
	}
	return m
}

// agentBalanceGoal judges issue 13's lab targets for one agent config at
// one load, run by run: at least 99% answered, above both static equal
// metrics and anycostd alone in the same run, and every server's share
// within 10% of its capacity share. It returns "" when the config did
// not run at that load.
func (b *bench) agentBalanceGoal(key string, load, servers int) string {
	at := func(k string) []float64 {
		return b.res.values("balance", fmt.Sprintf("%s@%d%%", k, load), "answered_pct")
	}
	ag := at(key)
	if len(ag) == 0 {
		return ""
	}
	st, ac := at("static-equal"), at("anycostd")
	ratios := b.res.values("balance", fmt.Sprintf("%s@%d%%", key, load), "share_ratio")
	met, judged := true, true
	var runs []string
	for k, a := range ag {
		line := fmt.Sprintf("run %d: %.2f%%", k+1, a)
		ok := a >= 99
		if k < len(st) && k < len(ac) {
			ok = ok && a > st[k] && a > ac[k]
			line += fmt.Sprintf(" (static %.2f%%, anycostd %.2f%%)", st[k], ac[k])
		} else {
			judged = false
		}
		e := maxShareError(perServer(ratios, k, servers))
		ok = ok && e <= 0.10
		line += fmt.Sprintf(", largest share error %s%%", fmtNum(100*e))
		met = met && ok
		runs = append(runs, line)
	}
	verdict := metOrNot(met)
	if !judged && met {
		verdict = "not judged (static equal metrics or anycostd alone did not run at this load)"
	}
	return fmt.Sprintf("%s at %d%%: %s; %s.", key, load, verdict, strings.Join(runs, "; "))
}

// agentRSSTarget is issue 13's bound on the agent's memory with 64
// servers: 30 MB, read as MiB.
const agentRSSTarget = 30 * 1024

// reportScaleAgent writes the agent's part of the scale row for n
// servers, if it ran.
func (b *bench) reportScaleAgent(r *strings.Builder, n int) {
	alt := fmt.Sprintf("agent-x%d", n)
	if len(b.res.values("scale", alt, "rss_kib")) == 0 {
		return
	}
	fmt.Fprintf(r, "### The router agent with %d servers\n\n", n)
	fmt.Fprintf(r, "`anycostd router` (zebra backend, on a link of its own to the router's ospf6d, docs/router-agent.md) joins the %d-server farm above "+
		"once its daemons run: the clock stops when zebra selects the agent's route with all %d next hops (polled every 50 ms). "+
		"Its RSS (VmRSS) is read 3 s after its status lists every server's load LSA, then every 100 ms for 10 s.\n\n", n, n)
	r.WriteString("| metric | n | min | median | max |\n|---|---:|---:|---:|---:|\n")
	for _, m := range [][2]string{
		{"start_to_route_ms", fmt.Sprintf("agent started -> its route with %d next hops (ms)", n)},
		{"rss_kib", "agent RSS (KiB)"},
		{"rss_peak_kib", "agent RSS, peak over the next 10 s (KiB)"},
		{"rss_plus_10s_kib", "agent RSS 10 s later (KiB)"},
	} {
		s := summarize(b.res.values("scale", alt, m[0]))
		fmt.Fprintf(r, "| %s | %d | %s | **%s** | %s |\n", m[1], s.N, fmtNum(s.Min), fmtNum(s.Median), fmtNum(s.Max))
	}
	peak := summarize(b.res.values("scale", alt, "rss_peak_kib")).Max
	fmt.Fprintf(r, "\nGoal (the agent's RSS at most 30 MiB, %d KiB, with 64 servers): ", agentRSSTarget)
	if n == 64 {
		fmt.Fprintf(r, "%s: its peak was %s KiB.\n\n", metOrNot(peak <= agentRSSTarget), fmtNum(peak))
	} else {
		fmt.Fprintf(r, "not judged: this run had %d servers (peak %s KiB).\n\n", n, fmtNum(peak))
	}
}
