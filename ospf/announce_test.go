package ospf

import (
	"net/netip"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// A router agent's announcements reach the router and the servers: one
// server load LSA of state agent per prefix, the agent's link-local
// address as next hop; a prefix left out is flushed, and a graceful stop
// flushes the rest.
func TestAnnounceOriginatesAndFlushes(t *testing.T) {
	s, r, ss := farm(t, 31, 3)
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	agent, srv := ss[0], ss[1]
	rid := lsa.IDString(agent.cfg.RouterID)
	other := netip.MustParsePrefix("2001:db8:54::54/128")
	agent.e.setAnnounced([]netip.Prefix{dnsService(0).Prefix, other})
	agent.e.tick(s.now)
	s.run(3 * time.Second)
	ids := map[netip.Prefix]uint32{}
	for p, id := range agent.e.announced {
		ids[p] = id
	}
	if len(ids) != 2 {
		t.Fatalf("announced %v, want two prefixes", ids)
	}
	for p, id := range ids {
		want := &lsa.ServerLoad{State: lsa.ServerAgent, NextHop: agent.cfg.Link.LinkLocal, Prefix: lsa.Prefix{Prefix: p}}
		for _, holder := range []*simNode{r, srv} {
			got, _ := s.serverLoad(holder, rid, id)
			if got == nil || *got != *want {
				t.Errorf("%s holds %v as LSID %d of the agent, want %s", holder.name, got, id, want)
			}
		}
	}
	agent.e.setAnnounced([]netip.Prefix{other})
	agent.e.tick(s.now)
	s.run(3 * time.Second)
	if got, _ := s.serverLoad(srv, rid, ids[dnsService(0).Prefix]); got != nil {
		t.Errorf("after the prefix left the set, %s still holds %s", srv.name, got)
	}
	if got, _ := s.serverLoad(srv, rid, ids[other]); got == nil {
		t.Errorf("the prefix still announced is gone from %s", srv.name)
	}
	agent.e.beginShutdown(s.now)
	agent.e.tick(s.now)
	s.runUntil(10*time.Second, "shutdown done", agent.e.finished)
	s.kill(agent)
	s.run(time.Second)
	if got, _ := s.serverLoad(srv, rid, ids[other]); got != nil {
		t.Errorf("after the agent's graceful stop, %s still holds %s", srv.name, got)
	}
}
