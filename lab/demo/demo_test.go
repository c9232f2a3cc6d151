package main

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/lab"
)

func TestClock(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0:00"},
		{-time.Second, "0:00"},
		{1499 * time.Millisecond, "0:01"},
		{1500 * time.Millisecond, "0:02"},
		{59 * time.Second, "0:59"},
		{61 * time.Second, "1:01"},
		{10*time.Minute + 5*time.Second, "10:05"},
	} {
		if got := clock(tc.in); got != tc.want {
			t.Errorf("clock(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for _, tc := range []struct {
		in   int
		want string
	}{
		{0, "0"},
		{9999, "9999"},
		{10000, "10 000"},
		{67500, "67 500"},
		{1234567, "1 234 567"},
	} {
		if got := thousands(tc.in); got != tc.want {
			t.Errorf("thousands(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStateKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   serverState
		want string
	}{
		{"no daemon", serverState{}, ""},
		{"advertised", serverState{Daemon: true, Advertised: true, Metric: 20}, "20"},
		{"drained", serverState{Daemon: true, Drained: true}, "drained"},
		{"withdrawn", serverState{Daemon: true}, "withdrawn"},
	} {
		if got := stateKey(tc.in); got != tc.want {
			t.Errorf("%s: stateKey = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestWrap(t *testing.T) {
	l := line{{"0:15  ", dim}, {"overload s1", boldCy}, {"  its NSD may now use only one percent of one CPU", plain}}
	var got []string
	for _, w := range wrap(l, 40, 6) {
		got = append(got, plainText(w))
	}
	want := []string{
		"0:15  overload s1  its NSD may now use ",
		"      only one percent of one CPU",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrap (-want +got):\n%s", diff)
	}
	for _, g := range got {
		if n := len([]rune(strings.TrimRight(g, " "))); n > 40 {
			t.Errorf("piece %q is %d wide, more than 40", g, n)
		}
	}
}

// TestPlot draws a made-up run (a server withdrawn for a while, another
// at metric 20) as PNG and SVG and checks what comes out.
func TestPlot(t *testing.T) {
	names := []string{"s1", "s2", "s3"}
	var samples []sample
	for s := 0; s <= 100; s++ {
		smp := sample{At: time.Duration(s) * time.Second, HopsOK: true}
		for i := range names {
			st := serverState{Daemon: true, Advertised: true, Metric: 10, Present: true, Up: true, QPS: 1500, QPSOK: s > 0}
			switch {
			case i == 0 && s >= 20 && s < 45:
				st.Metric, st.Tier, st.QPS = 20, 1, 3
			case i == 1 && s >= 50 && s < 62:
				st.Advertised, st.Present, st.QPS = false, false, 3
			case i == 2 && s >= 77 && s < 92:
				st.Advertised, st.Drained, st.QPS = false, true, 3
			}
			smp.Servers = append(smp.Servers, st)
		}
		samples = append(samples, smp)
	}
	events := []event{
		{At: 0, N: 1, Short: "steady load", Sent: 67500, Measured: true},
		{At: 15 * time.Second, N: 2, Short: "s1 overloaded", Sent: 90000, Lost: 3, Measured: true},
		{At: 50 * time.Second, N: 3, Short: "s2's NSD killed", Sent: 54000, Lost: 24, Measured: true},
		{At: 62 * time.Second, N: 4, Short: "s2's NSD restarted"},
		{At: 77 * time.Second, N: 5, Short: "s3 drained", Sent: 67500, Measured: true},
	}
	dir := t.TempDir()
	pngPath, svgPath := filepath.Join(dir, "demo.png"), filepath.Join(dir, "demo.svg")
	if err := writePlots(names, samples, events, 4500, "", pngPath, svgPath); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("demo.png: %v", err)
	}
	if cfg.Width != 1430 || cfg.Height != 880 {
		t.Errorf("demo.png is %dx%d, want 1430x880 (13x8 in at 110 dpi)", cfg.Width, cfg.Height)
	}
	svg, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "NSD killed", "24 of 54 000 lost", "drained", "metric 20"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("demo.svg has no %q", want)
		}
	}
	if err := writePlots(names, samples, events, 4500, "", filepath.Join(dir, "demo.jpg")); err == nil {
		t.Error("writePlots accepted a .jpg path")
	}
}

// The two-site demo shows only the services table of `anycostd status`.
func TestServicesTable(t *testing.T) {
	b, err := os.ReadFile("../../internal/render/testdata/status.golden")
	if err != nil {
		t.Fatal(err)
	}
	got := servicesTable(string(b))
	want := "Service  Prefix                 State       Metric  Wanted    LS-ID    SeqNum    Next change\n" +
		"dns      2001:db8:53::53/128    advertised  10      10        0.0.0.1  80000003  -\n" +
		"ntp      2001:db8:123::123/128  changing    10      40        0.0.0.2  80000007  in 800ms\n" +
		"web      2001:db8:80::80/128    withdrawn   -       withdraw  0.0.0.3  -         again in 900ms"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("servicesTable (-want +got):\n%s", diff)
	}
	if got := servicesTable("no table here\n"); got != "no table here\n" {
		t.Errorf("servicesTable without a table = %q, want the input", got)
	}
}

// A server in a tier with its own prefix (the two-site demo's dearest
// tier, or a max-tier drain) shows the prefix's length.
func TestWireTextPrefix(t *testing.T) {
	for _, tc := range []struct {
		in   serverState
		want string
	}{
		{serverState{Daemon: true, Advertised: true, Metric: 10, Prefix: "2001:db8:53::53/128"}, "metric 10"},
		{serverState{Daemon: true, Advertised: true, Metric: 40, Prefix: "2001:db8:53::50/126"}, "metric 40 (/126)"},
		{serverState{Daemon: true, Advertised: true, Metric: 40, Prefix: "2001:db8:53::50/126", Drained: true}, "metric 40 (/126) drained"},
		{serverState{Daemon: true, Drained: true}, "withdrawn (drained)"},
	} {
		if got := wireText(tc.in).text; got != tc.want {
			t.Errorf("wireText(%+v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseCPUs(t *testing.T) {
	got, err := parseCPUs(agentCPUDefault)
	if err != nil || !cmp.Equal(got, []float64{1, 2, 0.5}) {
		t.Errorf("parseCPUs(%q) = %v, %v", agentCPUDefault, got, err)
	}
	for _, bad := range []string{"1,2", "1,2,3,4", "1,x,2", "1,2,0.05", "1,2,101", ""} {
		if _, err := parseCPUs(bad); err == nil {
			t.Errorf("parseCPUs(%q) accepted", bad)
		}
	}
	if diff := cmp.Diff([]float64{2.0 / 7, 4.0 / 7, 1.0 / 7}, capShares([]float64{1, 2, 0.5})); diff != "" {
		t.Errorf("capShares (-want +got):\n%s", diff)
	}
}

// agentRun is a made-up agent demo: OSPF's equal split with s3 moved to
// metric 20 for a while, the agent's weights from 30 s, OSPF again from
// 70 s.
func agentRun() (names []string, caps []float64, samples []sample, events []event) {
	names, caps = []string{"s1", "s2", "s3"}, []float64{1, 2, 0.5}
	for s := 0; s <= 90; s++ {
		smp := sample{At: time.Duration(s) * time.Second, HopsOK: true, ZebraOK: true, Proto: "ospf6", Weights: []int{1, 1, 1}}
		qps := []float64{1500, 1500, 1500}
		if s >= 10 && s < 22 {
			smp.Weights[2], qps = 0, []float64{2250, 2250, 3}
		}
		if s >= 30 && s < 70 {
			smp.Proto, smp.Weights, qps = "sharp", []int{128, 255, 64}, []float64{1290, 2570, 640}
		}
		for i := range names {
			st := serverState{Daemon: true, Advertised: true, Metric: 10, Present: true, Up: true, QPS: qps[i], QPSOK: s > 0}
			if i == 2 && s >= 10 && s < 22 {
				st.Metric, st.Tier = 20, 1
			}
			smp.Servers = append(smp.Servers, st)
		}
		samples = append(samples, smp)
	}
	events = []event{
		{At: 0, N: 1, Short: "OSPF alone (ECMP)", Sent: 112500, Lost: 310, Measured: true},
		{At: 30 * time.Second, N: 2, Short: "the agent takes over", Sent: 157500, Measured: true},
		{At: 70 * time.Second, N: 3, Short: "the agent stopped", Sent: 67500, Measured: true},
	}
	return names, caps, samples, events
}

func TestRouteKey(t *testing.T) {
	_, _, samples, _ := agentRun()
	for _, tc := range []struct {
		at, server int
		want       string
	}{
		{5, 0, "ecmp"},
		{15, 2, "m:20"},
		{15, 0, "ecmp"},
		{40, 1, "w:255"},
		{40, 2, "w:64"},
		{80, 2, "ecmp"},
	} {
		if got := routeKey(samples[tc.at], tc.server); got != tc.want {
			t.Errorf("routeKey at %d s, server %d = %q, want %q", tc.at, tc.server, got, tc.want)
		}
	}
	if got := routeKey(sample{Servers: []serverState{{}}}, 0); got != "" {
		t.Errorf("routeKey without zebra's route = %q, want \"\"", got)
	}
	if got := shareOf(samples[40], 1); math.Abs(got-2570.0/4500) > 1e-9 {
		t.Errorf("shareOf = %v, want %v", got, 2570.0/4500)
	}
	if got := shareOf(samples[0], 1); !math.IsNaN(got) {
		t.Errorf("shareOf before the first rate = %v, want NaN", got)
	}
}

// TestAgentPlot draws the made-up agent run and checks what comes out.
func TestAgentPlot(t *testing.T) {
	names, caps, samples, events := agentRun()
	d := &demo{opt: options{caps: caps}}
	dir := t.TempDir()
	pngPath, svgPath := filepath.Join(dir, "demo-agent.png"), filepath.Join(dir, "demo-agent.svg")
	if err := d.writeAgentPlots(names, samples, events, 4500, "", pngPath, svgPath); err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("ANYCOSTD_DEMO_PLOT"); p != "" {
		d.writeAgentPlots(names, samples, events, 4500, "", p)
	}
	svg, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "the agent takes over", "310 of 112 500 lost", "weight 255", "OSPF: equal share", "metric 20: out", "capacity 0.5: 14%"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("demo-agent.svg has no %q", want)
		}
	}
}

// The agent demo's live block: the weights while the agent's route is
// selected, why the agent gave them, and its route line.
func TestAgentDashboard(t *testing.T) {
	names, caps, samples, _ := agentRun()
	d := &demo{opt: options{caps: caps, qps: 4500}, scr: &screen{out: os.Stdout}, rec: &record{names: names}, labName: "acdtest"}
	for _, s := range samples[:41] {
		d.rec.addSample(s)
	}
	cur := samples[40]
	cur.Servers[1].Why = "weight 255: joined: capacity 2"
	d.rec.addSample(cur)
	var got []string
	for _, l := range d.agentDashboard() {
		got = append(got, plainText(l))
	}
	text := strings.Join(got, "\n")
	t.Logf("\n%s", text)
	for _, want := range []string{
		"the agent's weighted route: s1 128, s2 255, s3 64",
		"agent    s2 weight 255: joined: capacity 2",
		"57%", // s2's share and capacity share
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the live block has no %q", want)
		}
	}
	d.rec.addSample(samples[10])
	if l := plainText(d.routeLine(samples[10])); !strings.Contains(l, "OSPF's route via s1, s2  (zebra: ospf6, 2-way ECMP)") {
		t.Errorf("route line with s3 out = %q", l)
	}
}

// Each server's configuration in the agent demo is valid for anycostd
// (config.Parse, as `anycostd check` reads it): the capacity its CPU
// share, the quick start's three tiers.
func TestAgentServerConfigParses(t *testing.T) {
	caps, err := parseCPUs(agentCPUDefault)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range caps {
		s := &lab.Server{Farm: &lab.Farm{}, RouterID: "192.0.2.11", Control: "/run/anycostd/s1.sock"}
		toml := s.TOML(agentServerTOML(c, true))
		cfg, err := config.Parse("s.toml", []byte(toml))
		if err != nil {
			t.Fatalf("server %d: %v\n%s", i+1, err, toml)
		}
		if len(cfg.Services) != 1 || cfg.Services[0].Capacity != c || len(cfg.Services[0].Tiers) != 3 {
			t.Errorf("server %d: %+v, want one service of capacity %g with three tiers", i+1, cfg.Services, c)
		}
	}
}

// Each step's shares are the means over its second half.
func TestStepShares(t *testing.T) {
	names, _, samples, events := agentRun()
	// Step 1 (0-30 s): its second half, 15-29 s, has s3 out for 15-21 s
	// (7 samples of 15: 2250 / 2250 / 3 q/s) and in for 8 (a third each).
	out, in := 7.0/15, 8.0/15
	want := [][]float64{
		{out*2250/4503 + in/3, out*2250/4503 + in/3, out*3/4503 + in/3},
		{1290.0 / 4500, 2570.0 / 4500, 640.0 / 4500},
		{1.0 / 3, 1.0 / 3, 1.0 / 3},
	}
	if diff := cmp.Diff(want, stepShares(len(names), samples, events), cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("stepShares (-want +got):\n%s", diff)
	}
}
