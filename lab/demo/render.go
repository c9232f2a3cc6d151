package main

import (
	"fmt"
	"math"
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
		return seg{fmt.Sprintf("metric %d", st.Metric), metricStyle(st.Metric)}
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
	now := d.rec.since()
	arrow := "→"
	if !d.scr.utf8 {
		arrow = "->"
	}
	head := line{
		{" anycostd demo ", boldCy},
		{fmt.Sprintf(" %s  lab %s  dnsperf %s %s at %d q/s  ^C: stop, clean up",
			clock(now), d.labName, arrow, lab.Anycast.Addr(), d.opt.qps), dim},
	}
	block := []line{head, {}}
	names := d.rec.names
	width := d.scr.width()
	sparkN := min(max(width-70, 0), 60)
	block = append(block, line{{fmt.Sprintf("   %-7s %-8s %-24s %-5s %-6s %9s  ", "server", "NSD", "on the wire (metric)", "tier", "load", "queries/s"), bold},
		{fmt.Sprintf("last %d s", sparkN), dim}})
	top := float64(d.opt.qps) // one server taking all the load: a full bar
	for i, name := range names {
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
		block = append(block, line{
			{fmt.Sprintf("   %-7s ", name), bold},
			{fmt.Sprintf("%-8s ", n.text), n.st},
			{fmt.Sprintf("%-24s ", w.text), w.st},
			{fmt.Sprintf("%-5s %-6s %9s  ", tier, load, qps), plain},
			{d.spark(vals, top), serverStyle(i)},
		})
	}
	block = append(block, line{})
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
	if st := d.step.Load(); st != nil {
		left := st.dur - (now - st.at)
		block = append(block, line{{fmt.Sprintf("   step %d/%d  ", st.n, st.of), bold},
			{st.title, plain}, {fmt.Sprintf("   %s left", clock(left)), dim}})
	}
	return block
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
	var via []string
	for _, h := range cur.Hops {
		via = append(via, d.rec.names[h])
	}
	return line{{fmt.Sprintf("%s  ", clock(cur.At)), dim},
		{strings.Join(parts, " | ") + " | r1 via " + strings.Join(via, ","), plain}}
}

// serverStyle is server i's color on the terminal (the plot uses the
// same hues).
func serverStyle(i int) style {
	return []style{blue, yellow, green, purple, cyan}[i%5]
}
