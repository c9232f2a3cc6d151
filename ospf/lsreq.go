package ospf

import (
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// Link State Request packets (RFC 5340 A.3.4, RFC 2328 10.7 and 10.9).

// addRequest puts h on the neighbor's request list, replacing an older
// wanted instance.
func (e *engine) addRequest(n *neighbor, h lsa.Header) {
	k := h.Key()
	if old, ok := n.reqs[k]; ok {
		if lsa.Compare(h, old) > 0 {
			n.reqs[k] = h
		}
		return
	}
	n.reqs[k] = h
	n.reqOrder = append(n.reqOrder, k)
}

// removeRequest drops k from the request list.
func (e *engine) removeRequest(n *neighbor, k lsa.Key) {
	delete(n.reqs, k)
	// reqOrder is compacted lazily in sendLSR.
}

// sendLSR asks the neighbor for the first requests of the list, as many as
// fit one packet (RFC 2328 10.9). They are asked again after
// RxmtInterval until the neighbor's updates satisfy them.
func (e *engine) sendLSR(now time.Time, n *neighbor, retransmit bool) {
	// Compact the order, dropping satisfied requests.
	keep := n.reqOrder[:0]
	for _, k := range n.reqOrder {
		if _, ok := n.reqs[k]; ok {
			keep = append(keep, k)
		}
	}
	n.reqOrder = keep
	if len(keep) == 0 {
		n.lsrAt = time.Time{}
		return
	}
	max := packet.MaxRequestsPerLSR(e.cfg.Link.MTU - e.cfg.TrailerOverhead)
	p := &packet.LinkStateRequest{Header: packet.Header{Type: packet.TypeLinkStateRequest}}
	for _, k := range keep {
		if len(p.Requests) == max {
			break
		}
		p.Requests = append(p.Requests, k)
	}
	if retransmit {
		e.cnt.retransmits++
	}
	e.send(n.addr, p)
	n.lsrBatch = len(p.Requests)
	n.lsrAt = now.Add(e.cfg.RetransmitInterval)
}

// requestsSatisfied is called after an update from n removed requests:
// when the outstanding batch is answered, ask for the next one; when the
// list is empty, loading is done.
func (e *engine) requestsSatisfied(now time.Time, n *neighbor) {
	if len(n.reqs) == 0 {
		n.reqOrder = nil
		n.lsrAt = time.Time{}
		if n.state == nbrLoading {
			e.nbrEvent(now, n, nbrLoadingDone)
		}
		return
	}
	// The batch in flight is the head of reqOrder; once none of it is
	// still wanted, send the next.
	for i, k := range n.reqOrder {
		if i == n.lsrBatch {
			break
		}
		if _, ok := n.reqs[k]; ok {
			return
		}
	}
	e.sendLSR(now, n, false)
}

// receiveLSR is RFC 2328 10.7: answer with the requested instances, in as
// many updates as the MTU needs. They go straight to the neighbor and not
// on its retransmission list.
func (e *engine) receiveLSR(now time.Time, n *neighbor, p *packet.LinkStateRequest) {
	if n.state < nbrExchange {
		return
	}
	raws := make([][]byte, 0, len(p.Requests))
	for _, k := range p.Requests {
		ent := e.db.get(k)
		if ent == nil {
			e.log.Info("neighbor requested an LSA we do not have", "neighbor", lsa.IDString(n.id), "lsa", k)
			e.nbrEvent(now, n, nbrBadLSReq)
			return
		}
		raws = append(raws, e.wireCopy(now, ent))
	}
	e.sendLSU(n.addr, raws)
}
