package main

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The agent demo's plot: each server's share of the queries over time
// against its share of the capacity (dashed), the steps marked with the
// queries lost during each; below it, each server's place in r1's route
// (OSPF's equal share, the agent's weight, or none).

var (
	ecmpFill  = rgb(0x8c, 0xe9, 0x9a) // OSPF's ECMP route: metric 10's green
	agentFill = rgb(0x99, 0xc2, 0xff) // the agent's weighted route
	outFill   = stateColors["20"]     // advertised, but at a dearer metric
)

// writeAgentPlots draws the agent demo's record into each of paths.
func (d *demo) writeAgentPlots(names []string, samples []sample, events []event, qps int, note string, paths ...string) error {
	caps := d.opt.caps
	return drawTo(paths, func(dc draw.Canvas) { drawAgentDemo(dc, names, caps, samples, events, qps, note) })
}

// drawAgentDemo draws the share panel over the route panel (as
// drawDemo).
func drawAgentDemo(dc draw.Canvas, names []string, caps []float64, samples []sample, events []event, qps int, note string) {
	end := endOf(samples)
	top := sharePanel(names, caps, samples, events, qps, end)
	if note != "" {
		top.Title.Text += " " + note
	}
	drawPanels(dc, top, routePanel(names, samples, events, end), shareLegend(names, caps), routeLegend(), 2*vg.Inch)
}

// sharePanel is the top panel: each server's share of the queries the
// three received (packets on eth0, per second), a dashed line at its
// share of the summed capacity.
func sharePanel(names []string, caps []float64, samples []sample, events []event, qps int, end float64) *plot.Plot {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("anycostd demo, router agent: each server's share of the queries (dnsperf offers %d/s); dashed: its share of the capacity", qps)
	p.Y.Label.Text = "share of the queries (%)"
	styleAxes(p, end)
	p.X.Tick.Label.Color = color.Transparent // the lower panel labels time
	// Room above the highest share for the steps' labels.
	peak := 60.0
	for _, s := range samples {
		for i := range s.Servers {
			if v := shareOf(s, i); !math.IsNaN(v) {
				peak = math.Max(peak, 100*v)
			}
		}
	}
	p.Y.Min, p.Y.Max = 0, math.Min(100*1.35, peak*1.35)
	p.Y.Tick.Marker = wholeTicks{}
	p.Add(bands{events: events, end: end})
	p.Add(plotter.NewGrid())
	for i, c := range capShares(caps) {
		if i >= len(names) {
			break
		}
		l, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 100 * c}, {X: math.Max(end, 1), Y: 100 * c}})
		l.LineStyle = draw.LineStyle(lineStyle(serverColor(i), 1.6, true))
		p.Add(l)
	}
	addServerLines(p, len(names), samples, func(s sample, i int) float64 { return 100 * shareOf(s, i) })
	p.Add(marks{events: events, labels: true})
	return p
}

func shareLegend(names []string, caps []float64) plot.Legend {
	l := newLegend()
	shares := capShares(caps)
	for i, n := range names {
		l.Add(n, lineStyle(serverColor(i), 3, false))
		l.Add(fmt.Sprintf("capacity %g: %.0f%%", caps[i], 100*shares[i]), lineStyle(serverColor(i), 1.6, true))
	}
	return l
}

// routeKey is server i's place in r1's route in s: "ecmp" (a next hop of
// OSPF's route), "w:<weight>" (of the agent's), "m:<metric>" (advertised,
// not a next hop: a dearer metric), "withdrawn", "drained", or "" when
// unknown.
func routeKey(s sample, i int) string {
	kind := routeKind(s)
	if kind == "" || i >= len(s.Servers) {
		return ""
	}
	if i < len(s.Weights) && s.Weights[i] > 0 {
		if kind == "agent" {
			return "w:" + strconv.Itoa(s.Weights[i])
		}
		return "ecmp"
	}
	st := s.Servers[i]
	switch k := stateKey(st); {
	case k == "":
		return "withdrawn"
	case st.Advertised:
		return "m:" + k
	default:
		return k
	}
}

func routeFill(key string) color.Color {
	switch {
	case key == "ecmp":
		return ecmpFill
	case strings.HasPrefix(key, "w:"):
		return agentFill
	case strings.HasPrefix(key, "m:"):
		return outFill
	}
	return stateFill(key)
}

func routeLabels(key string) []string {
	switch {
	case key == "ecmp":
		return []string{"OSPF: equal share", "ECMP"}
	case strings.HasPrefix(key, "w:"):
		return []string{"weight " + key[2:], key[2:]}
	case strings.HasPrefix(key, "m:"):
		return []string{"metric " + key[2:] + ": out", key[2:]}
	}
	return []string{key}
}

// routePanel is the lower panel: one strip per server, its place in r1's
// route for the anycast /128.
func routePanel(names []string, samples []sample, events []event, end float64) *plot.Plot {
	return stripPanel("each server in r1's route (zebra's selected route): OSPF's equal-cost next hop, or the agent's weight",
		names, events, end, strips{samples: samples, n: len(names), end: end, key: routeKey, fill: routeFill, labels: routeLabels})
}

func routeLegend() plot.Legend {
	l := newLegend()
	l.Add("OSPF's ECMP route", swatchOf(ecmpFill))
	l.Add("the agent's route", swatchOf(agentFill))
	l.Add("dearer metric", swatchOf(outFill))
	l.Add("withdrawn", swatchOf(withdrawnFill))
	return l
}
