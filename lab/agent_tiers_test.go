package lab

import (
	"syscall"
	"testing"
	"time"
)

// The servers learn that the router agent weighs their prefix, and when
// it no longer does (docs/router-agent.md, "Tiers under the agent"),
// against FRR 8.4.4: the agent on a link of its own to ospf6d (AgentFarm)
// announces the prefix in a server load LSA of state agent once its
// route is installed; ospf6d floods it to the servers, whose farm view
// counts it while ospf6d lists the agent as adjacent. Each server's
// `anycostd cost --json` then shows the agent and the hold of its tiers.
// SIGKILL to the agent: it flushes nothing, and the servers drop it once
// ospf6d's dead interval (4 s) has run out and ospf6d's Network-LSA of
// the agent's link no longer lists it. The restarted agent is back in
// every farm view; SIGTERM to it flushes the announcement.
func TestAgentAnnouncementReachesServers(t *testing.T) {
	start := time.Now()
	a := NewAgentFarm(t, 2)
	for _, s := range a.Servers {
		s.WriteConfig(s.TOML(AgentServiceTOML(time.Second, 1, TiersTOML)))
		s.Start()
	}
	WaitFor(t, 30*time.Second, "OSPF's ECMP route over the two servers", func() (bool, error) {
		hops, proto, _, err := ZebraWeights(a.Router, Anycast)
		return proto == "ospf6" && len(hops) == 2, err
	})
	a.StartAgent(Anycast)
	WaitAgentRule(t, a.Servers, "the agent in the farm view", 15*time.Second, AgentHoldRule)

	// signalGone sends sig to the agent and waits, within limit, until
	// every server's farm view has dropped it; it returns how long after
	// the signal that was.
	signalGone := func(name string, sig syscall.Signal, what string, limit time.Duration) time.Duration {
		t.Helper()
		sent := time.Now()
		if err := a.Agent.Proc.Signal(sig); err != nil {
			t.Fatal(err)
		}
		WaitAgentRule(t, a.Servers, what, limit, "")
		gone := time.Since(sent)
		t.Logf("%s: the agent left every farm view %s after the signal", name, gone.Round(time.Millisecond))
		return gone
	}

	if gone := signalGone("SIGKILL", syscall.SIGKILL, "the killed agent gone from the farm view", 15*time.Second); gone < 3*time.Second {
		t.Errorf("the agent left the farm views %s after SIGKILL, before ospf6d's dead interval (4 s) could: not by adjacency", gone)
	}

	a.StartAgent(Anycast)
	WaitAgentRule(t, a.Servers, "the restarted agent in the farm view", 15*time.Second, AgentHoldRule)
	signalGone("SIGTERM", syscall.SIGTERM, "the stopped agent gone from the farm view", 10*time.Second)
	t.Logf("test ran %s", time.Since(start).Round(100*time.Millisecond))
}
