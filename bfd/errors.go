package bfd

import "errors"

// Sentinel errors of the codec; match them with errors.Is. Every error
// Parse and Marshal return wraps one of them and says what was wrong, e.g.
// "bfd: length 30 without authentication, want 24: bfd: bad length".
var (
	// ErrTruncated: fewer bytes than the fixed header or the Length field
	// says (RFC 5880 6.8.6 steps 2 and 3).
	ErrTruncated = errors.New("bfd: truncated")
	// ErrBadLength: the Length or Auth Len field is impossible for the
	// packet (RFC 5880 4.1, 4.2-4.4, 6.8.6 step 2).
	ErrBadLength = errors.New("bfd: bad length")
	// ErrVersion: the version is not 1 (RFC 5880 6.8.6 step 1).
	ErrVersion = errors.New("bfd: not version 1")
	// ErrDetectMult: Detect Mult is zero (RFC 5880 6.8.6 step 4).
	ErrDetectMult = errors.New("bfd: detect multiplier zero")
	// ErrMultipoint: the M bit is set (RFC 5880 6.8.6 step 5).
	ErrMultipoint = errors.New("bfd: multipoint bit set")
	// ErrMyDiscriminator: My Discriminator is zero (RFC 5880 6.8.6 step 6).
	ErrMyDiscriminator = errors.New("bfd: my discriminator zero")
	// ErrYourDiscriminator: Your Discriminator is zero in a packet whose
	// State is Init or Up (RFC 5880 6.8.6 step 8).
	ErrYourDiscriminator = errors.New("bfd: your discriminator zero outside Down and AdminDown")
	// ErrBadField: a value given to Marshal does not fit its field.
	ErrBadField = errors.New("bfd: bad field")
)
