package ospf

import (
	"errors"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// gtsmHopLimit is the hop limit of every packet sent with the Generalized
// TTL Security Mechanism (RFC 5082 3), and the least one it accepts.
const gtsmHopLimit = 255

// receive checks a packet as RFC 2328 8.2 and RFC 5340 4.2.2 ask and hands
// it to the handler of its type. Whatever fails a check is dropped,
// counted by reason and logged (rate-limited).
func (e *engine) receive(now time.Time, d Datagram) {
	if e.shutdown.done || !e.linkUp || e.ifState == ifDown {
		return
	}
	p, err := packet.ParsePacket(d.Data)
	if err != nil {
		reason := "malformed"
		if errors.Is(err, packet.ErrVersion) {
			reason = "bad-version"
		}
		e.drop(now, reason, "bad packet", "src", d.Src, "err", err)
		return
	}
	h := p.Hdr()
	switch {
	case d.Src == e.cfg.Link.LinkLocal:
		// RFC 2328 8.2: locally originated packets are not passed on.
		e.drop(now, "own-source", "packet from our own address", "src", d.Src)
		return
	case !d.Src.Is6() || !d.Src.IsLinkLocalUnicast():
		e.drop(now, "bad-source", "packet from a non-link-local source", "src", d.Src)
		return
	case e.cfg.TTLSecurity && d.HopLimit != gtsmHopLimit:
		// RFC 5082 3: with GTSM every packet must arrive with the
		// largest hop limit, which only a sender on the link can
		// achieve. An unknown hop limit (-1) fails the check too.
		e.drop(now, "bad-hop-limit", "packet with hop limit below 255 while TTL security (GTSM) is on", "src", d.Src, "hop_limit", d.HopLimit)
		return
	case d.HopLimit >= 0 && d.HopLimit != 1 && d.HopLimit != gtsmHopLimit && d.Dst.IsMulticast():
		// Multicast OSPF packets are sent with hop limit 1 (RFC 5340
		// A.1), or 255 by a router using GTSM (RFC 5082); unicast ones
		// may carry any (FRR uses 64), their link-local source already
		// keeps them on the link.
		e.drop(now, "bad-hop-limit", "multicast packet with hop limit other than 1 or 255", "src", d.Src, "hop_limit", d.HopLimit)
		return
	case h.InstanceID != e.cfg.InstanceID:
		e.drop(now, "instance-mismatch", "packet for another instance", "src", d.Src,
			"theirs", h.InstanceID, "ours", e.cfg.InstanceID)
		return
	case h.AreaID != e.cfg.AreaID:
		e.drop(now, "area-mismatch", "packet for another area", "src", d.Src,
			"theirs", lsa.IDString(h.AreaID), "ours", lsa.IDString(e.cfg.AreaID))
		return
	case h.RouterID == 0:
		// 0.0.0.0 is no router ID: it means "none" in the DR and BDR
		// fields, so such a neighbor would pass for the DR of a link
		// without one (RFC 2328 1.2, 9.4).
		e.dropOnce("zero-router-id", "packet with router ID 0.0.0.0 (misconfigured or forged speaker)",
			"src", d.Src, "type", h.Type)
		return
	case h.RouterID == e.cfg.RouterID:
		e.drop(now, "own-router-id", "packet carrying our own router ID (duplicate router ID on the link?)", "src", d.Src)
		return
	case d.Dst == AllDRouters && e.ifState != ifDR && e.ifState != ifBackup:
		e.drop(now, "not-dr", "packet to AllDRouters while not DR or BDR", "src", d.Src)
		return
	}
	e.cnt.packetsIn[h.Type.String()]++
	if hello, ok := p.(*packet.Hello); ok {
		e.receiveHello(now, d, hello)
		return
	}
	// Every other packet must come from a known neighbor at its address.
	n := e.nbrs[h.RouterID]
	if n == nil || n.addr != d.Src {
		e.drop(now, "unknown-neighbor", "packet from an unknown neighbor", "src", d.Src,
			"router_id", lsa.IDString(h.RouterID), "type", h.Type)
		return
	}
	switch p := p.(type) {
	case *packet.DatabaseDescription:
		e.receiveDBD(now, n, p)
	case *packet.LinkStateRequest:
		e.receiveLSR(now, n, p)
	case *packet.LinkStateUpdate:
		e.receiveLSU(now, n, d, p)
	case *packet.LinkStateAck:
		e.receiveAck(now, n, p)
	}
}
