package lsa

import "cmp"

// Compare tells which of two instances of one LSA is the more recent, by the
// rules of RFC 2328 13.1. It returns a positive number if a is newer, a
// negative number if b is newer and 0 if both are the same instance. Ages
// above MaxAge count as MaxAge.
func Compare(a, b Header) int {
	ageA, ageB := min(a.Age, MaxAge), min(b.Age, MaxAge)
	switch {
	// (1) The instance with the greater (signed) LS sequence number is newer.
	case a.Seq != b.Seq:
		return cmp.Compare(a.Seq, b.Seq)
	// (2) Else the one with the larger LS checksum (unsigned 16 bits) is newer.
	case a.Checksum != b.Checksum:
		return cmp.Compare(a.Checksum, b.Checksum)
	// (3) Else if exactly one of them has LS age MaxAge, that one is newer.
	case ageA == MaxAge && ageB != MaxAge:
		return 1
	case ageB == MaxAge && ageA != MaxAge:
		return -1
	// (4) Else if the ages differ by more than MaxAgeDiff, the one with the
	// smaller age is newer.
	case ageA > ageB+MaxAgeDiff:
		return -1
	case ageB > ageA+MaxAgeDiff:
		return 1
	}
	// (5) Else they are the same instance.
	return 0
}
