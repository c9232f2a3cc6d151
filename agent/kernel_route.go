package agent

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// routeRequest is the RTM_NEWROUTE request (NLM_F_CREATE|NLM_F_REPLACE)
// that installs r as one IPv6 multipath route: each next hop a rtnexthop
// with its weight (rtnh_hops = weight-1) and gateway, the route's metric
// (RTA_PRIORITY), protocol and table, and, for a lease above 0, its
// expiry (RTA_EXPIRES, whole seconds, rounded up).
//
// vishvananda/netlink v1.3.1's Route has no expiry (RTA_EXPIRES came to
// its main branch after the release), so the kernel backend builds this
// one message with the library's own netlink encoding (package nl); the
// rest (listing, removing) goes through its Handle.
func routeRequest(r Route, metric, protocol, table int, lease time.Duration) (*nl.NetlinkRequest, error) {
	return newRouteRequest(r, metric, protocol, table, lease, unix.NLM_F_CREATE|unix.NLM_F_REPLACE|unix.NLM_F_ACK)
}

// renewRequest is the RTM_NEWROUTE request (NLM_F_CREATE, no
// NLM_F_REPLACE) for one next hop h of the agent's route for p: the kernel
// finds the entry with that gateway and device at that metric, sets its
// expiry to the new lease in place and answers EEXIST
// (fib6_add_rt2node); without such an entry it appends one, with h's
// weight.
func renewRequest(p netip.Prefix, h Nexthop, metric, protocol, table int, lease time.Duration) (*nl.NetlinkRequest, error) {
	return newRouteRequest(Route{Prefix: p, Nexthops: []Nexthop{h}}, metric, protocol, table, lease, unix.NLM_F_CREATE|unix.NLM_F_ACK)
}

func newRouteRequest(r Route, metric, protocol, table int, lease time.Duration, flags int) (*nl.NetlinkRequest, error) {
	req := nl.NewNetlinkRequest(unix.RTM_NEWROUTE, flags)
	msg := nl.NewRtMsg()
	msg.Family = unix.AF_INET6
	msg.Dst_len = uint8(r.Prefix.Bits())
	msg.Protocol = uint8(protocol)
	if table < 256 {
		msg.Table = uint8(table)
	} else {
		msg.Table = unix.RT_TABLE_UNSPEC
	}
	req.AddData(msg)
	dst := r.Prefix.Masked().Addr().As16()
	req.AddData(nl.NewRtAttr(unix.RTA_DST, dst[:]))
	if table >= 256 {
		req.AddData(nl.NewRtAttr(unix.RTA_TABLE, nl.Uint32Attr(uint32(table))))
	}
	req.AddData(nl.NewRtAttr(unix.RTA_PRIORITY, nl.Uint32Attr(uint32(metric))))
	var mp []byte
	for _, h := range r.Nexthops {
		if !h.Addr.Is6() || h.Addr.Is4In6() {
			return nil, fmt.Errorf("netlink: route %s: next hop %s is not an IPv6 address", r.Prefix, h.Addr)
		}
		gw := h.Addr.WithZone("").As16()
		nh := &nl.RtNexthop{
			RtNexthop: unix.RtNexthop{Hops: uint8(h.Weight - 1), Ifindex: int32(h.Ifindex)},
			Children:  []nl.NetlinkRequestData{nl.NewRtAttr(unix.RTA_GATEWAY, gw[:])},
		}
		mp = append(mp, nh.Serialize()...)
	}
	req.AddData(nl.NewRtAttr(unix.RTA_MULTIPATH, mp))
	if lease > 0 {
		secs := (lease + time.Second - 1) / time.Second
		req.AddData(nl.NewRtAttr(unix.RTA_EXPIRES, binary.NativeEndian.AppendUint32(nil, uint32(secs))))
	}
	return req, nil
}
