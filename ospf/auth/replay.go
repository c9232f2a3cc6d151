package auth

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/ospf/packet"
)

// DefaultReplayExpiry is how long the replay state of a sender outlives its
// last authenticated packet: the default RouterDeadInterval (RFC 2328
// appendix C). Set it to the link's dead interval (Transport.SetReplayExpiry).
const DefaultReplayExpiry = 40 * time.Second

// maxSenders bounds the replay table. Only packets with a valid digest
// create entries, so only key holders can fill it.
const maxSenders = 1024

// sender identifies whose sequence numbers are compared: the IPv6 source
// address and the router ID of the OSPFv3 header.
type sender struct {
	src      netip.Addr
	routerID uint32
}

// senderState holds the highest sequence number accepted from a sender for
// each packet type (index = type, 1..5) and when the sender was last heard.
type senderState struct {
	last time.Time
	seq  [6]uint64
	seen [6]bool
}

// replayGuard is the replay protection of RFC 7166 section 4.6: a packet is
// accepted only if its sequence number is above the highest one accepted
// before from the same sender for the same packet type. A lower number is a
// replay or an old packet overtaken by newer ones; an equal number is a
// copy, since a sender uses a new, higher number for every packet it sends
// (RFC 7166 section 4.1): both are dropped, as BIRD 2 and FRR 8.4 do.
//
// The state is kept per packet type, as FRR and BIRD keep it, so that a
// sender that queues Hellos ahead of other packets is not penalised. It is
// forgotten when the sender has been silent for the expiry (or on Forget,
// when its neighbor is deleted): the state of RFC 7166 lives as long as the
// neighbor, and a router whose own state was lost (FRR keeps its boot count
// under /var/run, which a reboot empties) starts again from low numbers.
// Not safe for concurrent use; Transport locks around it.
type replayGuard struct {
	expiry time.Duration
	m      map[sender]*senderState
}

func newReplayGuard() *replayGuard {
	return &replayGuard{expiry: DefaultReplayExpiry, m: make(map[sender]*senderState)}
}

// accept records seq for (s, t) if it is new, else returns ErrReplay.
func (g *replayGuard) accept(s sender, t packet.Type, seq uint64, now time.Time) error {
	if t < packet.TypeHello || t > packet.TypeLinkStateAck {
		return fmt.Errorf("packet type %d: %w", uint8(t), ErrMalformed)
	}
	s.src = s.src.WithZone("")
	st := g.m[s]
	if st != nil && now.Sub(st.last) >= g.expiry {
		st = nil
		delete(g.m, s)
	}
	if st != nil && st.seen[t] && seq <= st.seq[t] {
		return fmt.Errorf("%v from %v (router ID %s): sequence %#x, not above %#x: %w",
			t, s.src, idString(s.routerID), seq, st.seq[t], ErrReplay)
	}
	if st == nil {
		g.makeRoom(now)
		st = &senderState{}
		g.m[s] = st
	}
	st.seq[t], st.seen[t], st.last = seq, true, now
	return nil
}

// makeRoom keeps the table below maxSenders: expired entries go first, then
// the one heard from longest ago.
func (g *replayGuard) makeRoom(now time.Time) {
	if len(g.m) < maxSenders {
		return
	}
	var oldest sender
	var oldestT time.Time
	for s, st := range g.m {
		if now.Sub(st.last) >= g.expiry {
			delete(g.m, s)
			continue
		}
		if oldestT.IsZero() || st.last.Before(oldestT) {
			oldest, oldestT = s, st.last
		}
	}
	if len(g.m) >= maxSenders {
		delete(g.m, oldest)
	}
}

// forget drops the state of a sender.
func (g *replayGuard) forget(src netip.Addr, routerID uint32) {
	delete(g.m, sender{src.WithZone(""), routerID})
}

// idString formats a router ID in dotted decimal.
func idString(id uint32) string {
	return netip.AddrFrom4([4]byte{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}).String()
}
