package lsa

import "time"

// LS age arithmetic and the architectural constants of RFC 2328 appendix B.
// The age constants are in seconds, the unit of the LS age field; the
// intervals are durations for timers.
const (
	// MaxAge is the age at which an LSA is removed from the database
	// (and the age a flushed LSA is originated with).
	MaxAge uint16 = 3600
	// MaxAgeDiff is the smallest age difference that makes two otherwise
	// equal instances different (RFC 2328 13.1).
	MaxAgeDiff uint16 = 900
	// CheckAge is the age interval at which a database checksum check is
	// due (RFC 2328 appendix B; optional).
	CheckAge uint16 = 300
	// LSRefreshTime is the age at which the originator refreshes its LSA.
	LSRefreshTime uint16 = 1800

	// LSRefreshInterval is LSRefreshTime as a timer interval.
	LSRefreshInterval time.Duration = time.Duration(LSRefreshTime) * time.Second
	// MinLSArrival is the shortest gap between accepted arrivals of one
	// LSA from flooding; a newer instance arriving sooner is discarded.
	MinLSArrival time.Duration = time.Second
	// MinLSInterval is the shortest gap between two originations of one LSA.
	MinLSInterval time.Duration = 5 * time.Second
)

// AgeAt returns the age of an LSA that had age rcvdAge when it was received
// and has been held for elapsed: rcvdAge plus the whole seconds elapsed,
// capped at MaxAge (RFC 2328 14: an LSA ages in the database until MaxAge
// and stays there). A negative elapsed counts as zero.
func AgeAt(rcvdAge uint16, elapsed time.Duration) uint16 {
	return addSeconds(rcvdAge, int64(elapsed/time.Second))
}

// AddTransDelay returns age increased by the transmission delay of the
// interface an LSA is sent on (RFC 2328 13.3, InfTransDelay), capped at
// MaxAge. The delay is rounded up to whole seconds, so that any positive
// delay ages the LSA, as RFC 2328 9 requires InfTransDelay > 0.
func AddTransDelay(age uint16, delay time.Duration) uint16 {
	s := int64(delay / time.Second)
	if delay%time.Second > 0 {
		s++
	}
	return addSeconds(age, s)
}

func addSeconds(age uint16, s int64) uint16 {
	if s < 0 {
		s = 0
	}
	if a := int64(age) + s; a < int64(MaxAge) {
		return uint16(a)
	}
	return MaxAge
}
