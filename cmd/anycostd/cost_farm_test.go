package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/control/controltest"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/internal/render"
)

// sampleFarmCost runs dns of testdata/cost.toml with a farm view held
// constant, as the daemon would hand it from its LSDB, and returns what
// `anycostd cost` shows 12 s after controltest.Now: its receive queue
// fills (0.8) from 3 s; peer 192.0.2.12 (capacity 2) keeps up, so the
// farm lets dns move up to tier 1 in its turn and says why; 192.0.2.13 is
// an older anycostd at metric 20 (no load LSA); 192.0.2.14 is drained.
func sampleFarmCost(t *testing.T) []render.CostView {
	t.Helper()
	end := ms(12000)
	var samples []costmodel.Sample
	for n := 0; n <= 12000; n += 100 {
		rq := 0.2
		if n >= 3000 {
			rq = 0.8
		}
		samples = append(samples, costmodel.SocketSample(rq, 0).WithSource("sock_diag poll").WithTime(ms(n)))
		if n%200 == 0 {
			samples = append(samples, costmodel.ProbeResult(true, 2*time.Millisecond).WithSource("probe").WithTime(ms(n)))
		}
		if n%1000 == 0 {
			samples = append(samples, costmodel.ExternalLoad(0.1).WithSource("external").WithTime(ms(n)))
		}
	}
	self, _ := costmodel.ParseRouterID("192.0.2.11")
	peers, err := costmodel.ParseWhatIfPeers([]string{
		"192.0.2.12=10,load=0.1,capacity=2", "192.0.2.13=20", "192.0.2.14=withdrawn,load=0,state=drained",
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range peers {
		peers[i].Since = ms(-60000 * (i + 1))
	}
	res, err := costmodel.WhatIfFarm("dns", costParams(t, "dns"), samples, end, &costmodel.FarmView{Self: self, Peers: peers})
	if err != nil {
		t.Fatal(err)
	}
	st := costStatus(res.Explanation.Advertised.Metric)
	st.Services, st.OSPF.Services = st.Services[:1], st.OSPF.Services[:1]
	return joinCost([]costmodel.Explanation{res.Explanation}, st)
}

// TestCostFarmGolden: `anycostd cost` shows the farm view (the peers, the
// cheapest tier, the stagger) and the farm's reason for the moves it made
// or held, in text and in --json.
func TestCostFarmGolden(t *testing.T) {
	views := sampleFarmCost(t)
	f := views[0].Farm
	if f == nil || !f.Active || len(f.Peers) != 3 || f.LastMove == nil {
		t.Fatalf("the scenario does not show an active farm view with a shaped move: %+v", f)
	}
	var b strings.Builder
	render.Cost(&b, views, render.Clock{Loc: time.UTC})
	golden(t, "cost-farm.golden", b.String())

	b2 := &controltest.Backend{StatusResult: *costStatus(views[0].Advertised.Metric)}
	b2.Explanations = []costmodel.Explanation{views[0].Explanation}
	path := controltest.Serve(t, b2)
	code, out, errOut := runCLI("cost", "--json", "--control", path, "dns")
	if code != 0 || errOut != "" {
		t.Fatalf("cost --json: exit %d, stderr %q", code, errOut)
	}
	var got []render.CostView
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("cost --json is not JSON: %v\n%s", err, out)
	}
	if diff := cmp.Diff(views[0].Farm, got[0].Farm); diff != "" {
		t.Errorf("cost --json farm (-sent +printed):\n%s", diff)
	}
	for _, key := range []string{`"farm": {`, `"active": true`, `"self": "192.0.2.11"`, `"peers": [`,
		`"router_id": "192.0.2.12"`, `"load_known": true`, `"state": "drained"`, `"cheapest_set": [`,
		`"order": [`, `"last_move": {`} {
		if !strings.Contains(out, key) {
			t.Errorf("cost --json lacks %s", key)
		}
	}
}

// TestWhatIfPeers: what-if takes the farm's peers; here the only other
// server of the cheapest tier is overloaded too, so the farm holds dns in
// tier 0 and says why.
func TestWhatIfPeers(t *testing.T) {
	code, out, errOut := runCLI("cost", "what-if", "-c", costConfig, "-s", "dns", "--set", "rqueue=0.8",
		"--peer", "192.0.2.12=10,load=0.9", "--peer", "192.0.2.13=20")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	golden(t, "whatif-farm.golden", out)
	if !strings.Contains(out, "Result: metric 10 (tier 0)") || !strings.Contains(out, "Last hold by the farm") {
		t.Errorf("the farm does not hold dns in tier 0:\n%s", out)
	}
	// The same without --peer moves up: the farm view made the difference.
	code, out, _ = runCLI("cost", "what-if", "-c", costConfig, "-s", "dns", "--set", "rqueue=0.8")
	if code != 0 || !strings.Contains(out, "Result: metric 20 (tier 1)") || strings.Contains(out, "Farm view") {
		t.Errorf("without --peer: exit %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--peer", "192.0.2.11=10"}, "anycostd: --peer 192.0.2.11: that is this server's router_id in ../../testdata/cost.toml\n"},
		{[]string{"--peer", "192.0.2.12=10,load=9"}, "anycostd: --peer peer 192.0.2.12: load=9: want a number in 0..2\n"},
		{[]string{"--peer", "load=0.5"}, "anycostd: --peer \"load=0.5\": a peer starts with its router ID (" + costmodel.WhatIfPeerSyntax + ")\n"},
	} {
		code, _, errOut := runCLI(append([]string{"cost", "what-if", "-c", costConfig, "-s", "dns"}, tc.args...)...)
		if code != exitUsage || errOut != tc.want {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestWhatIfAgent: what-if takes a router agent that weighs the service's
// prefix; the load that moves dns to tier 1 without it (TestWhatIfPeers)
// is held at the base metric, and the output says by what.
func TestWhatIfAgent(t *testing.T) {
	code, out, errOut := runCLI("cost", "what-if", "-c", costConfig, "-s", "dns", "--set", "rqueue=0.8", "--agent", "192.0.2.100")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"Result: metric 10 (tier 0)",
		"held: router agent 192.0.2.100 weighs 2001:db8:53::53/128 (load 0.800 >= tier[0].up 0.6)",
		"Router agent 192.0.2.100 weighs 2001:db8:53::53/128"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	for _, bad := range []string{"192.0.2.11", "agent"} {
		code, _, errOut := runCLI("cost", "what-if", "-c", costConfig, "-s", "dns", "--agent", bad)
		if code != exitUsage || !strings.Contains(errOut, "--agent") {
			t.Errorf("--agent %s: exit %d, stderr %q", bad, code, errOut)
		}
	}
}
