package ndproxy

import (
	"bytes"
	"fmt"
	"math"
	"net"
	"net/netip"
	"slices"
	"time"
)

// Action is one message a Scheduler wants sent now.
type Action struct {
	Kind ActionKind
	// To is the destination of an ActAnswer: the soliciting node.
	To netip.Addr
}

// answer is a solicited NA waiting for its (randomised) time.
type answer struct {
	to netip.Addr
	at time.Time
}

// SchedulerStats count what one scheduler did. The JSON names are those
// of `anycostd status --json` (nd.services[].stats).
type SchedulerStats struct {
	Turns      uint64 `json:"turns"`                 // unsolicited NAs sent (ActAdvertise)
	Answers    uint64 `json:"answers"`               // solicitations answered: solicited NAs sent
	Calls      uint64 `json:"calls"`                 // calls sent (ActCall)
	PeerNAs    uint64 `json:"peer_nas"`              // peers' NAs heard for the address
	Solicits   uint64 `json:"solicitations"`         // Neighbor Solicitations heard for the address
	Ignored    uint64 `json:"solicitations_ignored"` // solicitations left unanswered: withdrawn
	Queries    uint64 `json:"queries"`               // service queries counted
	Takeovers  uint64 `json:"takeovers"`             // turns that took the address from a peer
	Standbys   uint64 `json:"standbys"`              // times the scheduler went to standby
	Activation uint64 `json:"activations"`           // times it became active
	LateTicks  uint64 `json:"late_ticks"`            // turns moved to a later slot: the timer fired over half a slot late
	// TurnsEnded and Held measure how long this server kept its turns:
	// a turn lasts from its NA to the next NA for the address on the link
	// (a peer's or its own next one), or until the server leaves
	// StateActive. Held is the sum over the TurnsEnded turns that ended.
	TurnsEnded uint64        `json:"turns_ended"`
	Held       time.Duration `json:"held_ns"`
}

// MeanTurn is the mean length of the turns that ended (0: none yet).
func (st SchedulerStats) MeanTurn() time.Duration {
	if st.TurnsEnded == 0 {
		return 0
	}
	return st.Held / time.Duration(st.TurnsEnded)
}

// Timing is what a scheduler derives from its weight (its load): how
// soon after the last NA for the address on the link it takes its next
// turn if no peer sends first. How long it then keeps the turn depends on
// the peers' draws too; SchedulerStats.MeanTurn measures it.
type Timing struct {
	Weight float64 `json:"weight"`
	// MinGap is the least time from the last NA on the link ([nd] min_gap).
	MinGap time.Duration `json:"min_gap_ns"`
	// MeanWait and MaxWait are Params.MeanWait and Params.MaxWait for
	// the current weight and grid.
	MeanWait time.Duration `json:"mean_wait_ns"`
	MaxWait  time.Duration `json:"max_wait_ns"`
	// Grid is the number of servers in the send grid (this one and the
	// peers heard within PeerTTL), Rank this server's rank in it by
	// link-layer address: it sends in the slots j with j mod Grid = Rank.
	Grid int `json:"grid"`
	Rank int `json:"rank"`
	// Slot is the width of one slot of the grid.
	Slot time.Duration `json:"slot_ns"`
}

// Scheduler takes the turns of one service address, as pure logic: events and a clock value go in, messages to send
// come out. It never reads the clock, starts no goroutine and does no I/O;
// the package doc describes the rules it follows. A Scheduler is not safe
// for concurrent use.
type Scheduler struct {
	p    Params
	rand func() float64 // uniform in [0, 1)
	self string         // own link-layer address (bytes); "" unknown

	clock  time.Time // the latest time an input brought
	state  State
	since  time.Time
	reason string
	metric uint16
	weight float64

	lastNA     time.Time // last NA for the address on the link (ours included)
	lastNASelf bool      // ... and it was ours
	lastOwnNA  time.Time // our last NA
	holding    bool      // our last turn has not ended yet (SchedulerStats.Held)
	holder     string    // link-layer address of the last NA with Override set
	answered   bool      // answered a solicitation since lastNA: the router may point here
	lastQuery  time.Time
	lastCall   time.Time
	callEvery  time.Duration
	next       time.Time // our next turn; zero: none planned
	answers    []answer

	peerMAC map[string]time.Time     // peers' link-layer addresses, last heard
	peerIP  map[netip.Addr]time.Time // peers' IPv6 sources, last heard

	// The grid's history (warming).
	signed    bool       // heard the first sign of the farm: an NA, a query or a solicitation
	fromStart bool       // ... and it was a multicast solicitation from firstNS
	firstNS   netip.Addr // its source: the router resolving the address (no farm served before), or a peer calling
	firstNSAt time.Time  // ... and when it came
	warmed    bool       // joined a serving farm, and its grid has agreed with the peers' since (warmChecks, warmPerServer)
	agreed    int        // peers' NAs in a row on slot starts the grid gives their senders (checkGrid)
	offGrid   int        // peers' NAs off the slot starts since the last new peer (checkGrid)

	stats SchedulerStats
}

// NewScheduler returns a scheduler in StateWithdrawn (nothing is known
// about the service until the first Decide). self is the server's own
// link-layer address (it ranks the server in the send grid); rand returns
// uniform numbers in [0, 1).
func NewScheduler(p Params, self net.HardwareAddr, rand func() float64, now time.Time) *Scheduler {
	p = p.WithDefaults()
	return &Scheduler{
		p:         p,
		rand:      rand,
		self:      string(self),
		state:     StateWithdrawn,
		since:     now,
		reason:    "no decision yet",
		weight:    1,
		callEvery: p.CallAfter,
		peerMAC:   make(map[string]time.Time),
		peerIP:    make(map[netip.Addr]time.Time),
	}
}

// State returns the current state, since when, and why.
func (s *Scheduler) State() (State, time.Time, string) { return s.state, s.since, s.reason }

// Weight is the current weight (Weight of the decided metric).
func (s *Scheduler) Weight() float64 { return s.weight }

// Metric is the last metric decided (0 while withdrawn).
func (s *Scheduler) Metric() uint16 { return s.metric }

// Timing returns the turn timing the current weight gives.
func (s *Scheduler) Timing() Timing {
	n, k := s.grid()
	return Timing{
		Weight:   s.weight,
		MinGap:   s.p.MinGap,
		MeanWait: s.p.MeanWait(s.weight),
		MaxWait:  s.p.MaxWait(s.weight, int(n)),
		Grid:     int(n),
		Rank:     int(k),
		Slot:     s.p.Slot,
	}
}

// Stats returns the counters.
func (s *Scheduler) Stats() SchedulerStats { return s.stats }

// NextTurn is when the scheduler plans its next turn (zero: none).
func (s *Scheduler) NextTurn() time.Time { return s.next }

// LastNA is when the last NA for the address was seen on the link, and
// whether it was ours.
func (s *Scheduler) LastNA() (time.Time, bool) { return s.lastNA, s.lastNASelf }

// LastTurn is when the scheduler last took a turn (zero: never).
func (s *Scheduler) LastTurn() time.Time { return s.lastOwnNA }

// LastQuery is when the last service query was counted.
func (s *Scheduler) LastQuery() time.Time { return s.lastQuery }

// Holder is the link-layer address of the last NA with the Override flag
// heard or sent for the address: the router sends there (nil: unknown).
func (s *Scheduler) Holder() net.HardwareAddr {
	if s.holder == "" {
		return nil
	}
	return net.HardwareAddr(s.holder)
}

// Peers lists the link-layer addresses of the peers heard within PeerTTL,
// sorted.
func (s *Scheduler) Peers(now time.Time) []net.HardwareAddr {
	var out []net.HardwareAddr
	for m, t := range s.peerMAC {
		if s.fresh(t) {
			out = append(out, net.HardwareAddr(m))
		}
	}
	slices.SortFunc(out, func(a, b net.HardwareAddr) int { return bytes.Compare(a, b) })
	return out
}

// IsPeer reports whether src sent an NA for the address within PeerTTL.
func (s *Scheduler) IsPeer(now time.Time, src netip.Addr) bool {
	t, ok := s.peerIP[src.WithZone("")]
	return ok && s.fresh(t)
}

func (s *Scheduler) setState(now time.Time, st State, reason string) {
	if st == StateActive && s.state != StateActive {
		s.stats.Activation++
		s.lastQuery = now // a fresh standby clock
		s.callEvery = s.p.CallAfter
	}
	if st == StateStandby {
		s.stats.Standbys++
	}
	if st != StateActive {
		s.next = time.Time{}
		s.endTurn(now)
	}
	s.state, s.since, s.reason = st, now, reason
}

// Decide hands the cost model's decision to the scheduler: withdrawn, or
// running with metric (base is the metric of weight 1, see Weight).
//
// Withdrawal stops every turn and answer at once; a server the router may
// still be sending to (its NA was the last on the link, or it answered a
// solicitation since) calls its peers so one of them takes over early.
// A service coming back waits in StateIdle.
func (s *Scheduler) Decide(now time.Time, withdrawn bool, metric, base uint16) []Action {
	s.clock = now
	if withdrawn {
		if s.state == StateWithdrawn {
			return nil
		}
		mightHold := s.lastNASelf || s.answered
		s.metric = 0
		s.answers = nil
		s.setState(now, StateWithdrawn, "service withdrawn")
		if mightHold {
			// The call repeats (Queries) while queries still come.
			s.callEvery = 2 * s.p.MinGap
			return []Action{s.call(now)}
		}
		return nil
	}
	w := Weight(metric, base)
	changed := w != s.weight
	s.weight, s.metric = w, metric
	switch s.state {
	case StateWithdrawn:
		s.setState(now, StateIdle, "service up; waiting for the router's solicitation, a query or a peer's NA")
	case StateActive:
		if changed {
			s.plan(now, false) // memoryless: redraw with the new weight
		}
	}
	return nil
}

// HeardNA records a peer's NA for the address (src its IPv6 source, mac
// its target link-layer address, nil if none). Every NA counts for the
// gap; one with Override set makes its sender the holder. An idle server
// joins the turns: the farm is serving, so the router has an entry.
func (s *Scheduler) HeardNA(now time.Time, src netip.Addr, mac net.HardwareAddr, override bool) []Action {
	s.clock = now
	s.sign(false)
	if s.fromStart && (src.WithZone("") == s.firstNS || now.Sub(s.firstNSAt) < s.p.MinGap-s.p.Slot) {
		s.fromStart = false // the first solicitation was a peer's call: the farm served
	}
	s.stats.PeerNAs++
	s.peerIP[src.WithZone("")] = now
	if len(mac) > 0 && string(mac) != s.self {
		s.checkGrid(now, string(mac))
		s.peerMAC[string(mac)] = now
	}
	s.lastNA, s.lastNASelf, s.answered = now, false, false
	s.forget()
	if override && len(mac) > 0 {
		s.holder = string(mac)
		if string(mac) != s.self {
			s.endTurn(now) // the router now sends to the peer
		}
	}
	switch s.state {
	case StateIdle:
		s.setState(now, StateActive, "a peer advertises the address: the farm is serving")
		s.plan(now, false)
	case StateActive:
		if s.heardAllSince(now, s.lastCall) {
			s.callEvery = s.p.CallAfter // the calls were answered
		}
		s.plan(now, false)
	}
	return nil
}

// heardAllSince reports whether every peer of the grid was heard after t.
func (s *Scheduler) heardAllSince(now, t time.Time) bool {
	for _, h := range s.peerMAC {
		if s.fresh(h) && !h.After(t) {
			return false
		}
	}
	return true
}

// HeardNS records a Neighbor Solicitation for the address from src, sent
// to a multicast group (multicast) or to the address itself. A withdrawn
// server ignores it. Otherwise the scheduler
// answers it unless it comes from a peer (a peer's call) or from the
// unspecified address (duplicate address detection: an anycast address is
// not subject to it, RFC 4862 section 5.4), and becomes active (box 524).
// A multicast solicitation makes an active server take an early turn: the
// router is resolving the address, or a peer calls for a new holder. A
// unicast one is the router probing this server (RFC 4861 section 7.3.3):
// coming out of idle or standby that way, the server calls its peers.
func (s *Scheduler) HeardNS(now time.Time, src netip.Addr, multicast bool) []Action {
	s.clock = now
	if multicast && !s.signed {
		s.firstNS, s.firstNSAt = src.WithZone(""), now
	}
	s.sign(multicast)
	s.stats.Solicits++
	if s.state == StateWithdrawn {
		s.stats.Ignored++
		return nil
	}
	var acts []Action
	src = src.WithZone("")
	if !src.IsUnspecified() && !s.IsPeer(now, src) {
		if multicast {
			d := time.Duration(s.rand() * s.weight * float64(s.p.AnswerSpread))
			s.answers = append(s.answers, answer{to: src, at: now.Add(d)})
		} else {
			acts = append(acts, s.answerNow(src))
		}
		s.answered = true
	}
	prev := s.state
	s.lastQuery = now // the router has traffic for the address
	if prev != StateActive {
		s.setState(now, StateActive, "solicited for the address")
	}
	switch {
	case multicast:
		s.plan(now, true)
	case prev != StateActive:
		acts = append(acts, s.call(now))
		s.plan(now, false)
	}
	return acts
}

// Queries records n service queries that reached this server. Queries
// mean the router sends here: an idle or standby server becomes active
// and calls its peers (they may be in standby); a withdrawn one calls
// them again (at most every 2 × min_gap, doubling up to standby_after) so
// that someone takes over.
func (s *Scheduler) Queries(now time.Time, n uint64) []Action {
	s.clock = now
	if n == 0 {
		return nil
	}
	s.sign(false)
	s.stats.Queries += n
	s.lastQuery = now
	switch s.state {
	case StateIdle, StateStandby:
		s.setState(now, StateActive, "queries arrive: the router sends here")
		s.plan(now, false)
		return []Action{s.call(now)}
	case StateWithdrawn:
		if now.Sub(s.lastCall) >= s.callEvery {
			s.callEvery = min(2*s.callEvery, s.p.StandbyAfter)
			return []Action{s.call(now)}
		}
	}
	return nil
}

// Tick runs the timers: answers that are due, the turn, standby and the
// lone server's call. Call it at Next (or later).
func (s *Scheduler) Tick(now time.Time) []Action {
	s.clock = now
	var acts []Action
	keep := s.answers[:0]
	for _, a := range s.answers {
		if now.Before(a.at) {
			keep = append(keep, a)
			continue
		}
		acts = append(acts, s.answerNow(a.to))
	}
	s.answers = keep
	if s.state != StateActive {
		return acts
	}
	if now.Sub(s.lastQuery) >= s.p.StandbyAfter {
		s.setState(now, StateStandby, fmt.Sprintf("no query for %v", s.p.StandbyAfter))
		return acts
	}
	if !s.next.IsZero() && now.Sub(s.next) > s.p.Slot/2 {
		// Woken too late (a starved process): the slot may already
		// belong to a peer whose NA is still unread. Take the next own
		// slot instead; the peer's NA, if any, comes first.
		s.stats.LateTicks++
		ref := s.lastNA
		if ref.IsZero() {
			ref = now
		}
		s.next = s.align(ref, now)
	}
	if !s.next.IsZero() && !now.Before(s.next) {
		acts = append(acts, Action{Kind: ActAdvertise})
		s.stats.Turns++
		if s.holder != s.self {
			s.stats.Takeovers++
		}
		s.holder = s.self
		s.endTurn(now)
		s.holding = true
		s.lastNA, s.lastNASelf, s.answered = now, true, false
		s.lastOwnNA = now
		s.plan(now, false)
	}
	if c := s.callDue(now); !c.IsZero() && !now.Before(c) {
		acts = append(acts, s.call(now))
		s.callEvery = min(2*s.callEvery, s.p.StandbyAfter)
	}
	return acts
}

// Next is when Tick must run next (zero: only an event can change
// anything).
func (s *Scheduler) Next() time.Time {
	var next time.Time
	earlier := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, a := range s.answers {
		earlier(a.at)
	}
	if s.state == StateActive {
		earlier(s.next)
		earlier(s.lastQuery.Add(s.p.StandbyAfter))
		earlier(s.callDue(s.clock))
	}
	return next
}

// callDue is when an active server calls peers that may have gone to
// standby: only while queries reach it (an idle farm stays silent), once
// it has heard no peer at all since it became active, or some peer of
// its grid has been silent, for CallAfter; then again after callEvery,
// which doubles after each call up to StandbyAfter and starts over once
// every peer of the grid has been heard since the last call. Zero: no
// call planned. now only ages the grid's peers.
func (s *Scheduler) callDue(now time.Time) time.Time {
	silent := s.since
	var oldest time.Time
	for _, t := range s.peerMAC {
		if s.fresh(t) && (oldest.IsZero() || t.Before(oldest)) {
			oldest = t
		}
	}
	if oldest.After(silent) {
		silent = oldest
	}
	due := silent.Add(s.p.CallAfter)
	if c := s.lastCall.Add(s.callEvery); c.After(due) {
		due = c
	}
	if !due.Before(s.lastQuery.Add(s.p.CallAfter)) {
		return time.Time{}
	}
	return due
}

// endTurn ends our turn, if one is running, at now (SchedulerStats.Held).
func (s *Scheduler) endTurn(now time.Time) {
	if !s.holding {
		return
	}
	s.holding = false
	s.stats.TurnsEnded++
	if d := now.Sub(s.lastOwnNA); d > 0 {
		s.stats.Held += d
	}
}

func (s *Scheduler) call(now time.Time) Action {
	s.stats.Calls++
	s.lastCall = now
	return Action{Kind: ActCall}
}

func (s *Scheduler) answerNow(to netip.Addr) Action {
	s.stats.Answers++
	return Action{Kind: ActAnswer, To: to}
}

// plan draws the time of the next turn: the gap after the last NA on the
// link (or now, if later), plus a random wait, put on this server's send
// grid (align). The wait is exponential with mean min_gap × weight, cut
// at drawCap means. An early turn waits earlySlots slots × weight on
// average instead, but only for a server its peers know: a newcomer's
// first turn is never early. A server still warming up takes early turns
// too, off the slot starts (align).
func (s *Scheduler) plan(now time.Time, early bool) {
	ref := s.lastNA
	if ref.IsZero() {
		ref = now
	}
	earliest := ref.Add(s.p.MinGap)
	if earliest.Before(now) {
		earliest = now
	}
	mean := float64(s.p.MinGap) * s.weight
	if early && s.known() {
		mean = float64(s.p.Slot) * earlySlots * s.weight
	}
	s.next = s.align(ref, earliest.Add(s.draw(mean)))
}

// draw returns an exponential wait with the given mean, cut at drawCap
// means.
func (s *Scheduler) draw(mean float64) time.Duration {
	u := s.rand()
	if u < 0 || u >= 1 || math.IsNaN(u) {
		u = 0.5
	}
	x := -mean * math.Log1p(-u)
	return time.Duration(min(x, drawCap*mean))
}

// align puts t on the send grid. Slot j starts at ref + j × Slot, ref
// being the last NA on the link, which every server saw at about the same
// time. A server its peers know owns the slots j with j mod n = k, n
// being the servers of its grid and k its rank among them by link-layer
// address: it sends at the start of its first slot at or after t, so two
// known servers never send closer than a slot apart. A newcomer (peers
// have not heard it yet, so they do not leave it a slot), and a server
// still warming up (its grid may lack a peer), keeps the random position
// of t within its slot but squeezed into the slot's middle half (never
// before t): at least a quarter slot from any server on the grid.
func (s *Scheduler) align(ref, t time.Time) time.Time {
	slot := int64(s.p.Slot)
	d := max(int64(t.Sub(ref)), 0)
	if !s.known() || s.warming() {
		j, frac := d/slot, d%slot
		at := j*slot + slot/4 + frac/2
		if at < d {
			at += slot
		}
		return ref.Add(time.Duration(at))
	}
	n, k := s.grid()
	j := (d + slot - 1) / slot
	j += (k - j%n + n) % n
	return ref.Add(time.Duration(j * slot))
}

// known reports whether the peers have heard this server: it sent an NA
// within PeerTTL of link activity.
func (s *Scheduler) known() bool {
	return !s.lastOwnNA.IsZero() && s.fresh(s.lastOwnNA)
}

// sign records the first sign of the farm this scheduler hears, which
// tells whether it has listened since the farm began serving: the router
// resolving the address (a multicast solicitation, resolving) means no
// server had a turn yet, as at a farm's cold start, and then this
// server's grid will hold every server that takes one. A peer's NA, a
// query or the router's unicast probe means the farm serves already:
// this server joined it (a server restarted while its peers serve, or
// started late), and warms up. A peer's call is a multicast solicitation
// too, which the scheduler cannot tell from the router's at once. HeardNA
// tells them apart later: after the router resolves an address no server
// has sent an NA for, every server waits at least min_gap from the
// solicitation before its first turn; after a call, the peers take early
// turns, mostly within min_gap of it, and the caller itself sends NAs,
// which the router never does. Either makes the server warm up from there.
func (s *Scheduler) sign(resolving bool) {
	if !s.signed {
		s.signed, s.fromStart = true, resolving
	}
}

// warming reports whether this server joined a serving farm and may not
// have heard every peer yet: its peers may know it (a restarted server
// keeps its place in their grids for PeerTTL) and leave it slots of a grid
// larger than its own. While warming, a server sends off the slot starts
// (align), early turns included. It ends once warmChecks of its peers' NAs
// in a row agreed with its grid (checkGrid), or, should no peer send on
// the grid (every server of the farm warming: restarted one after the
// other), once it has heard warmPerServer NAs per server of its grid off
// the slot starts since it last heard a new peer. It starts again when a
// peer's NA on a slot start disagrees with the grid (checkGrid).
func (s *Scheduler) warming() bool {
	return !s.fromStart && !s.warmed
}

// checkGrid tests the server's grid against a peer's NA heard at now,
// before it is recorded: a peer on the grid sends at the start of
// one of its own slots j (j mod n = its rank), counted from the NA before
// (lastNA; ours one latency earlier than the peer saw it, a peer's at
// about the same time, so the NA comes between 0 and 2 latencies into
// slot j). An NA within the first quarter of slot j (latency under an
// eighth of a slot, as for newcomers) agrees when j mod n is the rank the
// server's grid gives the sender, or disagrees; one further into a slot
// is a newcomer's or a warming server's and counts for warmPerServer
// only. A new peer starts both counts over. A grid that lacks a peer gives
// most peers another rank or the link another n, and their NAs disagree:
// about half of them, or more, in a farm of three. A server on the grid
// (warm, or listening since the farm's start, and known) keeps checking:
// an NA that disagrees sends it back to warming up (its grid lacks a peer
// it has not heard since it started, or a peer's grid does).
func (s *Scheduler) checkGrid(now time.Time, mac string) {
	onGrid := !s.warming()
	if onGrid && !s.known() {
		return
	}
	if t, ok := s.peerMAC[mac]; !ok || !s.fresh(t) {
		if onGrid {
			return
		}
		s.agreed, s.offGrid = 0, 0 // a new peer: the grid grows
		return
	}
	if s.lastNA.IsZero() {
		return
	}
	n, _ := s.grid()
	slot := int64(s.p.Slot)
	d := int64(now.Sub(s.lastNA))
	if d < 0 || d%slot >= slot/4 {
		// Off the slot starts: a newcomer or a warming peer.
		if onGrid {
			return
		}
		if s.offGrid++; s.offGrid >= warmPerServer*int(n) {
			s.warmed = true
		}
		return
	}
	var k int64 // the sender's rank
	if s.self < mac {
		k++
	}
	for m, t := range s.peerMAC {
		if m < mac && s.fresh(t) {
			k++
		}
	}
	if (d/slot)%n != k {
		if onGrid {
			s.fromStart, s.warmed, s.offGrid = false, false, 0
		}
		s.agreed = 0
		return
	}
	if onGrid {
		return
	}
	if s.agreed++; s.agreed >= warmChecks {
		s.warmed = true
	}
}

// fresh reports whether something heard at t is still within PeerTTL of
// the last NA on the link. Time without any NA (a farm in standby) does
// not age peers: servers forget each other only while the link is busy
// without them.
func (s *Scheduler) fresh(t time.Time) bool {
	return s.lastNA.Sub(t) < s.p.PeerTTL
}

// grid returns the number of servers in the send grid (this one and the
// fresh peers) and this server's rank among them by link-layer address.
func (s *Scheduler) grid() (n, k int64) {
	n = 1
	for m, t := range s.peerMAC {
		if !s.fresh(t) {
			continue
		}
		n++
		if m < s.self {
			k++
		}
	}
	return n, k
}

// forget drops peers that are no longer fresh.
func (s *Scheduler) forget() {
	for m, t := range s.peerMAC {
		if !s.fresh(t) {
			delete(s.peerMAC, m)
		}
	}
	for a, t := range s.peerIP {
		if !s.fresh(t) {
			delete(s.peerIP, a)
		}
	}
}
