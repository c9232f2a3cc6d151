package costmodel

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// compatCase is one recorded run: parameters and samples.
type compatCase struct {
	name    string
	p       Params
	samples []Sample
	end     time.Time
}

// compatCases are the runs whose decisions testdata/decisions.golden holds:
// 200 random property cases (genCase) and a minute of every input for four
// seeds under three parameter sets. They were recorded before HungAfter
// (issue 14) and run with it 0, the rule it replaced (every failed check
// counts towards Fall): their scenarios fail probes behind congested
// queues, which HungAfter now counts as load (probehealth_test.go).
func compatCases() []compatCase {
	var cases []compatCase
	r := rand.New(rand.NewPCG(2024, 14))
	for i := range 200 {
		p, samples := genCase(randomCase(r))
		end := t0
		if n := len(samples); n > 0 {
			end = samples[n-1].At
		}
		p.HungAfter = 0
		cases = append(cases, compatCase{fmt.Sprintf("random %d", i), p, samples, end.Add(p.MinInterval + time.Second)})
	}
	defaults := DefaultParams()
	defaults.HungAfter = 0
	monitored := defaults
	monitored.Socket.Enabled, monitored.Probe.Enabled, monitored.External.Enabled = true, true, true
	maxTier := monitored
	maxTier.DrainAction = DrainMaxTier
	for _, pc := range []struct {
		name string
		p    Params
	}{{"defaults", defaults}, {"monitored", monitored}, {"max-tier", maxTier}} {
		for seed := range uint64(4) {
			cases = append(cases, compatCase{fmt.Sprintf("scenario %s %d", pc.name, seed), pc.p,
				scenario(seed, time.Minute), ms(61000)})
		}
	}
	return cases
}

// traceDigest drives a model through c as the daemon does (liveFeed, with
// before called ahead of every Decide) and returns a digest of every
// decision (time and Decision, reasons included) and every reported change.
// The changes' input views leave out the cpu input when its monitor is off
// and it never had a sample: it came after the golden file was written,
// and these cases never feed it, so the recorded digests stay those of the
// older models.
func traceDigest(t *testing.T, c compatCase, before func(m *Model, now time.Time)) string {
	t.Helper()
	h := sha256.New()
	enc := json.NewEncoder(h)
	var encErr error
	hook := func(m *Model, now time.Time, d Decision) {
		if err := enc.Encode(struct {
			At time.Time
			D  Decision
		}{now, d}); err != nil && encErr == nil {
			encErr = err
		}
	}
	_, changes, _ := liveFeed(c.p, t0, c.end, c.samples, before, hook)
	for i := range changes {
		changes[i].Inputs = slices.DeleteFunc(changes[i].Inputs, func(v InputView) bool {
			return v.Input == InputCPU && !v.Enabled && !v.Seen
		})
	}
	if err := enc.Encode(changes); err != nil && encErr == nil {
		encErr = err
	}
	if encErr != nil {
		t.Fatalf("%s: %v", c.name, encErr)
	}
	return hex.EncodeToString(h.Sum(nil))
}

const decisionsGolden = "decisions.golden"

// readDigests reads testdata/decisions.golden: "name<TAB>digest" lines.
func readDigests(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", decisionsGolden))
	if err != nil {
		t.Fatalf("%v (run go test -run TestDecisionsGolden -update to create it)", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, digest, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("%s: bad line %q", decisionsGolden, sc.Text())
		}
		out[name] = digest
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDecisionsGolden: the model without any farm view decides exactly as
// it did before the farm view existed. testdata/decisions.golden was
// written by the model of commit 28b7bbf (before the farm view), then by
// that model with withdrawals no longer paced (commit cd40822, issue 15);
// a change of any decision, reason text included, of any case shows here.
func TestDecisionsGolden(t *testing.T) {
	cases := compatCases()
	if *update {
		var b strings.Builder
		for _, c := range cases {
			fmt.Fprintf(&b, "%s\t%s\n", c.name, traceDigest(t, c, nil))
		}
		if err := os.WriteFile(filepath.Join("testdata", decisionsGolden), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readDigests(t)
	if len(want) != len(cases) {
		t.Fatalf("%s holds %d cases, want %d", decisionsGolden, len(want), len(cases))
	}
	for _, c := range cases {
		if got := traceDigest(t, c, nil); got != want[c.name] {
			t.Errorf("%s: decisions differ from the recorded ones", c.name)
		}
	}
}
