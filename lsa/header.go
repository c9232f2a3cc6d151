// Package lsa holds the OSPFv3 link-state advertisement codecs of RFC 5340
// appendix A.4, the Fletcher checksum of RFC 2328 12.1.7, the instance
// ordering of RFC 2328 13.1 and the sequence-number and age arithmetic of
// RFC 2328 12.1.6 and appendix B. It is pure code: no I/O, no clock.
package lsa

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// HeaderLen is the length of the LSA header (RFC 5340 A.4.2).
const HeaderLen = 20

// Sentinel errors; callers match them with errors.Is.
var (
	// ErrTruncated: the buffer is shorter than a length field says.
	ErrTruncated = errors.New("lsa: truncated")
	// ErrBadLength: a length field is impossible (too small, not a multiple of 4...).
	ErrBadLength = errors.New("lsa: bad length")
	// ErrBadChecksum: the Fletcher checksum does not verify.
	ErrBadChecksum = errors.New("lsa: bad checksum")
	// ErrBadPrefix: a prefix is longer than 128 bits or its bytes are short.
	ErrBadPrefix = errors.New("lsa: bad prefix")
	// ErrBadField: a field of a value to encode does not fit its wire
	// format (a 24-bit metric above 0xffffff, a missing address...).
	ErrBadField = errors.New("lsa: bad field")
	// ErrTypeMismatch: the body to encode is not of the header's LS type.
	ErrTypeMismatch = errors.New("lsa: body type differs from header type")
)

// Type is the 16-bit LS type of RFC 5340 A.4.2.1: the U bit, the S2 and S1
// scope bits and the 13-bit function code.
type Type uint16

// The LS types of RFC 5340 A.4.2.1 (U, S2, S1 and function code together).
const (
	TypeRouter          Type = 0x2001
	TypeNetwork         Type = 0x2002
	TypeInterAreaPrefix Type = 0x2003
	TypeInterAreaRouter Type = 0x2004
	TypeASExternal      Type = 0x4005
	TypeNSSA            Type = 0x2007
	TypeLink            Type = 0x0008
	TypeIntraAreaPrefix Type = 0x2009
)

// Scope is the flooding scope encoded by the S2/S1 bits (RFC 5340 A.4.2.1).
type Scope uint8

// Flooding scopes.
const (
	ScopeLink     Scope = 0 // S2=0 S1=0: link-local
	ScopeArea     Scope = 1 // S2=0 S1=1: area
	ScopeAS       Scope = 2 // S2=1 S1=0: AS
	ScopeReserved Scope = 3 // S2=1 S1=1: reserved
)

func (s Scope) String() string {
	switch s {
	case ScopeLink:
		return "link"
	case ScopeArea:
		return "area"
	case ScopeAS:
		return "as"
	default:
		return "reserved"
	}
}

// UBit reports the U bit: handle an unknown type as if understood (flood per
// its scope) when set, with link-local scope when clear (RFC 5340 4.5.1).
func (t Type) UBit() bool { return t&0x8000 != 0 }

// Scope returns the flooding scope of the S2/S1 bits.
func (t Type) Scope() Scope { return Scope((t >> 13) & 3) }

// Function returns the 13-bit LSA function code.
func (t Type) Function() uint16 { return uint16(t) & 0x1fff }

// Known reports whether t is one of the eight LS types of RFC 5340 that
// OSPF itself understands. TypeServerLoad is decoded by Parse but is not
// Known: OSPF speakers store and flood it as an unknown U-bit type, so a
// body they cannot read is flooded on, never dropped.
func (t Type) Known() bool {
	switch t {
	case TypeRouter, TypeNetwork, TypeInterAreaPrefix, TypeInterAreaRouter,
		TypeASExternal, TypeNSSA, TypeLink, TypeIntraAreaPrefix:
		return true
	}
	return false
}

func (t Type) String() string {
	switch t {
	case TypeRouter:
		return "Router"
	case TypeNetwork:
		return "Network"
	case TypeInterAreaPrefix:
		return "Inter-Prefix"
	case TypeInterAreaRouter:
		return "Inter-Router"
	case TypeASExternal:
		return "AS-External"
	case TypeNSSA:
		return "NSSA"
	case TypeLink:
		return "Link"
	case TypeIntraAreaPrefix:
		return "Intra-Prefix"
	case TypeServerLoad:
		return "Server-Load"
	}
	return fmt.Sprintf("Unknown(%#04x)", uint16(t))
}

// Key identifies an LSA (RFC 2328 12.1: LS type, Link State ID and
// Advertising Router). It is comparable and small, so it serves as a map key
// and as the handle events carry.
type Key struct {
	Type      Type
	ID        uint32
	AdvRouter uint32
}

func (k Key) String() string {
	return fmt.Sprintf("%s id=%s adv=%s", k.Type, IDString(k.ID), IDString(k.AdvRouter))
}

// IDString formats a 32-bit router ID, area ID or link-state ID in dotted quad.
func IDString(v uint32) string {
	return fmt.Sprintf("%d.%d.%d.%d", v>>24, v>>16&0xff, v>>8&0xff, v&0xff)
}

// Header is the 20-byte LSA header of RFC 5340 A.4.2.
type Header struct {
	Age       uint16 // seconds, MaxAge = 3600
	Type      Type
	ID        uint32 // Link State ID
	AdvRouter uint32
	Seq       int32 // signed sequence number space (RFC 2328 12.1.6)
	Checksum  uint16
	Length    uint16 // whole LSA, header included
}

// Key returns the identity of the LSA the header describes.
func (h Header) Key() Key { return Key{Type: h.Type, ID: h.ID, AdvRouter: h.AdvRouter} }

// String describes the header on one line, e.g.
// "Router id=0.0.0.0 adv=192.0.2.11 seq=0x80000001 age=3 len=40 cksum=0x1f2e".
func (h Header) String() string {
	return fmt.Sprintf("%s seq=0x%08x age=%d len=%d cksum=0x%04x",
		h.Key(), uint32(h.Seq), h.Age, h.Length, h.Checksum)
}

// ParseHeader decodes an LSA header from the first 20 bytes of b. It checks
// the length field is at least HeaderLen but not that b holds the body.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, fmt.Errorf("header needs %d bytes, have %d: %w", HeaderLen, len(b), ErrTruncated)
	}
	h := Header{
		Age:       binary.BigEndian.Uint16(b[0:2]),
		Type:      Type(binary.BigEndian.Uint16(b[2:4])),
		ID:        binary.BigEndian.Uint32(b[4:8]),
		AdvRouter: binary.BigEndian.Uint32(b[8:12]),
		Seq:       int32(binary.BigEndian.Uint32(b[12:16])),
		Checksum:  binary.BigEndian.Uint16(b[16:18]),
		Length:    binary.BigEndian.Uint16(b[18:20]),
	}
	if h.Length < HeaderLen {
		return Header{}, fmt.Errorf("length %d below header size: %w", h.Length, ErrBadLength)
	}
	return h, nil
}

// AppendHeader appends the 20-byte encoding of h to b.
func AppendHeader(b []byte, h Header) []byte {
	b = binary.BigEndian.AppendUint16(b, h.Age)
	b = binary.BigEndian.AppendUint16(b, uint16(h.Type))
	b = binary.BigEndian.AppendUint32(b, h.ID)
	b = binary.BigEndian.AppendUint32(b, h.AdvRouter)
	b = binary.BigEndian.AppendUint32(b, uint32(h.Seq))
	b = binary.BigEndian.AppendUint16(b, h.Checksum)
	b = binary.BigEndian.AppendUint16(b, h.Length)
	return b
}

// SetAge overwrites the age field of an encoded LSA. The checksum does not
// cover the age, so it stays valid.
func SetAge(raw []byte, age uint16) {
	if len(raw) >= 2 {
		binary.BigEndian.PutUint16(raw[0:2], age)
	}
}
