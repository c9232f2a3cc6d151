package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// balanceSim runs the discrete-event simulator (cmd/anycost-sim, which
// drives the real costmodel code) and keeps its table for the report.
func (b *bench) balanceSim() {
	args := []string{"run", "./cmd/anycost-sim"}
	if b.cfg.quick {
		args = append(args, "-quick")
	}
	b.simCmd = "go " + strings.Join(args, " ")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCommand(), args...)
	cmd.Dir = moduleRoot()
	out, err := cmd.CombinedOutput()
	b.sim = string(out)
	if err != nil {
		b.note("balance", "%s failed: %v", b.simCmd, err)
	}
	b.logf("balance: %s done", b.simCmd)
}

// goCommand finds the go tool (root's PATH may lack it).
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// moduleRoot is the folder of the module's go.mod.
func moduleRoot() string {
	out, err := exec.Command(goCommand(), "env", "GOMOD").Output()
	if err != nil {
		return "."
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// balanceQuotas are the CPU caps (% of one core) of the three NSDs of the
// heterogeneous lab farm: -balance-caps, or these scaled to the machine
// (balanceCapacities).
var balanceQuotas = slices.Clone(balanceBaseQuotas)

// balanceBaseQuotas are the caps' ratio, scaled to the machine.
var balanceBaseQuotas = []float64{1, 1, 2}

// balanceCapsGiven is set when -balance-caps gave the caps (no scaling).
var balanceCapsGiven bool

// balanceLab measures row 6's lab part: three NSDs of different capacity
// (CPU-capped with cgroups), offered 70% and 90% of their summed capacity
// through the router; anycostd's cost model (socket monitor + three tiers)
// against static equal metrics (what plain OSPF gives: it has no weights).
func (b *bench) balanceLab(r *row) {
	b.r = r
	withAgent := slices.ContainsFunc(b.cfg.balanceConfigs, func(k string) bool { return balanceConfigByKey(k).agent })
	f := newFarm(r, farmOptions{servers: 3, dns: true, noDAD: true, agent: withAgent})
	caps := b.balanceCapacities(f)
	total := 0
	for _, c := range caps {
		total += c
	}
	dur := 30 * time.Second
	b.balanceTogether(f, caps, dur)
	var configs []balanceConfig
	for _, k := range b.cfg.balanceConfigs {
		configs = append(configs, balanceConfigByKey(k))
	}
	for run := 1; run <= b.cfg.balanceRuns; run++ {
		for _, load := range b.cfg.balanceLoads {
			offered := total * load / 100
			for _, c := range configs {
				alt := fmt.Sprintf("%s@%d%%", c.key, load)
				b.balanceRun(f, run, alt, c, offered, dur, caps)
			}
		}
	}
}

// balanceConfig is one config of the balance row's lab part: the
// service block of server i (caps: the servers' measured capacities, in
// qps) and whether the router agent runs on the router.
type balanceConfig struct {
	key, label string
	svc        func(i int, caps []int) string
	agent      bool
	// agentRouter are extra lines of the agent's [router] table.
	agentRouter string
	// rate: the servers' load figure is their query rate over their
	// capacity (lab.UDPCounter, [service.external] full_rate; its drops
	// included), the congestion terms weighed 0, instead of the CPU
	// input; ospf are
	// extra lines of their [ospf] table.
	rate bool
	ospf string
}

// balanceConfigs are the lab part's configs, in the order a run's cells
// run them. anycostd's: each server's capacity is what it answered
// alone, in qps, so that the farm view (every server's server load LSA)
// and the router agent weigh them right.
var balanceConfigs = []balanceConfig{
	{"static-equal", "static equal metrics (plain OSPF)", func(int, []int) string { return staticServiceTOML(10) }, false, "", false, ""},
	{"anycostd", "anycostd, farm view", anycostdBalanceTOML, false, "", false, ""},
	// The socket monitor alone: no probe to withdraw an overloaded
	// server as dead.
	{"anycostd-socket", "anycostd, farm view, socket monitor only", func(i int, caps []int) string {
		return withCapacity(socketServiceTOML(lab.TiersTOML), float64(caps[i]))
	}, false, "", false, ""},
	// anycostd's config as it is, and the router agent (zebra backend)
	// splitting the traffic by weight among the servers at the cheapest
	// tier (issue 13).
	{"anycostd-agent", "anycostd, farm view + router agent", anycostdBalanceTOML, true, "", false, ""},
	// The same with the agent's load correction off (min_factor =
	// max_factor = 1): the tiers stay for the farm's fallback when the
	// agent goes (held at the base metric while it weighs the prefix,
	// docs/router-agent.md "Tiers under the agent"), the weights at the
	// declared capacities.
	{"anycostd-agent-measured", "anycostd, farm view + router agent, weights at capacity", anycostdBalanceTOML, true,
		"min_factor = 1.0\nmax_factor = 1.0\n", false, ""},
	// A static metric, no tiers, with the agent (an option the docs
	// keep); the monitors only report the load.
	{"anycostd-agent-static", "anycostd, static metric + router agent", staticAgentTOML, true, "", false, ""},
	// The same with the agent's load correction off (min_factor =
	// max_factor = 1): the weights stay at the declared capacities, the
	// split an operator gets who measured them.
	{"anycostd-agent-capacity", "anycostd, static metric + router agent, weights at capacity", staticAgentTOML, true,
		"min_factor = 1.0\nmax_factor = 1.0\n", false, ""},
	// A static metric with the agent, the load figure each server's
	// query rate over its capacity: an exact utilisation, so the loop
	// corrects what weights at capacity leave (the router's hash places
	// whole flows) with a narrow dead band, and the load LSA carries
	// steps of 0.01 (docs/router-agent.md, "An exact load figure").
	{"anycostd-agent-rate", "anycostd, static metric + router agent, weights from query rates", staticAgentTOML, true,
		"dead_band = 0.02\nconfirm = 2\n", true, "load_step = 0.01\n"},
}

// staticAgentTOML is the service of the agent's static-metric configs:
// the socket monitor and a DNS probe, metric 10, no tiers, the server's
// measured capacity.
func staticAgentTOML(i int, caps []int) string {
	return serviceWithCapacity(dnsServiceTOML(10, time.Second), float64(caps[i]))
}

// nsdGroup is the name of the lab's cgroup that caps server s's NSD.
func nsdGroup(s *server) string { return "nsd-" + s.h.Name() }

// service is the service block of server i in config c. With
// the router agent, the service also has the CPU input on its NSD's
// cgroup (cgroup, under root): the agent's loop equalises the servers'
// load figures, and below saturation only the CPU term says how busy a
// server is (docs/router-agent.md, "Weights"). A rate config has the
// the server's UDP datagram counter (lab.UDPCounter) over its capacity
// instead.
func (c balanceConfig) service(i int, caps []int, cgroup, root string) string {
	svc := c.svc(i, caps)
	switch {
	case c.rate:
		svc += fmt.Sprintf("\n[service.external]\ncommand = %q\nfull_rate = %d\n\n[service.load]\nrqueue = 0\ndrops = 0\nlatency = 0\n",
			lab.UDPCounter, caps[i])
	case c.agent:
		svc += fmt.Sprintf("\n[service.cpu]\ncgroup = %q\ncgroup_root = %q\n", cgroup, root)
	}
	return svc
}

// balanceConfigKeys are the keys of balanceConfigs (-balance-configs).
var balanceConfigKeys = func() []string {
	var ks []string
	for _, c := range balanceConfigs {
		ks = append(ks, c.key)
	}
	return ks
}()

// balanceConfigByKey returns the config of key (parseList has checked
// it).
func balanceConfigByKey(key string) balanceConfig {
	i := slices.IndexFunc(balanceConfigs, func(c balanceConfig) bool { return c.key == key })
	return balanceConfigs[i]
}

// anycostdBalanceTOML is anycostd's service in the balance row: the
// socket monitor, a DNS probe and the three tiers, with the server's
// measured capacity and the farm view's rules.
func anycostdBalanceTOML(i int, caps []int) string {
	return withCapacity(dnsServiceTOML(10, time.Second, lab.TiersTOML), float64(caps[i]))
}

// socketServiceTOML is the DNS service watched by the socket monitor
// only, with the given tiers.
func socketServiceTOML(tiers string) string {
	return fmt.Sprintf("[[service]]\nname = \"dns\"\nprefix = %q\nmetric = 10\ndrain_time = \"1s\"\n\n[service.socket]\nport = 53\ninterval = \"100ms\"\n%s",
		lab.Anycast, tiers)
}

// withCapacity adds capacity and farm_rules (the farm-aware model) to a
// [[service]] block, before its first sub-table.
func withCapacity(svc string, capacity float64) string {
	return serviceWithCapacity(svc, capacity, "farm_rules = true")
}

// serviceWithCapacity adds capacity and the given lines to a [[service]]
// block, after its metric (10).
func serviceWithCapacity(svc string, capacity float64, lines ...string) string {
	add := fmt.Sprintf("capacity = %g\n", capacity)
	for _, l := range lines {
		add += l + "\n"
	}
	return strings.Replace(svc, "metric = 10\n", "metric = 10\n"+add, 1)
}

// balanceRun is one run of one cell of the balance row: every server
// runs anycostd with the config's service block (and the router the
// agent, when the config has it), dnsperf offers offered qps through
// the router for dur.
func (b *bench) balanceRun(f *farm, run int, alt string, c balanceConfig, offered int, dur time.Duration, caps []int) {
	ctx := context.Background()
	defer func(extra string) { f.ospfExtra = extra }(f.ospfExtra)
	f.ospfExtra += c.ospf
	for i, s := range f.servers {
		s.writeConfig(s.anycostdTOML(c.service(i, caps, f.l.CPUGroup(nsdGroup(s)), lab.HostCgroupRoot())))
		s.startAnycostd()
	}
	f.waitFIB(60*time.Second, alt+": 3-way ECMP", exactly(f.servers...))
	if c.agent {
		f.agent.Router = c.agentRouter
		took := f.startAgent(60 * time.Second)
		b.logf("balance: %s run %d: the agent's route over the three servers %v after its start", alt, run, took.Round(time.Millisecond))
	}
	time.Sleep(b.cfg.settle)
	var before []uint64
	for _, s := range f.servers {
		n, _ := s.h.RxPackets("eth0")
		before = append(before, n)
	}
	// Up to a second of the offered rate in flight (the timeout): with
	// dnsperf's default cap of 2000, an overloaded farm's long queues
	// held the sender back (2000 in flight at 150-180 ms is 11-13k qps),
	// so that it offered less than asked and nothing was lost.
	r, err := f.client.DNSPerf(ctx, lab.PerfOptions{Server: lab.Anycast.Addr(), Duration: dur, QPS: offered, Clients: b.cfg.balanceClients,
		Timeout: time.Second, Outstanding: max(2000, offered)})
	if err != nil {
		f.r.failf("balance %s run %d: %v", alt, run, err)
	}
	answered := 100 * float64(r.Completed) / float64(max(1, r.Sent))
	b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "answered_pct", Value: answered, Unit: "%",
		Note: fmt.Sprintf("offered %d qps for %v, sent %.0f qps", offered, dur, float64(r.Sent)/dur.Seconds())})
	b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "avg_latency_ms", Value: float64(r.AvgLatency.Microseconds()) / 1000, Unit: "ms"})
	recv := make([]float64, len(f.servers))
	for i, s := range f.servers {
		n, _ := s.h.RxPackets("eth0")
		recv[i] = float64(n - before[i])
	}
	sh := shareOfQueries(recv, caps)
	var shares []string
	for i, s := range f.servers {
		util := recv[i] / dur.Seconds() / float64(max(1, caps[i]))
		b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "utilisation", Value: util, Unit: "received/capacity",
			Note: s.h.Name() + ": packets received on eth0 per second over its capacity"})
		b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "share_pct", Value: 100 * sh.share[i], Unit: "%",
			Note: fmt.Sprintf("%s: its packets received on eth0 of the three's; its capacity share %.1f%%", s.h.Name(), 100*sh.capShare[i])})
		b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "share_ratio", Value: sh.ratio[i], Unit: "share/capacity share",
			Note: s.h.Name()})
		shares = append(shares, fmt.Sprintf("%s %.2f (share %.1f%% for %.1f%% of the capacity)", s.h.Name(), util, 100*sh.share[i], 100*sh.capShare[i]))
	}
	var changes []string
	for _, s := range f.servers {
		changes = append(changes, s.h.Name()+" "+metricChanges(s))
	}
	b.logf("balance: %s run %d: answered %.2f%%, avg latency %v, utilisation %s; metric changes %s", alt, run, answered, r.AvgLatency,
		strings.Join(shares, ", "), strings.Join(changes, ", "))
	if c.agent {
		b.agentWeights(f, run, alt)
		f.stopAgent()
	}
	for _, s := range f.servers {
		s.stopAnycostd()
	}
	f.waitFIB(30*time.Second, "route gone", exactly())
}

// agentWeights records the agent's weights at the end of a balance run,
// one sample per server in the farm's order (0: not in the agent's
// route), and logs why each last changed.
func (b *bench) agentWeights(f *farm, run int, alt string) {
	hops, err := f.agentHops()
	if err != nil {
		b.note("balance", "%s run %d: the agent's weights could not be read: %v", alt, run, err)
		return
	}
	var parts []string
	for _, s := range f.servers {
		w, note := 0, s.h.Name()+": not in the agent's route"
		for _, h := range hops {
			if f.serverAt(h.NextHop) == s {
				w = h.Weight
				note = fmt.Sprintf("%s: capacity %g, load %.3f, share %.3f; %s", s.h.Name(), h.Capacity, h.Load, h.Share, h.Why)
			}
		}
		b.res.add(sample{Row: "balance", Alt: alt, Trial: run, Metric: "agent_weight", Value: float64(w), Unit: "weight", Note: note})
		parts = append(parts, fmt.Sprintf("%d (%s)", w, note))
	}
	b.logf("balance: %s run %d: the agent's weights at the end: %s", alt, run, strings.Join(parts, "; "))
}

// shares are each server's share of the queries a run sent the farm, its
// share of the farm's capacity and the ratio of the two (1: exactly its
// capacity share).
type shares struct {
	share, capShare, ratio []float64
}

// shareOfQueries computes the shares from what each server received in
// a run and its capacity (NaN ratios when nothing was received).
func shareOfQueries(recv []float64, caps []int) shares {
	var total, capTotal float64
	for i := range recv {
		total += recv[i]
		capTotal += float64(caps[i])
	}
	sh := shares{make([]float64, len(recv)), make([]float64, len(recv)), make([]float64, len(recv))}
	for i := range recv {
		sh.share[i] = recv[i] / total
		sh.capShare[i] = float64(caps[i]) / capTotal
		sh.ratio[i] = sh.share[i] / sh.capShare[i]
	}
	return sh
}

// metricChanges says how many changes the server's cost model made to its
// advertisement so far and whether its farm view shaped the tier moves,
// from `anycostd cost --json`.
func metricChanges(s *server) string {
	out, err := s.cli("cost", "--json", "dns")
	if err != nil {
		return fmt.Sprintf("(cost: %v)", err)
	}
	var views []struct {
		Changes int `json:"changes"`
		Farm    *struct {
			Active bool   `json:"active"`
			Why    string `json:"why"`
		} `json:"farm"`
	}
	if err := json.Unmarshal(out, &views); err != nil || len(views) != 1 {
		return fmt.Sprintf("(cost --json: %v)", err)
	}
	v := views[0]
	farm := "no farm view"
	if v.Farm != nil {
		farm = "farm view active"
		if !v.Farm.Active {
			farm = "farm view not used: " + v.Farm.Why
		}
	}
	return fmt.Sprintf("%d (%s)", v.Changes, farm)
}
