package main

import (
	"fmt"
	"math"
	"strings"
)

// reportSites writes section 8, the "sites" row.
func (b *bench) reportSites(r *strings.Builder) {
	r.WriteString("## 8. Two sites: a site's failure, overload and drain as the core sees them\n\n")
	r.WriteString("The lab of docs/sites.md (lab.NewSites): site A (area 0.0.0.1) and site B (area 0.0.0.2), each an FRR link router that is an " +
		"area border router and three servers with NSD and anycostd (socket monitor, DNS probe, an external load file, three tiers 10/20/40 " +
		"whose dearest tier's prefix 2001:db8:53::50/126 every server that answers advertises, with the /128 beside it below its dearest tier, drain_action max-tier), both ABRs joined to a core FRR router in area 0 by a link of " +
		"their own, the core nearer to A (cost 10) than to B (15), dnsperf behind the core. Each ABR advertises two fixed-cost ranges, " +
		"2001:db8:53::52/127 (a server below its dearest tier) and 2001:db8:53::50/125 (a server that answers): FRR 8.4 mishandles a " +
		"summary whose metric changes in place (docs/sites.md). FIB changes are timed by `ip -ts -6 monitor route` in the core's " +
		"namespace (the /127) and in ABR A's (the /128, the /127, the /126).\n\n")
	r.WriteString("| measurement | n | min | median | p99 | max |\n|---|---:|---:|---:|---:|---:|\n")
	line := func(label, alt, metric string) (summary, bool) {
		v := b.res.values("sites", alt, metric)
		if len(v) == 0 {
			fmt.Fprintf(r, "| %s | 0 | - | - | - | - |\n", label)
			return summary{}, false
		}
		s := summarize(v)
		fmt.Fprintf(r, "| %s | %d | %s | **%s** | %s | %s |\n", label, s.N, fmtNum(s.Min), fmtNum(s.Median), fmtNum(s.P99), fmtNum(s.Max))
		return s, true
	}
	site, okSite := line("site failover: the last NSD of A killed -> the core's FIB on B (ms)", "site", "kill_to_core_fib_ms")
	inSite, okIn := line("in-site failover: one NSD of A killed, two still up -> ABR A's FIB without it (ms)", "in-site", "kill_to_abr_fib_ms")
	line("site overload: the last server of A logs its dearest tier -> the core's FIB on B (ms)", "overload", "top_tier_to_core_fib_ms")
	line("site overload: A's load file rises to 0.95 -> the core's FIB on B (ms)", "overload", "load_to_core_fib_ms")
	line("site recovery: the first server of A leaves its dearest tier -> the core's FIB back on A (ms)", "overload", "below_top_to_core_fib_ms")
	line("site drain: SIGTERM to every anycostd of A -> the core's FIB on B (ms)", "drain", "sigterm_to_core_fib_ms")
	line("site drain: ABR A's /128 route gone -> the core's FIB on B (ms; above 0: the core still sent queries to A, which met A's /127 route)", "drain", "abr_route_gone_to_core_fib_ms")
	line("site drain: of that, with A's /127 a discard route (a blackhole: those queries are dropped) (ms)", "drain", "abr_blackhole_exposure_ms")
	line("site drain: ABR A without a /126 route into A between the SIGTERMs and the core's move (ms)", "drain", "abr_no_overflow_ms")
	line("site overload: ABR A's /128 route gone -> the core's FIB on B (ms)", "overload", "abr_route_gone_to_core_fib_ms")
	line("site overload: of that, with A's /127 a discard route (ms)", "overload", "abr_blackhole_exposure_ms")
	r.WriteString("\n")
	ref, refLabel := inSite, "the in-site failover above"
	if v := b.res.values("failover", "anycostd", "kill_to_fib_ms"); len(v) > 0 {
		ref, refLabel, okIn = summarize(v), "row 1's anycostd failover (single farm)", true
	}
	if okSite && okIn {
		verdict := "**met**"
		if site.Median > 2*ref.Median {
			verdict = "**not met**"
		}
		fmt.Fprintf(r, "Goal (site failover median within 2x of the single-farm failover median of the same run): %s. "+
			"Site failover median %s ms against %s ms for %s (%.1fx). The site failover adds the ABR's range update and "+
			"one more flooding hop to the single-farm path; neither waits for an SPF: ospf6d re-evaluates a range and examines a "+
			"summary as the LSAs arrive.\n\n",
			verdict, fmtNum(site.Median), fmtNum(ref.Median), refLabel, site.Median/math.Max(ref.Median, 0.001))
	}
	lost, sent := b.res.values("sites", "drain", "lost"), b.res.values("sites", "drain", "sent")
	if len(lost) > 0 {
		var tl, ts float64
		for i := range lost {
			tl += lost[i]
			ts += sent[i]
		}
		verdict := "**met**"
		if tl > 0 {
			verdict = "**not met**"
		}
		fmt.Fprintf(r, "Goal (zero queries lost when a whole site is drained at %d qps): %s: %.0f lost of %.0f sent over %d trial(s) "+
			"(dnsperf for %v from 50 sockets, 1 s timeout; the three anycostd of A get SIGTERM two seconds in: with drain_action "+
			"max-tier each moves from the /128 to the overflow /126 (ABR A flushes its /127 and the core moves to B while A still "+
			"reaches them), keeps answering for drain_time, 2 s, flushes and exits; then they are restarted for the next trial).\n\n",
			b.cfg.drainQPS, verdict, tl, ts, len(lost), b.cfg.drainRun)
	}
	r.WriteString("The overload times include each server's tier dwell (2 s up, 5 s before the first step down) only in the " +
		"load rows; the \"logs its dearest tier\" and \"leaves its dearest tier\" rows start at the server's decision.\n\n")
	b.writeNotes(r, "sites")
}
