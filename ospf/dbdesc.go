package ospf

import (
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// Database Description packets (RFC 5340 A.3.3, RFC 2328 10.6 and 10.8).

// buildSummary fills the Database summary list on entering Exchange
// (RFC 2328 10.3, NegotiationDone): every LSA of the link, area and AS
// scopes. MaxAge LSAs go on the retransmission list instead.
func (e *engine) buildSummary(now time.Time, n *neighbor) {
	n.summary = n.summary[:0]
	for _, k := range e.db.keys() {
		ent := e.db.get(k)
		if ent.maxAged(now) {
			e.addRxmt(now, n, ent.header(now))
			continue
		}
		n.summary = append(n.summary, k)
	}
}

// sendDBD sends the next Database Description packet to n. In ExStart
// (initial set) it is the empty I|M|MS packet; in Exchange it carries the
// next part of the summary list.
func (e *engine) sendDBD(now time.Time, n *neighbor, initial bool) {
	p := &packet.DatabaseDescription{
		Header:  packet.Header{Type: packet.TypeDatabaseDescription},
		Options: e.opts,
		MTU:     uint16(e.cfg.Link.MTU),
		Seq:     n.ddSeq,
	}
	if initial {
		p.Flags = packet.DDInit | packet.DDMore | packet.DDMaster
	} else {
		max := packet.MaxLSAHeadersPerDBD(e.cfg.Link.MTU - e.cfg.TrailerOverhead)
		for len(n.summary) > 0 && len(p.LSAs) < max {
			k := n.summary[0]
			n.summary = n.summary[1:]
			if ent := e.db.get(k); ent != nil {
				p.LSAs = append(p.LSAs, ent.header(now))
			}
		}
		if len(n.summary) > 0 {
			p.Flags |= packet.DDMore
		}
		if n.master {
			p.Flags |= packet.DDMaster
		}
		n.sentLast = len(n.summary) == 0
	}
	b, err := packet.MarshalPacket(e.stamp(p))
	if err != nil {
		e.log.Error("cannot encode DBD", "err", err)
		return
	}
	n.lastSent = b
	e.resendDBD(now, n)
	if n.master {
		n.ddRxmtAt = now.Add(e.ddRetransmit())
	}
}

// ddRetransmit is the master's DBD retransmission interval: RxmtInterval,
// but short enough that the slave, which keeps its last DBD for only
// RouterDeadInterval after the exchange (RFC 2328 10.8), still answers a
// retransmission when its final packet was lost. With FRR's common hello 1
// dead 4 and the default RxmtInterval 5, the RFC's value alone would leave
// the master in Exchange for good.
func (e *engine) ddRetransmit() time.Duration {
	return min(e.cfg.RetransmitInterval, e.cfg.DeadInterval/2)
}

// slaveHold is how long a slave keeps answering duplicates after the
// exchange: at least RouterDeadInterval, and two of the master's
// retransmission intervals whatever the master's timers.
func (e *engine) slaveHold() time.Duration {
	return max(e.cfg.DeadInterval, 2*e.cfg.RetransmitInterval)
}

// resendInitialDBD sends the master's empty I|M|MS DBD of ExStart again
// at once and restarts its retransmission timer, unless it already left in
// this same instant (entering ExStart on the neighbor's DBD, before that
// DBD is looked at).
func (e *engine) resendInitialDBD(now time.Time, n *neighbor) {
	if n.state != nbrExStart || n.lastSent == nil || n.ddRxmtAt.IsZero() {
		return
	}
	if sent := n.ddRxmtAt.Add(-e.ddRetransmit()); !now.After(sent) {
		return
	}
	e.resendDBD(now, n)
	e.cnt.retransmits++
	n.ddRxmtAt = now.Add(e.ddRetransmit())
}

// resendDBD sends the last DBD again, unchanged.
func (e *engine) resendDBD(now time.Time, n *neighbor) {
	if n.lastSent == nil {
		return
	}
	e.write(n.addr, packet.TypeDatabaseDescription, n.lastSent)
}

// receiveDBD is RFC 2328 10.6.
func (e *engine) receiveDBD(now time.Time, n *neighbor, p *packet.DatabaseDescription) {
	if int(p.MTU) > e.cfg.Link.MTU {
		e.drop(now, "mtu-mismatch", "DBD from a neighbor whose MTU is larger than ours",
			"neighbor", lsa.IDString(n.id), "theirs", p.MTU, "ours", e.cfg.Link.MTU)
		return
	}
	if int(p.MTU) != e.cfg.Link.MTU {
		e.drops.note(now, "mtu-differs", "neighbor MTU differs from ours",
			"neighbor", lsa.IDString(n.id), "theirs", p.MTU, "ours", e.cfg.Link.MTU)
	}
	id := ddIdent{flags: uint8(p.Flags), opts: p.Options, seq: p.Seq}
	dup := n.haveRecv && id == n.lastRecv
	switch n.state {
	case nbrDown, nbr2Way:
		return
	case nbrInit:
		e.nbrEvent(now, n, nbr2WayReceived)
		if n.state != nbrExStart {
			return
		}
		fallthrough
	case nbrExStart:
		initial := p.Flags&(packet.DDInit|packet.DDMore|packet.DDMaster) == packet.DDInit|packet.DDMore|packet.DDMaster
		switch {
		case initial && len(p.LSAs) == 0 && n.id > e.cfg.RouterID:
			// The neighbor is master: adopt its sequence number.
			n.master = false
			n.ddSeq = p.Seq
			n.ddRxmtAt = time.Time{}
			n.opts = p.Options
			e.remember(n, id)
			e.nbrEvent(now, n, nbrNegotiationDone)
			e.processDBD(now, n, p)
		case p.Flags&(packet.DDInit|packet.DDMaster) == 0 && p.Seq == n.ddSeq && n.id < e.cfg.RouterID:
			// This router is master and the slave answered.
			n.master = true
			n.opts = p.Options
			e.remember(n, id)
			e.nbrEvent(now, n, nbrNegotiationDone)
			e.processDBD(now, n, p)
		case initial && n.id < e.cfg.RouterID && n.master:
			// The neighbor claims mastership and loses it to our
			// higher router ID: the packet is ignored (RFC 2328 10.6),
			// but it shows the neighbor has just entered ExStart. An
			// initial DBD of ours that reached it earlier (a DR still
			// Waiting keeps a neighbor in 2-Way and drops its DBDs)
			// was lost on it: send ours again now instead of at the
			// next retransmission (RFC 2328 10.8).
			e.resendInitialDBD(now, n)
		}
		return
	case nbrExchange:
		if dup {
			if !n.master {
				e.resendDBD(now, n)
			}
			return
		}
		switch {
		case (p.Flags&packet.DDMaster != 0) == n.master:
			e.seqMismatch(now, n, "master/slave bit unexpected")
		case p.Flags&packet.DDInit != 0:
			e.seqMismatch(now, n, "initialize bit set during exchange")
		case n.haveRecv && p.Options != n.lastRecv.opts:
			e.seqMismatch(now, n, "options changed during exchange")
		case n.master && p.Seq != n.ddSeq, !n.master && p.Seq != n.ddSeq+1:
			e.seqMismatch(now, n, "unexpected DD sequence number")
		default:
			e.remember(n, id)
			e.processDBD(now, n, p)
		}
	case nbrLoading, nbrFull:
		if dup && n.master {
			return
		}
		if dup && n.lastSent != nil {
			e.resendDBD(now, n)
			return
		}
		if dup {
			// The master still waits for our last DBD, which we no longer
			// hold: start the exchange over rather than leave it stuck.
			e.seqMismatch(now, n, "duplicate DBD after the hold time")
			return
		}
		e.seqMismatch(now, n, "DBD after the exchange")
	}
}

func (e *engine) remember(n *neighbor, id ddIdent) {
	n.lastRecv = id
	n.haveRecv = true
}

func (e *engine) seqMismatch(now time.Time, n *neighbor, why string) {
	e.log.Info("DBD sequence mismatch", "neighbor", lsa.IDString(n.id), "why", why)
	e.nbrEvent(now, n, nbrSeqNumberMismatch)
}

// processDBD takes the LSA headers of an accepted DBD into the request
// list and answers (RFC 2328 10.6, Exchange state).
func (e *engine) processDBD(now time.Time, n *neighbor, p *packet.DatabaseDescription) {
	for _, h := range p.LSAs {
		if h.Type.Scope() == lsa.ScopeAS && e.cfg.StubArea {
			e.seqMismatch(now, n, "AS-scoped LSA described in a stub area")
			return
		}
		if ent := e.db.get(h.Key()); ent == nil || lsa.Compare(h, ent.header(now)) > 0 {
			e.addRequest(n, h)
		}
	}
	more := p.Flags&packet.DDMore != 0
	if n.master {
		n.ddSeq++
		n.ddRxmtAt = time.Time{}
		n.ddRetries = 0
		if n.sentLast && !more {
			e.nbrEvent(now, n, nbrExchangeDone)
			return
		}
		e.sendDBD(now, n, false)
	} else {
		n.ddSeq = p.Seq
		e.sendDBD(now, n, false)
		if !more && n.sentLast {
			n.holdTill = now.Add(e.slaveHold())
			e.nbrEvent(now, n, nbrExchangeDone)
		}
	}
	// Requests may go out while the exchange is still running.
	if n.state == nbrExchange && n.lsrAt.IsZero() && len(n.reqs) > 0 {
		e.sendLSR(now, n, false)
	}
}
