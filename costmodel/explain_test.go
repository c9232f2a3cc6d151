package costmodel

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// explainScenario: a service with every input, advertised at metric 20, with
// a drain to the highest tier (a metric change; a withdrawal would not be
// held) held by pacing.
func explainScenario() (*Model, time.Time) {
	p := DefaultParams()
	p.Socket.Enabled, p.Probe.Enabled, p.External.Enabled, p.CPU.Enabled = true, true, true, true
	p.DrainAction = DrainMaxTier
	p.Smoothing = 0
	m := New("dns", p, t0)
	for n := 0; n <= 3000; n += 100 {
		now := ms(n)
		fill := 0.1
		if n >= 2500 {
			fill = 0.7
		}
		m.Observe(now, SocketSample(fill, 0).WithSource("sock_diag poll"))
		if n%200 == 0 {
			m.Observe(now, ProbeResult(true, 4*time.Millisecond).WithSource("dns probe"))
		}
		if n%1000 == 0 {
			m.Observe(now, ExternalLoad(0.25).WithSource("file /run/nsd/load"))
			m.Observe(now, CPULoad(0.2).WithSource("cgroup, 2 CPU (cores)"))
		}
		m.Decide(now)
	}
	now := ms(3050)
	m.Observe(now, ManualDrain(true).WithSource("control socket"))
	m.Decide(now)
	return m, ms(3080)
}

func TestExplainJSONGolden(t *testing.T) {
	m, now := explainScenario()
	got, err := json.MarshalIndent(m.Explain(now), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "explain.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestExplainJSONGolden -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("Explain JSON differs from %s (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

func TestExplainContents(t *testing.T) {
	m, now := explainScenario()
	e := m.Explain(now)
	down, up := 0.4, 0.85
	checks := []struct {
		name      string
		got, want any
	}{
		{"advertised", e.Advertised, metric(20)},
		{"wanted", e.Wanted, metric(40)},
		{"held", e.Held, true},
		{"held since", e.HeldSince, ms(3050)},
		{"withdraw latched", e.WithdrawLatched, false},
		{"last change", e.LastChange, ms(2500)},
		{"next change allowed", e.NextChangeAllowed, ms(3600)},
		{"last decision next check", e.LastDecision.NextCheck, ms(3600)},
		{"load", e.Load, 0.7},
		{"load source", e.LoadSource, "rqueue"},
		{"tier", e.Tier, 1},
		{"tier since", e.TierSince, ms(2500)},
		{"band", *e.Band, Band{MoveDownBelow: &down, MoveUpAt: &up}},
		{"tier table", e.Tiers, []TierRow{
			{0, 10, 0.6, 0.4, false}, {1, 20, 0.85, 0.65, true}, {2, 40, 0, 0, false}}},
		{"health", e.Health, Health{Up: true, Good: 16, Rise: 3, Fall: 2}},
		{"drained", e.Drained, true},
		{"socket age", e.Inputs[0].AgeMS, int64(80)},
		{"probe age", e.Inputs[1].AgeMS, int64(80)},
		{"external age", e.Inputs[2].AgeMS, int64(80)},
		{"cpu", e.Inputs[3].Value, "utilisation 0.200"},
		{"cpu term", e.Terms[termCPU], Term{Name: "cpu", Input: InputCPU, Weight: 1, Smoothed: 0.2, Value: 0.2, Used: true}},
		{"manual drain source", e.Inputs[4].Source, "control socket"},
		{"changes", len(e.History), 2},
		{"first change", e.History[0].Reason, "advertise metric 10: tier 0, load 0.250"},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}
