package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tiny are flags for runs of a few simulated seconds.
var tiny = []string{"-duration", "4s", "-warmup", "1s", "-validate=false", "-loads", "0.8",
	"-policies", "rr,cheapest@500ms,anycostd+probe"}

func TestRunMainTableAndCSV(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "out.csv")
	var stdout, stderr bytes.Buffer
	if code := runMain(append(tiny, "-csv", csvPath), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"== het 1/1/2/0.5, load 0.8 (capacities [1 1 2 0.5]) ==",
		"== hom 4x1, load 0.8 (capacities [1 1 1 1]) ==",
		"round-robin", "cheapest@500ms", "anycostd+probe", "ECMP width",
		"6 runs in", "CSV: " + csvPath,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(csvHeader, rows[0]); diff != "" {
		t.Errorf("CSV header (-want +got):\n%s", diff)
	}
	// 2 farms × 1 load × 3 policies × 4 servers.
	if len(rows) != 1+24 {
		t.Fatalf("%d CSV rows, want 25", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var policies []string
	for _, r := range rows[1:] {
		if r[col["server"]] == "0" {
			policies = append(policies, r[col["farm"]]+" "+r[col["policy"]])
		}
		for _, h := range []string{"answered_frac", "utilization", "share", "mean_ms", "p99_ms"} {
			v, err := strconv.ParseFloat(r[col[h]], 64)
			if err != nil || v < 0 {
				t.Errorf("row %v: %s = %q", r, h, r[col[h]])
			}
		}
	}
	want := []string{
		"het 1/1/2/0.5 round-robin", "het 1/1/2/0.5 cheapest@500ms", "het 1/1/2/0.5 anycostd+probe",
		"hom 4x1 round-robin", "hom 4x1 cheapest@500ms", "hom 4x1 anycostd+probe",
	}
	if diff := cmp.Diff(want, policies); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

// runOK runs the command with args, wants exit 0 and returns its output.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := runMain(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	return stdout.String()
}

// TestRunMainDegraded: -degraded names the farm and gives the bound of the
// real farm (1, 0.2, 1 offered half of the configured 3: the two healthy
// servers take 0.75 each).
func TestRunMainDegraded(t *testing.T) {
	out := runOK(t, "-duration", "4s", "-warmup", "1s", "-validate=false", "-loads", "0.5", "-servers", "0",
		"-capacities", "1,1,1", "-degraded", "1,0.2,1", "-policies", "random")
	for _, want := range []string{
		"== het 1/1/1 degraded 1/0.2/1, load 0.5 (capacities [1 1 1]) ==",
		"100.00%    0.00%  0.00%      -     -       -  0.75 0.00 0.75  0.50 0.00 0.50",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestRunMainHang: -hang N@T says when each cost model withdrew the hung
// server: its probe withdraws it, the socket monitor alone does not.
func TestRunMainHang(t *testing.T) {
	out := runOK(t, "-duration", "8s", "-warmup", "1s", "-validate=false", "-loads", "0.7", "-capacities", "",
		"-servers", "2", "-hang", "2@4s", "-policies", "anycostd,anycostd+probe")
	if !strings.Contains(out, "== server 2 hangs at 4s: withdrawn by its cost model after ==") ||
		!strings.Contains(out, "hom 2x1, load 0.7, anycostd: never") ||
		!regexp.MustCompile(`hom 2x1, load 0\.7, anycostd\+probe: [0-9.]+m?s\n`).MatchString(out) {
		t.Errorf("output lacks the hang section:\n%s", out)
	}
}

// TestRunMainDeterministic: the same flags give the same table (but for the
// wall-time line).
func TestRunMainDeterministic(t *testing.T) {
	run := func() string {
		var stdout, stderr bytes.Buffer
		if code := runMain(tiny, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d, stderr %q", code, stderr.String())
		}
		var keep []string
		for _, l := range strings.Split(stdout.String(), "\n") {
			if !strings.Contains(l, "of wall time") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if diff := cmp.Diff(run(), run()); diff != "" {
		t.Errorf("two runs differ (-first +second):\n%s", diff)
	}
}

func TestRunMainValidation(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"-quick", "-servers", "0", "-capacities", "1", "-policies", "rr", "-duration", "2s"}
	if code := runMain(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	for _, want := range []string{"Validation: supermarket model", "one random choice", "two choices (jsq2)", "theory 10.000", "theory 2.614"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestRunMainUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-loads", "x"}, `-loads: "x" is not a number`},
		{[]string{"-loads", ""}, "-loads: no load given"},
		{[]string{"-capacities", "1,a"}, `-capacities: "a" is not a number`},
		{[]string{"-capacities", "1,0"}, "capacities[1]: must be above 0"},
		{[]string{"-capacities", "", "-servers", "0"}, "no farm"},
		{[]string{"-degraded", "1,0.2"}, "-degraded: 2 values for 4 -capacities"},
		{[]string{"-degraded", "1,0,1,1"}, "degraded[1]: must be within 0 (excluded) and 1"},
		{[]string{"-servers", "-1"}, "-servers: must not be negative"},
		{[]string{"-stale", "0s"}, `-stale: "0s" is not a positive duration`},
		{[]string{"-policies", "weighted"}, `policy "weighted"`},
		{[]string{"-policies", "cheapest@soon"}, "want cheapest@DURATION"},
		{[]string{"-policies", ""}, "no policy given"},
		{[]string{"-buffer", "0", "-policies", "anycostd"}, "anycostd needs a finite buffer"},
		{[]string{"-min-dwell", "0s", "-policies", "anycostd"}, "min_dwell"},
		{[]string{"-hang", "4"}, `-hang: "4": want N@T`},
		{[]string{"-hang", "0@1s"}, "N a server's position from 1"},
		{[]string{"-hang", "1@soon"}, "T a positive duration"},
		{[]string{"-hang", "5@1s", "-servers", "0"}, "-hang: no server 5"},
		{[]string{"-hang", "1@2s"}, "hang at[0]: must be within 0..duration"},
		{[]string{"-hung-after", "-1s", "-policies", "anycostd+probe"}, "hung_after: must not be negative"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-nosuchflag"}, "flag provided but not defined"},
	} {
		var stdout, stderr bytes.Buffer
		code := runMain(append(tc.args, "-validate=false", "-duration", "1s"), &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("runMain(%q) = %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := runMain([]string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-quick") {
		t.Errorf("-h: exit %d, stderr %q", code, stderr.String())
	}
}

func TestVariants(t *testing.T) {
	o := options{
		policies: []string{"random", "cheapest", "cheapest@2s", "anycostd", "anycostd+probe", "lc"},
		stale:    []time.Duration{100 * time.Millisecond, 5 * time.Second},
	}
	vs, err := variants(o)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range vs {
		names = append(names, v.name)
	}
	want := []string{"random", "cheapest@100ms", "cheapest@5s", "cheapest@2s", "anycostd", "anycostd+probe", "least-conn"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("variants (-want +got):\n%s", diff)
	}
	if !vs[5].probe || vs[4].probe {
		t.Errorf("probe flags: anycostd %v, anycostd+probe %v", vs[4].probe, vs[5].probe)
	}
}
