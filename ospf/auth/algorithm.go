package auth

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strings"
)

// Algorithm is the HMAC algorithm of a key (RFC 7166 section 4.5: HMAC-SHA-1
// and the HMAC-SHA-2 family). It is not carried on the wire: both ends
// configure it for the key ID, and the receiver checks that the trailer's
// digest length matches it.
type Algorithm uint8

// The algorithms of RFC 7166 section 4.5. The zero value is invalid.
const (
	HMACSHA1 Algorithm = iota + 1
	HMACSHA256
	HMACSHA384
	HMACSHA512
)

// ParseAlgorithm reads an algorithm name as FRR's and the config's
// hash-algo spells it: "hmac-sha-1", "hmac-sha-256", "hmac-sha-384" or
// "hmac-sha-512" (case-insensitive).
func ParseAlgorithm(s string) (Algorithm, error) {
	for a := HMACSHA1; a <= HMACSHA512; a++ {
		if strings.EqualFold(s, a.String()) {
			return a, nil
		}
	}
	return 0, fmt.Errorf("algorithm %q: want hmac-sha-1, hmac-sha-256, hmac-sha-384 or hmac-sha-512: %w", s, ErrBadKey)
}

func (a Algorithm) String() string {
	switch a {
	case HMACSHA1:
		return "hmac-sha-1"
	case HMACSHA256:
		return "hmac-sha-256"
	case HMACSHA384:
		return "hmac-sha-384"
	case HMACSHA512:
		return "hmac-sha-512"
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// Size is the digest length L in bytes (20, 32, 48 or 64), 0 for an
// invalid algorithm.
func (a Algorithm) Size() int {
	switch a {
	case HMACSHA1:
		return sha1.Size
	case HMACSHA256:
		return sha256.Size
	case HMACSHA384:
		return sha512.Size384
	case HMACSHA512:
		return sha512.Size
	}
	return 0
}

// TrailerLen is the length of a trailer carrying a digest of a: the 16-byte
// fixed part plus Size (RFC 7166 section 4.1).
func (a Algorithm) TrailerLen() int { return TrailerHeaderLen + a.Size() }

// valid reports whether a is one of the four algorithms.
func (a Algorithm) valid() bool { return a >= HMACSHA1 && a <= HMACSHA512 }

// newHash returns the hash constructor of a; a must be valid.
func (a Algorithm) newHash() func() hash.Hash {
	switch a {
	case HMACSHA1:
		return sha1.New
	case HMACSHA256:
		return sha256.New
	case HMACSHA384:
		return sha512.New384
	default:
		return sha512.New
	}
}
