package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/anycostd/anycostd/costmodel/sim"
)

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) }

func pct(f float64) string { return strconv.FormatFloat(100*f, 'f', 2, 64) + "%" }

// perServer formats one value per server, separated by spaces.
func perServer(srv []sim.ServerResult, f func(sim.ServerResult) string) string {
	parts := make([]string, len(srv))
	for i, s := range srv {
		parts[i] = f(s)
	}
	return strings.Join(parts, " ")
}

// printTable prints one block per farm and load, one row per variant.
func printTable(w io.Writer, o options, results []outcome) {
	fmt.Fprintf(w, "Farm behind one router: exponential service, %g queries/s per unit of capacity, 1 worker and a %d-query buffer per server.\n",
		o.rate, o.buffer)
	fmt.Fprintf(w, "anycostd: the real costmodel (default tiers 10/20/40, min_dwell %v, max_dwell %v, min_interval %v; socket sampled\n",
		o.minDwell, o.maxDwell, o.minInterval)
	wait := fmt.Sprintf("up to hung_after/fall, %v, behind a congested queue, one started every 200 ms then", o.hungAfter/2)
	if o.fixedProbeWait {
		wait = "also behind a congested queue"
	}
	fmt.Fprintf(w, "every 100 ms; +probe: a probe every 200 ms through the server's queue, 100 ms timeout (%s), rise 3, fall 2,\n", wait)
	fmt.Fprintf(w, "hung_after %v);\n", o.hungAfter)
	fmt.Fprintf(w, "a reported change reaches the router after %v + exp(mean %v); ECMP among the lowest metric.\n", o.routeDelay, o.routeJitter)
	fmt.Fprintf(w, "Each cost model sees its peers' advertisements and server load LSAs (load step %g) as late as the router does\n", sim.DefaultLoadStep)
	fmt.Fprintf(w, "(the farm view; -solo: without it).\n")
	fmt.Fprintf(w, "ecmp bound: the most any tier policy can answer behind a plain OSPF router (equal shares 1/k among the k servers\n")
	fmt.Fprintf(w, "of the cheapest tier, each answering up to its capacity; fluid limit, queueing only lowers it), in its best configuration.\n")
	fmt.Fprintf(w, "Per-server columns list the servers in farm order. Times in ms. Answered/dropped/lost: of all queries.\n")
	fmt.Fprintf(w, "ECMP width: %% of the time 1, 2, .. n servers shared the lowest metric (width 1 in a farm of several: herding).\n")
	fmt.Fprintf(w, "changes/min: mean metric changes per minute; max/min: the most within any 60 s of the window.\n")
	var tw *tabwriter.Writer
	var block string
	for _, r := range results {
		key := fmt.Sprintf("%s, load %g", r.farm.name, r.cfg.Load)
		if key != block {
			if tw != nil {
				tw.Flush()
			}
			block = key
			fmt.Fprintf(w, "\n== %s (capacities %s) ==\n", key,
				strings.Join(strings.Fields(fmt.Sprint(r.cfg.Capacities)), " "))
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "policy\tanswered\tdropped\tlost\tmean\tp50\tp99\tutilisation\ttraffic share\tchanges/min\tmax/min\tmax metric\tECMP width 1..n, % time\t")
			printBound(tw, r.cfg.ECMPBound())
		}
		res := r.res
		changes, maxChanges, maxMetric, width := "-", "-", "-", "-"
		if r.cfg.Policy.RunsModels() {
			width = ecmpWidths(res)
			changes = perServer(res.Servers, func(s sim.ServerResult) string {
				return strconv.FormatFloat(s.ChangesPerMinute, 'f', 1, 64)
			})
			maxChanges = perServer(res.Servers, func(s sim.ServerResult) string {
				return strconv.Itoa(s.MaxChangesInMinute)
			})
			maxMetric = perServer(res.Servers, func(s sim.ServerResult) string {
				return strconv.Itoa(int(s.MaxMetric))
			})
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.variant.name, pct(res.AnsweredFraction), pct(res.DropFraction), pct(res.LostFraction),
			ms(res.MeanResponse), ms(res.P50Response), ms(res.P99Response),
			perServer(res.Servers, func(s sim.ServerResult) string { return strconv.FormatFloat(s.Utilization, 'f', 2, 64) }),
			perServer(res.Servers, func(s sim.ServerResult) string { return strconv.FormatFloat(s.Share, 'f', 2, 64) }),
			changes, maxChanges, maxMetric, width)
	}
	if tw != nil {
		tw.Flush()
	}
	printHangs(w, o, results)
}

// printHangs lists, for -hang, when each cost model withdrew the hung
// server.
func printHangs(w io.Writer, o options, results []outcome) {
	if o.hangServer == 0 {
		return
	}
	fmt.Fprintf(w, "\n== server %d hangs at %v: withdrawn by its cost model after ==\n", o.hangServer, o.hangAt)
	for _, r := range results {
		if !r.cfg.Policy.RunsModels() || r.cfg.HangAt == nil {
			continue
		}
		after := "never"
		if d := r.res.Servers[o.hangServer-1].HungWithdrawnAfter; d > 0 {
			after = d.Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "%s, load %g, %s: %s\n", r.farm.name, r.cfg.Load, r.variant.name, after)
	}
}

// printBound prints the ECMP bound's row: what its best configuration
// answers, drops, and each server's utilisation and share there.
func printBound(tw io.Writer, b sim.Bound) {
	two := func(v []float64) string {
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = strconv.FormatFloat(x, 'f', 2, 64)
		}
		return strings.Join(parts, " ")
	}
	fmt.Fprintf(tw, "ecmp bound\t%s\t%s\t%s\t-\t-\t-\t%s\t%s\t-\t-\t-\t-\t\n",
		pct(b.Answered), pct(1-b.Answered), pct(0), two(b.Utilization), two(b.Share))
}

// ecmpWidths formats the share of the window during which 1, 2, ... n
// servers had the lowest metric, in percent.
func ecmpWidths(res sim.Result) string {
	w := res.Window()
	if len(res.ECMPTime) < 2 || w <= 0 {
		return "-"
	}
	parts := make([]string, 0, len(res.ECMPTime)-1)
	for _, d := range res.ECMPTime[1:] {
		parts = append(parts, strconv.FormatFloat(100*float64(d)/float64(w), 'f', 0, 64))
	}
	return strings.Join(parts, " ")
}

var csvHeader = []string{
	"farm", "load", "policy", "report_interval_s", "probe", "seed", "duration_s", "warmup_s",
	"base_rate", "buffer", "arrived", "answered_frac", "drop_frac", "lost_frac",
	"mean_ms", "p50_ms", "p99_ms", "max_ms",
	"server", "capacity", "workers", "routed", "share", "utilization",
	"metric_changes", "changes_per_min", "max_metric", "final_advert", "probes", "probe_failures",
	"ecmp_width_pct", "max_changes_in_minute", "farm_view", "ecmp_bound", "hung_withdrawn_after_s",
}

// writeCSV writes one row per server of every run.
func writeCSV(w io.Writer, results []outcome) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
	for _, r := range results {
		c, res := r.cfg, r.res
		report, widths := "", ""
		if c.Policy.RunsModels() {
			widths = ecmpWidths(res)
		}
		if c.Policy == sim.Cheapest {
			report = f(c.ReportInterval.Seconds())
		}
		for i, s := range res.Servers {
			advert := ""
			if c.Policy.RunsModels() {
				advert = s.FinalAdvert.String()
			}
			row := []string{
				r.farm.name, f(c.Load), r.variant.name, report, strconv.FormatBool(r.variant.probe),
				strconv.FormatUint(c.Seed, 10), f(c.Duration.Seconds()), f(c.Warmup.Seconds()),
				f(c.BaseRate), strconv.Itoa(c.Buffer), strconv.FormatUint(res.Measured.Arrived, 10),
				f(res.AnsweredFraction), f(res.DropFraction), f(res.LostFraction),
				f(float64(res.MeanResponse) / 1e6), f(float64(res.P50Response) / 1e6),
				f(float64(res.P99Response) / 1e6), f(float64(res.MaxResponse) / 1e6),
				strconv.Itoa(i), f(s.Capacity), strconv.Itoa(s.Workers), strconv.FormatUint(s.Routed, 10),
				f(s.Share), f(s.Utilization), strconv.Itoa(s.MetricChanges), f(s.ChangesPerMinute),
				strconv.Itoa(int(s.MaxMetric)), advert,
				strconv.FormatUint(s.Probes, 10), strconv.FormatUint(s.ProbeFailures, 10),
				widths, strconv.Itoa(s.MaxChangesInMinute),
				strconv.FormatBool(c.Policy == sim.Anycostd && !c.NoFarmView),
				f(c.ECMPBound().Answered), f(s.HungWithdrawnAfter.Seconds()),
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeCSVFile(path string, results []outcome) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeCSV(f, results); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}
