package auth

import "errors"

// Sentinel errors; callers match them with errors.Is. Every error this
// package returns wraps one of them and says what was wrong and where.
var (
	// ErrNoTrailer: the packet carries no authentication trailer (no bytes
	// after its Length, or a Hello or Database Description without the AT
	// option bit), while authentication is required.
	ErrNoTrailer = errors.New("auth: no authentication trailer")
	// ErrMalformed: the packet or its trailer cannot be parsed: short
	// header, impossible Length, authentication type other than 1, an
	// authentication data length that does not end the packet, a bad LLS
	// block, a source address that is not IPv6.
	ErrMalformed = errors.New("auth: malformed packet or trailer")
	// ErrUnknownKey: no key of the keychain with the trailer's key ID
	// (Security Association ID) may be accepted now.
	ErrUnknownKey = errors.New("auth: no acceptable key for this key ID")
	// ErrAlgorithm: the trailer's digest length is not the one of the
	// algorithm configured for its key ID.
	ErrAlgorithm = errors.New("auth: digest length does not match the key's algorithm")
	// ErrBadDigest: the digest does not match: wrong secret, wrong dialect,
	// or the packet was changed on the way.
	ErrBadDigest = errors.New("auth: digest mismatch")
	// ErrReplay: the sequence number is not above the highest one accepted
	// before from the same sender for the same packet type.
	ErrReplay = errors.New("auth: sequence number not increasing (replay)")
	// ErrNoSendKey: no key of the keychain may be used to send now.
	ErrNoSendKey = errors.New("auth: no key to send with")
	// ErrBadKey: a key handed to NewKeychain, Append or Verify is unusable.
	ErrBadKey = errors.New("auth: invalid key")
)
