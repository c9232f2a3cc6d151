package auth

import (
	"crypto/hmac"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// TrailerHeaderLen is the fixed part of the authentication trailer, before
// the digest (RFC 7166 section 4.1).
const TrailerHeaderLen = 16

// AuthTypeHMAC is the only authentication type of RFC 7166 section 4.1:
// HMAC cryptographic authentication.
const AuthTypeHMAC = 1

// apad is the constant RFC 7166 section 4.5 fills the digest field with,
// after the IPv6 source address, while the digest is computed.
var apad = [4]byte{0x87, 0x8f, 0xe1, 0xf3}

// Offsets in the OSPFv3 header and bodies (RFC 5340 A.3).
const (
	offChecksum    = 12
	offHelloOpts   = packet.HeaderLen + 5 // after Interface ID and Router Priority
	offDBDOpts     = packet.HeaderLen + 1 // after the reserved byte
	minHelloLen    = packet.HeaderLen + 20
	minDBDLen      = packet.HeaderLen + 12
	llsHeaderLen   = 4
	maxIPv6Payload = 0xffff
)

// Trailer is a verified authentication trailer (RFC 7166 section 4.1).
type Trailer struct {
	KeyID uint16 // Security Association ID
	Seq   uint64 // 64-bit cryptographic sequence number
	// Start is where the trailer begins in the packet: its Length, plus
	// the LLS block of a Hello or Database Description with the L bit.
	Start  int
	Digest []byte // the authentication data, a copy
}

// layout says where the parts of an OSPFv3 packet with a trailer sit.
type layout struct {
	typ      packet.Type
	routerID uint32
	optOff   int // offset of the 24-bit Options field; 0 for types without one
	opts     lsa.Options
	start    int // end of packet and LLS block: where the trailer begins
}

// split finds, in b, the OSPFv3 packet (up to its Length field), the LLS
// block that follows a Hello or Database Description with the L bit (RFC
// 5613 section 2; it precedes the trailer and the digest covers it) and the
// start of what follows: the trailer.
func split(b []byte) (layout, error) {
	if len(b) < packet.HeaderLen {
		return layout{}, fmt.Errorf("%d bytes, shorter than the %d-byte OSPFv3 header: %w", len(b), packet.HeaderLen, ErrMalformed)
	}
	if b[0] != packet.Version {
		return layout{}, fmt.Errorf("version %d, not 3: %w", b[0], ErrMalformed)
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	if n < packet.HeaderLen || n > len(b) {
		return layout{}, fmt.Errorf("packet length %d outside %d..%d: %w", n, packet.HeaderLen, len(b), ErrMalformed)
	}
	l := layout{
		typ:      packet.Type(b[1]),
		routerID: binary.BigEndian.Uint32(b[4:8]),
		start:    n,
	}
	switch l.typ {
	case packet.TypeHello:
		if n < minHelloLen {
			return layout{}, fmt.Errorf("hello of length %d, below %d: %w", n, minHelloLen, ErrMalformed)
		}
		l.optOff = offHelloOpts
	case packet.TypeDatabaseDescription:
		if n < minDBDLen {
			return layout{}, fmt.Errorf("database description of length %d, below %d: %w", n, minDBDLen, ErrMalformed)
		}
		l.optOff = offDBDOpts
	case packet.TypeLinkStateRequest, packet.TypeLinkStateUpdate, packet.TypeLinkStateAck:
	default:
		return layout{}, fmt.Errorf("packet type %d: %w", b[1], ErrMalformed)
	}
	if l.optOff != 0 {
		l.opts = lsa.Options(b[l.optOff])<<16 | lsa.Options(b[l.optOff+1])<<8 | lsa.Options(b[l.optOff+2])
		if l.opts&lsa.OptL != 0 {
			if len(b)-n < llsHeaderLen {
				return layout{}, fmt.Errorf("%v with the L bit: no room for the LLS header after length %d: %w", l.typ, n, ErrMalformed)
			}
			lls := 4 * int(binary.BigEndian.Uint16(b[n+2:n+4]))
			if lls < llsHeaderLen || lls > len(b)-n {
				return layout{}, fmt.Errorf("%v: LLS block of %d bytes at offset %d, %d bytes left: %w", l.typ, lls, n, len(b)-n, ErrMalformed)
			}
			l.start += lls
		}
	}
	return l, nil
}

// Append returns a copy of pkt, an OSPFv3 packet whose Length field covers
// it (followed only by its LLS block if a Hello or Database Description has
// the L bit), made ready to send with key and seq from src, the link-local
// address it will leave from:
//   - the checksum field is zeroed: with a trailer the OSPFv3 checksum is
//     omitted (RFC 7166 section 4; FRR 8.4 and BIRD 2 send zero and do not
//     check it). The socket must not fill it (no IPV6_CHECKSUM): the digest
//     covers those two bytes;
//   - a Hello or Database Description gets the AT option bit (RFC 7166
//     section 2.1), which tells the receiver to expect a trailer;
//   - the trailer is appended (RFC 7166 section 4.1): authentication type
//     1, authentication data length (16 + L), reserved 0, Security
//     Association ID = key.ID, the sequence number (high 32 bits first), and
//     the digest of key.Algorithm (length L).
//
// The digest is HMAC(Ko, covered || Apad) (RFC 7166 section 4.5): covered is
// the packet, its LLS block and the 16-byte trailer header exactly as sent;
// Apad, of length L, is the 16-byte IPv6 source address followed by
// 0x878FE1F3 repeated (L-16)/4 times. Ko is Ks = Secret || Cryptographic
// Protocol ID (1, two bytes, their order set by key.Dialect), or the hash of
// Ks when Ks is longer than L (then, unlike plain HMAC, already above L and
// not only above the hash's block size).
//
// pkt is never modified.
func Append(pkt []byte, src netip.Addr, key Key, seq uint64) ([]byte, error) {
	if err := key.check(); err != nil {
		return nil, fmt.Errorf("append trailer: %w", err)
	}
	if !src.Is6() {
		return nil, fmt.Errorf("append trailer: source %v is not an IPv6 address: %w", src, ErrMalformed)
	}
	l, err := split(pkt)
	if err != nil {
		return nil, fmt.Errorf("append trailer: %w", err)
	}
	if l.start != len(pkt) {
		return nil, fmt.Errorf("append trailer: %d bytes after the packet length %d: %w", len(pkt)-l.start, l.start, ErrMalformed)
	}
	tl := key.Algorithm.TrailerLen()
	if len(pkt)+tl > maxIPv6Payload {
		return nil, fmt.Errorf("append trailer: %d bytes with the trailer, more than %d: %w", len(pkt)+tl, maxIPv6Payload, ErrMalformed)
	}
	out := make([]byte, len(pkt), len(pkt)+tl)
	copy(out, pkt)
	out[offChecksum], out[offChecksum+1] = 0, 0
	if l.optOff != 0 {
		out[l.optOff+1] |= byte(lsa.OptAT >> 8)
	}
	out = binary.BigEndian.AppendUint16(out, AuthTypeHMAC)
	out = binary.BigEndian.AppendUint16(out, uint16(tl))
	out = binary.BigEndian.AppendUint16(out, 0)
	out = binary.BigEndian.AppendUint16(out, key.ID)
	out = binary.BigEndian.AppendUint64(out, seq)
	return append(out, digest(key, key.Dialect, out, src)...), nil
}

// Verify checks the authentication trailer of data, one OSPFv3 packet as
// received (the IPv6 payload) from src, with the keys of kc valid at now:
//   - a Hello or Database Description must have the AT bit and every packet
//     bytes after its Length (and LLS block), else ErrNoTrailer;
//   - the trailer must have authentication type 1 and an authentication
//     data length that ends the packet exactly, else ErrMalformed;
//   - its key ID must name a key whose accept window holds now, else
//     ErrUnknownKey; the digest length must be that key's, else
//     ErrAlgorithm;
//   - the digest (see Append) must match, compared in constant time, else
//     ErrBadDigest. When it would have matched with the other Dialect the
//     error says so: the usual reason is an FRR router older than 9.1.
//
// The checksum field is not checked (RFC 7166 section 4; the digest covers
// it). Sequence numbers are not checked here: replay protection needs state
// per sender (see Transport). data is never modified.
func Verify(data []byte, src netip.Addr, kc *Keychain, now time.Time) (Trailer, error) {
	if kc == nil {
		return Trailer{}, fmt.Errorf("verify: no keychain: %w", ErrBadKey)
	}
	l, err := split(data)
	if err != nil {
		return Trailer{}, fmt.Errorf("verify: %w", err)
	}
	if l.optOff != 0 && l.opts&lsa.OptAT == 0 {
		return Trailer{}, fmt.Errorf("verify: %v without the AT option bit: %w", l.typ, ErrNoTrailer)
	}
	tr := data[l.start:]
	if len(tr) == 0 {
		return Trailer{}, fmt.Errorf("verify: %v: nothing after the packet length %d: %w", l.typ, l.start, ErrNoTrailer)
	}
	if len(tr) < TrailerHeaderLen {
		return Trailer{}, fmt.Errorf("verify: %v: %d trailer bytes, fewer than %d: %w", l.typ, len(tr), TrailerHeaderLen, ErrMalformed)
	}
	if t := binary.BigEndian.Uint16(tr[0:2]); t != AuthTypeHMAC {
		return Trailer{}, fmt.Errorf("verify: %v: authentication type %d, not %d: %w", l.typ, t, AuthTypeHMAC, ErrMalformed)
	}
	if n := int(binary.BigEndian.Uint16(tr[2:4])); n != len(tr) {
		return Trailer{}, fmt.Errorf("verify: %v: authentication data length %d, but %d bytes follow offset %d: %w",
			l.typ, n, len(tr), l.start, ErrMalformed)
	}
	if !src.Is6() {
		return Trailer{}, fmt.Errorf("verify: source %v is not an IPv6 address: %w", src, ErrMalformed)
	}
	t := Trailer{
		KeyID: binary.BigEndian.Uint16(tr[6:8]),
		Seq:   binary.BigEndian.Uint64(tr[8:16]),
		Start: l.start,
	}
	key, ok := kc.AcceptKey(t.KeyID, now)
	if !ok {
		return Trailer{}, fmt.Errorf("verify: %v: key ID %d: %w", l.typ, t.KeyID, ErrUnknownKey)
	}
	if len(tr) != key.Algorithm.TrailerLen() {
		return Trailer{}, fmt.Errorf("verify: %v: key ID %d: %d-byte digest, %v needs %d: %w",
			l.typ, t.KeyID, len(tr)-TrailerHeaderLen, key.Algorithm, key.Algorithm.Size(), ErrAlgorithm)
	}
	covered, got := data[:l.start+TrailerHeaderLen], tr[TrailerHeaderLen:]
	if !hmac.Equal(digest(key, key.Dialect, covered, src), got) {
		other := DialectFRR8
		if key.Dialect == DialectFRR8 {
			other = DialectRFC7166
		}
		if hmac.Equal(digest(key, other, covered, src), got) {
			return Trailer{}, fmt.Errorf("verify: %v: key ID %d: the digest matches dialect %v, not the configured %v: %w",
				l.typ, t.KeyID, other, key.Dialect, ErrBadDigest)
		}
		return Trailer{}, fmt.Errorf("verify: %v: key ID %d (%v, %v): %w", l.typ, t.KeyID, key.Algorithm, key.Dialect, ErrBadDigest)
	}
	t.Digest = slices.Clone(got)
	return t, nil
}

// digest computes the authentication data of RFC 7166 section 4.5 over
// covered (packet, LLS block, trailer header) with Apad built from src.
func digest(key Key, d Dialect, covered []byte, src netip.Addr) []byte {
	h := key.Algorithm.newHash()
	size := key.Algorithm.Size()
	pid := d.protocolID()
	ko := make([]byte, 0, len(key.Secret)+len(pid))
	ko = append(append(ko, key.Secret...), pid[:]...)
	if len(ko) > size {
		s := h()
		s.Write(ko)
		clear(ko)
		ko = s.Sum(nil)
	}
	m := hmac.New(h, ko)
	clear(ko)
	m.Write(covered)
	a := src.As16()
	m.Write(a[:])
	for i := len(a); i < size; i += len(apad) {
		m.Write(apad[:])
	}
	return m.Sum(nil)
}
