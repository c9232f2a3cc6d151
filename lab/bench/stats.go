package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
)

// sample is one raw measurement: a CSV line.
type sample struct {
	Row    string  // "failover", "drain", ...
	Alt    string  // the alternative measured, e.g. "anycostd"
	Trial  int     // 1-based
	Metric string  // what was measured, e.g. "kill_to_fib_ms"
	Value  float64 // in Unit
	Unit   string
	Note   string
}

// results collects every sample of a run.
type results struct {
	mu      sync.Mutex
	samples []sample
}

func (r *results) add(s sample) {
	r.mu.Lock()
	r.samples = append(r.samples, s)
	r.mu.Unlock()
}

// values returns the values of one row/alternative/metric in trial order.
func (r *results) values(row, alt, metric string) []float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var v []float64
	for _, s := range r.samples {
		if s.Row == row && s.Alt == alt && s.Metric == metric {
			v = append(v, s.Value)
		}
	}
	return v
}

// trialValue returns the value of metric in one trial of row and alt.
func (r *results) trialValue(row, alt, metric string, trial int) (float64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.samples {
		if s.Row == row && s.Alt == alt && s.Metric == metric && s.Trial == trial {
			return s.Value, true
		}
	}
	return 0, false
}

// slowest returns the trial with the largest value of metric.
func (r *results) slowest(row, alt, metric string) (trial int, v float64, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.samples {
		if s.Row == row && s.Alt == alt && s.Metric == metric && (!ok || s.Value > v) {
			trial, v, ok = s.Trial, s.Value, true
		}
	}
	return trial, v, ok
}

// notes counts the notes of the samples of row, alt and metric.
func (r *results) notes(row, alt, metric string) map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := map[string]int{}
	for _, s := range r.samples {
		if s.Row == row && s.Alt == alt && s.Metric == metric {
			n[s.Note]++
		}
	}
	return n
}

// writeCSV writes every sample with a header line.
func (r *results) writeCSV(w io.Writer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"row", "alternative", "trial", "metric", "value", "unit", "note"})
	for _, s := range r.samples {
		_ = cw.Write([]string{s.Row, s.Alt, strconv.Itoa(s.Trial), s.Metric,
			strconv.FormatFloat(s.Value, 'f', -1, 64), s.Unit, s.Note})
	}
	cw.Flush()
	return cw.Error()
}

// summary is the order statistics of a set of trials.
type summary struct {
	N                     int
	Min, Median, P99, Max float64
	Mean                  float64
}

// summarize computes the summary of v. Median is the mean of the two
// middle values for an even count; P99 is the nearest-rank 99th
// percentile (with fewer than 100 trials that is the maximum).
func summarize(v []float64) summary {
	if len(v) == 0 {
		return summary{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	rank := int(math.Ceil(0.99*float64(n))) - 1
	return summary{N: n, Min: s[0], Median: med, P99: s[rank], Max: s[n-1], Mean: sum / float64(n)}
}

// fmtNum prints a value with a precision that suits its size.
func fmtNum(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case math.Abs(x) >= 100:
		return fmt.Sprintf("%.0f", x)
	case math.Abs(x) >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}
