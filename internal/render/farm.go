package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/anycostd/anycostd/costmodel"
)

// renderFarm writes the farm view behind the decisions (Explanation.Farm):
// the peers as this server's LSDB shows them, the cheapest tier and what
// it is offered, the stagger, and the farm's reason for the move the load
// points to and for the last move it held or shaped.
func renderFarm(w io.Writer, e *costmodel.Explanation, clk Clock) {
	f := e.Farm
	state := "active: tier moves for load follow the farm's rules"
	if !f.Active {
		state = "not used: " + f.Why + "; tier moves as without it"
	}
	if f.AgentRule != "" {
		state = f.AgentRule
	}
	fmt.Fprintf(w, "  Farm view: %s\n", state)
	for _, a := range f.Agents {
		fmt.Fprintf(w, "  Router agent %s weighs %s (since %s)\n", a.RouterID, a.Prefix, clk.at(a.Since))
	}
	fmt.Fprintf(w, "  Read at %s (%s old); this server %s, capacity %g\n",
		clk.at(f.AsOf), msDuration(f.AgeMS), f.Self, f.Capacity)
	if len(f.Peers) == 0 {
		fmt.Fprintln(w, "  No peers: no other server on this link advertises the prefix or publishes its load.")
	} else {
		t := newTable(w)
		fmt.Fprintln(t, "  Peer\tAdvertises\tLoad\tCapacity\tState\tSince")
		for _, p := range f.Peers {
			adv := "withdrawn"
			if !p.Withdrawn {
				adv = fmt.Sprintf("metric %d", p.Metric)
			}
			load, capacity, st := "-", "-", "no load LSA"
			if p.LoadKnown {
				load, capacity, st = fmt.Sprintf("%.3f", p.Load), fmt.Sprintf("%g", p.Capacity), p.State.String()
			}
			fmt.Fprintf(t, "  %s\t%s\t%s\t%s\t%s\t%s\n", p.RouterID, adv, load, capacity, st, clk.at(p.Since))
		}
		t.Flush()
	}
	if f.CorrectedPeers > 0 {
		fmt.Fprintf(w, "  Corrected entries: %d (a peer naming this server, repeated, or with impossible numbers)\n", f.CorrectedPeers)
	}
	if len(f.CheapestSet) == 0 {
		fmt.Fprintln(w, "  Cheapest tier: nothing advertised")
	} else {
		members := make([]string, len(f.CheapestSet))
		for i, m := range f.CheapestSet {
			who := m.RouterID.String()
			if m.Self {
				who += " (this server)"
			}
			if m.LoadKnown {
				members[i] = fmt.Sprintf("%s %s (load %.3f, peak %.3f, capacity %g)", who, m.Status, m.Load, m.PeakLoad, m.Capacity)
			} else {
				members[i] = who + " " + m.Status
			}
		}
		fmt.Fprintf(w, "  Cheapest tier, metric %d: %s\n", f.CheapestMetric, strings.Join(members, "; "))
		below := "no bound"
		if f.RateBelow != nil {
			below = fmt.Sprintf("below %.3f", *f.RateBelow)
		}
		fmt.Fprintf(w, "  Offered to each of its servers: at least %.3f, %s (capacity units; peers' loads over the last %s)\n",
			f.RateAtLeast, below, msDuration(f.HeadroomWindowMS))
	}
	if f.PeersAdvertising > 0 {
		fmt.Fprintf(w, "  Peers' cheapest metric %d (%d of %d peers advertise)\n", f.PeersCheapestMetric, f.PeersAdvertising, len(f.Peers))
	}
	if len(f.Order) > 0 {
		order := make([]string, len(f.Order))
		for i, id := range f.Order {
			order[i] = id.String()
		}
		turn := ""
		if f.SlotOwner != 0 {
			turn = fmt.Sprintf("; the slot is %s's now", f.SlotOwner)
		}
		if !f.NextTurn.IsZero() {
			turn += fmt.Sprintf("; this server's next turn %s (%s)", clk.at(f.NextTurn), rel(f.NextTurn, e.At))
		}
		fmt.Fprintf(w, "  Stagger: %s, one slot of %s each%s\n", strings.Join(order, ", "), msDuration(f.SlotMS), turn)
	}
	if f.Plan != "" {
		fmt.Fprintf(w, "  Farm's rule now: %s\n", f.Plan)
	}
	event := func(what string, ev *costmodel.FarmEvent) {
		if ev == nil {
			return
		}
		move := fmt.Sprintf("tier %d -> %d", ev.From, ev.To)
		if ev.From == ev.To {
			move = fmt.Sprintf("held in tier %d", ev.From)
		}
		fmt.Fprintf(w, "  %s: %s, %s: %s\n", what, clk.at(ev.At), move, ev.Reason)
	}
	event("Last hold by the farm", f.LastHold)
	event("Last move shaped by the farm", f.LastMove)
}
