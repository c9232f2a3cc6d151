package main

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want summary
	}{
		{"empty", nil, summary{}},
		{"one", []float64{7}, summary{N: 1, Min: 7, Median: 7, P99: 7, Max: 7, Mean: 7}},
		{"odd count, unsorted", []float64{3, 1, 2}, summary{N: 3, Min: 1, Median: 2, P99: 3, Max: 3, Mean: 2}},
		{"even count: mean of the middle two", []float64{4, 1, 3, 2}, summary{N: 4, Min: 1, Median: 2.5, P99: 4, Max: 4, Mean: 2.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, summarize(tt.in)); diff != "" {
				t.Errorf("summarize(%v) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
	// Nearest rank: with 200 values 1..200 the 99th percentile is 198.
	v := make([]float64, 200)
	for i := range v {
		v[i] = float64(200 - i)
	}
	if got := summarize(v).P99; got != 198 {
		t.Errorf("p99 of 1..200 = %v, want 198", got)
	}
}

func TestProcStatSelf(t *testing.T) {
	// This process's own figures: RSS above zero, CPU time readable and
	// not running backwards.
	pid := os.Getpid()
	rss, err := rssKiB(pid)
	if err != nil || rss <= 0 {
		t.Fatalf("rssKiB(self) = %d, %v", rss, err)
	}
	c1, err := cpuTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for i := range 20_000_000 {
		x += i
	}
	_ = x
	c2, err := cpuTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	if c2 < c1 {
		t.Errorf("cpuTime went backwards: %v then %v", c1, c2)
	}
	if _, err := rssKiB(-1); err == nil {
		t.Error("rssKiB(-1) succeeded")
	}
}
