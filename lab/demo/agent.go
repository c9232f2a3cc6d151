package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// The router agent variant (-agent, `make demo-agent`): the farm of
// lab.OpenAgentFarm (docs/router-agent.md: the agent's host on a link of
// its own to r1's ospf6d, zebra on r1), three NSDs of different capacity
// (CPU-capped with cgroups, lab.(*Lab).LimitCPU), each server running
// anycostd with the quick start's tiers and its capacity. First OSPF alone
// splits the queries equally (ECMP); then `anycostd router` (zebra
// backend, the real binary) starts and its weighted route takes over, the
// shares moving to the capacities; then it stops and OSPF's route is back.

// agentQPS is the agent demo's offered load until agentRate has sized
// it to the machine: about half the three NSDs' summed capacity on the
// Xeon the demo was first run on (lab/bench measured about 2600 q/s per
// 1% of a core there).
const agentQPS = 4500

// globalAddr is s's global address on its farm link (eth0).
func globalAddr(ctx context.Context, s *lab.Server) (netip.Addr, error) {
	out, err := s.Run(ctx, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "global")
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s's address: %w", s.Name(), err)
	}
	f := strings.Fields(string(out))
	if i := slices.Index(f, "inet6"); i >= 0 && i+1 < len(f) {
		if p, err := netip.ParsePrefix(f[i+1]); err == nil {
			return p.Addr(), nil
		}
	}
	return netip.Addr{}, fmt.Errorf("%s: no global address on eth0: %q", s.Name(), out)
}

// agentRate sizes the offered load to this machine unless -qps gave it:
// half the farm's capacity, estimated from what s1's NSD, under its cap,
// answers in a closed loop of 20 queries for 3 s (dnsperf on the client,
// through r1, to s1's own address: the path the demo's queries take; from
// inside s1's namespace to [::1] the same NSD answered twice as many,
// 2081 q/s, and the estimate overloaded the farm), scaled by the caps. Half: with the weights at the
// capacities no server is past half its capacity, while OSPF's equal
// thirds give the smallest server (0.5 of 3.5) a third of half the farm,
// more than it answers. The same NSD under the same 1% cap answered 3558
// q/s on one machine of this lab's kind and about 900-1000 on another
// (BENCHMARKS.md section 6), where a fixed 4500 q/s lost a third of the
// queries in every step (docs/demo.md).
func (d *demo) agentRate(ctx context.Context, a *lab.AgentFarm, caps []float64) error {
	if !d.opt.qpsAuto {
		return nil
	}
	addr, err := globalAddr(ctx, a.Servers[0])
	if err != nil {
		return err
	}
	r, err := a.Client.DNSPerf(ctx, lab.PerfOptions{Server: addr, Duration: 3 * time.Second,
		Clients: 20, Outstanding: 20, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("measuring s1's NSD: %w", err)
	}
	sum := 0.0
	for _, c := range caps {
		sum += c
	}
	farm := r.QPS * sum / caps[0]
	d.opt.qps = max(100, 100*int(math.Round(farm/2/100)))
	d.scr.say(line{{fmt.Sprintf("s1's NSD answered %.0f q/s in a closed loop at %g%% of a core: the farm takes about %.0f q/s; dnsperf will offer half, %d q/s (-qps sets it).",
		r.QPS, caps[0], farm, d.opt.qps), dim}}, 2)
	return nil
}

// agentCPUDefault are the three NSDs' CPU caps in percent of one core
// (-agent-cpu); each server's `capacity` is the same number.
const agentCPUDefault = "1,2,0.5"

// parseCPUs parses -agent-cpu: three shares of one CPU in percent, each
// within 0.1..100.
func parseCPUs(s string) ([]float64, error) {
	var cpus []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v < 0.1 || v > 100 {
			return nil, fmt.Errorf("-agent-cpu: %q is not a share of one CPU between 0.1 and 100 (percent)", f)
		}
		cpus = append(cpus, v)
	}
	if len(cpus) != 3 {
		return nil, fmt.Errorf("-agent-cpu: %d values, want one per server (3)", len(cpus))
	}
	return cpus, nil
}

// capShares are each server's share of the farm's summed capacity.
func capShares(caps []float64) []float64 {
	sum := 0.0
	for _, c := range caps {
		sum += c
	}
	shares := make([]float64, len(caps))
	for i, c := range caps {
		shares[i] = c / sum
	}
	return shares
}

// agentServerTOML is a server's service in the agent demo: the lab's
// DNS service (socket monitor, DNS probe) with the quick start's three
// tiers and the given capacity.
func agentServerTOML(capacity float64, tiers bool) string {
	if !tiers {
		return lab.AgentServiceTOML(2*time.Second, capacity)
	}
	return lab.AgentServiceTOML(2*time.Second, capacity, lab.TiersTOML)
}

// setupAgent builds the agent farm, caps the NSDs, starts anycostd on
// every server with its capacity and waits until r1's OSPF route spreads
// the anycast /128 over all three.
func (d *demo) setupAgent(ctx context.Context) error {
	caps := d.opt.caps
	var shares []string
	for i, s := range capShares(caps) {
		shares = append(shares, fmt.Sprintf("s%d %g (%.0f%%)", i+1, caps[i], 100*s))
	}
	d.scr.say(line{{"anycostd demo, router agent", boldCy}, {": an FRR router (r1: zebra and ospf6d), three DNS servers s1, s2, s3 of different capacity (NSD + anycostd), a client with dnsperf behind r1, and a host for the router agent (`anycostd router`) on a link of its own to r1's ospf6d (docs/router-agent.md), each in its own network namespace.", plain}}, 2)
	d.scr.say(line{{"building anycostd and the lab...", dim}}, 0)
	t0 := time.Now()
	var err error
	if d.bin, err = lab.Build(); err != nil {
		return err
	}
	a, err := lab.OpenAgentFarm(&d.log, len(caps))
	if err != nil {
		return err
	}
	if !d.opt.agentLoads {
		a.Agent.Router = "min_factor = 1\nmax_factor = 1\n"
	}
	d.agent, d.farm, d.lab, d.client, d.servers, d.labName = a, a.DNSFarm, a.Lab, a.Client, a.Servers, a.Lab.Name()
	for i, s := range a.Servers {
		if err := a.Lab.LimitCPU("nsd-"+s.Name(), caps[i], a.NSD[i].Pids()...); err != nil {
			return err
		}
		if err := s.TryWriteConfig(s.TOML(agentServerTOML(caps[i], d.opt.agentTiers))); err != nil {
			return err
		}
		if _, err := s.TryStart(); err != nil {
			return err
		}
		d.rec.names = append(d.rec.names, s.Name())
	}
	if err := d.agentRate(ctx, a, caps); err != nil {
		return err
	}
	d.scr.say(line{{fmt.Sprintf("lab %s up in %.1f s. Each NSD may use a share of one CPU (a cgroup): s1 %g%%, s2 %g%%, s3 %g%%; each server's anycostd has the quick start's three tiers and `capacity` set to that share: %s of the farm. Daemon logs go to %s.",
		d.labName, time.Since(t0).Seconds(), caps[0], caps[1], caps[2], strings.Join(shares, ", "), a.Lab.Dir()), dim}}, 2)

	t1 := time.Now()
	err = d.poll(ctx, 60*time.Second, func() (bool, error) {
		hops, proto, _, err := lab.ZebraWeights(a.Router, lab.Anycast)
		return proto == "ospf6" && len(hops) == len(caps), err
	})
	if err != nil {
		return fmt.Errorf("r1's OSPF route over the three servers: %w", err)
	}
	d.scr.say(line{{fmt.Sprintf("r1's OSPF route for %s has the three servers after %.1f s. No agent runs yet.",
		lab.Anycast, time.Since(t1).Seconds()), dim}}, 2)
	d.scr.say(line{}, 0)

	d.rec.setStart(time.Now())
	d.smp = newSampler(a.Servers, d.agentRoutes, d.rec, d.refresh)
	d.smp.start()
	return nil
}

// agentRoutes reads zebra's selected route for the anycast /128 (its
// protocol and each server's weight) and, while the agent answers, why
// it gave each server its weight.
func (d *demo) agentRoutes(smp *sample) {
	servers := d.servers
	if hops, proto, _, err := lab.ZebraWeights(d.agent.Router, lab.Anycast); err == nil {
		smp.ZebraOK, smp.Proto, smp.Weights = true, proto, make([]int, len(servers))
		for _, h := range hops {
			// OSPF's next hops carry no weight: 1 each.
			if i := d.serverAt(h.Addr); i >= 0 {
				smp.Weights[i] = max(h.Weight, 1)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
	defer cancel()
	st, err := d.agent.Agent.Status(ctx)
	if err != nil {
		return
	}
	for _, p := range st.Agent.Prefixes {
		if p.Prefix != lab.Anycast {
			continue
		}
		for _, h := range p.Nexthops {
			if i := serverOf(servers, h.NextHop); i >= 0 && i < len(smp.Servers) {
				smp.Servers[i].Why = fmt.Sprintf("weight %d: %s", h.Weight, h.Why)
			}
		}
		for _, x := range p.Excluded {
			if i := slices.IndexFunc(servers, func(s *lab.Server) bool { return s.RouterID == x.Server }); i >= 0 && i < len(smp.Servers) {
				smp.Servers[i].Why = "left out: " + x.Why
			}
		}
	}
}

// agentScript is the agent demo's scenes (about 75 s).
func (d *demo) agentScript() []step {
	shares := capShares(d.opt.caps)
	var want []string
	for i, s := range shares {
		want = append(want, fmt.Sprintf("s%d %.0f%%", i+1, 100*s))
	}
	weightsText := "The weights are the capacities (the demo's agent has min_factor and max_factor 1: no load correction)"
	if d.opt.agentLoads {
		weightsText = "The weights start from the capacities and then follow the servers' loads"
	}
	return []step{
		{
			title: "OSPF alone",
			detail: fmt.Sprintf("dnsperf sends %d queries/s to %s. r1's OSPF route gives each server advertising the cheapest metric an equal share (ECMP): a third each, whatever its capacity. s3, with %.0f%% of the farm's capacity, gets more than it answers. anycostd can only take all of its traffic away (a withdrawal while its DNS probe times out, or with -agent-tiers a dearer tier) and give it all back later.",
				d.opt.qps, lab.Anycast.Addr(), 100*shares[2]),
			short: "OSPF alone (ECMP)", dur: 25 * time.Second,
		},
		{
			title: "start the agent",
			detail: fmt.Sprintf("`anycostd router` starts on the agent's host. It learns each server's capacity and load from their server load LSAs (through r1's ospf6d) and gives zebra a route with weighted next hops at distance 100, below OSPF's 110: zebra prefers it. %s; the shares move toward %s.",
				weightsText, strings.Join(want, ", ")),
			short: "the agent takes over", dur: 35 * time.Second,
			act: func(context.Context) error {
				_, err := d.agent.Agent.TryStart(lab.Anycast)
				return err
			},
			follow: func(ctx context.Context, since time.Time) {
				if d.zebraSelects("sharp", "the agent started", "the agent's weighted route")(ctx, since) {
					d.agentView(ctx, 12*time.Second)
				}
			},
		},
		{
			title:  "stop the agent",
			detail: "SIGTERM to `anycostd router`: it removes its route; zebra selects OSPF's ECMP route again at once, with no router configuration to change. Each server gets a third again.",
			short:  "the agent stopped", dur: 15 * time.Second,
			act: func(context.Context) error {
				p := d.agent.Agent.Proc
				if p == nil {
					return errors.New("no agent runs")
				}
				if err := p.Signal(syscall.SIGTERM); err != nil {
					return err
				}
				go func() {
					if err := p.WaitTimeout(10 * time.Second); errors.Is(err, lab.ErrTimeout) {
						p.Kill()
					}
				}()
				return nil
			},
			follow: func(ctx context.Context, since time.Time) {
				d.zebraSelects("ospf6", "the SIGTERM", "OSPF's ECMP route")(ctx, since)
			},
		},
	}
}

// zebraSelects returns a step's follow: it waits until zebra's selected
// route for the anycast /128 is of protocol proto, says how long that
// took after the action and its next hops, and reports whether it came
// within the step.
func (d *demo) zebraSelects(proto, after, what string) func(context.Context, time.Time) bool {
	return func(ctx context.Context, since time.Time) bool {
		var hops []lab.WeightedHop
		err := d.poll(ctx, time.Until(deadlineOf(ctx)), func() (bool, error) {
			var p string
			var err error
			hops, p, _, err = lab.ZebraWeights(d.agent.Router, lab.Anycast)
			return err == nil && p == proto, err
		})
		if err != nil {
			if ctx.Err() == nil || deadlineOf(ctx).Before(time.Now()) {
				d.scr.say(line{{clock(d.rec.since()) + "      ", dim}, {fmt.Sprintf("zebra did not select %s within the step", what), red}}, 6)
			}
			return false
		}
		d.scr.say(line{{clock(d.rec.since()) + "      ", dim}, {fmt.Sprintf("zebra selects %s %.1f s after %s: %s.",
			what, time.Since(since).Seconds(), after, d.weightText(hops)), green}}, 6)
		return true
	}
}

// agentView prints, after wait, what an operator would look at: `anycostd
// router status` on the agent's host (every weight and why) and r1's
// kernel route for the anycast /128 (the weights zebra installed).
func (d *demo) agentView(ctx context.Context, wait time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(wait):
	}
	ag := d.agent.Agent
	var ids []string
	for _, s := range d.servers {
		ids = append(ids, s.Name()+" "+s.RouterID)
	}
	b, err := ag.Host.Run(ctx, d.bin, "router", "status", "--control", ag.Sock)
	out := []line{{{"  agent# anycostd router status", bold}, {" (servers by router ID: " + strings.Join(ids, ", ") + ")", dim}}}
	out = append(out, d.indented(string(b), err, nil)...)
	cmd := []string{"ip", "-6", "route", "show", lab.Anycast.String()}
	b, err = d.agent.RouterHost.Run(ctx, cmd...)
	out = append(out, line{{"  r1# " + strings.Join(cmd, " "), bold}})
	out = append(out, d.indented(string(b), err, d.hopName)...)
	if ctx.Err() != nil {
		return
	}
	d.scr.sayBlock(out)
}

// hopName appends to a route line the name of the server its next hop
// is.
func (d *demo) hopName(l string) string {
	for _, s := range d.servers {
		if h := s.Iface.LinkLocal.String(); strings.Contains(l, h+" ") {
			return strings.Replace(l, h, h+" ("+s.Name()+")", 1)
		}
	}
	return l
}

// weightText names each next hop's server and weight.
func (d *demo) weightText(hops []lab.WeightedHop) string {
	var parts []string
	for _, h := range hops {
		name := h.Addr
		if i := d.serverAt(h.Addr); i >= 0 {
			name = d.servers[i].Name()
		}
		parts = append(parts, fmt.Sprintf("%s weight %d", name, max(h.Weight, 1)))
	}
	if len(parts) == 0 {
		return "no next hop"
	}
	return strings.Join(parts, ", ")
}

// serverAt is the index of the server whose link-local address is addr
// (as zebra writes it), or -1.
func (d *demo) serverAt(addr string) int {
	return slices.IndexFunc(d.servers, func(s *lab.Server) bool { return s.Iface.LinkLocal.String() == addr })
}
