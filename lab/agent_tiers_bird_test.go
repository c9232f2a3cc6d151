package lab

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf"
)

// TestAgentAnnouncementReachesServers with BIRD 2.0.12 as the link
// router and the agent on the kernel backend (BIRDAgentFarm, as
// TestAgentKernelStopKill): the agent, on a link of its own to BIRD,
// announces the prefix in a server load LSA of state agent once its
// kernel route is installed; BIRD stores and floods it by its U bit to
// the servers, whose farm view counts it while BIRD's Network-LSA of the
// agent's link lists the agent (BIRD is its DR). Each server's
// `anycostd cost --json` then shows the agent and the hold of its tiers.
//
//   - SIGKILL: the agent flushes nothing. Every server drops it from its
//     farm view while its announcement is still live in the server's
//     database: the drop is BIRD's adjacency (its dead interval, 4 s),
//     not the LSA's.
//   - The restart: the agent is back in every farm view, the servers
//     dropping none of BIRD's instances for MinLSArrival (BIRD
//     originates its Network-LSA of the agent's link again right after
//     flushing it; the servers remove the flush at once, RFC 2328 14).
//   - SIGTERM to the restarted agent: it flushes its LSAs. Every server
//     drops it from its farm view by a flush (its Router-LSA's first:
//     the two-way link is gone), and its announcement leaves every
//     database.
func TestAgentAnnouncementBIRD(t *testing.T) {
	start := time.Now()
	a := NewBIRDAgentFarm(t, 2, 2*time.Second)
	r := a.RouterHost
	a.LogOnFailure(t)
	for _, s := range a.Servers {
		s.WriteConfig(s.TOML(AgentServiceTOML(time.Second, 1, TiersTOML)))
		s.Start()
	}
	WaitFor(t, 30*time.Second, "BIRD's ECMP route over the two servers (metric 32)", func() (bool, error) {
		rs, err := kernelRoutes(r, Anycast)
		return slices.ContainsFunc(rs, func(k kernelRoute) bool { return k.Metric == 32 && len(k.Hops) == 2 }), err
	})
	const agent = "192.0.2.2"
	// announced is what every server's database holds of the agent's
	// announcements: live (not at MaxAge) or not, all of them.
	announced := func() (live, all int) {
		t.Helper()
		for _, s := range a.Servers {
			es, err := AgentAnnouncements(s, agent)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				all++
				if e.Age < lsa.MaxAge {
					live++
				}
			}
		}
		return live, all
	}
	bird := func() string {
		st, err := a.BIRD.NeighborState(agent)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	a.StartAgent(Anycast)
	WaitAgentRule(t, a.Servers, "the agent in the farm view", 15*time.Second, AgentHoldRule)
	if live, _ := announced(); live != len(a.Servers) {
		t.Errorf("the agent counts, but the servers' databases hold %d live announcements of it, want one each (%d)", live, len(a.Servers))
	}

	kill := time.Now()
	if err := a.Agent.Proc.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	WaitAgentRule(t, a.Servers, "the killed agent gone from the farm view", 15*time.Second, "")
	gone := time.Since(kill)
	live, _ := announced()
	st := bird()
	t.Logf("SIGKILL: the agent left every farm view %s after the kill (BIRD's dead interval 4 s); BIRD's neighbor state of it %q, live announcements in the servers' databases %d",
		gone.Round(time.Millisecond), st, live)
	if live != len(a.Servers) {
		t.Errorf("after SIGKILL the servers' databases hold %d live announcements of the agent, want one each (%d): the killed agent flushes nothing, its adjacency ends its count", live, len(a.Servers))
	}
	if st == "Full" {
		t.Errorf("the killed agent left the farm views while BIRD still has it Full: not by adjacency")
	}

	// The restart: BIRD flushed its Network-LSA of the agent's link when
	// the killed agent's adjacency ended, and originates it again, listing
	// the agent, as soon as the restarted one is adjacent (its
	// MinLSInterval counts from its last origination, not from the
	// flush). The servers removed the flush (RFC 2328 14) and take the new
	// instance: none is dropped for MinLSArrival (13 (5.a)), which would
	// hold the agent out of their views until BIRD's retransmission.
	early := func() (n uint64) {
		t.Helper()
		for _, s := range a.Servers {
			st, err := s.Status()
			if err != nil {
				t.Fatal(err)
			}
			n += st.Counters.Dropped["min-ls-arrival"]
		}
		return n
	}
	dropped := early()
	restart := time.Now()
	a.StartAgent(Anycast)
	WaitAgentRule(t, a.Servers, "the restarted agent in the farm view", 15*time.Second, AgentHoldRule)
	t.Logf("the restarted agent is in every farm view %s after its start", time.Since(restart).Round(time.Millisecond))
	if n := early() - dropped; n != 0 {
		t.Errorf("the servers dropped %d instances for MinLSArrival while the agent came back: a flush held in their databases", n)
	}
	stop := time.Now()
	if err := a.Agent.Proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	WaitAgentRule(t, a.Servers, "the stopped agent gone from the farm view", 10*time.Second, "")
	gone = time.Since(stop)
	live, all := announced()
	routerLive := agentRouterLSAs(t, a.Servers, agent)
	t.Logf("SIGTERM: the agent left every farm view %s after the signal; announcements in the servers' databases: %d live, %d in all; its Router-LSA live in %d; test ran %s",
		gone.Round(time.Millisecond), live, all, routerLive, time.Since(start).Round(100*time.Millisecond))
	// The agent flushes every LSA it originates (RFC 2328 14.1). Its
	// Router-LSA's flush goes at once and ends the two-way link the farm
	// view needs (RFC 5340 4.8.1); its announcement's waits for BIRD's
	// MinLSArrival after the instance it sent on the restart (about 1 s).
	// Either flush, not BIRD's dead interval, drops it from the views.
	if live != 0 && routerLive != 0 {
		t.Errorf("the stopped agent left the farm views with its Router-LSA live in %d servers' databases and %d announcements live: not by its flush", routerLive, live)
	}
	WaitFor(t, 10*time.Second, "the stopped agent's announcements flushed from every server's database", func() (bool, error) {
		live, _ := announced()
		return live == 0, nil
	})
	if err := a.Agent.Proc.WaitTimeout(5 * time.Second); err != nil {
		t.Errorf("anycostd router after SIGTERM: %v\n%s", err, tail(a.Agent.Proc.LogPath(), 20))
	}
}

// agentRouterLSAs counts the servers whose database holds a live (not
// MaxAge) Router-LSA of router rid.
func agentRouterLSAs(t *testing.T, servers []*Server, rid string) int {
	t.Helper()
	n := 0
	for _, s := range servers {
		es, err := RouterLSAs(s, rid)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(es, func(e ospf.LSDBEntry) bool { return e.Age < lsa.MaxAge }) {
			n++
		}
	}
	return n
}
