package ndproxy

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/mdlayher/ndp"
	"golang.org/x/net/ipv6"
)

// ICMPv6 types of the messages the speaker handles (RFC 4861 section 4).
const (
	typeNS = 135
	typeNA = 136
)

// minNDLen is the shortest NS or NA: the ICMPv6 header (4 bytes), 4 bytes
// of flags or reserved, and the 16-byte target (RFC 4861 sections 4.3,
// 4.4, 7.1.1 and 7.1.2: "ICMP length ... is 24 or more octets").
const minNDLen = 24

// Sentinel errors of ParseReceived, one per DropReason that is an error.
var (
	ErrMalformed = errors.New("malformed ND message")
	ErrHopLimit  = errors.New("hop limit is not 255: not sent on-link")
	ErrCode      = errors.New("ICMPv6 code is not 0")
	ErrInvalid   = errors.New("invalid ND message")
	ErrOtherType = errors.New("not a Neighbor Solicitation or Advertisement")
)

// DropReason says why a received message was not used; the speaker counts
// them by String.
type DropReason uint8

// Drop reasons.
const (
	DropNone        DropReason = iota
	DropMalformed              // cannot be parsed: too short, bad option lengths
	DropHopLimit               // hop limit != 255 (RFC 4861 sections 7.1.1, 7.1.2)
	DropCode                   // ICMPv6 code != 0
	DropInvalid                // fails another check of RFC 4861 section 7.1
	DropOtherType              // not an NS or NA
	DropOtherTarget            // target is not a service address of this speaker
	DropSelf                   // our own message, looped back
)

func (r DropReason) String() string {
	switch r {
	case DropNone:
		return "none"
	case DropMalformed:
		return "malformed"
	case DropHopLimit:
		return "hop_limit"
	case DropCode:
		return "code"
	case DropInvalid:
		return "invalid"
	case DropOtherType:
		return "other_type"
	case DropOtherTarget:
		return "other_target"
	case DropSelf:
		return "self"
	}
	return "DropReason(" + strconv.Itoa(int(r)) + ")"
}

// reasonOf maps a ParseReceived error to its reason.
func reasonOf(err error) DropReason {
	switch {
	case err == nil:
		return DropNone
	case errors.Is(err, ErrHopLimit):
		return DropHopLimit
	case errors.Is(err, ErrCode):
		return DropCode
	case errors.Is(err, ErrInvalid):
		return DropInvalid
	case errors.Is(err, ErrOtherType):
		return DropOtherType
	}
	return DropMalformed
}

// Received is a valid Neighbor Solicitation or Advertisement.
type Received struct {
	NS       bool // a solicitation; otherwise an advertisement
	Target   netip.Addr
	Src, Dst netip.Addr // IPv6 source and destination (no zone)
	// LinkAddr is the Source Link-Layer Address option of an NS or the
	// Target Link-Layer Address option of an NA (nil: none).
	LinkAddr net.HardwareAddr
	// Flags of an NA (RFC 4861 section 4.4).
	Router, Solicited, Override bool
}

// ParseReceived checks one received ICMPv6 message b (from its ICMPv6
// header on) as RFC 4861 sections 7.1.1 and 7.1.2 require of an NS or NA,
// given the IPv6 hop limit, source and destination of its packet. The
// kernel has checked the ICMPv6 checksum (RFC 3542 section 3.1). Errors
// wrap ErrMalformed, ErrHopLimit, ErrCode, ErrInvalid or ErrOtherType.
func ParseReceived(b []byte, hopLimit int, src, dst netip.Addr) (Received, error) {
	src, dst = src.WithZone(""), dst.WithZone("")
	if len(b) < 1 {
		return Received{}, fmt.Errorf("empty ICMPv6 message from %s: %w", src, ErrMalformed)
	}
	if b[0] != typeNS && b[0] != typeNA {
		return Received{}, fmt.Errorf("ICMPv6 type %d from %s: %w", b[0], src, ErrOtherType)
	}
	what := ipv6.ICMPType(b[0]).String()
	if hopLimit != ndp.HopLimit {
		return Received{}, fmt.Errorf("%s from %s with hop limit %d: %w", what, src, hopLimit, ErrHopLimit)
	}
	if len(b) < minNDLen {
		return Received{}, fmt.Errorf("%s from %s: %d bytes, want at least %d: %w", what, src, len(b), minNDLen, ErrMalformed)
	}
	if b[1] != 0 {
		return Received{}, fmt.Errorf("%s from %s with code %d: %w", what, src, b[1], ErrCode)
	}
	m, err := ndp.ParseMessage(b)
	if err != nil {
		return Received{}, fmt.Errorf("%s from %s: %v: %w", what, src, err, ErrMalformed)
	}
	r := Received{Src: src, Dst: dst}
	switch m := m.(type) {
	case *ndp.NeighborSolicitation:
		r.NS, r.Target = true, m.TargetAddress
		r.LinkAddr = linkAddr(m.Options, ndp.Source)
		if src.IsUnspecified() {
			if !isSolicitedNode(dst) {
				return Received{}, fmt.Errorf("%s for %s from :: to %s, not a solicited-node group: %w", what, r.Target, dst, ErrInvalid)
			}
			if r.LinkAddr != nil {
				return Received{}, fmt.Errorf("%s for %s from :: with a source link-layer address: %w", what, r.Target, ErrInvalid)
			}
		}
	case *ndp.NeighborAdvertisement:
		r.Target = m.TargetAddress
		r.LinkAddr = linkAddr(m.Options, ndp.Target)
		r.Router, r.Solicited, r.Override = m.Router, m.Solicited, m.Override
		if dst.IsMulticast() && m.Solicited {
			return Received{}, fmt.Errorf("%s for %s from %s: solicited, to multicast %s: %w", what, r.Target, src, dst, ErrInvalid)
		}
	default:
		return Received{}, fmt.Errorf("ICMPv6 type %d from %s: %w", b[0], src, ErrOtherType)
	}
	if r.Target.IsMulticast() {
		return Received{}, fmt.Errorf("%s from %s for multicast target %s: %w", what, src, r.Target, ErrInvalid)
	}
	return r, nil
}

// linkAddr returns the first link-layer address option of direction d.
func linkAddr(opts []ndp.Option, d ndp.Direction) net.HardwareAddr {
	for _, o := range opts {
		if l, ok := o.(*ndp.LinkLayerAddress); ok && l.Direction == d {
			return l.Addr
		}
	}
	return nil
}

// isSolicitedNode reports whether a is a solicited-node multicast address
// (ff02::1:ff00:0/104, RFC 4291 section 2.7.1).
func isSolicitedNode(a netip.Addr) bool {
	return netip.MustParsePrefix("ff02::1:ff00:0/104").Contains(a)
}

// turnNA is the ND proxy message that takes a turn: an unsolicited NA with the
// Override flag, target the service address and the server's link-layer
// address, sent to ff02::1 (RFC 4861 section 7.2.6).
func turnNA(target netip.Addr, mac net.HardwareAddr) *ndp.NeighborAdvertisement {
	return &ndp.NeighborAdvertisement{
		Override:      true,
		TargetAddress: target,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: mac}},
	}
}

// answerNA answers a solicitation from a unicast source (RFC 4861 section
// 7.2.4): Solicited set, Router clear, and Override clear because the
// target is an anycast address, shared by every server of the farm (an
// NA that answers a router's probe must not override the entry a peer's
// turn set meanwhile).
func answerNA(target netip.Addr, mac net.HardwareAddr) *ndp.NeighborAdvertisement {
	return &ndp.NeighborAdvertisement{
		Solicited:     true,
		TargetAddress: target,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: mac}},
	}
}

// callNS is a server's call to its peers: a solicitation for the service
// address, sent to the address's solicited-node group with the server's
// link-layer address (RFC 4861 section 4.3). Only the servers of the farm
// listen to that group (the router has not joined it); the peers do not
// answer it.
func callNS(target netip.Addr, mac net.HardwareAddr) *ndp.NeighborSolicitation {
	return &ndp.NeighborSolicitation{
		TargetAddress: target,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: mac}},
	}
}
