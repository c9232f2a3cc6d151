package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	acdconfig "github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/lab"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseList(t *testing.T) {
	known := []string{"a", "b", "c"}
	got, err := parseList(" b, a,,b ", known)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b", "a"}, got); diff != "" {
		t.Errorf("parseList: in the given order, once each (-want +got):\n%s", diff)
	}
	if _, err := parseList("a,d", known); err == nil || !strings.Contains(err.Error(), `"d"`) {
		t.Errorf("parseList with an unknown name: %v, want an error naming it", err)
	}
	// -balance-configs knows the agent's configs; a default run has the
	// tiers with the agent and the rate config (issue 13), a quick one
	// the rate config alone.
	for _, k := range []string{"anycostd-agent", "anycostd-agent-static", "anycostd-agent-rate"} {
		if _, err := parseList(k, balanceConfigKeys); err != nil {
			t.Errorf("-balance-configs %s: %v", k, err)
		}
		if !balanceConfigByKey(k).agent {
			t.Errorf("%s does not run the agent", k)
		}
	}
	for _, tc := range []struct {
		c    config
		want []string
	}{
		{fullConfig(), []string{"static-equal", "anycostd", "anycostd-agent", "anycostd-agent-rate"}},
		{quickConfig(), []string{"static-equal", "anycostd", "anycostd-agent-rate"}},
	} {
		if !slices.Equal(tc.c.balanceConfigs, tc.want) {
			t.Errorf("default balance configs %v, want %v", tc.c.balanceConfigs, tc.want)
		}
	}
	m, err := parseParts("agent", []string{"ecmp", "agent"})
	if err != nil || !m["agent"] || m["ecmp"] {
		t.Errorf("parseParts(agent) = %v, %v", m, err)
	}
}

// The agent's failover cell runs only when -alts names it.
func TestAgentFailoverSelected(t *testing.T) {
	defer func(o map[string]bool) { onlyAlts = o }(onlyAlts)
	b := &bench{}
	for _, tt := range []struct {
		alts map[string]bool
		want bool
	}{
		{nil, false},
		{map[string]bool{"anycostd": true}, false},
		{map[string]bool{"anycostd": true, agentAltKey: true}, true},
	} {
		onlyAlts = tt.alts
		if got := b.agentFailover(); got != tt.want {
			t.Errorf("-alts %v: agent cell %v, want %v", tt.alts, got, tt.want)
		}
	}
}

func TestShareOfQueries(t *testing.T) {
	sh := shareOfQueries([]float64{300, 300, 400}, []int{1000, 1000, 2000})
	want := shares{share: []float64{0.3, 0.3, 0.4}, capShare: []float64{0.25, 0.25, 0.5}, ratio: []float64{1.2, 1.2, 0.8}}
	if diff := cmp.Diff(want, sh, cmp.AllowUnexported(shares{}), cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("shareOfQueries (-want +got):\n%s", diff)
	}
	if e := maxShareError(sh.ratio); math.Abs(e-0.2) > 1e-12 {
		t.Errorf("maxShareError = %v, want 0.2", e)
	}
	if e := maxShareError([]float64{1, math.NaN()}); !math.IsNaN(e) {
		t.Errorf("maxShareError with NaN = %v", e)
	}
}

// TestReportAgentFailover writes row 1 with the agent's cell: its table
// line and the goal against the same run's anycostd median, met and not.
func TestReportAgentFailover(t *testing.T) {
	for _, tt := range []struct {
		agent []float64
		want  string
	}{
		{[]float64{50, 54, 60}, "**met**: median 54.0 ms with the agent against 50.0 ms without (+4.0 ms)."},
		{[]float64{50, 56, 60}, "**not met**: median 56.0 ms with the agent against 50.0 ms without (+6.0 ms)."},
	} {
		b := &bench{res: &results{}, notes: map[string][]string{}}
		for i, v := range []float64{40, 50, 70} {
			b.res.add(sample{Row: "failover", Alt: "anycostd", Trial: i + 1, Metric: "kill_to_fib_ms", Value: v})
		}
		for i, v := range tt.agent {
			b.res.add(sample{Row: "failover", Alt: agentAltKey, Trial: i + 1, Metric: "kill_to_fib_ms", Value: v})
		}
		var r strings.Builder
		b.reportFailover(&r)
		rep := r.String()
		for _, want := range []string{
			"| anycostd + router agent | 3 | 50.0 | **" + fmtNum(tt.agent[1]) + "** | 60.0 | 60.0 |",
			"- **anycostd + router agent**:",
			tt.want,
		} {
			if !strings.Contains(rep, want) {
				t.Errorf("the failover section lacks %q:\n%s", want, rep)
			}
		}
	}
	// The agent's cell alone: no goal judged.
	b := &bench{res: &results{}, notes: map[string][]string{}}
	b.res.add(sample{Row: "failover", Alt: agentAltKey, Trial: 1, Metric: "kill_to_fib_ms", Value: 40})
	var ra strings.Builder
	b.reportFailover(&ra)
	if want := "not judged: this run did not measure anycostd alone (run `-alts anycostd,anycostd-agent`)"; !strings.Contains(ra.String(), want) {
		t.Errorf("the failover section with the agent's cell alone lacks %q:\n%s", want, ra.String())
	}
	// Without the agent's cell: no line of it.
	b = &bench{res: &results{}, notes: map[string][]string{}}
	b.res.add(sample{Row: "failover", Alt: "anycostd", Trial: 1, Metric: "kill_to_fib_ms", Value: 40})
	var r strings.Builder
	b.reportFailover(&r)
	if strings.Contains(r.String(), "router agent") {
		t.Errorf("the failover section mentions the agent without its cell:\n%s", r.String())
	}
}

// TestReportBalanceAgent writes section 6 with the agent's config: its
// table line (utilisation, shares, weights) and the goal, run by run.
func TestReportBalanceAgent(t *testing.T) {
	b := &bench{res: &results{}, notes: map[string][]string{}, cfg: config{balanceRuns: 2, balanceLoads: []int{70}, balanceClients: 60}}
	for i, c := range []float64{1000, 1000, 2000} {
		b.res.add(sample{Row: "balance", Alt: "capacity", Trial: i + 1, Metric: "capacity_qps", Value: c})
	}
	cell := func(alt string, run int, answered float64, ratios, weights []float64) {
		b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "answered_pct", Value: answered})
		b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "avg_latency_ms", Value: 1.5})
		for i, x := range ratios {
			b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "utilisation", Value: 0.7 * x})
			b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "share_ratio", Value: x})
			if weights != nil {
				b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "agent_weight", Value: weights[i]})
			}
		}
	}
	cell("static-equal@70%", 1, 95, []float64{1.33, 1.33, 0.67}, nil)
	cell("anycostd@70%", 1, 97, []float64{1.2, 1.2, 0.8}, nil)
	cell("anycostd-agent@70%", 1, 99.5, []float64{1.05, 0.95, 1}, []float64{128, 120, 255})
	cell("static-equal@70%", 2, 95, []float64{1.33, 1.33, 0.67}, nil)
	cell("anycostd@70%", 2, 97, []float64{1.2, 1.2, 0.8}, nil)
	cell("anycostd-agent@70%", 2, 99.5, []float64{1.15, 0.95, 0.95}, []float64{128, 120, 255})
	var r strings.Builder
	b.reportBalance(&r)
	rep := r.String()
	for _, want := range []string{
		"through the router from 60 client sockets (each one flow, which the router's multipath hash places as a whole: a server's share moves in steps of about 1/60; dnsperf opens at most 256 sockets, so above that several dnsperf processes share the rate), 2 runs per cell",
		"| anycostd, farm view + router agent | 70% | 1 | 99.50% | 1.50 | 0.73 / 0.66 / 0.70 | 1.05 / 0.95 / 1.00 | 128 / 120 / 255 |",
		"| static equal metrics (plain OSPF) | 70% | 1 | 95.00% | 1.50 | 0.93 / 0.93 / 0.47 | 1.33 / 1.33 / 0.67 | - |",
		"- anycostd-agent at 70%: **not met**; run 1: 99.50% (static 95.00%, anycostd 97.00%), largest share error 5.00%; run 2: 99.50% (static 95.00%, anycostd 97.00%), largest share error 15.0%.",
	} {
		if !strings.Contains(rep, want) {
			t.Errorf("the balance section lacks %q:\n%s", want, rep)
		}
	}
	if strings.Contains(rep, "anycostd-agent-static at") {
		t.Errorf("a goal line for a config that did not run:\n%s", rep)
	}
}

// TestReportScaleAgent writes the agent's part of the scale row and its
// goal (30 MiB with 64 servers).
func TestReportScaleAgent(t *testing.T) {
	for _, tt := range []struct {
		n    int
		peak float64
		want string
	}{
		{64, 25000, "**met**: its peak was 25000 KiB."},
		{64, 31000, "**not met**: its peak was 31000 KiB."},
		{16, 20000, "not judged: this run had 16 servers (peak 20000 KiB)."},
	} {
		b := &bench{res: &results{}, notes: map[string][]string{}, cfg: config{scaleServers: []int{tt.n}}}
		alt := "agent-x" + map[int]string{64: "64", 16: "16"}[tt.n]
		b.res.add(sample{Row: "scale", Alt: alt, Trial: 1, Metric: "start_to_route_ms", Value: 1500})
		b.res.add(sample{Row: "scale", Alt: alt, Trial: 1, Metric: "rss_kib", Value: 20000})
		b.res.add(sample{Row: "scale", Alt: alt, Trial: 1, Metric: "rss_peak_kib", Value: tt.peak})
		b.res.add(sample{Row: "scale", Alt: alt, Trial: 1, Metric: "rss_plus_10s_kib", Value: 19000})
		var r strings.Builder
		b.reportScale(&r, map[string]bool{"scale": true})
		rep := r.String()
		for _, want := range []string{
			"### The router agent with " + map[int]string{64: "64", 16: "16"}[tt.n] + " servers",
			"| agent RSS (KiB) | 1 | 20000 | **20000** | 20000 |",
			tt.want,
		} {
			if !strings.Contains(rep, want) {
				t.Errorf("the scale section lacks %q:\n%s", want, rep)
			}
		}
	}
	// No agent part: no agent section.
	b := &bench{res: &results{}, notes: map[string][]string{}, cfg: config{scaleServers: []int{64}}}
	var r strings.Builder
	b.reportScale(&r, map[string]bool{"scale": true})
	if strings.Contains(r.String(), "router agent") {
		t.Errorf("the scale section has the agent without its part:\n%s", r.String())
	}
}

// TestBalanceConfigsParse checks that every balance config's server
// configuration is valid for anycostd (config.Parse, as `anycostd check`
// reads it) with the capacity the row measured, that the agent's static
// configs have no tiers, that only the agent's configs have the CPU
// input, on the server's NSD cgroup, and that the rate config has the
// query counter over the capacity instead, the congestion terms out.
func TestBalanceConfigsParse(t *testing.T) {
	caps := []int{310, 290, 640}
	for _, c := range balanceConfigs {
		for i := range caps {
			s := &server{f: &farm{}, rid: "192.0.2.11", ctl: "/run/anycostd/s1.sock"}
			toml := s.anycostdTOML(c.service(i, caps, fmt.Sprintf("acd1234-nsd-s%d", i+1), "/proc/1/root/sys/fs/cgroup"))
			cfg, err := acdconfig.Parse(c.key+".toml", []byte(toml))
			if err != nil {
				t.Errorf("%s, server %d: %v\n%s", c.key, i+1, err, toml)
				continue
			}
			if len(cfg.Services) != 1 {
				t.Fatalf("%s: %d services", c.key, len(cfg.Services))
			}
			svc := cfg.Services[0]
			if c.key != "static-equal" && svc.Capacity != float64(caps[i]) {
				t.Errorf("%s, server %d: capacity %v, want %d", c.key, i+1, svc.Capacity, caps[i])
			}
			if (c.key == "anycostd-agent-static" || c.key == "anycostd-agent-capacity" || c.key == "anycostd-agent-rate") && len(svc.Tiers) != 0 {
				t.Errorf("%s: %d tiers, want none", c.key, len(svc.Tiers))
			}
			// The agent's configs read the NSD's CPU (the agent
			// equalises utilisation); the others have no CPU input.
			wantCPU := &acdconfig.CPU{Cgroup: fmt.Sprintf("acd1234-nsd-s%d", i+1), CgroupRoot: "/proc/1/root/sys/fs/cgroup", Interval: time.Second}
			if !c.agent || c.rate {
				wantCPU = nil
			}
			if diff := cmp.Diff(wantCPU, svc.CPU); diff != "" {
				t.Errorf("%s, server %d: cpu input (-want +got):\n%s", c.key, i+1, diff)
			}
			var wantExt *acdconfig.External
			var wantLoad *costmodel.Weights
			if c.rate {
				wantExt = &acdconfig.External{Command: []string{"/bin/sh", "-c", lab.UDPCounter}, FullRate: float64(caps[i]), Interval: time.Second, Timeout: time.Second}
				wantLoad = &costmodel.Weights{External: 1, CPU: 1}
			}
			if diff := cmp.Diff(wantExt, svc.External); diff != "" {
				t.Errorf("%s, server %d: external input (-want +got):\n%s", c.key, i+1, diff)
			}
			if diff := cmp.Diff(wantLoad, svc.LoadWeights); diff != "" {
				t.Errorf("%s, server %d: load weights (-want +got):\n%s", c.key, i+1, diff)
			}
			if c.key == "anycostd-agent" && (len(svc.Tiers) != 3 || !svc.FarmRules) {
				t.Errorf("%s: %d tiers, farm rules %v: want anycostd's config", c.key, len(svc.Tiers), svc.FarmRules)
			}
		}
	}
}
