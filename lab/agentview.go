package lab

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf"
)

// What the servers of an agent farm see of the router agent
// (docs/router-agent.md, "Tiers under the agent").

// AgentHoldRule is what a server's farm view says of the lab agent
// (router ID 192.0.2.2) weighing the lab's anycast prefix, as
// AgentRule returns it.
const AgentHoldRule = "192.0.2.2: router agent 192.0.2.2 weighs 2001:db8:53::53/128: load tiers held at the base metric (withdrawals and drain as without it)"

// AgentRule returns the first router agent in s's farm view of the DNS
// service (`anycostd cost --json dns`) with the rule it applies, as
// "ROUTER-ID: RULE", or "" when no agent counts.
func AgentRule(s *Server) (string, error) {
	e, err := s.Cost("dns")
	if err != nil {
		return "", err
	}
	if f := e.Farm; f != nil && len(f.Agents) > 0 {
		return f.Agents[0].RouterID.String() + ": " + f.AgentRule, nil
	}
	return "", nil
}

// WaitAgentRule waits, server after server, for AgentRule to return want
// (within limit each), logs what each said and when, and returns the
// longest wait.
func WaitAgentRule(t testing.TB, servers []*Server, what string, limit time.Duration, want string) time.Duration {
	t.Helper()
	var took time.Duration
	for _, s := range servers {
		var last string
		d := WaitFor(t, limit, s.Name()+": "+what, func() (bool, error) {
			r, err := AgentRule(s)
			last = r
			return r == want, err
		})
		took = max(took, d)
		t.Logf("%s: %s after %s (%q)", s.Name(), what, d.Round(time.Millisecond), last)
	}
	return took
}

// AgentAnnouncements returns the server load LSAs of state agent
// (lsa.ServerAgent) advertised by rid in s's database (`anycostd lsdb
// --json`), at MaxAge or not.
func AgentAnnouncements(s *Server, rid string) ([]ospf.LSDBEntry, error) {
	return lsdbWhere(s, func(e ospf.LSDBEntry) bool {
		return lsa.Type(e.TypeCode) == lsa.TypeServerLoad && e.AdvRouter == rid && strings.Contains(e.Summary, "weighed by a router agent")
	})
}

// RouterLSAs returns the Router-LSAs rid originated in s's database, at
// MaxAge or not.
func RouterLSAs(s *Server, rid string) ([]ospf.LSDBEntry, error) {
	return lsdbWhere(s, func(e ospf.LSDBEntry) bool {
		return lsa.Type(e.TypeCode) == lsa.TypeRouter && e.AdvRouter == rid
	})
}

// lsdbWhere returns the entries of s's database that keep selects.
func lsdbWhere(s *Server, keep func(ospf.LSDBEntry) bool) ([]ospf.LSDBEntry, error) {
	es, err := s.LSDB()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(es, func(e ospf.LSDBEntry) bool { return !keep(e) }), nil
}
