package auth

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Dialect says how the OSPFv3 Cryptographic Protocol ID (1) is appended to a
// key before the HMAC (RFC 7166 section 4.5: Ks = K || Protocol ID).
type Dialect uint8

const (
	// DialectRFC7166 appends the Protocol ID in network byte order, bytes
	// 00 01, as RFC 7166 says. FRR 9.1 and later, BIRD 2 and the major
	// vendors do this.
	DialectRFC7166 Dialect = iota
	// DialectFRR8 appends bytes 01 00: FRR up to 9.0 copies the 16-bit
	// Protocol ID in host byte order, which on x86 and other little-endian
	// hosts gives 01 00 (FRR commit 8a23a83, "fix interoperability issue in
	// auth trailer digest computation", released in 9.1). Checked on the
	// wire against Debian 12's FRR 8.4.4 (testdata/auth/frr-*.hex). Use it
	// to talk to those routers; they do not interoperate with RFC 7166
	// implementations at all.
	DialectFRR8
)

// ParseDialect reads "rfc7166" or "frr8" (case-insensitive).
func ParseDialect(s string) (Dialect, error) {
	for d := DialectRFC7166; d <= DialectFRR8; d++ {
		if strings.EqualFold(s, d.String()) {
			return d, nil
		}
	}
	return 0, fmt.Errorf("dialect %q: want rfc7166 or frr8: %w", s, ErrBadKey)
}

func (d Dialect) String() string {
	switch d {
	case DialectRFC7166:
		return "rfc7166"
	case DialectFRR8:
		return "frr8"
	}
	return fmt.Sprintf("Dialect(%d)", uint8(d))
}

// protocolID returns the two bytes appended to the secret.
func (d Dialect) protocolID() [2]byte {
	if d == DialectFRR8 {
		return [2]byte{0x01, 0x00}
	}
	return [2]byte{0x00, 0x01}
}

// Key is one OSPFv3 security association (RFC 7166 section 3): the key ID
// sent in the trailer's Security Association ID field, the algorithm, the
// secret and its lifetimes. Zero times are unbounded. A window includes its
// From time and excludes its Until time.
//
// For a rollover without losing adjacencies, configure the old and the new
// key with overlapping accept windows and let the new key's send window
// start inside that overlap (see Keychain.SendKey).
type Key struct {
	ID        uint16
	Algorithm Algorithm
	Dialect   Dialect
	// Secret is the key as configured on the peer (FRR: the "key" word).
	// FRR treats it as a C string, so a secret with a NUL byte cannot match
	// an FRR peer.
	Secret []byte

	SendFrom, SendUntil     time.Time // KeyStartGenerate, KeyStopGenerate
	AcceptFrom, AcceptUntil time.Time // KeyStartAccept, KeyStopAccept
}

// check reports why k cannot sign or verify.
func (k Key) check() error {
	switch {
	case !k.Algorithm.valid():
		return fmt.Errorf("key %d: unknown algorithm %v: %w", k.ID, k.Algorithm, ErrBadKey)
	case k.Dialect > DialectFRR8:
		return fmt.Errorf("key %d: unknown dialect %v: %w", k.ID, k.Dialect, ErrBadKey)
	case len(k.Secret) == 0:
		return fmt.Errorf("key %d: empty secret: %w", k.ID, ErrBadKey)
	}
	return nil
}

// within reports whether t lies in [from, until), zero bounds open.
func within(t, from, until time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (until.IsZero() || t.Before(until))
}

// Keychain holds the keys of one interface. It is immutable and safe for
// concurrent use.
type Keychain struct {
	keys []Key // sorted by ID
}

// NewKeychain checks and copies keys: at least one, key IDs unique, known
// algorithm and dialect, non-empty secret, every window's Until after its
// From.
func NewKeychain(keys ...Key) (*Keychain, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("keychain: no keys: %w", ErrBadKey)
	}
	kc := &Keychain{keys: make([]Key, 0, len(keys))}
	for _, k := range keys {
		if err := k.check(); err != nil {
			return nil, fmt.Errorf("keychain: %w", err)
		}
		if !k.SendFrom.IsZero() && !k.SendUntil.IsZero() && !k.SendUntil.After(k.SendFrom) {
			return nil, fmt.Errorf("keychain: key %d: send window ends (%v) before it starts (%v): %w",
				k.ID, k.SendUntil, k.SendFrom, ErrBadKey)
		}
		if !k.AcceptFrom.IsZero() && !k.AcceptUntil.IsZero() && !k.AcceptUntil.After(k.AcceptFrom) {
			return nil, fmt.Errorf("keychain: key %d: accept window ends (%v) before it starts (%v): %w",
				k.ID, k.AcceptUntil, k.AcceptFrom, ErrBadKey)
		}
		for _, o := range kc.keys {
			if o.ID == k.ID {
				return nil, fmt.Errorf("keychain: key ID %d appears twice: %w", k.ID, ErrBadKey)
			}
		}
		k.Secret = slices.Clone(k.Secret)
		kc.keys = append(kc.keys, k)
	}
	slices.SortFunc(kc.keys, func(a, b Key) int { return int(a.ID) - int(b.ID) })
	return kc, nil
}

// SendKey returns the key to sign with at now: of the keys whose send window
// holds now, the one whose window started last (ties: the highest ID), so a
// new key takes over as soon as its window opens while the old one is still
// accepted. When every send window has ended, it keeps returning the key
// whose window ended last, with ok true: RFC 2328 appendix D.3's rule for
// the last key, which RFC 7166 inherits, is not to fall back to sending
// unauthenticated nor to stop routing (the caller should warn, see
// Key.SendUntil). ok is false only when no key's window has started yet.
//
// The returned Key shares its Secret with the keychain; do not modify it.
func (kc *Keychain) SendKey(now time.Time) (Key, bool) {
	var best, last Key
	var haveBest, haveLast bool
	for _, k := range kc.keys {
		switch {
		case within(now, k.SendFrom, k.SendUntil):
			if !haveBest || !k.SendFrom.Before(best.SendFrom) {
				best, haveBest = k, true
			}
		case !k.SendUntil.IsZero() && !now.Before(k.SendUntil):
			if !haveLast || !k.SendUntil.Before(last.SendUntil) {
				last, haveLast = k, true
			}
		}
	}
	if haveBest {
		return best, true
	}
	return last, haveLast
}

// AcceptKey returns the key with ID id if its accept window holds now. The
// returned Key shares its Secret with the keychain; do not modify it.
func (kc *Keychain) AcceptKey(id uint16, now time.Time) (Key, bool) {
	i, found := slices.BinarySearchFunc(kc.keys, id, func(k Key, id uint16) int { return int(k.ID) - int(id) })
	if !found || !within(now, kc.keys[i].AcceptFrom, kc.keys[i].AcceptUntil) {
		return Key{}, false
	}
	return kc.keys[i], true
}

// MaxTrailerLen is the longest trailer any key of kc produces: what a sender
// must keep free below the link MTU.
func (kc *Keychain) MaxTrailerLen() int {
	n := 0
	for _, k := range kc.keys {
		n = max(n, k.Algorithm.TrailerLen())
	}
	return n
}
