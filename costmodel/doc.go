// Package costmodel turns live measurements of one anycast service into the
// metric its prefix is advertised with (the Metric of its prefix in an
// Intra-Area-Prefix-LSA, RFC 5340 appendix A.4.10), or into a withdrawal.
//
// The package is pure: samples and a clock value go in, a decision comes
// out. It never reads the clock, starts no goroutine and does no I/O, so a
// daemon, a test with a fake clock and a discrete-event simulator drive it
// the same way:
//
//	m := costmodel.New("dns", p, now)
//	m.Observe(now, costmodel.SocketSample(0.12, 0))
//	d := m.Decide(now)          // d.Changed: hand d.Advert() to the engine
//	wake := d.Wake()            // call Decide again then (if no sample comes first)
//
// # Inputs
//
// Socket monitor (the service's UDP socket: present or gone, receive-queue
// fill, drop counter delta), active probe (ok/failed and latency), external
// load (a figure the service publishes, or a read error), CPU utilisation
// (the CPU time of the service's cgroup over the CPU it may use, or a read
// error), manual drain and drain file. Each is optional.
//
// # Load figure
//
// Each measured input gives a load term, 1.0 meaning saturated:
//
//	rqueue   = receive-queue fill (0..1)
//	drops    = drops per second / Params.DropRateFull
//	latency  = probe latency / Params.ProbeLatencyFull (a failed check: 1.0)
//	external = the published load
//	cpu      = CPU time used per second / the CPU the service may use
//
// The first three are congestion signals, near 0 until the service
// saturates; cpu grows with the load from idle on (a utilisation).
//
// Each term goes through an exponential moving average (time constant
// Params.Smoothing, restarted after a gap) and is multiplied by its weight;
// the load figure is the largest weighted term over the fresh inputs,
// clamped to 0..MaxLoad (see Weights). No fresh term: load 0.
//
// Staleness: an input whose latest sample is Params.StaleAfter of its
// intervals old is stale. A stale socket monitor, external load or CPU input leaves the
// load figure (the socket's last known presence stays: its disappearance
// also arrives at once from the kernel's destroy notification). A stale probe
// counts as failing: the service is down until Rise fresh good checks. An
// external load or CPU utilisation that cannot be read leaves the figure
// too.
//
// # Tiers
//
// Few coarse tiers (default metrics 10, 20, 40: a 4:1 range, as the revised
// ARPANET metric bounded its range) with hysteresis: from tier i the model
// moves up when load >= Tiers[i].Up and comes back down only when
// load < Tiers[i].Down. It moves at most one tier per decision, and only
// after MinDwell in the current tier, so the metric climbs 10 -> 20 -> 40 and
// never jumps. A downward move that the load reverses within MaxDwell doubles
// the time the model waits before its next downward move (up to MaxDwell):
// a server that gets traffic only when it is the cheapest does not flap.
// The tier does not move while the service is withdrawn, and goes back to the
// lowest tier when the socket disappears (a new process starts unloaded).
//
// # Health and drain
//
// Rise consecutive good checks make the service up, Fall consecutive failed
// ones down, except failed checks while the socket monitor shows the receive
// queue congested (full or dropping): an overloaded server delays or drops
// the probe behind its queue, so they are load until no check has passed for
// Params.HungAfter, when the service counts as hung (probehealth.go; a probe
// waits up to HungAfter/Fall behind such a queue, Model.ProbeWait). With a
// probe configured the service starts down. A socket that
// is gone withdraws the service at once, without any count: the service is
// dead. A drained service (manual or drain file) withdraws or advertises the
// highest tier, as Params.DrainAction says. Withdrawal has priority over any
// metric.
//
// # Pacing
//
// A metric change, or a return from withdrawn, is reported no sooner than
// Params.MinInterval after the previous reported change of the service: a
// router discards a new instance of an LSA that arrives within MinLSArrival
// of the previous one (RFC 2328 section 13, step 5a; appendix B), and the
// farm's traffic should not move faster than that. A change wanted earlier is
// held, and Decision.NextCheck says when to ask again. A withdrawal is not
// paced: it is reported at once, and the OSPF engine sends it as early as the
// router takes it (ospf/early.go); the change after it is paced from it. A
// wanted withdrawal is latched: it is reported even if its cause has gone
// meanwhile, so it is never lost.
//
// Every reported change is recorded with its reason, the inputs, the load,
// the tier, how long it was held and when the next change may go out; the
// last 20 are kept for Explain. WhatIf runs samples offline through the same
// code.
//
// # Farm view
//
// Behind a plain OSPF router, equal-cost multipath gives each server of the
// cheapest tier the same share of the traffic and the others none
// (RFC 2328 section 16.1), whatever each can answer. A server that moves
// tiers on its own load alone moves all of its traffic at once onto the
// others, which may be as full as it is; several moving together herd.
// The farm view (FarmView, given with ObserveFarm before each Decide, read
// by the caller from its link-state database) shows the other servers
// advertising the same prefix: their metrics, and where they publish a
// server load LSA, their load figure and capacity (Params.Capacity is this
// server's). With it, a tier move for load obeys the farm:
//
//   - Up out of the cheapest tier only when the servers left can absorb
//     what this server answers: each takes an equal part of its traffic, up
//     to its room. The load figure is a congestion figure, so a peer has
//     room only if its load stayed below tier[0].down over the last four
//     stagger slots, and the room is its capacity less the rate per server,
//     which is at least the capacity of every server at or above
//     tier[0].up (this one included) and below the capacity of every
//     server that keeps up. The last server of the cheapest tier never
//     leaves it for load.
//   - A degraded server leaves on a trial: one overloaded throughout the
//     headroom window while a server of no more capacity idles at the same
//     metric (its load at most a quarter of tier[0].down throughout) answers
//     less than its capacity, which then bounds nothing. It leaves when the
//     others could take its whole share at the rate's lower bound (with no
//     other server overloaded: any room), stays out while they keep up
//     without it (until the trial join after MaxDwell), and comes back at
//     once, without dwell or turn, when one of them is overloaded without
//     it; a further trial then waits MaxDwell, doubled for each failure in
//     a row (farmdegraded.go).
//   - A farm saturated as a whole climbs, together: when every server of
//     the cheapest tier is overloaded (each peer throughout the headroom
//     window) and every server advertising above it was overloaded within
//     the window, neither hold applies and the move is not staggered, so
//     that a site whose servers are all busy reaches its dearest tier and
//     the routing domain sends its traffic elsewhere; a server with room,
//     or without load information, keeps the holds.
//   - Down to the cheapest metric a peer (not drained) advertises, in one
//     change, and never below it (this server would become the only
//     cheapest one); into the cheapest tier only when, at every rate the
//     peers' loads allow, the tier answers no less with it. The loads
//     cannot tell a tier this server would relieve from one it would
//     only cost; after MaxDwell above the tier it joins to see (a trial),
//     and leaves again if the others keep up without it. A cheapest tier
//     that sits above tier 0 because its tier-0 servers went away comes
//     down when all of it keeps up.
//   - A server coming up starts at the peers' cheapest metric, or one tier
//     above when joining would lower what the tier answers (after a
//     withdrawal for failed health checks, also while the peers' loads say
//     nothing).
//   - Stagger: the servers take turns, one slot of Params.FarmSlot each in
//     router ID order counted from the Unix epoch, as the ND mode's turn
//     grid does; a server changes tier for load only in the first half of
//     its own slot and when pacing lets the change out at once, so at most
//     one server of the farm moves per pacing interval and two never move
//     together (clocks kept within a quarter slot, by NTP).
//
// Withdrawals (socket gone, failed probe, drain) do not wait for the farm.
// Without a farm view, with a view older than Params.FarmMaxAge, or with
// no peer publishing its load (a single server, older peers), the model
// decides exactly as without the farm view. Every move the farm shapes or
// holds says why in Decision.Farm, the change's reason and
// Explanation.Farm. docs/cost-model-farm.md has the bound this leaves.
package costmodel
