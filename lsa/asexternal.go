package lsa

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// ExternalFlags is the flags byte of an AS-External-LSA or NSSA-LSA
// (RFC 5340 A.4.7). Its top five bits are reserved.
type ExternalFlags uint8

// AS-External-LSA flag bits.
const (
	ExternalT ExternalFlags = 0x01 // T: an External Route Tag is present
	ExternalF ExternalFlags = 0x02 // F: a Forwarding Address is present
	ExternalE ExternalFlags = 0x04 // E: the metric is a type 2 external metric
)

// String lists the set flags, e.g. "E|F|T", or "-".
func (f ExternalFlags) String() string {
	var s []string
	for _, n := range []struct {
		bit  ExternalFlags
		name string
	}{{ExternalE, "E"}, {ExternalF, "F"}, {ExternalT, "T"}} {
		if f&n.bit != 0 {
			s = append(s, n.name)
		}
	}
	if r := f &^ (ExternalE | ExternalF | ExternalT); r != 0 {
		s = append(s, fmt.Sprintf("%#02x", uint8(r)))
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, "|")
}

// ASExternal is the body of an AS-External-LSA (RFC 5340 A.4.7) and, with
// NSSA set, of an NSSA-LSA (RFC 5340 A.4.8, same format).
type ASExternal struct {
	// NSSA selects the type: TypeNSSA when set, TypeASExternal otherwise.
	NSSA bool
	// Flags: E, F and T. F says ForwardingAddress is present, T that
	// RouteTag is.
	Flags ExternalFlags
	// Metric is the cost to the prefix, 24 bits.
	Metric uint32
	// Prefix is the destination; its Metric field must be 0 (the wire
	// field there is ReferencedType).
	Prefix Prefix
	// ReferencedType is the Referenced LS Type; when it is not 0,
	// ReferencedID is present.
	ReferencedType Type
	// ForwardingAddress is an IPv6 address iff Flags has F, else the zero
	// Addr.
	ForwardingAddress netip.Addr
	// RouteTag is the External Route Tag, present iff Flags has T (0 otherwise).
	RouteTag uint32
	// ReferencedID is the Referenced Link State ID, present iff
	// ReferencedType is not 0 (0 otherwise).
	ReferencedID uint32
}

// Type returns TypeNSSA if e.NSSA is set, else TypeASExternal.
func (e *ASExternal) Type() Type {
	if e != nil && e.NSSA {
		return TypeNSSA
	}
	return TypeASExternal
}

// String describes the body, e.g.
// "2001:db8:100::/64 metric 20 E2 options P fwd 2001:db8::1 tag 7".
func (e *ASExternal) String() string {
	if e == nil {
		return "<nil>"
	}
	var s strings.Builder
	mtype := 1
	if e.Flags&ExternalE != 0 {
		mtype = 2
	}
	fmt.Fprintf(&s, "%s metric %d E%d%s", e.Prefix.Prefix, e.Metric, mtype, e.Prefix.optionsSuffix())
	if e.Flags&ExternalF != 0 {
		fmt.Fprintf(&s, " fwd %s", e.ForwardingAddress)
	}
	if e.Flags&ExternalT != 0 {
		fmt.Fprintf(&s, " tag %d", e.RouteTag)
	}
	if e.ReferencedType != 0 {
		fmt.Fprintf(&s, " ref %s %s", e.ReferencedType, IDString(e.ReferencedID))
	}
	return s.String()
}

func parseASExternal(b []byte, nssa bool) (*ASExternal, error) {
	what := "as-external"
	if nssa {
		what = "nssa"
	}
	if len(b) < 4 {
		return nil, fmt.Errorf("%s: body needs 4 bytes, have %d: %w", what, len(b), ErrTruncated)
	}
	p, n, err := parsePrefix(b[4:])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	e := &ASExternal{
		NSSA:           nssa,
		Flags:          ExternalFlags(b[0]),
		Metric:         get24(b[1:4]),
		Prefix:         p,
		ReferencedType: Type(p.Metric),
	}
	e.Prefix.Metric = 0
	rest := b[4+n:]
	if e.Flags&ExternalF != 0 {
		if len(rest) < 16 {
			return nil, fmt.Errorf("%s: forwarding address needs 16 bytes, have %d: %w", what, len(rest), ErrTruncated)
		}
		e.ForwardingAddress = netip.AddrFrom16([16]byte(rest[:16]))
		rest = rest[16:]
	}
	if e.Flags&ExternalT != 0 {
		if len(rest) < 4 {
			return nil, fmt.Errorf("%s: route tag needs 4 bytes, have %d: %w", what, len(rest), ErrTruncated)
		}
		e.RouteTag = binary.BigEndian.Uint32(rest[:4])
		rest = rest[4:]
	}
	if e.ReferencedType != 0 {
		if len(rest) < 4 {
			return nil, fmt.Errorf("%s: referenced link state ID needs 4 bytes, have %d: %w", what, len(rest), ErrTruncated)
		}
		e.ReferencedID = binary.BigEndian.Uint32(rest[:4])
		rest = rest[4:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%s: %d bytes after the last field: %w", what, len(rest), ErrBadLength)
	}
	return e, nil
}

func (e *ASExternal) check() error {
	if e == nil {
		return fmt.Errorf("as-external: nil body: %w", ErrBadField)
	}
	what := "as-external"
	if e.NSSA {
		what = "nssa"
	}
	var err error
	switch {
	case e.Metric > max24:
		err = check24("metric", e.Metric)
	case checkPrefix(e.Prefix.Prefix) != nil:
		err = checkPrefix(e.Prefix.Prefix)
	case e.Prefix.Metric != 0:
		err = fmt.Errorf("prefix metric field %d must be 0 (it carries ReferencedType): %w", e.Prefix.Metric, ErrBadField)
	case e.Flags&ExternalF != 0 && !e.ForwardingAddress.Is6():
		err = fmt.Errorf("F flag set but forwarding address %v is not IPv6: %w", e.ForwardingAddress, ErrBadField)
	case e.Flags&ExternalF == 0 && e.ForwardingAddress.IsValid():
		err = fmt.Errorf("forwarding address %v without the F flag: %w", e.ForwardingAddress, ErrBadField)
	case e.Flags&ExternalT == 0 && e.RouteTag != 0:
		err = fmt.Errorf("route tag %d without the T flag: %w", e.RouteTag, ErrBadField)
	case e.ReferencedType == 0 && e.ReferencedID != 0:
		err = fmt.Errorf("referenced link state ID %s without a referenced type: %w", IDString(e.ReferencedID), ErrBadField)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func (e *ASExternal) appendTo(b []byte) []byte {
	b = append(b, byte(e.Flags))
	b = append24(b, e.Metric)
	b = appendPrefix(b, e.Prefix, uint16(e.ReferencedType))
	if e.Flags&ExternalF != 0 {
		a := e.ForwardingAddress.As16()
		b = append(b, a[:]...)
	}
	if e.Flags&ExternalT != 0 {
		b = binary.BigEndian.AppendUint32(b, e.RouteTag)
	}
	if e.ReferencedType != 0 {
		b = binary.BigEndian.AppendUint32(b, e.ReferencedID)
	}
	return b
}
