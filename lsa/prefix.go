package lsa

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// prefixHeaderLen is the length of the fixed part of an encoded prefix:
// PrefixLength, PrefixOptions and the 16-bit field after them.
const prefixHeaderLen = 4

// Prefix is one IPv6 address prefix as LSAs carry it (RFC 5340 A.4.1).
type Prefix struct {
	// Prefix is an IPv6 prefix with the bits past its length zero.
	Prefix netip.Prefix
	// Options are the PrefixOptions (RFC 5340 A.4.1.1).
	Options PrefixOptions
	// Metric is the 16-bit field after PrefixOptions: the prefix's metric
	// in an Intra-Area-Prefix-LSA, reserved (0) in Link-LSAs and
	// Inter-Area-Prefix-LSAs. In AS-External-LSAs that field is the
	// Referenced LS Type, kept in ASExternal.ReferencedType; Metric is 0.
	Metric uint16
}

// String describes p for the lsdb listing, e.g.
// "2001:db8:53::53/128 metric 10" or "2001:db8::/64 metric 0 options LA".
func (p Prefix) String() string {
	return p.describe(true)
}

// describe formats p with its metric field when withMetric is set or the
// field is not zero.
func (p Prefix) describe(withMetric bool) string {
	var s strings.Builder
	s.WriteString(p.Prefix.String())
	if withMetric || p.Metric != 0 {
		fmt.Fprintf(&s, " metric %d", p.Metric)
	}
	s.WriteString(p.optionsSuffix())
	return s.String()
}

// optionsSuffix is " options X" for non-zero options, else "".
func (p Prefix) optionsSuffix() string {
	if p.Options == 0 {
		return ""
	}
	return " options " + p.Options.String()
}

// prefixWords is the number of 32-bit words that hold a prefix of bits bits.
func prefixWords(bits int) int { return (bits + 31) / 32 }

// parsePrefix decodes the prefix at the start of b (RFC 5340 A.4.1) and
// returns it with the number of bytes it takes. Bits past the prefix length
// are ignored.
func parsePrefix(b []byte) (Prefix, int, error) {
	if len(b) < prefixHeaderLen {
		return Prefix{}, 0, fmt.Errorf("prefix needs %d bytes, have %d: %w", prefixHeaderLen, len(b), ErrTruncated)
	}
	bits := int(b[0])
	if bits > 128 {
		return Prefix{}, 0, fmt.Errorf("prefix length %d above 128: %w", bits, ErrBadPrefix)
	}
	n := prefixHeaderLen + 4*prefixWords(bits)
	if len(b) < n {
		return Prefix{}, 0, fmt.Errorf("prefix length %d needs %d address bytes, have %d: %w (%w)",
			bits, n-prefixHeaderLen, len(b)-prefixHeaderLen, ErrBadPrefix, ErrTruncated)
	}
	var a [16]byte
	copy(a[:], b[prefixHeaderLen:n])
	return Prefix{
		Prefix:  netip.PrefixFrom(netip.AddrFrom16(a), bits).Masked(),
		Options: PrefixOptions(b[1]),
		Metric:  binary.BigEndian.Uint16(b[2:4]),
	}, n, nil
}

// checkPrefix reports a prefix that cannot be encoded: not a valid IPv6
// prefix.
func checkPrefix(p netip.Prefix) error {
	if !p.IsValid() || !p.Addr().Is6() {
		return fmt.Errorf("%v is not an IPv6 prefix: %w", p, ErrBadPrefix)
	}
	return nil
}

// appendPrefix appends the encoding of p with field as the 16-bit field
// after PrefixOptions. The address is written in as few 32-bit words as the
// length needs, the bits past the length zero. p must have passed
// checkPrefix.
func appendPrefix(b []byte, p Prefix, field uint16) []byte {
	bits := p.Prefix.Bits()
	b = append(b, byte(bits), byte(p.Options))
	b = binary.BigEndian.AppendUint16(b, field)
	a := p.Prefix.Masked().Addr().As16()
	return append(b, a[:4*prefixWords(bits)]...)
}

// parsePrefixes decodes count prefixes from b, which they must fill exactly.
// what names the LSA in errors.
func parsePrefixes(b []byte, count uint32, what string) ([]Prefix, error) {
	var ps []Prefix
	if count > 0 {
		// count comes from the wire: allocate no more than b can hold.
		ps = make([]Prefix, 0, min(int64(count), int64(len(b)/prefixHeaderLen)))
	}
	off := 0
	for i := uint32(0); i < count; i++ {
		p, n, err := parsePrefix(b[off:])
		if err != nil {
			return nil, fmt.Errorf("%s: prefix %d of %d: %w", what, i+1, count, err)
		}
		ps = append(ps, p)
		off += n
	}
	if off != len(b) {
		return nil, fmt.Errorf("%s: %d bytes after %d prefixes: %w", what, len(b)-off, count, ErrBadLength)
	}
	return ps, nil
}

// checkPrefixes reports the first prefix of ps that cannot be encoded.
func checkPrefixes(ps []Prefix, what string) error {
	for i, p := range ps {
		if err := checkPrefix(p.Prefix); err != nil {
			return fmt.Errorf("%s: prefix %d of %d: %w", what, i+1, len(ps), err)
		}
	}
	return nil
}

// describePrefixes joins the descriptions of ps with ", ".
func describePrefixes(ps []Prefix, withMetric bool) string {
	if len(ps) == 0 {
		return "no prefixes"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.describe(withMetric)
	}
	return strings.Join(s, ", ")
}
