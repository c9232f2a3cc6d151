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

// lsrAnswerGap is how long the rest of an answer may lag behind its first
// part. A router answers one LS Request with back-to-back updates (RFC
// 2328 10.7); when some of the requested LSAs arrived and the neighbor then
// sends nothing for this long, the others were lost on the way.
const lsrAnswerGap = 200 * time.Millisecond

// lsrRetransmit is how long an LS Request waits for its first answer
// before it is sent again: RxmtInterval (RFC 2328 10.9), but at most a
// HelloInterval. A neighbor that is up answers at once; the common cause of
// silence is a lost answer (seen with FRR 8.4: the answer came in the same
// burst as the router's re-flood of every AS-external LSA on reaching Full,
// and the server's socket dropped part of it), and with FRR's hello 1 dead
// 4 and RxmtInterval 5 the RFC's value kept Loading waiting 5 s.
func (e *engine) lsrRetransmit() time.Duration {
	return min(e.cfg.RetransmitInterval, e.cfg.HelloInterval)
}

// unanswered returns how many requests of the LS Request in flight to n
// are still wanted: the head of reqOrder, as sendLSR left it, that no
// update has satisfied since.
func (n *neighbor) unanswered() int {
	left := 0
	for i, k := range n.reqOrder {
		if i == n.lsrBatch {
			break
		}
		if _, ok := n.reqs[k]; ok {
			left++
		}
	}
	return left
}

// sendLSR asks the neighbor for the first requests of the list, as many as
// fit one packet (RFC 2328 10.9). There is at most one LS Request in flight
// per neighbor: unless retransmit is set, nothing is sent while the last
// one is not fully answered (requestsSatisfied sends the next). Requests
// still unanswered are asked again after lsrRetransmit, or lsrAnswerGap
// after a partial answer stopped.
func (e *engine) sendLSR(now time.Time, n *neighbor, retransmit bool) {
	if !retransmit && !n.lsrAt.IsZero() && n.unanswered() > 0 {
		return
	}
	// Compact the order, dropping satisfied requests and any key listed
	// twice (a request satisfied and then made again for a newer
	// instance).
	keep := n.reqOrder[:0]
	seen := make(map[lsa.Key]bool, len(n.reqs))
	for _, k := range n.reqOrder {
		if _, ok := n.reqs[k]; ok && !seen[k] {
			seen[k] = true
			keep = append(keep, k)
		}
	}
	clear(n.reqOrder[len(keep):])
	n.reqOrder = keep
	if len(keep) == 0 {
		n.lsrAt = time.Time{}
		n.lsrBatch = 0
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
	n.lsrAt = now.Add(e.lsrRetransmit())
}

// requestsSatisfied is called after an update from n removed requests:
// when the outstanding batch is answered, ask for the next one at once
// (RFC 2328 10.9: the list is truncated and a new LS Request sent); when
// the list is empty, loading is done.
func (e *engine) requestsSatisfied(now time.Time, n *neighbor) {
	if len(n.reqs) == 0 {
		n.reqOrder = nil
		n.lsrAt = time.Time{}
		n.lsrBatch = 0
		if n.state == nbrLoading {
			e.nbrEvent(now, n, nbrLoadingDone)
		}
		return
	}
	e.sendLSR(now, n, false)
}

// answerProgress is called after each update from n, with how many
// requests of the LS Request in flight were unanswered before it. When the
// update answered some of them but not all, the rest is expected right
// behind it: what is still missing lsrAnswerGap after the last update that
// answered part of the request is asked again then, not a whole
// lsrRetransmit after the request.
func (e *engine) answerProgress(now time.Time, n *neighbor, before int) {
	if n.lsrAt.IsZero() || n.state < nbrExchange {
		return
	}
	if left := n.unanswered(); left > 0 && left < before {
		n.lsrAt = now.Add(lsrAnswerGap)
	}
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
