package ospf

import (
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// A router that just reached Full (the router agent joining the area)
// must take the next instance of an LSA it learned in the database
// exchange at once. TestAgentFarmZebra (lab) saw a server's withdrawal
// reach the agent 5 s late, at ospf6d's retransmission: the agent had
// installed the server's LSAs from its requests less than MinLSArrival
// before, and dropped the flush as if it came too soon after a flooded
// instance (RFC 2328 13 (5.a)).
func TestMinLSArrivalSparesExchangedLSAs(t *testing.T) {
	s, r, ss := farm(t, 21, 2)
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(3 * time.Second)
	agent := s.add("agent", simConfig("192.0.2.2", 2, 0))
	s.runUntil(30*time.Second, "the agent Full with the router", func() bool {
		return agent.nbrState("192.0.2.1") == nbrFull && r.nbrState("192.0.2.2") == nbrFull
	})
	k := iapKey(lsa.IDString(ss[0].cfg.RouterID), 1)
	if ent := agent.e.db.get(k); ent == nil || ent.maxAged(s.now) {
		t.Fatal("the agent has no live copy of the server's Intra-Area-Prefix-LSA at Full")
	}
	ss[0].e.setServices(s.now, []Service{{Name: "dns", Prefix: dnsService(0).Prefix, Metric: 10, Withdraw: true}})
	took := s.runUntil(10*time.Second, "the flush in the agent's database", func() bool {
		ent := agent.e.db.get(k)
		return ent == nil || ent.maxAged(s.now)
	})
	t.Logf("flush in the agent's database %s after the withdrawal", took)
	if d := agent.e.cnt.dropped["min-ls-arrival"]; d != 0 {
		t.Errorf("the agent dropped %d instances for MinLSArrival", d)
	}
	if took >= r.cfg.RetransmitInterval {
		t.Errorf("the flush took %s: it waited for the router's retransmission (%s)", took, r.cfg.RetransmitInterval)
	}
}
