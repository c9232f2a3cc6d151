package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The router agent on the kernel backend stopped (SIGTERM) and killed
// (SIGKILL) under 2000 qps, with BIRD 2 as the router's OSPF
// (BIRDAgentFarm): three servers running anycostd (capacities 1, 2 and
// 0.5) and NSD, BIRD exporting its ECMP route into the router's FIB at
// metric 32, `anycostd router` in its own namespace on its own link to
// BIRD, its weighted route in the router's FIB at metric 10 with a lease
// of 2 s (kernel_lease), refreshed every third of it. One dnsperf run per
// event, so each event's loss is its own:
//
//   - the agent running: its route forwards (`ip route get` as the
//     router forwards a client's query) at every poll while the agent
//     renews its lease (in place, docs/router-agent.md), and no query is
//     lost: a renewal leaves no gap.
//   - SIGTERM: the agent removes its route; BIRD's forwards. 0 lost.
//   - SIGKILL (restarted first, killed right after a renewal): nothing
//     removes the route, its renewed lease runs out and BIRD's forwards; the servers all stay alive, so the
//     stale route loses nothing meanwhile. 0 lost, and BIRD's route
//     forwards within the lease of the kill (a correctness check: the
//     route expires by itself, not a speed target).
func TestAgentKernelStopKill(t *testing.T) {
	start := time.Now()
	const lease = 2 * time.Second
	capacities := []float64{1, 2, 0.5}
	a := NewBIRDAgentFarm(t, len(capacities), lease)
	r := a.RouterHost
	a.LogOnFailure(t)
	for i, s := range a.Servers {
		s.WriteConfig(s.TOML(AgentServiceTOML(time.Second, capacities[i])))
		s.Start()
	}
	p := a.StartAgent(Anycast)
	WaitFor(t, 30*time.Second, "BIRD's ECMP route over the three servers (metric 32)", func() (bool, error) {
		rs, err := kernelRoutes(r, Anycast)
		return slices.ContainsFunc(rs, func(k kernelRoute) bool { return k.Metric == 32 && len(k.Hops) == 3 }), err
	})
	agentUp := func(what string) {
		t.Helper()
		WaitFor(t, 30*time.Second, what, func() (bool, error) {
			rs, err := kernelRoutes(r, Anycast)
			return slices.ContainsFunc(rs, func(k kernelRoute) bool { return k.Metric == 10 && len(k.Hops) == 3 }), err
		})
		if m, err := forwardingMetric(r, Anycast.Addr()); m != 10 {
			t.Fatalf("%s: the router forwards with metric %d (%v), want the agent's 10", what, m, err)
		}
		rs, _ := kernelRoutes(r, Anycast)
		t.Logf("%s: %+v (%s into the test)", what, rs, time.Since(start).Round(100*time.Millisecond))
	}
	agentUp("the agent's route forwards")

	// The agent runs, refreshing its lease, then stops.
	refreshes := func() uint64 {
		st, err := a.Agent.Status(context.Background())
		if err != nil {
			t.Fatalf("router status: %v", err)
		}
		return st.Agent.Counters.Refreshes
	}
	before := refreshes()
	perf := agentPerf(t, a.AgentFarm, 3500*time.Millisecond, func() {
		// 2 s of the agent's route: at every poll it forwards.
		polls, other := 0, map[int]int{}
		for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			m, err := forwardingMetric(r, Anycast.Addr())
			if err != nil {
				t.Errorf("ip route get: %v", err)
				return
			}
			polls++
			if m != 10 {
				other[m]++
			}
		}
		n := refreshes() - before
		t.Logf("the agent's route: %d lease refreshes in 2 s, %d polls of the forwarding lookup, other metrics seen %v", n, polls, other)
		if n == 0 || len(other) != 0 {
			t.Errorf("while the agent refreshed its lease (%d refreshes) the lookup saw %v besides its route", n, other)
		}
		if err := p.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		took := WaitFor(t, 5*time.Second, "BIRD's route forwards after SIGTERM", func() (bool, error) {
			m, err := forwardingMetric(r, Anycast.Addr())
			return m == 32, err
		})
		rs, _ := kernelRoutes(r, Anycast)
		t.Logf("SIGTERM to the agent: BIRD's route forwards %s after the signal; the FIB holds %+v", took.Round(time.Millisecond), rs)
		if err := p.WaitTimeout(5 * time.Second); err != nil {
			t.Errorf("anycostd router after SIGTERM: %v\n%s", err, tail(p.LogPath(), 20))
		}
	})
	t.Logf("the agent refreshing, then SIGTERM, under 2000 qps: sent %d, completed %d, lost %d", perf.Sent, perf.Completed, perf.Lost)
	if perf.Lost != 0 {
		t.Errorf("refreshes and SIGTERM: %d queries lost", perf.Lost)
	}

	// The agent killed: its route expires by itself.
	p = a.StartAgent(Anycast)
	agentUp("the restarted agent's route forwards")
	perf = agentPerf(t, a.AgentFarm, lease+2*time.Second, func() {
		// Killed after a renewal of its lease, so that the lease that
		// runs out is a renewed one (at most a third of it ago).
		WaitFor(t, 2*time.Second, "a renewal of the restarted agent's lease", func() (bool, error) {
			return refreshes() > 0, nil
		})
		if err := p.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		rs, _ := kernelRoutes(r, Anycast)
		used := WaitFor(t, lease+time.Second, "the dead agent's route expired", func() (bool, error) {
			m, err := forwardingMetric(r, Anycast.Addr())
			return m == 32, err
		})
		// The lookup skips an expired route at once; the table drops
		// it when the garbage collector runs (net.ipv6.route.gc_interval).
		after, _ := kernelRoutes(r, Anycast)
		t.Logf("SIGKILL to the agent: its route (%+v at the kill) no longer forwards after %s; the table then holds %+v",
			rs, used.Round(time.Millisecond), after)
		// Correctness, not speed: the lease ends it, within the lease
		// of the kill (its last renewal came before) and a poll.
		if used > lease+200*time.Millisecond {
			t.Errorf("the killed agent's route forwarded for %s after the kill, beyond its lease of %s", used, lease)
		}
	})
	t.Logf("SIGKILL to the agent under 2000 qps: sent %d, completed %d, lost %d", perf.Sent, perf.Completed, perf.Lost)
	if perf.Lost != 0 {
		t.Errorf("SIGKILL: %d queries lost", perf.Lost)
	}
}

// kernelRoute is one of the kernel's routes for a prefix: its metric,
// protocol, the seconds until it expires (0: none; negative: expired, not
// yet collected) and its next hops with their weights.
type kernelRoute struct {
	Metric   int
	Protocol string
	Expires  int
	Hops     []WeightedHop
}

// kernelRoutes returns the kernel's routes for exactly prefix in h's main
// table, from `ip -6 -j route show exact` (a next hop without a weight has
// weight 1), each route's hops sorted by address.
func kernelRoutes(h *Host, prefix netip.Prefix) ([]kernelRoute, error) {
	out, err := runCmd("ip", "-n", h.name, "-6", "-j", "route", "show", "exact", prefix.String())
	if err != nil {
		return nil, err
	}
	var routes []struct {
		Gateway  string  `json:"gateway"`
		Metric   int     `json:"metric"`
		Protocol string  `json:"protocol"`
		Expires  float64 `json:"expires"`
		Nexthops []struct {
			Gateway string `json:"gateway"`
			Weight  int    `json:"weight"`
		} `json:"nexthops"`
	}
	if err := json.Unmarshal(out, &routes); err != nil {
		return nil, fmt.Errorf("ip -j route: %w (%q)", err, out)
	}
	var rs []kernelRoute
	for _, r := range routes {
		k := kernelRoute{Metric: r.Metric, Protocol: r.Protocol, Expires: int(r.Expires)}
		if r.Gateway != "" {
			k.Hops = append(k.Hops, WeightedHop{r.Gateway, 1})
		}
		for _, nh := range r.Nexthops {
			k.Hops = append(k.Hops, WeightedHop{nh.Gateway, max(1, nh.Weight)})
		}
		slices.SortFunc(k.Hops, func(a, b WeightedHop) int { return strings.Compare(a.Addr, b.Addr) })
		rs = append(rs, k)
	}
	return rs, nil
}

// forwardingMetric is the metric of the route h's kernel forwards a query
// for dst with: `ip -6 route get` of a packet from the lab client's
// address arriving on h's client interface (eth1), the lookup forwarding
// does, which skips an expired route.
func forwardingMetric(h *Host, dst netip.Addr) (int, error) {
	out, err := runCmd("ip", "-n", h.name, "-6", "-j", "route", "get", dst.String(), "from", "2001:db8:2::100", "iif", "eth1")
	if err != nil {
		return 0, err
	}
	var rs []struct {
		Metric int `json:"metric"`
	}
	if err := json.Unmarshal(out, &rs); err != nil || len(rs) != 1 {
		return 0, fmt.Errorf("ip -j route get %s: %v (%q)", dst, err, out)
	}
	return rs[0].Metric, nil
}
