package lsa

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// linkFixedLen is the length of a Link-LSA body before its prefixes.
const linkFixedLen = 24

// Link is the body of a Link-LSA (RFC 5340 A.4.9): what a router tells the
// other routers on one link, above all the link-local address they use as
// the next hop to it.
type Link struct {
	// Priority is the router's priority on the link.
	Priority uint8
	// Options are the router's options on the link.
	Options Options
	// LinkLocal is the router's link-local address on the link. It has no
	// zone; a zone given is not encoded.
	LinkLocal netip.Addr
	// Prefixes are the IPv6 prefixes of the link; their Metric is
	// reserved (0).
	Prefixes []Prefix
}

// Type returns TypeLink.
func (*Link) Type() Type { return TypeLink }

// String describes the body, e.g.
// "fe80::11 priority 0 options V6|E: 2001:db8:1::/64".
func (l *Link) String() string {
	if l == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s priority %d options %s: %s", l.LinkLocal, l.Priority, l.Options, describePrefixes(l.Prefixes, false))
}

func parseLink(b []byte) (*Link, error) {
	if len(b) < linkFixedLen {
		return nil, fmt.Errorf("link-lsa: body needs %d bytes, have %d: %w", linkFixedLen, len(b), ErrTruncated)
	}
	ps, err := parsePrefixes(b[linkFixedLen:], binary.BigEndian.Uint32(b[20:24]), "link-lsa")
	if err != nil {
		return nil, err
	}
	return &Link{
		Priority:  b[0],
		Options:   Options(get24(b[1:4])),
		LinkLocal: netip.AddrFrom16([16]byte(b[4:20])),
		Prefixes:  ps,
	}, nil
}

func (l *Link) check() error {
	if l == nil {
		return fmt.Errorf("link-lsa: nil body: %w", ErrBadField)
	}
	if err := checkOptions(l.Options); err != nil {
		return fmt.Errorf("link-lsa: %w", err)
	}
	if !l.LinkLocal.Is6() {
		return fmt.Errorf("link-lsa: link-local address %v is not IPv6: %w", l.LinkLocal, ErrBadField)
	}
	return checkPrefixes(l.Prefixes, "link-lsa")
}

func (l *Link) appendTo(b []byte) []byte {
	b = append(b, l.Priority)
	b = append24(b, uint32(l.Options))
	a := l.LinkLocal.As16()
	b = append(b, a[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(l.Prefixes)))
	for _, p := range l.Prefixes {
		b = appendPrefix(b, p, p.Metric)
	}
	return b
}
