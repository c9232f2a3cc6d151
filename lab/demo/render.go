package main

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// clock formats d as m:ss.
func clock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// metricStyle colors a metric by tier: cheap green, dear red.
func metricStyle(m int) style {
	switch {
	case m <= 10:
		return green
	case m <= 20:
		return yellow
	default:
		return purple
	}
}

// wireText says what a server advertises, for the table.
func wireText(st serverState) seg {
	switch {
	case !st.Daemon:
		return seg{"anycostd not running", red}
	case st.Paced && st.Wanted:
		from := "withdrawn"
		if st.Advertised {
			from = fmt.Sprintf("metric %d", st.Metric)
		}
		return seg{fmt.Sprintf("%s → %d", from, st.WantMetric), metricStyle(st.WantMetric)}
	case st.Paced && !st.Wanted:
		return seg{fmt.Sprintf("metric %d → withdrawn", st.Metric), red}
	case !st.Advertised && st.Drained:
		return seg{"withdrawn (drained)", red}
	case !st.Advertised:
		return seg{"withdrawn", red}
	default:
		t := fmt.Sprintf("metric %d", st.Metric)
		// A tier's prefix key (the two-site demo's dearest tier): its
		// length, which tells it from the service's /128.
		if p, err := netip.ParsePrefix(st.Prefix); err == nil && p != lab.Anycast {
			t += fmt.Sprintf(" (/%d)", p.Bits())
		}
		if st.Drained {
			t += " drained"
		}
		return seg{t, metricStyle(st.Metric)}
	}
}

// nsdText says how NSD is, as anycostd sees it.
func nsdText(st serverState) seg {
	switch {
	case !st.Daemon:
		return seg{"?", dim}
	case !st.Present:
		return seg{"down", red}
	case !st.Up:
		return seg{"failing", yellow}
	default:
		return seg{"up", green}
	}
}

// spark draws the last n values (NaN: unknown) as a bar per value, scaled
// to top.
func (d *demo) spark(vals []float64, top float64) string {
	levels := []rune("▁▂▃▄▅▆▇█")
	if !d.scr.utf8 {
		levels = []rune("_.-=+*#@")
	}
	var b strings.Builder
	for _, v := range vals {
		switch {
		case math.IsNaN(v):
			b.WriteRune(' ')
		case v < top/50:
			b.WriteRune(' ')
		default:
			i := int(v / top * float64(len(levels))) // above top: a full bar
			b.WriteRune(levels[min(max(i, 0), len(levels)-1)])
		}
	}
	return b.String()
}

// dashboard is the live block: one row per server, the router's next
// hops and the running step.
func (d *demo) dashboard() []line {
	samples, _ := d.rec.snapshot()
	cur, ok := d.rec.last()
	block := d.tableHead("anycostd demo", samples)
	for i, name := range d.rec.names {
		block = append(block, d.serverRow(i, name, samples, cur, ok))
	}
	block = append(block, line{})
	names := d.rec.names
	r := line{{"   router r1  ", bold}, {lab.Anycast.String() + " ", plain}}
	switch {
	case !ok || !cur.HopsOK:
		r = append(r, seg{"(reading the FIB...)", dim})
	case len(cur.Hops)+cur.Other == 0:
		r = append(r, seg{"no route: every server withdrew it", red})
	default:
		var via []string
		for _, h := range cur.Hops {
			via = append(via, names[h])
		}
		if cur.Other > 0 {
			via = append(via, fmt.Sprintf("%d unknown", cur.Other))
		}
		r = append(r, seg{"via " + strings.Join(via, ", "), green})
		if n := len(via); n > 1 {
			r = append(r, seg{fmt.Sprintf("  (%d-way ECMP)", n), dim})
		}
	}
	block = append(block, r)
	return append(block, d.stepLine()...)
}

// sparkWidth is how many samples the rows' sparklines show.
func (d *demo) sparkWidth() int { return min(max(d.scr.width()-70, 0), 60) }

// tableHead is the live block's title line and the servers' column
// heads.
func (d *demo) tableHead(title string, samples []sample) []line {
	arrow := d.glyph("→", "->")
	head := line{
		{" " + title + " ", boldCy},
		{fmt.Sprintf(" %s  lab %s  dnsperf %s %s at %d q/s  ^C: stop, clean up",
			clock(d.rec.since()), d.labName, arrow, lab.Anycast.Addr(), d.opt.qps), dim},
	}
	return []line{head, {}, {{fmt.Sprintf("   %-7s %-8s %-24s %-5s %-6s %9s  ", "server", "NSD", "on the wire (metric)", "tier", "load", "queries/s"), bold},
		{fmt.Sprintf("last %d s", d.sparkWidth()), dim}}}
}

// serverRow is server i's row of the live block: what anycostd says
// and the queries per second it receives, with a sparkline of them.
func (d *demo) serverRow(i int, name string, samples []sample, cur sample, ok bool) line {
	sparkN := d.sparkWidth()
	top := float64(d.opt.qps) // one server taking all the load: a full bar
	var st serverState
	if ok && i < len(cur.Servers) {
		st = cur.Servers[i]
	}
	w, n := wireText(st), nsdText(st)
	tier, load := "-", "-"
	if st.Daemon {
		if st.Tier >= 0 {
			tier = fmt.Sprint(st.Tier)
		}
		load = fmt.Sprintf("%.2f", st.Load)
	}
	qps := "-"
	if st.QPSOK {
		qps = fmt.Sprintf("%.0f", st.QPS)
	}
	var vals []float64
	for _, s := range samples[max(len(samples)-sparkN, 0):] {
		v := math.NaN()
		if i < len(s.Servers) && s.Servers[i].QPSOK {
			v = s.Servers[i].QPS
		}
		vals = append(vals, v)
	}
	return line{
		{fmt.Sprintf("   %-7s ", name), bold},
		{fmt.Sprintf("%-8s ", n.text), n.st},
		{fmt.Sprintf("%-24s ", w.text), w.st},
		{fmt.Sprintf("%-5s %-6s %9s  ", tier, load, qps), plain},
		{d.spark(vals, top), serverStyle(i)},
	}
}

// stepLine is the running step with the time it has left (none between
// steps).
func (d *demo) stepLine() []line {
	st := d.step.Load()
	if st == nil {
		return nil
	}
	left := st.dur - (d.rec.since() - st.at)
	return []line{{{fmt.Sprintf("   step %d/%d  ", st.n, st.of), bold},
		{st.title, plain}, {fmt.Sprintf("   %s left", clock(left)), dim}}}
}

// statusLine is the one-line summary printed every few seconds when the
// output is not a terminal.
func (d *demo) statusLine() line {
	cur, ok := d.rec.last()
	if !ok {
		return nil
	}
	var parts []string
	for i, name := range d.rec.names {
		st := cur.Servers[i]
		qps := "-"
		if st.QPSOK {
			qps = fmt.Sprintf("%.0f", st.QPS)
		}
		parts = append(parts, fmt.Sprintf("%s %s tier %d %s q/s", name, wireText(st).text, st.Tier, qps))
	}
	route := "core " + cur.Core.String()
	switch {
	case d.agent != nil:
		route = strings.TrimSpace(plainText(d.routeLine(cur)))
	case d.sites == nil:
		var via []string
		for _, h := range cur.Hops {
			via = append(via, d.rec.names[h])
		}
		route = "r1 via " + strings.Join(via, ",")
	}
	return line{{fmt.Sprintf("%s  ", clock(cur.At)), dim},
		{strings.Join(parts, " | ") + " | " + route, plain}}
}

// serverStyle is server i's color on the terminal (the plot uses the
// same hues).
func serverStyle(i int) style {
	return []style{blue, yellow, green, purple, cyan, magenta}[i%6]
}

// plainText joins a line's segments.
func plainText(l line) string {
	var b strings.Builder
	for _, g := range l {
		b.WriteString(g.text)
	}
	return b.String()
}
