package costmodel

import (
	"net/netip"
	"strings"
	"testing"
)

// ridAgent is a router agent's router ID, 192.0.2.100.
const ridAgent RouterID = 0xc0000264

var agentPrefix = netip.MustParsePrefix("2001:db8:53::53/128")

// agentDriver runs one model (farmParams: tiers 10/20/40, up 0.6/0.85)
// with a farm view whose only content is the router agents given.
type agentDriver struct {
	t *testing.T
	m *Model
}

func (ad *agentDriver) at(n int, load float64, agents ...RouterAgent) Decision {
	now := ms(n)
	ad.m.Observe(now, ExternalLoad(load))
	ad.m.ObserveFarm(now, FarmView{AsOf: now, Self: rid1, Agents: agents})
	return ad.m.Decide(now)
}

// run drives the model every 100 ms from n to end (excluded) and returns
// the decisions that changed the advertisement.
func (ad *agentDriver) run(from, end int, load float64, agents ...RouterAgent) []Decision {
	var out []Decision
	for n := from; n < end; n += 100 {
		if d := ad.at(n, load, agents...); d.Changed {
			out = append(out, d)
		}
	}
	return out
}

var weighing = RouterAgent{RouterID: ridAgent, Prefix: agentPrefix}

// While a live router agent weighs the prefix, a load that would climb
// the tiers holds the server at the base metric, and the decision and the
// explanation say why.
func TestAgentHoldsLoadTiersAtBase(t *testing.T) {
	ad := &agentDriver{t: t, m: New("dns", farmParams(1), t0)}
	if ch := ad.run(0, 100, 0.1, weighing); len(ch) != 1 || ch[0].Metric != 10 {
		t.Fatalf("start: %+v, want metric 10", ch)
	}
	if ch := ad.run(100, 30000, 0.95, weighing); len(ch) != 0 {
		t.Fatalf("under the agent, a load of 0.95 changed the advertisement: %+v", ch)
	}
	d := ad.at(30000, 0.95, weighing)
	want := "held: router agent 192.0.2.100 weighs 2001:db8:53::53/128 (load 0.950 >= tier[0].up 0.6)"
	if d.Metric != 10 || d.Farm != want || !strings.Contains(d.Reason, want) {
		t.Fatalf("decision %+v, want metric 10 and farm %q", d, want)
	}
	e := ad.m.Explain(ms(30000))
	if e.Tier != 0 || e.Farm == nil || e.Farm.LastHold == nil || e.Farm.LastHold.Reason != want ||
		len(e.Farm.Agents) != 1 || e.Farm.Agents[0].RouterID != ridAgent || !strings.Contains(e.Farm.AgentRule, "192.0.2.100") {
		t.Fatalf("explanation: tier %d, farm %+v", e.Tier, e.Farm)
	}
}

// Without the agent the same load climbs (the control for the test above),
// and when the agent comes the server steps back to the base metric, one
// tier at a time.
func TestAgentBringsTiersBackToBase(t *testing.T) {
	ad := &agentDriver{t: t, m: New("dns", farmParams(1), t0)}
	ad.run(0, 100, 0.1)
	ch := ad.run(100, 20000, 0.95)
	if len(ch) != 2 || ch[len(ch)-1].Metric != 40 {
		t.Fatalf("without the agent: %+v, want 10 -> 20 -> 40", ch)
	}
	ch = ad.run(20000, 30000, 0.95, weighing)
	if len(ch) != 2 || ch[0].Metric != 20 || ch[1].Metric != 10 {
		t.Fatalf("the agent came: %+v, want 40 -> 20 -> 10", ch)
	}
	if !strings.Contains(ch[0].Reason, "router agent 192.0.2.100 weighs 2001:db8:53::53/128: tier 2 -> 1") ||
		!strings.Contains(ch[0].Reason, "back to the base tier") {
		t.Errorf("reason %q", ch[0].Reason)
	}
}

// A withdrawal for death or drain goes at once under the agent: the hold
// is about tier moves only.
func TestAgentKeepsWithdrawalsImmediate(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Sample
	}{
		{"socket gone", SocketGone()},
		{"drained", ManualDrain(true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := farmParams(1)
			p.Socket.Enabled = true
			ad := &agentDriver{t: t, m: New("dns", p, t0)}
			ad.m.Observe(t0, SocketSample(0, 0))
			ad.run(0, 5000, 0.95, weighing)
			ad.m.Observe(ms(5000), tc.s)
			d := ad.at(5000, 0.95, weighing)
			if !d.Changed || !d.Withdraw {
				t.Fatalf("%s under the agent: %+v, want a withdrawal at once", tc.name, d)
			}
		})
	}
}

// When the agent leaves the view (it flushed its announcement, or it is no
// longer adjacent to the router) or the view goes stale, the tiers resume
// by themselves.
func TestAgentGoneTiersResume(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after func(ad *agentDriver, n int) Decision
	}{
		{"agent gone", func(ad *agentDriver, n int) Decision { return ad.at(n, 0.95) }},
		{"view stale", func(ad *agentDriver, n int) Decision {
			ad.m.Observe(ms(n), ExternalLoad(0.95))
			return ad.m.Decide(ms(n))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ad := &agentDriver{t: t, m: New("dns", farmParams(1), t0)}
			ad.run(0, 10000, 0.95, weighing)
			var got []uint16
			for n := 10000; n < 40000; n += 100 {
				if d := tc.after(ad, n); d.Changed {
					got = append(got, d.Metric)
				}
			}
			if len(got) == 0 || got[0] != 20 {
				t.Fatalf("after the agent: changes %v, want a climb to 20", got)
			}
		})
	}
}

// ObserveFarm keeps one entry per agent and prefix, drops one naming this
// server, and counts what it dropped.
func TestFarmViewSanitizesAgents(t *testing.T) {
	m := New("dns", farmParams(1), t0)
	other := RouterAgent{RouterID: ridAgent + 1, Prefix: agentPrefix}
	m.ObserveFarm(t0, FarmView{AsOf: t0, Self: rid1, Agents: []RouterAgent{other, weighing, weighing, {RouterID: rid1, Prefix: agentPrefix}}})
	if len(m.farm.Agents) != 2 || m.farm.Agents[0] != weighing || m.farm.Agents[1] != other || m.farmRejected != 2 {
		t.Errorf("agents %+v, corrected %d", m.farm.Agents, m.farmRejected)
	}
}

// A server that comes back from a withdrawal while the agent weighs the
// prefix advertises the base metric at once, whatever tier it left from.
func TestAgentReturnStartsAtBase(t *testing.T) {
	ad := &agentDriver{t: t, m: New("dns", farmParams(1), t0)}
	ad.run(0, 100, 0.1)
	if ch := ad.run(100, 20000, 0.95); len(ch) != 2 || ch[1].Metric != 40 {
		t.Fatalf("without the agent: %+v, want 10 -> 20 -> 40", ch)
	}
	ad.m.Observe(ms(20000), ManualDrain(true))
	if d := ad.at(20000, 0.95); !d.Changed || !d.Withdraw {
		t.Fatalf("drained: %+v, want a withdrawal", d)
	}
	ad.run(20100, 25000, 0.95, weighing)
	ad.m.Observe(ms(25000), ManualDrain(false))
	d := ad.at(25000, 0.95, weighing)
	if !d.Changed || d.Withdraw || d.Metric != 10 || !strings.Contains(d.Reason, "router agent 192.0.2.100 weighs 2001:db8:53::53/128: back at the base tier") {
		t.Fatalf("back under the agent: %+v, want metric 10 at once", d)
	}
}
