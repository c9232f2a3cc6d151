package ospf

import (
	"net/netip"
	"sort"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// nbrState is the neighbor state of RFC 2328 10.1 (Attempt, for NBMA
// links only, is left out).
type nbrState uint8

const (
	nbrDown nbrState = iota
	nbrInit
	nbr2Way
	nbrExStart
	nbrExchange
	nbrLoading
	nbrFull
)

func (s nbrState) String() string {
	return [...]string{"Down", "Init", "2-Way", "ExStart", "Exchange", "Loading", "Full"}[s]
}

// nbrEventKind is a neighbor event of RFC 2328 10.2.
type nbrEventKind uint8

const (
	nbrHelloReceived nbrEventKind = iota
	nbr2WayReceived
	nbrNegotiationDone
	nbrExchangeDone
	nbrBadLSReq
	nbrLoadingDone
	nbrAdjOK
	nbrSeqNumberMismatch
	nbr1WayReceived
	nbrKillNbr
	nbrInactivityTimer
	nbrLLDown
)

func (k nbrEventKind) String() string {
	return [...]string{"HelloReceived", "2-WayReceived", "NegotiationDone", "ExchangeDone",
		"BadLSReq", "LoadingDone", "AdjOK?", "SeqNumberMismatch", "1-WayReceived",
		"KillNbr", "InactivityTimer", "LLDown"}[k]
}

// neighbor is the neighbor data structure of RFC 2328 10 (RFC 5340 4.1.3).
type neighbor struct {
	id         uint32 // Router ID: OSPFv3 names neighbors by it on every link
	addr       netip.Addr
	ifID       uint32 // the neighbor's Interface ID, from its Hellos
	prio       uint8
	dr, bdr    uint32 // as the neighbor declares them
	opts       lsa.Options
	hopLimit   int  // of its last Hello; -1 when unknown
	gtsmWarned bool // checkGTSM has logged about it
	state      nbrState
	since      time.Time
	deadAt     time.Time // inactivity timer
	master     bool      // this router is master of the exchange
	ddSeq      uint32
	lastRecv   ddIdent // for duplicate detection (RFC 2328 10.6)
	haveRecv   bool
	lastSent   []byte    // last DBD sent, for retransmission and duplicates
	ddRxmtAt   time.Time // master: retransmit the last DBD
	holdTill   time.Time // slave: keep answering duplicates until
	sentLast   bool      // our last DBD had M clear
	ddRetries  int       // master: retransmissions of the current DBD
	summary    []lsa.Key // Database summary list

	// Link state request list, in order, and what is in flight.
	reqs     map[lsa.Key]lsa.Header
	reqOrder []lsa.Key
	lsrAt    time.Time // retransmit outstanding requests
	lsrBatch int       // how many requests the last LSR carried

	// Link state retransmission list: the instance sent and when.
	rxmt   map[lsa.Key]rxmtEntry
	rxmtAt time.Time

	// listing checks, while Full with the DR, that its Network-LSA lists
	// us (stuck_exchange.go).
	listing listingWatch
}

type ddIdent struct {
	flags uint8
	opts  lsa.Options
	seq   uint32
}

type rxmtEntry struct {
	hdr  lsa.Header
	sent time.Time
}

func newNeighbor(id uint32, now time.Time) *neighbor {
	return &neighbor{
		id:    id,
		since: now,
		reqs:  make(map[lsa.Key]lsa.Header),
		rxmt:  make(map[lsa.Key]rxmtEntry),
	}
}

func (n *neighbor) deadlines(d *deadline) {
	d.add(n.deadAt)
	d.add(n.ddRxmtAt)
	d.add(n.holdTill)
	d.add(n.lsrAt)
	d.add(n.rxmtAt)
	d.add(n.listing.at)
}

// maxDDRetries is how many times a master retransmits one DBD in
// Exchange before it starts the exchange over.
const maxDDRetries = 8

// nbrList returns the neighbors sorted by router ID, so that everything
// the engine does is deterministic.
func (e *engine) nbrList() []*neighbor {
	ns := make([]*neighbor, 0, len(e.nbrs))
	for _, n := range e.nbrs {
		ns = append(ns, n)
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i].id < ns[j].id })
	return ns
}

// dueNeighbors returns, sorted, the neighbors with a timer due at now.
func (e *engine) dueNeighbors(now time.Time) []*neighbor {
	var due []*neighbor
	for _, n := range e.nbrs {
		var d deadline
		n.deadlines(&d)
		if !d.t.IsZero() && !now.Before(d.t) {
			due = append(due, n)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].id < due[j].id })
	return due
}

// maxNeighbors bounds the neighbors kept for the link, so that a flood of
// Hellos with made-up router IDs cannot grow memory without limit; see
// neighbor_table.go for who gets a place when the table is full.
const maxNeighbors = 1024

// adjacencyWanted reports whether an adjacency should be formed with n
// (RFC 2328 10.4 on a broadcast link): when either end is DR or BDR.
func (e *engine) adjacencyWanted(n *neighbor) bool {
	self := e.cfg.RouterID
	return e.dr == self || e.bdr == self || n.id == e.dr || n.id == e.bdr
}

// nbrEvent runs the neighbor state machine (RFC 2328 10.3).
func (e *engine) nbrEvent(now time.Time, n *neighbor, ev nbrEventKind) {
	old := n.state
	switch ev {
	case nbrHelloReceived:
		if n.state == nbrDown {
			n.state = nbrInit
		}
		n.deadAt = now.Add(e.cfg.DeadInterval)
	case nbr2WayReceived:
		if n.state != nbrInit {
			break
		}
		if e.adjacencyWanted(n) {
			e.startExStart(now, n)
		} else {
			n.state = nbr2Way
		}
	case nbrNegotiationDone:
		if n.state != nbrExStart {
			break
		}
		n.state = nbrExchange
		e.buildSummary(now, n)
	case nbrExchangeDone:
		if n.state != nbrExchange {
			break
		}
		if len(n.reqs) == 0 {
			n.state = nbrFull
		} else {
			n.state = nbrLoading
			e.sendLSR(now, n, false)
		}
	case nbrLoadingDone:
		if n.state == nbrLoading {
			n.state = nbrFull
		}
	case nbrAdjOK:
		switch {
		case n.state == nbr2Way && e.adjacencyWanted(n):
			e.startExStart(now, n)
		case n.state >= nbrExStart && !e.adjacencyWanted(n):
			n.state = nbr2Way
			e.clearLists(n)
		}
	case nbrSeqNumberMismatch, nbrBadLSReq:
		if n.state >= nbrExchange {
			e.clearLists(n)
			e.startExStart(now, n)
		}
	case nbr1WayReceived:
		if n.state >= nbr2Way {
			n.state = nbrInit
			e.clearLists(n)
		}
	case nbrKillNbr, nbrInactivityTimer, nbrLLDown:
		n.state = nbrDown
		e.clearLists(n)
		n.deadAt = time.Time{}
	}
	if n.state == old {
		return
	}
	n.since = now
	e.log.Info("neighbor state", "neighbor", lsa.IDString(n.id), "event", ev, "from", old, "to", n.state)
	if n.state == nbrDown {
		delete(e.nbrs, n.id)
	}
	// Leaving or entering 2-Way changes the election; leaving or entering
	// Full changes the LSAs this router originates (RFC 2328 12.4).
	if (old >= nbr2Way) != (n.state >= nbr2Way) {
		e.ifEvent(now, ifNeighborChange)
	}
	if (old == nbrFull) != (n.state == nbrFull) {
		e.originateRouter()
		e.originateNetwork(now)
	}
}

// startExStart enters ExStart (RFC 2328 10.3, 2-WayReceived / AdjOK?):
// claim mastership with a fresh DD sequence number and send empty DBDs
// with I, M and MS set until the neighbor answers.
func (e *engine) startExStart(now time.Time, n *neighbor) {
	n.state = nbrExStart
	n.since = now
	if n.ddSeq == 0 {
		n.ddSeq = uint32(now.Unix()) | 1
	} else {
		n.ddSeq++
	}
	n.master = true
	n.ddRetries = 0
	n.haveRecv = false
	n.sentLast = false
	e.sendDBD(now, n, true)
}

// clearLists empties the neighbor's summary, request and retransmission
// lists (RFC 2328 10.3) and stops their timers.
func (e *engine) clearLists(n *neighbor) {
	n.summary = nil
	n.reqs = make(map[lsa.Key]lsa.Header)
	n.reqOrder = nil
	n.rxmt = make(map[lsa.Key]rxmtEntry)
	n.lastSent = nil
	n.ddRxmtAt, n.holdTill, n.lsrAt, n.rxmtAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
}

// nbrTimers fires the neighbor's due timers.
func (e *engine) nbrTimers(now time.Time, n *neighbor) {
	if !n.deadAt.IsZero() && !now.Before(n.deadAt) {
		e.log.Warn("neighbor dead", "neighbor", lsa.IDString(n.id), "dead_interval", e.cfg.DeadInterval)
		e.nbrEvent(now, n, nbrInactivityTimer)
		return
	}
	if !n.ddRxmtAt.IsZero() && !now.Before(n.ddRxmtAt) {
		n.ddRxmtAt = time.Time{}
		if n.state == nbrExchange && n.master && n.ddRetries >= maxDDRetries {
			e.seqMismatch(now, n, "slave stopped answering")
			return
		}
		if (n.state == nbrExStart || n.state == nbrExchange) && n.master && n.lastSent != nil {
			n.ddRetries++
			e.resendDBD(now, n)
			e.cnt.retransmits++
			n.ddRxmtAt = now.Add(e.ddRetransmit())
		}
	}
	if !n.holdTill.IsZero() && !now.Before(n.holdTill) {
		n.holdTill = time.Time{}
		n.lastSent = nil
	}
	if !n.lsrAt.IsZero() && !now.Before(n.lsrAt) {
		n.lsrAt = time.Time{}
		if n.state == nbrExchange || n.state == nbrLoading {
			e.sendLSR(now, n, true)
		}
	}
	if !n.rxmtAt.IsZero() && !now.Before(n.rxmtAt) {
		e.retransmit(now, n)
	}
}

// status returns the neighbor's row for the status page.
func (n *neighbor) status(now time.Time) NeighborStatus {
	role := "DROther"
	switch n.id {
	case n.dr:
		role = "DR"
	case n.bdr:
		role = "BDR"
	}
	s := NeighborStatus{
		RouterID:         lsa.IDString(n.id),
		Address:          n.addr.String(),
		InterfaceID:      n.ifID,
		Priority:         n.prio,
		State:            n.state.String(),
		Role:             role,
		Uptime:           now.Sub(n.since),
		RxmtCount:        len(n.rxmt),
		RequestCount:     len(n.reqs),
		SummaryCount:     len(n.summary),
		UnlistedRestarts: n.listing.restarts,
		HopLimit:         n.hopLimit,
	}
	if !n.deadAt.IsZero() {
		s.DeadIn = n.deadAt.Sub(now)
	}
	return s
}
