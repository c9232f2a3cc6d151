package ospf

import (
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// ifState is the interface state of RFC 2328 9.1 (broadcast link).
type ifState uint8

const (
	ifDown ifState = iota
	ifWaiting
	ifDROther
	ifBackup
	ifDR
)

func (s ifState) String() string {
	switch s {
	case ifDown:
		return "Down"
	case ifWaiting:
		return "Waiting"
	case ifDROther:
		return "DROther"
	case ifBackup:
		return "Backup"
	case ifDR:
		return "DR"
	}
	return "?"
}

// ifEventKind is an interface event of RFC 2328 9.2.
type ifEventKind uint8

const (
	ifInterfaceUp ifEventKind = iota
	ifWaitTimer
	ifBackupSeen
	ifNeighborChange
	ifInterfaceDown
)

func (k ifEventKind) String() string {
	return [...]string{"InterfaceUp", "WaitTimer", "BackupSeen", "NeighborChange", "InterfaceDown"}[k]
}

// ifEvent runs the interface state machine (RFC 2328 9.3).
func (e *engine) ifEvent(now time.Time, ev ifEventKind) {
	old := e.ifState
	switch ev {
	case ifInterfaceUp:
		if e.ifState != ifDown {
			return
		}
		e.helloAt = now
		// A router that may not become DR goes straight to DROther;
		// others wait to learn the current DR first.
		if e.cfg.Priority == 0 {
			e.ifState = ifDROther
		} else {
			e.ifState = ifWaiting
			e.waitAt = now.Add(e.cfg.DeadInterval)
		}
	case ifWaitTimer, ifBackupSeen:
		if e.ifState != ifWaiting {
			return
		}
		e.waitAt = time.Time{}
		e.electDR(now)
	case ifNeighborChange:
		if e.ifState == ifDROther || e.ifState == ifBackup || e.ifState == ifDR {
			e.electDR(now)
		}
	case ifInterfaceDown:
		for _, n := range e.nbrList() {
			e.nbrEvent(now, n, nbrKillNbr)
		}
		e.ifState = ifDown
		e.dr, e.bdr = 0, 0
		e.helloAt, e.waitAt = time.Time{}, time.Time{}
		e.acks, e.ackAt = nil, time.Time{}
	}
	if e.ifState != old {
		e.log.Info("interface state", "interface", e.cfg.Link.Name, "event", ev, "from", old, "to", e.ifState)
		e.originateRouter()
		e.originateNetwork(now)
	}
}

// candidate is one router in the DR election.
type candidate struct {
	id      uint32
	prio    uint8
	dr, bdr uint32 // what it declares
	self    bool
}

// electDR is the DR/BDR calculation of RFC 2328 9.4. A priority-0
// router runs it too: it never wins, but it must know who did, and
// form adjacencies with exactly them.
func (e *engine) electDR(now time.Time) {
	oldDR, oldBDR := e.dr, e.bdr
	// (1) The current values are what this router declares (e.dr, e.bdr).
	dr, bdr := e.calcDR(e.dr, e.bdr)
	// (4) If this router newly became or stopped being DR or BDR,
	// repeat steps 2 and 3 with its new declaration.
	self := e.cfg.RouterID
	if (dr == self) != (e.dr == self) || (bdr == self) != (e.bdr == self) {
		dr, bdr = e.calcDR(dr, bdr)
	}
	e.dr, e.bdr = dr, bdr
	// (5) The interface state follows the result.
	switch {
	case dr == self:
		e.ifState = ifDR
	case bdr == self:
		e.ifState = ifBackup
	default:
		e.ifState = ifDROther
	}
	if dr != oldDR || bdr != oldBDR {
		e.log.Info("designated routers", "dr", lsa.IDString(dr), "bdr", lsa.IDString(bdr),
			"old_dr", lsa.IDString(oldDR), "old_bdr", lsa.IDString(oldBDR))
		// (7) AdjOK? for every neighbor at least 2-Way.
		for _, n := range e.nbrList() {
			if n.state >= nbr2Way {
				e.nbrEvent(now, n, nbrAdjOK)
			}
		}
		e.originateRouter()
		e.originateNetwork(now)
	}
}

// calcDR runs steps 2 and 3 of RFC 2328 9.4 given this router's own
// declaration.
func (e *engine) calcDR(selfDR, selfBDR uint32) (dr, bdr uint32) {
	var cands []candidate
	if e.cfg.Priority > 0 {
		cands = append(cands, candidate{id: e.cfg.RouterID, prio: e.cfg.Priority, dr: selfDR, bdr: selfBDR, self: true})
	}
	for _, n := range e.nbrs {
		if n.state >= nbr2Way && n.prio > 0 {
			cands = append(cands, candidate{id: n.id, prio: n.prio, dr: n.dr, bdr: n.bdr})
		}
	}
	better := func(a, b *candidate) bool {
		return b == nil || a.prio > b.prio || (a.prio == b.prio && a.id > b.id)
	}
	// (2) BDR: among those not declaring themselves DR, prefer those
	// declaring themselves BDR.
	var best, bestDeclared *candidate
	for i := range cands {
		c := &cands[i]
		if c.dr == c.id {
			continue
		}
		if c.bdr == c.id && better(c, bestDeclared) {
			bestDeclared = c
		}
		if better(c, best) {
			best = c
		}
	}
	if bestDeclared != nil {
		best = bestDeclared
	}
	if best != nil {
		bdr = best.id
	}
	// (3) DR: the best of those declaring themselves DR, else the BDR.
	var bestDR *candidate
	for i := range cands {
		c := &cands[i]
		if c.dr == c.id && better(c, bestDR) {
			bestDR = c
		}
	}
	if bestDR != nil {
		dr = bestDR.id
	} else {
		dr = bdr
	}
	return dr, bdr
}

// setLink handles the interface going up or down or changing MTU.
func (e *engine) setLink(now time.Time, up bool, mtu int) {
	if mtu >= 1280 && mtu != e.cfg.Link.MTU {
		e.log.Info("interface MTU changed", "from", e.cfg.Link.MTU, "to", mtu)
		e.cfg.Link.MTU = mtu
		// A DBD waiting in ExStart carries the old MTU: send it anew,
		// or a neighbor that refused the old one never answers.
		for _, n := range e.nbrList() {
			if n.state == nbrExStart && n.master {
				e.sendDBD(now, n, true)
			}
		}
	}
	if up == e.linkUp {
		return
	}
	e.linkUp = up
	if up {
		e.ifEvent(now, ifInterfaceUp)
	} else {
		e.ifEvent(now, ifInterfaceDown)
	}
}
