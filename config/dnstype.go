package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// qtypes are the DNS RR type mnemonics a probe is likely to ask for
// (IANA "Resource Record (RR) TYPEs"); any other type is written TYPEnnn
// (RFC 3597 5).
var qtypes = map[string]uint16{
	"A":      1,
	"NS":     2,
	"CNAME":  5,
	"SOA":    6,
	"PTR":    12,
	"MX":     15,
	"TXT":    16,
	"AAAA":   28,
	"SRV":    33,
	"NAPTR":  35,
	"DS":     43,
	"DNSKEY": 48,
	"SVCB":   64,
	"HTTPS":  65,
	"ANY":    255,
	"CAA":    257,
}

// ParseQType parses a DNS type mnemonic (case-insensitive) or TYPEnnn.
func ParseQType(s string) (uint16, bool) {
	u := strings.ToUpper(s)
	if t, ok := qtypes[u]; ok {
		return t, true
	}
	if n, ok := strings.CutPrefix(u, "TYPE"); ok && n != "" && n[0] != '+' && n[0] != '-' {
		t, err := strconv.ParseUint(n, 10, 16)
		if err == nil && t > 0 {
			return uint16(t), true
		}
	}
	return 0, false
}

// QTypeString writes t as its mnemonic, or TYPEnnn.
func QTypeString(t uint16) string {
	for name, v := range qtypes {
		if v == t {
			return name
		}
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// hexPrefix marks a payload written in hexadecimal.
const hexPrefix = "hex:"

var errOddHex = errors.New("odd number of hex digits")

// decodePayload reads "hex:0a0b..." (spaces and colons between bytes
// allowed) or takes the string's own bytes.
func decodePayload(s string) ([]byte, error) {
	h, ok := strings.CutPrefix(s, hexPrefix)
	if !ok {
		return []byte(s), nil
	}
	h = strings.NewReplacer(" ", "", ":", "", "\t", "").Replace(h)
	if len(h)%2 != 0 {
		return nil, fmt.Errorf("%q: %w", s, errOddHex)
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("%q is not hexadecimal after %q", s, hexPrefix)
	}
	return b, nil
}

// encodePayload writes b so that decodePayload reads it back: as text
// when it is printable and cannot be mistaken for hex, else as hex.
func encodePayload(b []byte) string {
	s := string(b)
	printable := utf8.ValidString(s) && !strings.HasPrefix(s, hexPrefix)
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			printable = false
			break
		}
	}
	if printable {
		return s
	}
	return hexPrefix + hex.EncodeToString(b)
}
