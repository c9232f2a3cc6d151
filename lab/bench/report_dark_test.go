package main

import (
	"strings"
	"testing"
)

// TestReportDark writes the dark section from made-up trials and checks
// its table lines (n, min, median, p99, max per setting), the goal and
// the CPU stall line; a setting with no trial shows n 0.
func TestReportDark(t *testing.T) {
	b := &bench{res: &results{}, notes: map[string][]string{}, cfg: config{darkTrials: 3}}
	for i, v := range []float64{3100, 3500, 3900} {
		b.res.add(sample{Row: "dark", Alt: "dead-interval", Trial: i + 1, Metric: "dark_to_fib_ms", Value: v})
		b.res.add(sample{Row: "dark", Alt: "dead-interval", Trial: i + 1, Metric: "cpu_stall_ms", Value: float64(i)})
	}
	for i, v := range []float64{140, 150, 210} {
		b.res.add(sample{Row: "dark", Alt: "bfd-50ms", Trial: i + 1, Metric: "dark_to_fib_ms", Value: v})
	}
	var r strings.Builder
	b.reportDark(&r)
	rep := r.String()
	for _, want := range []string{
		"| " + darkSettings[0].label + " | 3 | 3100 | **3500** | 3900 | 3900 |",
		"| " + darkSettings[1].label + " | 3 | 140 | **150** | 210 | 210 |",
		"| " + darkSettings[2].label + " | 0 | - | - | - | - |",
		"Goal (a median of at most 200 ms with 50 ms x 3 against FRR 8.4.4): **met**: the median is 150 ms over 3 trials.",
		darkSettings[0].label + ": median 1.00 ms, max 2.00 ms (its slowest trial, 3900 ms: 2.00 ms)",
	} {
		if !strings.Contains(rep, want) {
			t.Errorf("the dark section lacks %q:\n%s", want, rep)
		}
	}
}
