package lsa

import (
	"encoding/binary"
	"fmt"
)

// intraAreaPrefixFixedLen is the length of an Intra-Area-Prefix-LSA body
// before its prefixes.
const intraAreaPrefixFixedLen = 12

// IntraAreaPrefix is the body of an Intra-Area-Prefix-LSA (RFC 5340 A.4.10):
// prefixes attached to the router (RefType TypeRouter, RefID 0) or to a
// transit network (RefType TypeNetwork, RefID the DR's interface ID).
type IntraAreaPrefix struct {
	// RefType, RefID and RefAdvRouter name the Router-LSA or Network-LSA
	// the prefixes belong to.
	RefType      Type
	RefID        uint32
	RefAdvRouter uint32
	// Prefixes carry their metrics.
	Prefixes []Prefix
}

// Type returns TypeIntraAreaPrefix.
func (*IntraAreaPrefix) Type() Type { return TypeIntraAreaPrefix }

// String describes the body, e.g.
// "2001:db8:53::53/128 metric 10; ref Router 0.0.0.0 adv 192.0.2.11".
func (p *IntraAreaPrefix) String() string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s; ref %s %s adv %s", describePrefixes(p.Prefixes, true), p.RefType, IDString(p.RefID), IDString(p.RefAdvRouter))
}

func parseIntraAreaPrefix(b []byte) (*IntraAreaPrefix, error) {
	if len(b) < intraAreaPrefixFixedLen {
		return nil, fmt.Errorf("intra-area-prefix: body needs %d bytes, have %d: %w", intraAreaPrefixFixedLen, len(b), ErrTruncated)
	}
	ps, err := parsePrefixes(b[intraAreaPrefixFixedLen:], uint32(binary.BigEndian.Uint16(b[0:2])), "intra-area-prefix")
	if err != nil {
		return nil, err
	}
	return &IntraAreaPrefix{
		RefType:      Type(binary.BigEndian.Uint16(b[2:4])),
		RefID:        binary.BigEndian.Uint32(b[4:8]),
		RefAdvRouter: binary.BigEndian.Uint32(b[8:12]),
		Prefixes:     ps,
	}, nil
}

func (p *IntraAreaPrefix) check() error {
	if p == nil {
		return fmt.Errorf("intra-area-prefix: nil body: %w", ErrBadField)
	}
	if len(p.Prefixes) > 0xffff {
		return fmt.Errorf("intra-area-prefix: %d prefixes, above 65535: %w", len(p.Prefixes), ErrBadLength)
	}
	return checkPrefixes(p.Prefixes, "intra-area-prefix")
}

func (p *IntraAreaPrefix) appendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.Prefixes)))
	b = binary.BigEndian.AppendUint16(b, uint16(p.RefType))
	b = binary.BigEndian.AppendUint32(b, p.RefID)
	b = binary.BigEndian.AppendUint32(b, p.RefAdvRouter)
	for _, q := range p.Prefixes {
		b = appendPrefix(b, q, q.Metric)
	}
	return b
}
