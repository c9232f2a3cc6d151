package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// The agent demo's live block: per server its capacity, what anycostd
// advertises, its weight in r1's route, the queries it receives and its
// share of them against its share of the capacity; r1's route; why the
// agent gave each weight.

// shareOf is server i's part of the queries the servers received in s
// (NaN when a rate is unknown or nothing was received).
func shareOf(s sample, i int) float64 {
	sum := 0.0
	for _, st := range s.Servers {
		if !st.QPSOK {
			return math.NaN()
		}
		sum += st.QPS
	}
	if i >= len(s.Servers) || sum <= 0 {
		return math.NaN()
	}
	return s.Servers[i].QPS / sum
}

// routeKind says what r1's route for the anycast /128 is in s: "agent"
// (zebra selects the agent's route), "ospf" (OSPF's), "none" (no route)
// or "" when it could not be read.
func routeKind(s sample) string {
	switch {
	case !s.ZebraOK:
		return ""
	case s.Proto == "sharp":
		return "agent"
	case s.Proto == "":
		return "none"
	default:
		return "ospf"
	}
}

// weightCell is server i's place in r1's route in s, for the table.
func weightCell(s sample, i int) seg {
	kind := routeKind(s)
	switch {
	case kind == "":
		return seg{"?", dim}
	case i >= len(s.Weights) || s.Weights[i] == 0:
		return seg{"-", red}
	case kind == "agent":
		return seg{fmt.Sprint(s.Weights[i]), cyan}
	default:
		return seg{"ECMP", green}
	}
}

// agentDashboard is the live block of the agent demo.
func (d *demo) agentDashboard() []line {
	samples, _ := d.rec.snapshot()
	cur, ok := d.rec.last()
	shares := capShares(d.opt.caps)
	sparkN := min(max(d.scr.width()-100, 0), 60)
	block := []line{
		{{" anycostd demo, router agent ", boldCy},
			{fmt.Sprintf(" %s  lab %s  dnsperf %s %s at %d q/s  ^C: stop, clean up",
				clock(d.rec.since()), d.labName, d.glyph("→", "->"), lab.Anycast.Addr(), d.opt.qps), dim}},
		{},
		{{fmt.Sprintf("   %-7s %-8s %-8s %-18s %-5s %-6s %6s %9s %6s %9s  ", "server", "capacity", "NSD", "on the wire", "tier", "load", "weight", "queries/s", "share", "cap.share"), bold},
			{fmt.Sprintf("share, last %d s", sparkN), dim}},
	}
	for i, name := range d.rec.names {
		var st serverState
		if ok && i < len(cur.Servers) {
			st = cur.Servers[i]
		}
		w, n, wc := wireText(st), nsdText(st), weightCell(cur, i)
		tier, load := "-", "-"
		if st.Daemon {
			if st.Tier >= 0 {
				tier = fmt.Sprint(st.Tier)
			}
			load = fmt.Sprintf("%.2f", st.Load)
		}
		qps, share := "-", "-"
		if st.QPSOK {
			qps = fmt.Sprintf("%.0f", st.QPS)
		}
		if v := shareOf(cur, i); !math.IsNaN(v) {
			share = fmt.Sprintf("%.0f%%", 100*v)
		}
		var vals []float64
		for _, s := range samples[max(len(samples)-sparkN, 0):] {
			vals = append(vals, shareOf(s, i))
		}
		block = append(block, line{
			{fmt.Sprintf("   %-7s ", name), bold},
			{fmt.Sprintf("%-8g ", d.opt.caps[i]), plain},
			{fmt.Sprintf("%-8s ", n.text), n.st},
			{fmt.Sprintf("%-18s ", w.text), w.st},
			{fmt.Sprintf("%-5s %-6s ", tier, load), plain},
			{fmt.Sprintf("%6s ", wc.text), wc.st},
			{fmt.Sprintf("%9s %6s ", qps, share), plain},
			{fmt.Sprintf("%9s  ", fmt.Sprintf("%.0f%%", 100*shares[i])), dim},
			{d.spark(vals, 1.4*slices.Max(shares)), serverStyle(i)},
		})
	}
	block = append(block, line{}, d.routeLine(cur))
	if ok && routeKind(cur) == "agent" {
		for i, name := range d.rec.names {
			if i < len(cur.Servers) && cur.Servers[i].Why != "" {
				block = append(block, line{{fmt.Sprintf("   agent    %s ", name), dim}, {cur.Servers[i].Why, plain}})
			}
		}
	}
	return append(block, d.stepLine()...)
}

// routeLine says which route r1's zebra selects for the anycast /128.
func (d *demo) routeLine(cur sample) line {
	r := line{{"   router r1  ", bold}, {lab.Anycast.String() + " ", plain}}
	var via, ws []string
	for i, w := range cur.Weights {
		if w > 0 && i < len(d.rec.names) {
			via = append(via, d.rec.names[i])
			ws = append(ws, fmt.Sprintf("%s %d", d.rec.names[i], w))
		}
	}
	switch routeKind(cur) {
	case "":
		return append(r, seg{"(reading zebra's route...)", dim})
	case "none":
		return append(r, seg{"no route: every server withdrew it", red})
	case "agent":
		return append(r, seg{"the agent's weighted route: " + strings.Join(ws, ", "), cyan}, seg{"  (zebra: sharp, distance 100)", dim})
	default:
		return append(r, seg{"OSPF's route via " + strings.Join(via, ", "), green}, seg{fmt.Sprintf("  (zebra: %s, %d-way ECMP)", cur.Proto, len(via)), dim})
	}
}

// stepShares are each server's mean share of the queries over the second
// half of each step (the first half is the change settling), one row per
// step, NaN where no sample had a share.
func stepShares(n int, samples []sample, events []event) [][]float64 {
	var rows [][]float64
	for k, e := range events {
		end := time.Duration(math.MaxInt64)
		if k+1 < len(events) {
			end = events[k+1].At
		} else if len(samples) > 0 {
			end = samples[len(samples)-1].At + time.Nanosecond
		}
		from := e.At + (end-e.At)/2
		row := make([]float64, n)
		for i := range n {
			sum, cnt := 0.0, 0
			for _, s := range samples {
				if v := shareOf(s, i); s.At >= from && s.At < end && !math.IsNaN(v) {
					sum += v
					cnt++
				}
			}
			row[i] = math.NaN()
			if cnt > 0 {
				row[i] = sum / float64(cnt)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// shareSummary prints each step's shares (stepShares) against the
// capacity shares.
func (d *demo) shareSummary(samples []sample, events []event) {
	if len(events) == 0 {
		return
	}
	var head []string
	for i, name := range d.rec.names {
		head = append(head, fmt.Sprintf("%s %.0f%%", name, 100*capShares(d.opt.caps)[i]))
	}
	d.scr.say(line{{"each server's share of the queries over the second half of each step (capacity shares: " + strings.Join(head, ", ") + ")", bold}}, 0)
	for k, row := range stepShares(len(d.rec.names), samples, events) {
		var parts []string
		for i, v := range row {
			t := "-"
			if !math.IsNaN(v) {
				t = fmt.Sprintf("%.1f%%", 100*v)
			}
			parts = append(parts, fmt.Sprintf("%s %6s", d.rec.names[i], t))
		}
		d.scr.say(line{{fmt.Sprintf("%-24s ", fmt.Sprintf("%d %s", events[k].N, events[k].Title)), plain}, {strings.Join(parts, "  "), plain}}, 0)
	}
}
