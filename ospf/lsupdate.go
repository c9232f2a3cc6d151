package ospf

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// Link State Update packets: receiving (RFC 2328 13), flooding (13.3) and
// retransmission (13.6), as adapted by RFC 5340 4.5.

// receiveLSU is RFC 2328 13, step by step, for each LSA of the update.
func (e *engine) receiveLSU(now time.Time, n *neighbor, d Datagram, p *packet.LinkStateUpdate) {
	if n.state < nbrExchange {
		e.drop(now, "lsu-not-adjacent", "update from a neighbor below Exchange", "neighbor", lsa.IDString(n.id), "state", n.state)
		return
	}
	var direct []lsa.Header
	hadReqs := len(n.reqs) > 0
	unanswered := n.unanswered()
	defer func() {
		if len(direct) > 0 {
			e.sendAck(n.addr, direct)
		}
		if hadReqs && n.state >= nbrExchange {
			// RFC 2328 10.9: a partly answered request is completed
			// soon; a fully answered one is followed by the next.
			e.answerProgress(now, n, unanswered)
			e.requestsSatisfied(now, n)
		}
	}()
	for _, raw := range p.LSAs {
		e.cnt.lsasIn++
		// (1) Validate the checksum.
		if !lsa.VerifyChecksum(raw) {
			e.drop(now, "lsa-checksum", "LSA with a bad checksum", "neighbor", lsa.IDString(n.id))
			continue
		}
		h, err := lsa.ParseHeader(raw)
		if err != nil {
			e.drop(now, "lsa-malformed", "malformed LSA", "neighbor", lsa.IDString(n.id), "err", err)
			continue
		}
		if h.Type.Known() {
			if _, err := lsa.Parse(raw); err != nil {
				e.drop(now, "lsa-malformed", "malformed LSA", "neighbor", lsa.IDString(n.id), "lsa", h.Key(), "err", err)
				continue
			}
		}
		// (2, 3) Scope: nothing AS-wide in a stub area, no reserved scope
		// for types that are to be flooded as understood (RFC 5340 4.5.1).
		sc := effectiveScope(h.Type)
		if sc == lsa.ScopeReserved || (sc == lsa.ScopeAS && e.cfg.StubArea) {
			e.drop(now, "lsa-scope", "LSA of a scope this area does not carry", "lsa", h.Key())
			continue
		}
		k := h.Key()
		ent := e.db.get(k)
		// (4) A MaxAge LSA nobody has: acknowledge and forget it.
		if h.Age >= lsa.MaxAge && ent == nil && !e.anyExchanging() {
			direct = append(direct, h)
			continue
		}
		cmp := 1
		if ent != nil {
			cmp = lsa.Compare(h, ent.header(now))
		}
		if cmp > 0 {
			// (5.a) MinLSArrival: a newer instance too soon after the last
			// one installed by flooding is dropped without an ack.
			if ent != nil && ent.fromFlood && now.Sub(ent.installed) < e.minLSArrival() {
				e.drop(now, "min-ls-arrival", "LSA instance within MinLSArrival", "lsa", k)
				continue
			}
			req, requested := n.reqs[k]
			if requested && lsa.Compare(h, req) >= 0 {
				e.removeRequest(n, k)
			}
			// (5.c) Remove the old instance from every retransmission list,
			// before (5.b) flooding puts the new one on them (the lists are
			// keyed by LSA, not by instance).
			e.removeRxmtAll(k)
			floodedBack := e.flood(now, h, raw, n)
			// (5.d) Install it. An instance we requested in the database
			// exchange (10.9) answered our request, it was not flooded to
			// us: MinLSArrival (5.a) does not hold its successor back. A
			// router that has just reached Full (the router agent joining)
			// would otherwise drop every change of the next second, a
			// withdrawal included, and wait for the retransmission.
			e.db.install(bytes.Clone(raw), h, now, !requested)
			// (5.e) Acknowledge it, delayed, unless flooded back out
			// (RFC 2328 13.5); a BDR acknowledges only what came from the DR.
			if !floodedBack && (e.ifState != ifBackup || n.id == e.dr) {
				e.delayAck(now, h)
			}
			// (5.f) One of our own, newer than we remember: 13.4.
			if e.isSelf(h) {
				e.selfOriginatedReceived(now, h)
			} else {
				e.removeFlushed(now, h)
			}
			continue
		}
		// (6) On the request list yet not newer: the exchange went wrong.
		if _, ok := n.reqs[k]; ok {
			e.log.Info("neighbor sent an older instance of an LSA we requested", "neighbor", lsa.IDString(n.id), "lsa", k)
			e.nbrEvent(now, n, nbrBadLSReq)
			return
		}
		if cmp == 0 {
			// (7.a) A duplicate on the retransmission list is an implied
			// acknowledgement; (7.b) otherwise acknowledge it directly.
			if r, ok := n.rxmt[k]; ok {
				e.removeRxmt(n, k)
				if e.ifState == ifBackup && n.id == e.dr {
					e.delayAck(now, h)
				}
				if e.isSelf(h) {
					e.ownAcked(now, n, r.hdr)
				}
			} else {
				direct = append(direct, h)
			}
			continue
		}
		// (8) Our copy is newer: send it back, at most once per MinLSArrival.
		if ent.age(now) >= lsa.MaxAge && ent.hdr.Seq == lsa.MaxSequenceNumber {
			continue
		}
		if now.Sub(ent.sentBack) >= e.minLSArrival() {
			ent.sentBack = now
			e.sendLSU(n.addr, [][]byte{e.wireCopy(now, ent)})
		}
	}
}

// effectiveScope is the flooding scope of an LSA type: its S bits, or
// link-local for an unknown type with the U bit clear (RFC 5340 4.5.1).
func effectiveScope(t lsa.Type) lsa.Scope {
	if !t.Known() && !t.UBit() {
		return lsa.ScopeLink
	}
	return t.Scope()
}

// isSelf reports whether h is self-originated (RFC 2328 13.4).
func (e *engine) isSelf(h lsa.Header) bool { return h.AdvRouter == e.cfg.RouterID }

// anyExchanging reports whether a neighbor is in Exchange or Loading.
func (e *engine) anyExchanging() bool {
	for _, n := range e.nbrs {
		if n.state == nbrExchange || n.state == nbrLoading {
			return true
		}
	}
	return false
}

// flood is RFC 2328 13.3 on the one interface: put the LSA on the
// retransmission list of every adjacent neighbor that needs it, then
// multicast it unless the sender was the DR or BDR (they flood it
// themselves). from is nil for self-originated LSAs. It reports whether the
// LSA went back out the interface it came in on.
func (e *engine) flood(now time.Time, h lsa.Header, raw []byte, from *neighbor) bool {
	if !e.linkUp {
		return false
	}
	added := false
	for _, n := range e.nbrList() {
		// (1.a) Only neighbors at least in Exchange take part.
		if n.state < nbrExchange {
			continue
		}
		// (1.b) An outstanding request for it is settled or overtaken.
		if n.state != nbrFull {
			if req, ok := n.reqs[h.Key()]; ok {
				c := lsa.Compare(h, req)
				if c < 0 {
					continue
				}
				e.removeRequest(n, h.Key())
				if n != from {
					e.requestsSatisfied(now, n)
				}
				if c == 0 {
					continue
				}
			}
		}
		// (1.c) Not back to the neighbor it came from.
		if n == from {
			continue
		}
		// (1.d) Onto the retransmission list.
		e.addRxmt(now, n, h)
		added = true
	}
	// (2) Nobody needs it.
	if !added {
		return false
	}
	// (3) The DR or BDR sent it: every other router heard it too.
	if from != nil && (from.id == e.dr || from.id == e.bdr) {
		return false
	}
	// (4) A BDR leaves the flooding to the DR.
	if from != nil && e.ifState == ifBackup {
		return false
	}
	// (5) Out the interface, with whatever else is flooded in the same
	// event: one update, so a router processes them together.
	ent := &dbEntry{raw: raw, hdr: h, installed: now}
	e.floodQ = append(e.floodQ, e.wireCopy(now, ent))
	return from != nil
}

// sendFloodQ multicasts the LSAs flooded since the last call in as few
// updates as the MTU allows.
func (e *engine) sendFloodQ() {
	if len(e.floodQ) == 0 {
		return
	}
	e.sendLSU(e.floodDst(), e.floodQ)
	e.floodQ = nil
}

// addRxmt puts the instance h on n's retransmission list.
func (e *engine) addRxmt(now time.Time, n *neighbor, h lsa.Header) {
	n.rxmt[h.Key()] = rxmtEntry{hdr: h, sent: now}
	if at := now.Add(e.cfg.RetransmitInterval); n.rxmtAt.IsZero() || at.Before(n.rxmtAt) {
		n.rxmtAt = at
	}
}

func (e *engine) removeRxmt(n *neighbor, k lsa.Key) {
	delete(n.rxmt, k)
	if len(n.rxmt) == 0 {
		n.rxmtAt = time.Time{}
	}
}

func (e *engine) removeRxmtAll(k lsa.Key) {
	for _, n := range e.nbrs {
		if _, ok := n.rxmt[k]; ok {
			e.removeRxmt(n, k)
		}
	}
}

// retransmit sends n, directly, every LSA of its retransmission list sent
// at least RxmtInterval ago (RFC 2328 13.6).
func (e *engine) retransmit(now time.Time, n *neighbor) {
	var raws [][]byte
	var next time.Time
	for k, r := range n.rxmt {
		due := r.sent.Add(e.cfg.RetransmitInterval)
		if due.After(now) {
			if next.IsZero() || due.Before(next) {
				next = due
			}
			continue
		}
		ent := e.db.get(k)
		if ent == nil {
			delete(n.rxmt, k)
			continue
		}
		if e.isSelf(r.hdr) {
			e.resendUnacked(n, r.hdr)
		}
		raws = append(raws, e.wireCopy(now, ent))
		e.logRetransmit(n, r, now, "rxmt-interval")
		n.rxmt[k] = rxmtEntry{hdr: r.hdr, sent: now}
		if at := now.Add(e.cfg.RetransmitInterval); next.IsZero() || at.Before(next) {
			next = at
		}
	}
	n.rxmtAt = next
	if len(raws) > 0 {
		e.cnt.retransmits += uint64(len(raws))
		e.sendLSU(n.addr, raws)
	}
}

// logRetransmit logs, at debug level, one LSA sent to n again: which
// instance, why, and how long after its last send to n. The lab's lossy
// link test reads these lines to check that no instance goes out sooner
// than the rule that sent it allows (RFC 2328 13.6: RxmtInterval).
func (e *engine) logRetransmit(n *neighbor, r rxmtEntry, now time.Time, why string) {
	e.log.Debug("LSA retransmitted", "neighbor", lsa.IDString(n.id), "lsa", r.hdr.Key(),
		"seq", uint32(r.hdr.Seq), "since", now.Sub(r.sent), "why", why)
}

// wireCopy returns a copy of the entry ready to send: its age advanced by
// InfTransDelay (RFC 2328 13.3 (5)).
func (e *engine) wireCopy(now time.Time, ent *dbEntry) []byte {
	b := bytes.Clone(ent.raw)
	lsa.SetAge(b, lsa.AddTransDelay(ent.age(now), e.cfg.TransmitDelay))
	if e.isSelf(ent.hdr) {
		e.ownSent(now, ent.hdr.Key())
	}
	return b
}

// sendLSU sends raws to dst in as few updates as the MTU allows.
func (e *engine) sendLSU(dst netip.Addr, raws [][]byte) {
	max := e.maxPacket() - packet.HeaderLen - 4
	for len(raws) > 0 {
		size, i := 0, 0
		for i < len(raws) && (i == 0 || size+len(raws[i]) <= max) {
			size += len(raws[i])
			i++
		}
		e.send(dst, &packet.LinkStateUpdate{
			Header: packet.Header{Type: packet.TypeLinkStateUpdate},
			LSAs:   raws[:i],
		})
		e.cnt.lsasOut += uint64(i)
		raws = raws[i:]
	}
}
