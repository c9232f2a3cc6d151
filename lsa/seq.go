package lsa

// The LS sequence number space of RFC 2328 12.1.6: a signed 32-bit
// number, 0x80000000 (the most negative) is reserved, so instances run from
// InitialSequenceNumber up to MaxSequenceNumber.
const (
	InitialSequenceNumber int32 = -0x7fffffff // 0x80000001
	MaxSequenceNumber     int32 = 0x7fffffff
)

// NextSeq returns the sequence number that follows s. At MaxSequenceNumber
// there is none: ok is false, and RFC 2328 12.1.6 asks the originator to
// flush the instance (originate it at MaxAge) and, once every neighbor has
// acknowledged the flush, to originate it anew at InitialSequenceNumber.
func NextSeq(s int32) (next int32, ok bool) {
	if s == MaxSequenceNumber {
		return 0, false
	}
	return s + 1, true
}
