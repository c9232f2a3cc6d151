package ospf

import (
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// Link State Acknowledgment packets (RFC 5340 A.3.6, RFC 2328 13.5, 13.7).

// delayAck queues h for the next delayed acknowledgement.
func (e *engine) delayAck(now time.Time, h lsa.Header) {
	e.acks = append(e.acks, h)
	if e.ackAt.IsZero() {
		e.ackAt = now.Add(e.cfg.AckDelay)
	}
}

// flushDelayedAcks multicasts the queued acknowledgements.
func (e *engine) flushDelayedAcks(now time.Time) {
	e.ackAt = time.Time{}
	if len(e.acks) == 0 {
		return
	}
	e.sendAck(e.floodDst(), e.acks)
	e.acks = nil
}

// sendAck sends acknowledgements for hs to dst, as many packets as needed.
func (e *engine) sendAck(dst netip.Addr, hs []lsa.Header) {
	max := (e.maxPacket() - packet.HeaderLen) / lsa.HeaderLen
	for len(hs) > 0 {
		i := min(len(hs), max)
		e.send(dst, &packet.LinkStateAck{
			Header: packet.Header{Type: packet.TypeLinkStateAck},
			LSAs:   hs[:i],
		})
		hs = hs[i:]
	}
}

// receiveAck is RFC 2328 13.7: an acknowledgement of the instance on the
// retransmission list takes it off.
func (e *engine) receiveAck(now time.Time, n *neighbor, p *packet.LinkStateAck) {
	if n.state < nbrExchange {
		return
	}
	for _, h := range p.LSAs {
		r, ok := n.rxmt[h.Key()]
		if !ok {
			continue
		}
		if lsa.Compare(h, r.hdr) == 0 {
			e.removeRxmt(n, h.Key())
			if e.isSelf(h) {
				e.ownAcked(now, n, r.hdr)
			} else {
				e.removeFlushed(now, h)
			}
			continue
		}
		e.log.Debug("questionable acknowledgement", "neighbor", lsa.IDString(n.id), "lsa", h.Key())
	}
}
