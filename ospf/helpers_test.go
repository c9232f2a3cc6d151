package ospf

import (
	"net/netip"
)

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// prefixN returns a distinct /64 in 2001:db8::/32 for each i.
func prefixN(i int) netip.Prefix {
	var a [16]byte
	a[0], a[1], a[2], a[3] = 0x20, 0x01, 0x0d, 0xb8
	a[4], a[5], a[6], a[7] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	return netip.PrefixFrom(netip.AddrFrom16(a), 64)
}
