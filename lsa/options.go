package lsa

import "strings"

// Options is the 24-bit OSPFv3 Options field (RFC 5340 A.2, RFC 5838 for
// AF, RFC 5613 for L, RFC 7166 for AT).
type Options uint32

// Option bits.
const (
	OptV6 Options = 0x000001 // V6: take part in IPv6 routing
	OptE  Options = 0x000002 // E: AS-external LSAs are flooded (not a stub area)
	OptMC Options = 0x000004 // x: former multicast bit
	OptN  Options = 0x000008 // N: NSSA
	OptR  Options = 0x000010 // R: the originator is an active router (may be transit)
	OptDC Options = 0x000020 // DC: demand circuits
	OptAF Options = 0x000100 // AF: address families (RFC 5838)
	OptL  Options = 0x000200 // L: link-local signalling (RFC 5613)
	OptAT Options = 0x000400 // AT: authentication trailer (RFC 7166)
)

var optionNames = []struct {
	bit  Options
	name string
}{
	{OptAT, "AT"}, {OptL, "L"}, {OptAF, "AF"}, {OptDC, "DC"}, {OptR, "R"},
	{OptN, "N"}, {OptMC, "x"}, {OptE, "E"}, {OptV6, "V6"},
}

// String lists the set bits the way FRR prints them, e.g. "V6|E".
func (o Options) String() string {
	var s []string
	for _, n := range optionNames {
		if o&n.bit != 0 {
			s = append(s, n.name)
		}
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, "|")
}

// PrefixOptions is the 8-bit PrefixOptions field (RFC 5340 A.4.1.1).
type PrefixOptions uint8

// Prefix option bits.
const (
	PrefixNU PrefixOptions = 0x01 // NU: no unicast, exclude from IPv6 unicast calculations
	PrefixLA PrefixOptions = 0x02 // LA: the prefix is an interface address of the router
	PrefixMC PrefixOptions = 0x04 // x: former multicast bit
	PrefixP  PrefixOptions = 0x08 // P: propagate (NSSA)
	PrefixDN PrefixOptions = 0x10 // DN: down bit (RFC 4576 style loop prevention)
)

// String lists the set bits, e.g. "LA|P".
func (p PrefixOptions) String() string {
	var s []string
	for _, n := range []struct {
		bit  PrefixOptions
		name string
	}{{PrefixDN, "DN"}, {PrefixP, "P"}, {PrefixMC, "x"}, {PrefixLA, "LA"}, {PrefixNU, "NU"}} {
		if p&n.bit != 0 {
			s = append(s, n.name)
		}
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, "|")
}

// RouterFlags is the flags byte of a Router-LSA (RFC 5340 A.4.3).
type RouterFlags uint8

// Router-LSA flag bits.
const (
	RouterB  RouterFlags = 0x01 // B: area border router
	RouterE  RouterFlags = 0x02 // E: AS boundary router
	RouterV  RouterFlags = 0x04 // V: virtual link endpoint
	RouterW  RouterFlags = 0x08 // x: former wildcard multicast receiver
	RouterNt RouterFlags = 0x10 // Nt: NSSA translator (RFC 3101)
)

// String lists the set flags, e.g. "E|B".
func (f RouterFlags) String() string {
	var s []string
	for _, n := range []struct {
		bit  RouterFlags
		name string
	}{{RouterNt, "Nt"}, {RouterW, "x"}, {RouterV, "V"}, {RouterE, "E"}, {RouterB, "B"}} {
		if f&n.bit != 0 {
			s = append(s, n.name)
		}
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, "|")
}
