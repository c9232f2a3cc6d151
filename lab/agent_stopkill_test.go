package lab

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"
)

// A server behind the router agent stops (SIGTERM) and crashes (SIGKILL)
// under 2000 qps: FRR 8.4.4 and `anycostd router` (zebra backend, on the
// servers' link: see AgentFarm), three servers running anycostd and NSD,
// dnsperf on the client link.
//
//   - SIGTERM to s1's anycostd: it withdraws, keeps answering for its
//     drain_time, then flushes. The agent's route leaves s1 with the
//     withdrawal, while NSD still answers: no query may be lost.
//   - SIGKILL to s2's anycostd, its NSD left running: a crash withdraws
//     nothing by itself (docs/deployment.md); ospf6d drops s2 after its
//     dead interval (4 s in the lab) and so does the agent, whose
//     membership is OSPF's (docs/router-agent.md). NSD answers meanwhile,
//     so no query may be lost either. The test logs when OSPF's route and
//     the agent's route left s2.
func TestAgentServerStopKill(t *testing.T) {
	a := NewAgentFarm(t, 3)
	for _, s := range a.Servers {
		s.WriteConfig(s.TOML(DNSServiceTOML(3 * time.Second)))
		s.Start()
	}
	a.StartAgent(Anycast)
	lls := make([]string, 3)
	for i, s := range a.Servers {
		lls[i] = s.Iface.LinkLocal.String()
	}
	took := WaitFor(t, 30*time.Second, "the agent's route over the three servers", func() (bool, error) {
		hops, proto, _, err := zebraWeights(a.Router, Anycast)
		return proto == "sharp" && len(hops) == 3, err
	})
	t.Logf("the agent's route over s1, s2, s3 %s after the start", took.Round(time.Millisecond))

	// The planned stop.
	s1 := a.Servers[0]
	perf := agentPerf(t, a, 4*time.Second, func() {
		s1.Signal(syscall.SIGTERM)
		took := WaitFor(t, 5*time.Second, "s1 out of the agent's route", func() (bool, error) {
			return !routeVia(a.Router, "sharp", lls[0]), nil
		})
		t.Logf("SIGTERM to s1: out of the agent's route after %s", took.Round(time.Millisecond))
		if err := s1.Proc.WaitTimeout(10 * time.Second); err != nil {
			t.Errorf("s1's anycostd after SIGTERM: %v", err)
		}
	})
	t.Logf("SIGTERM under 2000 qps: sent %d, completed %d, lost %d", perf.Sent, perf.Completed, perf.Lost)
	if perf.Lost != 0 {
		t.Errorf("%d queries lost in a planned stop behind the agent", perf.Lost)
	}

	// The crash.
	s2 := a.Servers[1]
	perf = agentPerf(t, a, 6*time.Second, func() {
		kill := time.Now()
		s2.Signal(syscall.SIGKILL)
		// When each of zebra's routes left s2, seen by the same polls.
		var ospf, agent time.Duration
		WaitFor(t, 15*time.Second, "s2 out of OSPF's and the agent's route", func() (bool, error) {
			if ospf == 0 && !routeVia(a.Router, "ospf6", lls[1]) {
				ospf = time.Since(kill)
			}
			if agent == 0 && !routeVia(a.Router, "sharp", lls[1]) {
				agent = time.Since(kill)
			}
			return ospf != 0 && agent != 0, nil
		})
		t.Logf("SIGKILL to s2's anycostd: out of OSPF's route after %s, of the agent's after %s (dead interval 4 s)",
			ospf.Round(time.Millisecond), agent.Round(time.Millisecond))
		hops, proto, _, err := zebraWeights(a.Router, Anycast)
		if err != nil || proto != "sharp" || len(hops) != 1 || hops[0].Addr != lls[2] {
			t.Errorf("after s1's stop and s2's crash zebra selects %s %v (%v), want the agent's route via s3 alone", proto, hops, err)
		}
	})
	t.Logf("SIGKILL under 2000 qps: sent %d, completed %d, lost %d", perf.Sent, perf.Completed, perf.Lost)
	if perf.Lost != 0 {
		t.Errorf("%d queries lost while a crashed server's NSD still answered", perf.Lost)
	}
}

// agentPerf runs dnsperf at 2000 qps against the anycast address for d,
// calls event 1 s into the run, and returns dnsperf's result once both
// have ended.
func agentPerf(t *testing.T, a *AgentFarm, d time.Duration, event func()) PerfResult {
	t.Helper()
	type result struct {
		r   PerfResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := a.Client.DNSPerf(context.Background(), PerfOptions{Server: Anycast.Addr(), Duration: d, QPS: 2000})
		done <- result{r, err}
	}()
	time.Sleep(time.Second)
	event()
	r := <-done
	if r.err != nil {
		t.Fatalf("dnsperf: %v\n%s", r.err, r.r.Output)
	}
	return r.r
}

// routeVia reports whether zebra's route of protocol for the anycast
// prefix has the next hop addr (an error reads as yes: not gone yet).
func routeVia(f *FRR, protocol, addr string) bool {
	rib, err := zebraRIB(f, Anycast)
	if err != nil {
		return true
	}
	return slices.ContainsFunc(rib, func(r zebraRIBRoute) bool {
		return r.Protocol == protocol && slices.ContainsFunc(r.Hops, func(h weightedHop) bool { return h.Addr == addr })
	})
}
