package main

import (
	"time"
)

// alternative is one way of advertising the farm's anycast /128 to the
// router: anycostd or what operators run today.
type alternative struct {
	key   string // CSV name
	label string // report name
	// jitter spreads the moment of each failure over one poll period so
	// that it falls uniformly between two checks.
	jitter time.Duration
	start  func(s *server) // start on one server (not waiting for routes)
	stop   func(s *server) // graceful stop on one server
	needs  string          // "" or why it cannot run here
	bgp    bool            // advertises by BGP: the router's OSPF settings do not apply
	// agent: the router also runs the router agent beside ospf6d (the
	// farm is built with farmOptions.agent), started once every server
	// is in the FIB and stopped first.
	agent bool
}

// anycostdAlt runs anycostd with the DNS service watched by the socket
// monitor (sock_diag destroy notifications, 100 ms samples) and a DNS
// probe every 200 ms, drain_time 2 s.
func anycostdAlt() alternative {
	return alternative{
		key: "anycostd", label: "anycostd (socket monitor + DNS probe)", jitter: time.Second,
		start: func(s *server) {
			s.writeConfig(s.anycostdTOML(dnsServiceTOML(10, 2*time.Second)))
			s.startAnycostd()
		},
		stop: func(s *server) { s.stopAnycostd() },
	}
}

// agentAltKey is the key of anycostdAgentAlt.
const agentAltKey = "anycostd-agent"

// anycostdAgentAlt is anycostdAlt with the router agent (zebra backend)
// running on the router beside ospf6d: the agent's weighted route is
// the one in the kernel, so a withdrawal reaches the FIB through the
// agent (ospf6d floods the flush to it; it sends zebra the route without
// the server).
func anycostdAgentAlt() alternative {
	a := anycostdAlt()
	a.key, a.label, a.agent = agentAltKey, "anycostd + router agent (zebra backend)", true
	return a
}

// frrScriptAlt runs FRR (zebra, staticd, ospf6d) on the server with the
// /128 on lo, and the health-check script polling NSD every interval.
func frrScriptAlt(interval time.Duration) alternative {
	name := interval.String()
	return alternative{
		key: "frr+script-" + name, label: "FRR ospf6d + script polling every " + name, jitter: interval,
		start: func(s *server) {
			s.startFRR()
			s.startScript(interval)
		},
		stop: func(s *server) {
			s.stopScript()
			s.stopFRR()
		},
	}
}

// exabgpAlt runs ExaBGP with its healthcheck on the server.
func exabgpAlt(set exaSettings, jitter time.Duration, needs string) alternative {
	return alternative{
		key: "exabgp-" + set.name, label: "ExaBGP healthcheck, " + set.name, jitter: jitter,
		start: func(s *server) { s.startExaBGP(set) },
		stop:  func(s *server) { s.stopExaBGP() },
		needs: needs,
		bgp:   true,
	}
}

// startAll starts alt on every server and waits until the router routes
// the /128 to all of them.
func (f *farm) startAll(alt alternative) {
	for _, s := range f.servers {
		alt.start(s)
	}
	f.waitFIB(90*time.Second, alt.label+": every server in the router's FIB", exactly(f.servers...))
	if alt.agent {
		f.startAgent(60 * time.Second)
	}
}

// stopAll stops alt on every server and waits until the router has no
// route for the /128 left.
func (f *farm) stopAll(alt alternative) {
	if alt.agent {
		f.stopAgent()
	}
	for _, s := range f.servers {
		alt.stop(s)
	}
	f.waitFIB(30*time.Second, alt.label+": the /128 gone from the router's FIB", exactly())
}
