package lsa

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// routerLinkLen is the length of one link description in a Router-LSA.
const routerLinkLen = 16

// LinkType is the type of a Router-LSA link description (RFC 5340 A.4.3).
type LinkType uint8

// Router-LSA link types.
const (
	LinkPointToPoint LinkType = 1 // point-to-point connection to another router
	LinkTransit      LinkType = 2 // connection to a transit network
	LinkVirtual      LinkType = 4 // virtual link
)

func (t LinkType) String() string {
	switch t {
	case LinkPointToPoint:
		return "point-to-point"
	case LinkTransit:
		return "transit"
	case LinkVirtual:
		return "virtual"
	}
	return fmt.Sprintf("type-%d", uint8(t))
}

// RouterLink is one link description of a Router-LSA (RFC 5340 A.4.3). For
// a transit link the neighbor is the network's Designated Router:
// NeighborInterfaceID is its interface ID and NeighborRouterID its router
// ID, which together name the Network-LSA.
type RouterLink struct {
	Type                LinkType
	Metric              uint16
	InterfaceID         uint32
	NeighborInterfaceID uint32
	NeighborRouterID    uint32
}

// String describes the link, e.g. "transit metric 10 to 192.0.2.1 if 3".
func (l RouterLink) String() string {
	return fmt.Sprintf("%s metric %d to %s if %d", l.Type, l.Metric, IDString(l.NeighborRouterID), l.NeighborInterfaceID)
}

// Router is the body of a Router-LSA (RFC 5340 A.4.3).
type Router struct {
	Flags   RouterFlags
	Options Options
	Links   []RouterLink
}

// Type returns TypeRouter.
func (*Router) Type() Type { return TypeRouter }

// String describes the body, e.g.
// "flags - options V6|E: transit metric 10 to 192.0.2.1 if 3".
func (r *Router) String() string {
	if r == nil {
		return "<nil>"
	}
	links := "no links"
	if len(r.Links) > 0 {
		s := make([]string, len(r.Links))
		for i, l := range r.Links {
			s[i] = l.String()
		}
		links = strings.Join(s, ", ")
	}
	return fmt.Sprintf("flags %s options %s: %s", r.Flags, r.Options, links)
}

func parseRouter(b []byte) (*Router, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("router-lsa: body needs 4 bytes, have %d: %w", len(b), ErrTruncated)
	}
	if (len(b)-4)%routerLinkLen != 0 {
		return nil, fmt.Errorf("router-lsa: %d bytes of links, not a multiple of %d: %w", len(b)-4, routerLinkLen, ErrBadLength)
	}
	r := &Router{Flags: RouterFlags(b[0]), Options: Options(get24(b[1:4]))}
	if n := (len(b) - 4) / routerLinkLen; n > 0 {
		r.Links = make([]RouterLink, 0, n)
	}
	for off := 4; off+routerLinkLen <= len(b); off += routerLinkLen {
		l := b[off : off+routerLinkLen]
		r.Links = append(r.Links, RouterLink{
			Type:                LinkType(l[0]), // l[1] is reserved
			Metric:              binary.BigEndian.Uint16(l[2:4]),
			InterfaceID:         binary.BigEndian.Uint32(l[4:8]),
			NeighborInterfaceID: binary.BigEndian.Uint32(l[8:12]),
			NeighborRouterID:    binary.BigEndian.Uint32(l[12:16]),
		})
	}
	return r, nil
}

func (r *Router) check() error {
	if r == nil {
		return fmt.Errorf("router-lsa: nil body: %w", ErrBadField)
	}
	if err := checkOptions(r.Options); err != nil {
		return fmt.Errorf("router-lsa: %w", err)
	}
	return nil
}

func (r *Router) appendTo(b []byte) []byte {
	b = append(b, byte(r.Flags))
	b = append24(b, uint32(r.Options))
	for _, l := range r.Links {
		b = append(b, byte(l.Type), 0)
		b = binary.BigEndian.AppendUint16(b, l.Metric)
		b = binary.BigEndian.AppendUint32(b, l.InterfaceID)
		b = binary.BigEndian.AppendUint32(b, l.NeighborInterfaceID)
		b = binary.BigEndian.AppendUint32(b, l.NeighborRouterID)
	}
	return b
}
