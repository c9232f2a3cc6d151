package lsa

import (
	"encoding/binary"
	"fmt"
)

// maxLen is the largest LSA the 16-bit length field can describe.
const maxLen = 0xffff

// Body is the part of an LSA after its header: one of *Router, *Network,
// *InterAreaPrefix, *InterAreaRouter, *ASExternal, *Link, *IntraAreaPrefix,
// *ServerLoad or *Unknown. The set is closed.
type Body interface {
	// Type is the LS type the body belongs to.
	Type() Type
	// String describes the body on one line, for the lsdb listing.
	String() string
	// check reports a field that cannot be encoded.
	check() error
	// appendTo appends the encoding of a checked body.
	appendTo(b []byte) []byte
}

var (
	_ Body = (*Router)(nil)
	_ Body = (*Network)(nil)
	_ Body = (*InterAreaPrefix)(nil)
	_ Body = (*InterAreaRouter)(nil)
	_ Body = (*ASExternal)(nil)
	_ Body = (*Link)(nil)
	_ Body = (*IntraAreaPrefix)(nil)
	_ Body = (*ServerLoad)(nil)
	_ Body = (*Unknown)(nil)
)

// LSA is a decoded link-state advertisement.
type LSA struct {
	Header Header
	Body   Body
}

// Summary describes the body on one line, e.g.
// "2001:db8:53::53/128 metric 10; ref Router 0.0.0.0 adv 192.0.2.11".
func (l LSA) Summary() string {
	if l.Body == nil {
		return "no body"
	}
	return l.Body.String()
}

// String describes the whole LSA on one line: header, then summary.
func (l LSA) String() string {
	return l.Header.String() + ": " + l.Summary()
}

// Parse decodes the LSA at the start of raw: its header, then raw[20:Length]
// as the body its LS type names (RFC 5340 A.4). TypeServerLoad gives a
// *ServerLoad; a type other than those and the eight of RFC 5340 A.4.2.1
// (all 16 bits compared, U and scope bits included) gives an *Unknown body
// holding a copy of the bytes. Bytes past Length are
// ignored. Parse does not verify the checksum: see VerifyChecksum.
func Parse(raw []byte) (LSA, error) {
	h, err := ParseHeader(raw)
	if err != nil {
		return LSA{}, err
	}
	if int(h.Length) > len(raw) {
		return LSA{}, fmt.Errorf("%s: length %d, have %d bytes: %w", h.Key(), h.Length, len(raw), ErrTruncated)
	}
	body, err := ParseBody(h.Type, raw[HeaderLen:h.Length])
	if err != nil {
		return LSA{}, fmt.Errorf("%s: %w", h.Key(), err)
	}
	return LSA{Header: h, Body: body}, nil
}

// ParseBody decodes body as the body of an LSA of type t; body must be
// exactly the bytes after the header.
func ParseBody(t Type, body []byte) (Body, error) {
	switch t {
	case TypeRouter:
		return parseRouter(body)
	case TypeNetwork:
		return parseNetwork(body)
	case TypeInterAreaPrefix:
		return parseInterAreaPrefix(body)
	case TypeInterAreaRouter:
		return parseInterAreaRouter(body)
	case TypeASExternal, TypeNSSA:
		return parseASExternal(body, t == TypeNSSA)
	case TypeLink:
		return parseLink(body)
	case TypeIntraAreaPrefix:
		return parseIntraAreaPrefix(body)
	case TypeServerLoad:
		return parseServerLoad(body)
	}
	return &Unknown{LSType: t, Data: append([]byte(nil), body...)}, nil
}

// Marshal encodes l: its header with Length and Checksum computed (Age and
// the other fields as given), then its body. The body's type must be the
// header's, except that an *Unknown body is written as raw bytes whatever
// the header type says. The LSA must fit the 16-bit length field.
func Marshal(l LSA) ([]byte, error) {
	return Append(nil, l)
}

// Append is Marshal appending to b. On error it returns b unchanged.
func Append(b []byte, l LSA) ([]byte, error) {
	if l.Body == nil {
		return b, fmt.Errorf("%s: no body: %w", l.Header.Key(), ErrBadField)
	}
	if err := l.Body.check(); err != nil {
		return b, fmt.Errorf("%s: %w", l.Header.Key(), err)
	}
	if _, unknown := l.Body.(*Unknown); !unknown && l.Body.Type() != l.Header.Type {
		return b, fmt.Errorf("%s: %s body: %w", l.Header.Key(), l.Body.Type(), ErrTypeMismatch)
	}
	start := len(b)
	out := AppendHeader(b, l.Header)
	out = l.Body.appendTo(out)
	n := len(out) - start
	if n > maxLen {
		return b[:start], fmt.Errorf("%s: %d bytes, above %d: %w", l.Header.Key(), n, maxLen, ErrBadLength)
	}
	raw := out[start:]
	binary.BigEndian.PutUint16(raw[18:20], uint16(n))
	SetChecksum(raw)
	return out, nil
}

// MarshalBody encodes a body on its own, without header.
func MarshalBody(body Body) ([]byte, error) {
	if body == nil {
		return nil, fmt.Errorf("no body: %w", ErrBadField)
	}
	if err := body.check(); err != nil {
		return nil, err
	}
	b := body.appendTo(nil)
	if len(b) > maxLen-HeaderLen {
		return nil, fmt.Errorf("%s body of %d bytes, above %d: %w", body.Type(), len(b), maxLen-HeaderLen, ErrBadLength)
	}
	return b, nil
}

// checkOptions reports Options that do not fit their 24-bit field.
func checkOptions(o Options) error { return check24("options", uint32(o)) }
