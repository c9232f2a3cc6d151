package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/agent"
	"github.com/anycostd/anycostd/lab"
)

// The router agent (`anycostd router`, zebra backend) on a bench farm
// built with farmOptions.agent: its host on a link of its own to the
// router's ospf6d (lab.RouterAgent, docs/router-agent.md).

// agentProtocol is the protocol zebra shows for the agent's routes.
const agentProtocol = "sharp"

// startAgent runs the agent for the anycast prefix and waits until zebra
// selects its route over every server and the kernel has it. It returns
// the wait (polled every 50 ms).
func (f *farm) startAgent(timeout time.Duration) time.Duration {
	if f.agent == nil {
		f.r.failf("the router agent is asked for on a farm built without its link")
	}
	must(f.agent.TryStart(lab.Anycast))
	return f.waitAgentRoute(timeout, "the agent's route over every server", f.servers...)
}

// waitAgentRoute waits until zebra's selected route for the anycast
// prefix is the agent's with exactly the servers' link-local addresses
// as next hops, and the kernel's FIB has exactly those servers.
func (f *farm) waitAgentRoute(timeout time.Duration, what string, servers ...*server) time.Duration {
	return must(lab.Wait(timeout, what, func() (bool, error) {
		if err := f.agentSelected(servers...); err != nil {
			return false, err
		}
		hops, err := f.fibHops()
		if err != nil {
			return false, err
		}
		if !exactly(servers...)(hops) {
			return false, fmt.Errorf("the FIB has %v", hops)
		}
		return true, nil
	}))
}

// agentSelected says what is wrong unless zebra's selected route for the
// anycast prefix is the agent's, with exactly the servers' link-local
// addresses as next hops.
func (f *farm) agentSelected(servers ...*server) error {
	hops, proto, _, err := lab.ZebraWeights(f.rfrr, lab.Anycast)
	if err != nil {
		return err
	}
	if proto != agentProtocol || !sameHops(hops, servers) {
		return fmt.Errorf("zebra selects %q %v", proto, hops)
	}
	return nil
}

// sameHops reports whether hops are exactly the servers' link-local
// addresses.
func sameHops(hops []lab.WeightedHop, servers []*server) bool {
	if len(hops) != len(servers) {
		return false
	}
	for _, s := range servers {
		if !slices.ContainsFunc(hops, func(h lab.WeightedHop) bool { return h.Addr == s.ll.String() }) {
			return false
		}
	}
	return true
}

// stopAgent sends the agent SIGTERM (it removes its route), waits up to
// 10 s (then kills it) and waits until zebra no longer selects an agent
// route.
func (f *farm) stopAgent() {
	p := f.agent.Proc
	if p == nil {
		return
	}
	_ = p.Signal(syscall.SIGTERM)
	if err := p.WaitTimeout(10 * time.Second); errors.Is(err, lab.ErrTimeout) {
		f.r.logf("anycostd router did not exit within 10 s of SIGTERM; killed")
		p.Kill()
	}
	f.agent.Proc = nil
	must(lab.Wait(10*time.Second, "the agent's route gone from zebra", func() (bool, error) {
		_, proto, _, err := lab.ZebraWeights(f.rfrr, lab.Anycast)
		return err == nil && proto != agentProtocol, err
	}))
}

// agentHops returns the agent's next hops for the anycast prefix from
// its status (server, capacity, load, weight, why).
func (f *farm) agentHops() ([]agent.NexthopStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := f.agent.Status(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range st.Agent.Prefixes {
		if p.Prefix == lab.Anycast {
			return p.Nexthops, nil
		}
	}
	return nil, fmt.Errorf("the agent's status has no route for %s", lab.Anycast)
}

// serverAt returns the server whose link-local address is hop, or nil.
func (f *farm) serverAt(hop netip.Addr) *server {
	for _, s := range f.servers {
		if s.ll == hop {
			return s
		}
	}
	return nil
}

// waitAgentWithout checks, right after a trial's FIB change, that zebra
// selects the agent's route over every server but gone (polled for up to
// 2 s: zebra's RIB is read through vtysh after the kernel's message).
func (f *farm) waitAgentWithout(gone *server) error {
	var rest []*server
	for _, s := range f.servers {
		if s != gone {
			rest = append(rest, s)
		}
	}
	_, err := lab.Wait(2*time.Second, "the agent's route without "+gone.h.Name(), func() (bool, error) {
		err := f.agentSelected(rest...)
		return err == nil, err
	})
	return err
}
