// Package packet holds the OSPFv3 packet codecs of RFC 5340 appendix A.3:
// the common header and the Hello, Database Description, Link State Request,
// Link State Update and Link State Acknowledgment bodies, plus the IPv6
// pseudo-header checksum of A.3.1. It is pure code: no I/O.
//
// Parse with ParsePacket, which returns one of *Hello, *DatabaseDescription,
// *LinkStateRequest, *LinkStateUpdate or *LinkStateAck; encode with
// MarshalPacket or AppendPacket. LSAs inside a Link State Update stay raw
// bytes; package lsa decodes them.
package packet

import (
	"encoding/binary"
	"fmt"

	"github.com/anycostd/anycostd/lsa"
)

// Version is the OSPF version this package speaks (RFC 5340 A.3.1).
const Version = 3

// HeaderLen is the length of the OSPFv3 packet header (RFC 5340 A.3.1).
const HeaderLen = 16

// maxPacketLen is the largest value of the 16-bit packet length field.
const maxPacketLen = 0xffff

// Type is the OSPF packet type (RFC 5340 A.3.1).
type Type uint8

// The packet types of RFC 5340 A.3.1.
const (
	TypeHello               Type = 1
	TypeDatabaseDescription Type = 2
	TypeLinkStateRequest    Type = 3
	TypeLinkStateUpdate     Type = 4
	TypeLinkStateAck        Type = 5
)

func (t Type) String() string {
	switch t {
	case TypeHello:
		return "Hello"
	case TypeDatabaseDescription:
		return "DBDesc"
	case TypeLinkStateRequest:
		return "LSReq"
	case TypeLinkStateUpdate:
		return "LSUpdate"
	case TypeLinkStateAck:
		return "LSAck"
	}
	return fmt.Sprintf("Unknown(%d)", uint8(t))
}

// Header is the OSPFv3 packet header of RFC 5340 A.3.1 without the fields
// the codec owns: Version is always 3 and Packet length is derived from the
// body on marshal; both are checked on parse. The reserved byte is written
// as zero and ignored on parse.
//
// On marshal a zero Type is filled in from the packet's Go type; a non-zero
// Type that contradicts it is an error. Checksum is written as given: leave
// it zero when the kernel fills it (IPV6_CHECKSUM), or use SetChecksum.
type Header struct {
	Type       Type
	RouterID   uint32
	AreaID     uint32
	Checksum   uint16
	InstanceID uint8
}

// Hdr returns h itself, so that every packet type, which embeds a Header,
// gives access to its header through the Packet interface.
func (h *Header) Hdr() *Header { return h }

// Packet is one decoded OSPFv3 packet: *Hello, *DatabaseDescription,
// *LinkStateRequest, *LinkStateUpdate or *LinkStateAck. The interface is
// sealed: no other type implements it.
type Packet interface {
	Hdr() *Header
	// packetType is the type code of the body the value holds.
	packetType() Type
	// bodyLen is the encoded length of the body, header excluded.
	bodyLen() int
	// appendBody validates the body fields and appends their encoding.
	appendBody(b []byte) ([]byte, error)
	// parseBody decodes the body (the bytes between header and Length).
	parseBody(b []byte) error
}

// Compile-time checks that every packet type implements Packet.
var (
	_ Packet = (*Hello)(nil)
	_ Packet = (*DatabaseDescription)(nil)
	_ Packet = (*LinkStateRequest)(nil)
	_ Packet = (*LinkStateUpdate)(nil)
	_ Packet = (*LinkStateAck)(nil)
)

// parseHeader checks the fixed header of b and returns it with the body: the
// bytes from HeaderLen up to the packet length field.
func parseHeader(b []byte) (Header, []byte, error) {
	if len(b) < HeaderLen {
		return Header{}, nil, fmt.Errorf("header: need %d bytes, have %d: %w", HeaderLen, len(b), ErrTruncated)
	}
	if b[0] != Version {
		return Header{}, nil, fmt.Errorf("header: version %d: %w", b[0], ErrVersion)
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	if n < HeaderLen {
		return Header{}, nil, fmt.Errorf("header: packet length %d below %d: %w", n, HeaderLen, ErrBadLength)
	}
	if n > len(b) {
		return Header{}, nil, fmt.Errorf("header: packet length %d but %d bytes present: %w", n, len(b), ErrTruncated)
	}
	h := Header{
		Type:       Type(b[1]),
		RouterID:   binary.BigEndian.Uint32(b[4:8]),
		AreaID:     binary.BigEndian.Uint32(b[8:12]),
		Checksum:   binary.BigEndian.Uint16(b[12:14]),
		InstanceID: b[14],
	}
	return h, b[HeaderLen:n], nil
}

// ParsePacket decodes one OSPFv3 packet (RFC 5340 A.3). b starts at the OSPF
// header (the IPv6 payload); bytes after the header's packet length are
// ignored (see Trailer). The body must be consumed exactly by its fields.
// The checksum is returned, not verified (see VerifyChecksum).
//
// The result aliases b only through LinkStateUpdate.LSAs.
func ParsePacket(b []byte) (Packet, error) {
	h, body, err := parseHeader(b)
	if err != nil {
		return nil, err
	}
	var p Packet
	switch h.Type {
	case TypeHello:
		p = &Hello{Header: h}
	case TypeDatabaseDescription:
		p = &DatabaseDescription{Header: h}
	case TypeLinkStateRequest:
		p = &LinkStateRequest{Header: h}
	case TypeLinkStateUpdate:
		p = &LinkStateUpdate{Header: h}
	case TypeLinkStateAck:
		p = &LinkStateAck{Header: h}
	default:
		return nil, fmt.Errorf("header: type %d: %w", uint8(h.Type), ErrUnknownType)
	}
	if err := p.parseBody(body); err != nil {
		return nil, err
	}
	return p, nil
}

// Trailer returns the bytes of b that follow the packet length of its
// OSPFv3 header: the RFC 7166 authentication trailer when there is one. It
// returns nil when there are none or when b does not start with a header
// whose length fits in b.
func Trailer(b []byte) []byte {
	if len(b) < HeaderLen {
		return nil
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	if n < HeaderLen || n >= len(b) {
		return nil
	}
	return b[n:]
}

// MarshalPacket encodes p: version 3, the packet length computed from the
// body, the type from p's Go type and the checksum as in p's Header.
func MarshalPacket(p Packet) ([]byte, error) {
	if err := checkNil(p); err != nil {
		return nil, err
	}
	return AppendPacket(make([]byte, 0, HeaderLen+p.bodyLen()), p)
}

// AppendPacket appends the encoding of p (see MarshalPacket) to dst. On
// error it returns dst unchanged.
func AppendPacket(dst []byte, p Packet) ([]byte, error) {
	if err := checkNil(p); err != nil {
		return dst, err
	}
	h := p.Hdr()
	t := p.packetType()
	if h.Type != 0 && h.Type != t {
		return dst, fmt.Errorf("header: type %v on a %v packet: %w", h.Type, t, ErrBadField)
	}
	n := HeaderLen + p.bodyLen()
	if n > maxPacketLen {
		return dst, fmt.Errorf("%v: packet length %d exceeds %d: %w", t, n, maxPacketLen, ErrBadLength)
	}
	b := append(dst, Version, byte(t))
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	b = binary.BigEndian.AppendUint32(b, h.RouterID)
	b = binary.BigEndian.AppendUint32(b, h.AreaID)
	b = binary.BigEndian.AppendUint16(b, h.Checksum)
	b = append(b, h.InstanceID, 0)
	b, err := p.appendBody(b)
	if err != nil {
		return dst, err
	}
	return b, nil
}

// checkNil rejects a nil interface and typed nil pointers.
func checkNil(p Packet) error {
	isNil := false
	switch v := p.(type) {
	case nil:
		isNil = true
	case *Hello:
		isNil = v == nil
	case *DatabaseDescription:
		isNil = v == nil
	case *LinkStateRequest:
		isNil = v == nil
	case *LinkStateUpdate:
		isNil = v == nil
	case *LinkStateAck:
		isNil = v == nil
	}
	if isNil {
		return fmt.Errorf("nil packet: %w", ErrBadField)
	}
	return nil
}

// checkOptions rejects Options wider than the 24-bit field.
func checkOptions(what string, o lsa.Options) error {
	if o > 0xffffff {
		return fmt.Errorf("%s: options %#x exceed 24 bits: %w", what, uint32(o), ErrBadField)
	}
	return nil
}

// appendOptions appends the low 24 bits of o.
func appendOptions(b []byte, o lsa.Options) []byte {
	return append(b, byte(o>>16), byte(o>>8), byte(o))
}

// parseOptions reads a 24-bit Options field from the first 3 bytes of b.
func parseOptions(b []byte) lsa.Options {
	return lsa.Options(b[0])<<16 | lsa.Options(b[1])<<8 | lsa.Options(b[2])
}

// parseLSAHeaders decodes a body part made of whole 20-byte LSA headers
// (RFC 5340 A.3.3, A.3.6). what names the packet type for error context.
func parseLSAHeaders(what string, b []byte) ([]lsa.Header, error) {
	if len(b)%lsa.HeaderLen != 0 {
		return nil, fmt.Errorf("%s: %d bytes of LSA headers is not a multiple of %d: %w", what, len(b), lsa.HeaderLen, ErrBadLength)
	}
	if len(b) == 0 {
		return nil, nil
	}
	hs := make([]lsa.Header, 0, len(b)/lsa.HeaderLen)
	for i := 0; len(b) > 0; i++ {
		if l := binary.BigEndian.Uint16(b[18:20]); l < lsa.HeaderLen {
			return nil, fmt.Errorf("%s: lsa header %d: length %d below %d: %w", what, i, l, lsa.HeaderLen, ErrBadLength)
		}
		h, err := lsa.ParseHeader(b[:lsa.HeaderLen])
		if err != nil {
			return nil, fmt.Errorf("%s: lsa header %d: %w", what, i, err)
		}
		hs = append(hs, h)
		b = b[lsa.HeaderLen:]
	}
	return hs, nil
}

// appendLSAHeaders appends hs after checking each length field is at least
// the header size, so that the result parses again.
func appendLSAHeaders(what string, b []byte, hs []lsa.Header) ([]byte, error) {
	for i, h := range hs {
		if h.Length < lsa.HeaderLen {
			return nil, fmt.Errorf("%s: lsa header %d: length %d below %d: %w", what, i, h.Length, lsa.HeaderLen, ErrBadLength)
		}
		b = lsa.AppendHeader(b, h)
	}
	return b, nil
}
