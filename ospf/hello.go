package ospf

import (
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// Hello packets (RFC 5340 A.3.2, RFC 2328 9.5 and 10.5).

// sendHello multicasts a Hello to AllSPFRouters. With goodbye set it
// lists no neighbors, so that every neighbor drops to Init at once
// instead of waiting for the dead interval.
func (e *engine) sendHello(now time.Time, goodbye bool) {
	h := &packet.Hello{
		Header:        packet.Header{Type: packet.TypeHello},
		InterfaceID:   uint32(e.cfg.Link.Index),
		Priority:      e.cfg.Priority,
		Options:       e.opts,
		HelloInterval: uint16(e.cfg.HelloInterval / time.Second),
		DeadInterval:  uint16(e.cfg.DeadInterval / time.Second),
		DR:            e.dr,
		BDR:           e.bdr,
	}
	if !goodbye {
		for _, n := range e.nbrList() {
			if n.state >= nbrInit {
				h.Neighbors = append(h.Neighbors, n.id)
			}
		}
	}
	e.send(AllSPFRouters, h)
	e.lastHelo = now
	e.helloAt = now.Add(e.jitter(e.cfg.HelloInterval))
}

// helloAnswerGap is the least time between two Hellos sent in answer
// (answerHello), so that many new neighbors at once (a farm starting)
// cost a few Hellos, not one per neighbor.
const helloAnswerGap = 100 * time.Millisecond

// answerHello brings the next Hello forward to now, or to helloAnswerGap
// after the last one sent. It leaves an interface that sends no Hellos
// (down) alone.
func (e *engine) answerHello(now time.Time) {
	at := e.lastHelo.Add(helloAnswerGap)
	if at.Before(now) {
		at = now
	}
	if !e.helloAt.IsZero() && at.Before(e.helloAt) {
		e.helloAt = at
	}
}

// receiveHello is RFC 2328 10.5.
func (e *engine) receiveHello(now time.Time, d Datagram, h *packet.Hello) {
	// The parameters that must match on the link, or no adjacency forms.
	switch {
	case time.Duration(h.HelloInterval)*time.Second != e.cfg.HelloInterval:
		e.drop(now, "hello-mismatch", "hello interval mismatch", "neighbor", lsa.IDString(h.RouterID),
			"theirs", h.HelloInterval, "ours", int(e.cfg.HelloInterval/time.Second))
		return
	case time.Duration(h.DeadInterval)*time.Second != e.cfg.DeadInterval:
		e.drop(now, "dead-mismatch", "dead interval mismatch", "neighbor", lsa.IDString(h.RouterID),
			"theirs", h.DeadInterval, "ours", int(e.cfg.DeadInterval/time.Second))
		return
	case h.Options&lsa.OptE != e.opts&lsa.OptE:
		e.drop(now, "ebit-mismatch", "E-bit mismatch (stub area setting differs)", "neighbor", lsa.IDString(h.RouterID),
			"theirs", h.Options, "ours", e.opts)
		return
	}
	n := e.nbrs[h.RouterID]
	isNew := n == nil
	if isNew && !e.admit(now, d, h) {
		return
	}
	if isNew {
		n = newNeighbor(h.RouterID, now)
		e.nbrs[h.RouterID] = n
	}
	oldPrio, oldDR, oldBDR := n.prio, n.dr, n.bdr
	n.addr = d.Src
	n.ifID = h.InterfaceID
	n.prio = h.Priority
	n.dr, n.bdr = h.DR, h.BDR
	n.opts = h.Options
	n.hopLimit = d.HopLimit
	e.nbrEvent(now, n, nbrHelloReceived)

	listed := false
	for _, id := range h.Neighbors {
		if id == e.cfg.RouterID {
			listed = true
			break
		}
	}
	if isNew || !listed {
		// The neighbor is new to us or lacks our Hello (new, or it
		// restarted): answer it soon with a Hello that lists it, so that
		// 2-Way forms one round trip later instead of up to a
		// HelloInterval later (RFC 2328 9.5 lets a Hello go out at any
		// time).
		e.answerHello(now)
	}
	if !listed {
		e.nbrEvent(now, n, nbr1WayReceived)
		e.checkGTSM(now, n)
		return
	}
	e.nbrEvent(now, n, nbr2WayReceived)
	if e.nbrs[n.id] == nil {
		return
	}
	// Changes in what the neighbor declares feed the election.
	if e.ifState == ifWaiting {
		if (h.DR == n.id && h.BDR == 0) || h.BDR == n.id {
			e.ifEvent(now, ifBackupSeen)
			return
		}
	}
	declDR, wasDR := h.DR == n.id, oldDR == n.id
	declBDR, wasBDR := h.BDR == n.id, oldBDR == n.id
	if oldPrio != n.prio || declDR != wasDR || declBDR != wasBDR {
		e.ifEvent(now, ifNeighborChange)
	}
}
