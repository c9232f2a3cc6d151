package lsa

import "encoding/binary"

// checksumOffset is where the 16-bit LS checksum sits in an LSA (RFC 5340
// A.4.2). The checksum covers the LSA from byte 2 on, so its 1-based position
// inside the checksummed data is checksumOffset-2+1.
const checksumOffset = 16

// Checksum returns the Fletcher checksum of RFC 2328 12.1.7 (the algorithm of
// ISO 8473 / RFC 905 annex B) for the LSA in raw: the value to store at bytes
// 16-17. It covers the whole LSA except the LS age (bytes 2 up to the header's
// Length), the stored checksum counting as zero. raw must hold at least
// Length bytes; bytes past Length are ignored. If the header is short or its
// Length does not fit raw, Checksum returns 0, a value the algorithm never
// produces.
func Checksum(raw []byte) uint16 {
	data, ok := checksummed(raw)
	if !ok {
		return 0
	}
	L := uint64(len(data))
	c0, c1 := fletcherSums(data, true)
	// Choose X and Y for the checksum positions p and p+1 (1-based p) so
	// that both sums become 0 mod 255:
	//   X = (L-p)*c0 - c1,  Y = c1 - (L-p+1)*c0   (mod 255, 0 written as 255).
	p := uint64(checksumOffset - 2 + 1)
	x := mod255(int64((L-p)%255*c0) - int64(c1))
	y := mod255(int64(c1) - int64((L-p+1)%255*c0))
	return uint16(x)<<8 | uint16(y)
}

// mod255 reduces v into 1..255: the algorithm writes 0 as 255 (both are 0
// mod 255), so a valid checksum byte is never 0.
func mod255(v int64) uint8 {
	v %= 255
	if v <= 0 {
		v += 255
	}
	return uint8(v)
}

// SetChecksum computes the checksum of the LSA in raw and stores it at bytes
// 16-17. It leaves raw unchanged if the header is short or its Length does
// not fit raw.
func SetChecksum(raw []byte) {
	if _, ok := checksummed(raw); ok {
		binary.BigEndian.PutUint16(raw[checksumOffset:], Checksum(raw))
	}
}

// VerifyChecksum reports whether the checksum stored in the LSA in raw is
// right: whether the Fletcher sums over the checksummed bytes, the stored
// checksum included, are both 0 mod 255 (RFC 905 annex B, the check RFC
// 2328 12.1.7 refers to). A checksum byte may so be written 0x00 or 0xff,
// the same value mod 255: Checksum writes 0xff, other senders may not.
// A stored 0 is never right (RFC 2328 12.1.7: the checksum is computed,
// never left zero; in ISO 8473, whose algorithm this is, 0 means "no
// checksum"), nor is an LSA whose Length does not fit raw.
func VerifyChecksum(raw []byte) bool {
	data, ok := checksummed(raw)
	if !ok || binary.BigEndian.Uint16(raw[checksumOffset:]) == 0 {
		return false
	}
	c0, c1 := fletcherSums(data, false)
	return c0 == 0 && c1 == 0
}

// fletcherSums returns the two running sums of the algorithm over data,
// reduced mod 255: with d_i the i-th byte (0-based) of the L bytes,
// c0 = sum d_i and c1 = sum (L-i)*d_i. With skipChecksum the checksum
// field counts as zero. For L below 65536 the sums fit a uint64 before
// the reduction.
func fletcherSums(data []byte, skipChecksum bool) (c0, c1 uint64) {
	L := uint64(len(data))
	for i, d := range data {
		if skipChecksum && (i == checksumOffset-2 || i == checksumOffset-1) {
			continue
		}
		c0 += uint64(d)
		c1 += (L - uint64(i)) * uint64(d)
	}
	return c0 % 255, c1 % 255
}

// checksummed returns the bytes the checksum covers: raw[2:Length].
func checksummed(raw []byte) ([]byte, bool) {
	if len(raw) < HeaderLen {
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(raw[18:20]))
	if n < HeaderLen || n > len(raw) {
		return nil, false
	}
	return raw[2:n], true
}
