package lab

import (
	"testing"
	"time"
)

// BIRDAgentFarm is AgentFarm with BIRD 2 as the link router instead of
// FRR (AgentFarm.Router is nil) and the agent on the kernel backend:
// BIRD's OSPF on the servers' link (eth0) and on the agent's
// (AgentRouterIf), its kernel protocol exporting the OSPF routes into the
// router's FIB (metric 32, ECMP merged into multipath routes), and the
// agent, in its own namespace on its own link to BIRD, programming the
// router's FIB through kernel_netns (docs/router-agent.md: BIRD, like
// ospf6d, does not loop its multicast back to another socket of its
// host, so the agent cannot share its interface).
type BIRDAgentFarm struct {
	*AgentFarm
	BIRD *BIRD
}

// NewBIRDAgentFarm builds the DNS farm of NewDNSFarm (n servers with NSD,
// no anycostd running yet), the agent's host and link (the agent on the
// kernel backend with the given lease), and starts BIRD on the router;
// no agent runs yet.
func NewBIRDAgentFarm(t testing.TB, n int, lease time.Duration) *BIRDAgentFarm {
	t.Helper()
	RequireBIRD(t)
	a := newAgentFarm(t, n)
	a.Agent.KernelLease = lease
	b := a.RouterHost.StartBIRD(BIRDOptions{RouterID: "192.0.2.1", Interfaces: []string{"eth0", AgentRouterIf}, Kernel: true})
	return &BIRDAgentFarm{AgentFarm: a, BIRD: b}
}

// LogOnFailure logs, when t has failed by its end, the agent's log (its
// last lines) and BIRD's database.
func (a *BIRDAgentFarm) LogOnFailure(t testing.TB) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		if p := a.Agent.Proc; p != nil {
			t.Logf("the agent's log:\n%s", tail(p.LogPath(), 40))
		}
		db, err := a.BIRD.Birdc("show ospf lsadb")
		t.Logf("BIRD's database (%v):\n%s", err, db)
	})
}
