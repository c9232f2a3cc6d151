// Package ndproxy is anycostd's ND mode (a service with mode = "nd"), in
// which the servers of a farm take turns at a plain IPv6 router with Neighbor Discovery (RFC 4861) instead of
// running a routing protocol.
//
// # How the router is steered
//
// The service address sits on each server's loopback (so the kernel does
// not answer solicitations for it) and inside the link's on-link prefix at
// the router. The router resolves it like any neighbor. A server takes a
// turn by sending an ND proxy message: an unsolicited Neighbor
// Advertisement to ff02::1 with the Override flag, target the service
// address, target link-layer address its own (RFC 4861 section 7.2.6).
// The router then updates its neighbor entry (section 7.2.5) and sends
// every query for the address to that server until the next turn. An
// unsolicited NA creates no entry: turns start only once the router has
// solicited the address.
//
// # The scheduler
//
// Scheduler is the pure logic, one per service address, driven by five
// inputs: the cost model's decision (withdrawn, or a metric), a peer's NA
// for the address, a solicitation for it, the count of queries that
// reached the server, and the clock. Speaker runs the schedulers on the
// interface.
//
//   - Weight. The decided metric becomes a weight w = metric / base
//     metric, between 1 and MaxWeight (base: the lightest tier's metric;
//     tiers 10/20/40 give 1/2/4). w is the server's load as the cost model
//     sees it, with its tiers, hysteresis and dwell.
//   - Turns. After every NA for the address on the link (a peer's or its
//     own), an active server draws its next turn: min_gap after that NA,
//     plus an exponential wait of mean min_gap × w (cut at 4 means), put
//     on its slot of the send grid (below). A peer's NA arriving first
//     cancels the draw and a new one starts from that NA. The holder draws
//     too: if it wins, it keeps its turn.
//   - Why this balances. The waits are memoryless, so after each NA the
//     next sender is server i with probability (1/w_i) / Σ(1/w_j),
//     whoever holds the address now, and every interval between NAs has
//     the same distribution. The share of time the router sends to server
//     i, hence its share of the queries, is therefore
//     (1/w_i) / Σ(1/w_j): lighter servers take more turns and keep them
//     longer. Equal weights share equally; weights 1, 2, 4 get 4/7, 2/7,
//     1/7. A loaded server's tier goes up, its weight with it, and it gets
//     less: this is the feedback. NAs come at most every min_gap and on
//     average every min_gap × (1 + 1/Σ(1/w_j)).
//   - The gap. No server sends within min_gap of the last NA it saw for
//     the address. Two servers whose draws end within a message's
//     latency of each other would both send; the send grid prevents that:
//     time after the last NA is cut in slots (Params.Slot, 20 ms), and
//     a server sends only at the start of its own slots (slot j with
//     j mod n = k, n the servers it has heard, k its rank by link-layer
//     address). Two servers that know each other never send closer than a
//     slot apart, so the gap holds while the one-way latency (wire plus
//     scheduling) stays under half a slot; a server whose timer fires over
//     half a slot late does not send but moves to its next slot (a starved
//     process may not have read a peer's NA yet). A newcomer, whom the peers do
//     not know yet, sends in the middle half of a slot (at least a quarter
//     slot from every server on the grid: safe while the latency stays
//     under an eighth of a slot) until its first NA. So does a server that
//     joined a serving farm (restarted while its peers serve, or started
//     late) while it warms up: its peers may still have it in their grids
//     (PeerTTL) while its own lacks a peer it has not heard yet, and a slot
//     of a smaller grid can start where a peer's does. A server tells from
//     the first thing it hears whether it joined: the router's multicast
//     solicitation for the address means no server has sent an NA yet (a
//     cold start: it will hear every server that takes a turn); a peer's
//     NA, a query or a unicast probe means the farm serves, and so does a
//     multicast solicitation that turns out to be a peer's call (its
//     source sends an NA, or an NA follows it sooner than min_gap, which
//     no server does after the router resolves the address). The warm-up
//     ends once 8 of the peers' NAs in a row came at the starts of slots
//     its grid gives their senders (a new peer starts over), or, when no
//     peer sends on the grid (all warming), after one NA per server of its
//     grid off the slot starts since the last new peer. A server on the
//     grid keeps checking, and one of the peers' NAs on a slot start its
//     grid does not give that peer sends it back to warming up. Early
//     turns stay, off the slot starts. Only two servers off the grid at
//     once (newcomers, or joiners still warming) can still meet: one
//     latency apart, in the same slot.
//   - Standby. A server that has counted no query for standby_after stops
//     sending (StateStandby) but keeps listening. It comes back on the
//     router's next solicitation for the address or on a query (the
//     router still points at it); coming back any other way than by a
//     multicast solicitation, which every server hears, it calls its peers
//     (below). When clients stop, every server ends in standby and the
//     link falls silent; the router's entry stays (stale) on the last
//     holder, which the first new query reaches and wakes.
//   - Calls. A call is a Neighbor Solicitation for the service address,
//     sent by a server to the address's solicited-node group, which only
//     the servers joined. Peers do not answer it; they leave standby or
//     idle, and an active peer takes an early turn (min_gap after the last
//     NA, or now if later, plus a wait of mean 2 slots × w). The router's
//     own multicast solicitation has the same effect. A server calls when
//     it withdraws while the router may still send to it (its NA was the
//     last, or it answered a solicitation since), again (with a growing
//     interval) while queries still reach it withdrawn, when it wakes from
//     standby by a query or a unicast probe, and when queries reach it but
//     it has heard no peer, or one of its peers, for CallAfter (20 ×
//     min_gap, at most standby_after / 2): a peer may have gone to standby
//     while the others carried on. An idle farm (no queries) never calls.
//   - Solicitations. A running server answers the router's solicitation
//     with a solicited NA (Solicited set, Router clear, Override clear for
//     an anycast target, RFC 4861 section 7.2.4); one sent to a multicast
//     group waits a random time up to AnswerSpread × w (section 7.2.7
//     allows 1 s), so the lightest server tends to answer first and win
//     an INCOMPLETE entry. A withdrawn server stays silent.
//     Duplicate address detection probes (from ::) are not answered: an
//     anycast address is not subject to it.
//   - Idle. A running service the router never solicited waits
//     (StateIdle); it joins the turns at the first peer NA it hears (the
//     farm serves, so the router has an entry). After standby_after idle,
//     the speaker logs why: the address outside the interface's prefixes,
//     no solicitation heard at all, or the router soliciting other
//     addresses only.
//
// # When the service stops
//
// The service manager's decision goes withdrawn (the socket monitor sees
// the socket destroyed within milliseconds): the scheduler stops sending
// and answering at once, and calls its peers if the router may still be
// sending to it. The router keeps sending to the withdrawn server until
// the next NA from a peer: with the call, at most min_gap after the
// withdrawn server's last NA (or right after the call, if later) plus the
// early wait and a round of the grid; without a call (the server died with
// its daemon), at most Params.MaxWait of the lightest active peer after
// the last NA: min_gap × (1 + 4 w) plus a round of the grid.
//
// # Status
//
// Speaker.Status is what `anycostd status` and the anycostd_nd_*
// metrics show: per service its state, what it did (SchedulerStats:
// turns, answers, the peers' NAs, solicitations, calls, queries, and how
// long its turns lasted: a turn lasts from its NA to the next NA with
// Override on the link, or until the server leaves StateActive), what it
// derives from its weight (Timing: Params.MeanWait and Params.MaxWait),
// and while idle the IdleCause; and the speaker's message counters.
//
// # The socket
//
// One ICMPv6 raw socket per interface (ndsock.Conn, package ndp), hop limit 255,
// receiving only NS and NA. It is bound to no address, because a raw socket
// bound to an address only receives the unicast packets sent to that
// address, and the router's unicast probes (RFC 4861 section 7.3.3) are
// sent to the service address; packets of other interfaces are skipped.
// Each service's solicited-node group is joined on the interface.
//
// # Queries and bad input
//
// Queries are counted per service address by a packet socket with a BPF
// filter that keeps non-ICMPv6 packets to the address (ndsock.PacketCounter): the
// kernel counts them without copying anything out. Received NS and NA are
// checked as RFC 4861 sections 7.1.1 and 7.1.2 say (hop limit 255, code 0,
// length, options, no multicast target, no solicited NA to a multicast
// group, DAD probes to a solicited-node group without a source link-layer
// address); the rest, and messages for other targets, are ignored and
// counted by reason (Counters.Dropped).
package ndproxy
