package packet

import (
	"encoding/binary"
	"net/netip"
)

// protoOSPF is the IPv6 next header value of OSPF.
const protoOSPF = 89

// checksumOffset is where the checksum sits in the OSPFv3 header.
const checksumOffset = 12

// Checksum computes the OSPFv3 packet checksum of RFC 5340 A.3.1: the
// Internet checksum (RFC 1071) over the IPv6 pseudo-header of RFC 8200 8.1
// (source, destination, upper-layer length len(pkt), next header 89) and
// pkt, with pkt's checksum field (bytes 12 and 13) counted as zero. It
// covers all of pkt: pass the whole IPv6 payload, as the kernel does with
// IPV6_CHECKSUM. On a real socket the kernel computes it; this is for
// in-memory links and tests.
func Checksum(src, dst netip.Addr, pkt []byte) uint16 {
	return ^fold(sum(src, dst, pkt, true))
}

// SetChecksum writes Checksum(src, dst, pkt) into pkt's checksum field. It
// does nothing when pkt is too short to have one.
func SetChecksum(src, dst netip.Addr, pkt []byte) {
	if len(pkt) < checksumOffset+2 {
		return
	}
	binary.BigEndian.PutUint16(pkt[checksumOffset:], Checksum(src, dst, pkt))
}

// VerifyChecksum reports whether pkt's checksum field is right for the given
// addresses: the one's complement sum over pseudo-header and pkt, checksum
// included, is all ones.
func VerifyChecksum(src, dst netip.Addr, pkt []byte) bool {
	if len(pkt) < checksumOffset+2 {
		return false
	}
	return fold(sum(src, dst, pkt, false)) == 0xffff
}

// sum adds the pseudo-header and pkt as big-endian 16-bit words, an odd last
// byte padded with zero. With skipField the checksum field counts as zero.
func sum(src, dst netip.Addr, pkt []byte, skipField bool) uint64 {
	var s uint64
	s16, d16 := src.As16(), dst.As16()
	for i := 0; i < 16; i += 2 {
		s += uint64(binary.BigEndian.Uint16(s16[i:]))
		s += uint64(binary.BigEndian.Uint16(d16[i:]))
	}
	n := uint64(len(pkt))
	s += n>>16 + n&0xffff + protoOSPF
	for i := 0; i+1 < len(pkt); i += 2 {
		if skipField && i == checksumOffset {
			continue
		}
		s += uint64(binary.BigEndian.Uint16(pkt[i:]))
	}
	if len(pkt)%2 == 1 {
		s += uint64(pkt[len(pkt)-1]) << 8
	}
	return s
}

// fold reduces s to 16 bits with end-around carry.
func fold(s uint64) uint16 {
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}
