package bfd

import (
	"net/netip"
	"time"
)

// receive is the reception of a control packet (RFC 5880 6.8.6, RFC 5881
// 5): the checks, the choice of session, then the session's update.
func (e *engine) receive(now time.Time, d Datagram) {
	src := d.Src.WithZone(e.cfg.Interface)
	// The session the packet is attributed to for counting, by source,
	// until the discriminator names one.
	s := e.sessions[src]
	// RFC 5881 5: without authentication, packets whose hop limit is not
	// 255 come from off the link and MUST be discarded.
	if d.HopLimit != 255 {
		e.drop(s, src, dropHopLimit, "hop_limit", d.HopLimit)
		return
	}
	// Steps 1-6 and 8.
	p, err := Parse(d.Data)
	if err != nil {
		e.drop(s, src, parseDropReason(err), "err", err)
		return
	}
	if p.YourDiscriminator != 0 {
		// Step 7: the session is the one Your Discriminator names.
		s = e.byDiscr[p.YourDiscriminator]
		if s == nil {
			e.drop(e.sessions[src], src, dropUnknownDiscr, "your_discriminator", p.YourDiscriminator)
			return
		}
		// Single hop (RFC 5881 3): a session is bound to one peer on one
		// interface; its discriminator from another address is not ours
		// to take.
		if s.peer != src {
			e.drop(e.sessions[src], src, dropWrongSource, "your_discriminator", p.YourDiscriminator, "session_peer", s.peer)
			return
		}
	} else if s == nil {
		// Step 9: Your Discriminator 0 selects by source address and
		// interface; we create no session for an unknown peer.
		e.drop(nil, src, dropUnknownPeer, "state", p.State)
		return
	}
	// Steps 10-12: no authentication is in use, so the A bit must be clear.
	if p.Auth != nil {
		e.drop(s, src, dropAuthentication, "auth_type", p.Auth.Type)
		return
	}
	s.cnt.packetsIn++
	e.update(now, s, p)
	e.touch(now, s)
}

// update is RFC 5880 6.8.6 steps 13-25 for a packet accepted for s.
func (e *engine) update(now time.Time, s *session, p ControlPacket) {
	// Steps 13-16.
	s.remoteDiscr = p.MyDiscriminator
	s.remoteState = p.State
	s.remoteDemand = p.Demand
	s.remoteMinRx = p.RequiredMinRx
	s.remoteDesiredTx, s.remoteMult, s.remoteDiag = p.DesiredMinTx, p.DetectMult, p.Diag
	// Step 17: we run no Echo function; nothing to stop.
	// Step 18: a Final ends our Poll Sequence.
	if p.Final && s.polling {
		s.endPoll()
	}
	// Steps 19-20: the transmission interval and detection time are
	// computed from the variables when used; bring the next transmission
	// forward if the interval shrank.
	s.reschedule(now, e.rng.Int64N)
	// Step 21.
	if s.state == StateAdminDown {
		s.cnt.dropped[dropAdminDown]++
		return
	}
	// Steps 22-23.
	e.fsm(now, s, recvEvent(p.State))
	// Step 24: Demand mode of the peer is applied by periodicAllowed.
	// A Poll is answered with a Final as soon as practicable (6.8.6, last
	// paragraph; 6.8.7).
	if p.Poll {
		s.finalOwed = true
	}
	// Step 25: the packet counts for the detection time (6.8.4).
	if dt := s.detectTime(); dt > 0 {
		s.detectAt = now.Add(dt)
	}
}

// drop counts a packet that was discarded (received from peer, or one we
// could not send to it), against session s when one is known (nil: the
// engine's own counters), and logs it: the 1st, 2nd, 4th,
// 8th... drop of each reason, so a persistent stream of bad packets does
// not flood the log.
func (e *engine) drop(s *session, peer netip.Addr, reason string, args ...any) {
	c := &e.cnt
	if s != nil {
		c = &s.cnt
	}
	c.dropped[reason]++
	n := c.dropped[reason]
	if n&(n-1) == 0 {
		e.log.Warn("bfd: packet dropped", append([]any{"reason", reason, "peer", peer, "count", n}, args...)...)
	}
}
