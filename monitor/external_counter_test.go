package monitor

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestParseCounter(t *testing.T) {
	for _, tc := range []struct {
		in           string
		count, clock float64
		stamped, ok  bool
	}{
		{"0", 0, 0, false, true},
		{"123456\n", 123456, 0, false, true},
		{"  98765 4321.5 \n", 98765, 4321.5, true, true},
		{"1e6 10", 1e6, 10, true, true},
		{"18446744073709551615", 18446744073709551615, 0, false, true}, // a wrapped-around uint64 reads as a float
		{"", 0, 0, false, false},
		{"\n", 0, 0, false, false},
		{"-1", 0, 0, false, false},
		{"5 -1", 0, 0, false, false},
		{"NaN", 0, 0, false, false},
		{"Inf", 0, 0, false, false},
		{"5 Inf", 0, 0, false, false},
		{"1 2 3", 0, 0, false, false},
		{"num.queries=5", 0, 0, false, false},
		{"70%", 0, 0, false, false},
	} {
		count, clock, stamped, err := parseCounter(tc.in)
		if !tc.ok {
			if !errors.Is(err, ErrBadCounter) {
				t.Errorf("parseCounter(%q) = %v, %v, %v, %v; want ErrBadCounter", tc.in, count, clock, stamped, err)
			}
			continue
		}
		if err != nil || count != tc.count || clock != tc.clock || stamped != tc.stamped {
			t.Errorf("parseCounter(%q) = %v, %v, %v, %v; want %v, %v, %v", tc.in, count, clock, stamped, err, tc.count, tc.clock, tc.stamped)
		}
	}
}

// TestCounterReaderRate: the load is the counter's growth per second over
// the full rate, by the counter's own clock when it has one.
func TestCounterReaderRate(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	type reading struct {
		text string
		at   time.Duration // after t0
		load float64
		ok   bool
		err  bool
	}
	for _, tc := range []struct {
		name     string
		readings []reading
	}{
		{"first reading is a baseline", []reading{{"100", 0, 0, false, false}}},
		{"rate by the read times", []reading{
			{"1000", 0, 0, false, false},
			{"2500", time.Second, 0.75, true, false}, // 1500/s over 2000
			{"2500", 2 * time.Second, 0, true, false},
			{"6500", 4 * time.Second, 1, true, false}, // 2000/s
		}},
		{"rate by the counter's clock, not the late read", []reading{
			{"1000 10.0", 0, 0, false, false},
			{"3000 11.0", 1900 * time.Millisecond, 1, true, false}, // answered 0.9 s late: 2000/s still
			{"4000 12.0", 2 * time.Second, 0.5, true, false},
		}},
		{"counter went back: the service restarted", []reading{
			{"5000", 0, 0, false, false},
			{"300", time.Second, 0, false, false},
			{"1300", 2 * time.Second, 0.5, true, false},
		}},
		{"clock went back", []reading{
			{"5000 100", 0, 0, false, false},
			{"6000 2", time.Second, 0, false, false},
			{"8000 3", 2 * time.Second, 1, true, false},
		}},
		{"the same snapshot twice keeps the older baseline", []reading{
			{"1000 10", 0, 0, false, false},
			{"1000 10", time.Second, 0, false, false},
			{"5000 12", 2 * time.Second, 1, true, false},
		}},
		{"the clock's form changed", []reading{
			{"1000 10", 0, 0, false, false},
			{"2000", time.Second, 0, false, false},
			{"3000", 2 * time.Second, 0.5, true, false},
		}},
		{"garbage ends the baseline", []reading{
			{"1000", 0, 0, false, false},
			{"busy", time.Second, 0, false, true},
			{"3000", 2 * time.Second, 0, false, false},
			{"5000", 3 * time.Second, 1, true, false},
		}},
		{"past the full rate", []reading{
			{"0", 0, 0, false, false},
			{"5000", time.Second, 2.5, true, false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &counterReader{fullRate: 2000}
			for i, rd := range tc.readings {
				load, ok, err := r.read(rd.text, t0.Add(rd.at))
				if (err != nil) != rd.err || ok != rd.ok || math.Abs(load-rd.load) > 1e-9 {
					t.Errorf("reading %d (%q at %v) = %v, %v, %v; want %v, %v, error %v", i, rd.text, rd.at, load, ok, err, rd.load, rd.ok, rd.err)
				}
			}
		})
	}
}

// TestCounterReaderReset: after a failed read the next reading is a
// baseline, not a rate over the gap.
func TestCounterReaderReset(t *testing.T) {
	t0 := time.Now()
	r := &counterReader{fullRate: 100}
	r.read("0", t0)
	r.reset()
	if load, ok, err := r.read("1000", t0.Add(time.Second)); ok || err != nil {
		t.Errorf("after reset: %v, %v, %v; want a baseline", load, ok, err)
	}
	if load, ok, _ := r.read("1100", t0.Add(2*time.Second)); !ok || load != 1 {
		t.Errorf("then %v, %v; want 1, true", load, ok)
	}
}

// TestRunExternalCounter: a command that prints a stamped counter growing
// by 100 per clock second, full rate 200: every sample is 0.5, the
// baseline sends none.
func TestRunExternalCounter(t *testing.T) {
	state := filepath.Join(t.TempDir(), "k")
	cfg := ExternalConfig{
		Command:  []string{"sh", "-c", `k=$(($(cat "$0" 2>/dev/null || echo 0)+1)); echo $k >"$0"; echo $((k*100)) $k`, state},
		FullRate: 200, Interval: 10 * time.Millisecond, Timeout: 5 * time.Second,
	}
	for _, s := range collect(t, 3, func(ctx context.Context, out chan<- Sample) error { return RunExternal(ctx, "svc", cfg, out) }) {
		if s.Err != nil || s.External == nil || s.External.Load != 0.5 {
			t.Errorf("sample %+v (load %+v), want load 0.5", s, s.External)
		}
	}
	b, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := strconv.Atoi(string(b[:len(b)-1])); k < 4 {
		t.Errorf("the command ran %d times for 3 samples; want at least 4 (a baseline first)", k)
	}
}

func TestRunExternalCounterBadFullRate(t *testing.T) {
	for _, fr := range []float64{-1, math.NaN(), math.Inf(1)} {
		err := RunExternal(context.Background(), "svc", ExternalConfig{File: "/x", Interval: time.Second, FullRate: fr}, make(chan Sample))
		if err == nil {
			t.Errorf("full rate %v: no error", fr)
		}
	}
}

func FuzzParseCounter(f *testing.F) {
	for _, s := range []string{"0", "12 3.5", "-1", "1 2 3", "NaN", " 7\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		count, clock, stamped, err := parseCounter(s)
		if err != nil {
			if !errors.Is(err, ErrBadCounter) {
				t.Fatalf("%q: %v does not wrap ErrBadCounter", s, err)
			}
			return
		}
		if count < 0 || clock < 0 || math.IsInf(count, 0) || math.IsNaN(clock) || (!stamped && clock != 0) {
			t.Fatalf("%q: %v %v %v", s, count, clock, stamped)
		}
		text := strconv.FormatFloat(count, 'g', -1, 64)
		if stamped {
			text += " " + strconv.FormatFloat(clock, 'g', -1, 64)
		}
		c2, k2, s2, err := parseCounter(text)
		if err != nil || c2 != count || k2 != clock || s2 != stamped {
			t.Fatalf("%q -> %q -> %v %v %v %v", s, text, c2, k2, s2, err)
		}
	})
}
