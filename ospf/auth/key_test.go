package auth

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestAlgorithm(t *testing.T) {
	tests := []struct {
		name string
		alg  Algorithm
		size int
	}{
		{"hmac-sha-1", HMACSHA1, 20},
		{"hmac-sha-256", HMACSHA256, 32},
		{"hmac-sha-384", HMACSHA384, 48},
		{"hmac-sha-512", HMACSHA512, 64},
	}
	for _, tc := range tests {
		a, err := ParseAlgorithm(tc.name)
		if err != nil || a != tc.alg {
			t.Errorf("ParseAlgorithm(%q) = %v, %v", tc.name, a, err)
		}
		if a, err := ParseAlgorithm("HMAC-SHA-" + tc.name[9:]); err != nil || a != tc.alg {
			t.Errorf("upper case %q: %v, %v", tc.name, a, err)
		}
		if a.String() != tc.name || a.Size() != tc.size || a.TrailerLen() != 16+tc.size {
			t.Errorf("%v: String %q Size %d TrailerLen %d", tc.alg, a.String(), a.Size(), a.TrailerLen())
		}
		if got := a.newHash()().Size(); got != tc.size {
			t.Errorf("%v: hash size %d", a, got)
		}
	}
	for _, bad := range []string{"", "md5", "hmac-sha-2", "sha256", "hmac-sha-256 "} {
		if _, err := ParseAlgorithm(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseAlgorithm(%q): %v", bad, err)
		}
	}
	if Algorithm(0).Size() != 0 || Algorithm(9).String() != "Algorithm(9)" {
		t.Error("invalid algorithm")
	}
}

func TestDialect(t *testing.T) {
	for _, d := range []Dialect{DialectRFC7166, DialectFRR8} {
		got, err := ParseDialect(d.String())
		if err != nil || got != d {
			t.Errorf("ParseDialect(%q) = %v, %v", d, got, err)
		}
	}
	if DialectRFC7166.protocolID() != [2]byte{0, 1} || DialectFRR8.protocolID() != [2]byte{1, 0} {
		t.Error("protocol ID bytes")
	}
	if _, err := ParseDialect("frr9"); !errors.Is(err, ErrBadKey) {
		t.Errorf("ParseDialect(frr9): %v", err)
	}
	if Dialect(7).String() != "Dialect(7)" {
		t.Error("String of an invalid dialect")
	}
}

func TestNewKeychainErrors(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := Key{ID: 1, Algorithm: HMACSHA256, Secret: []byte("s")}
	tests := []struct {
		name string
		keys []Key
	}{
		{"none", nil},
		{"no algorithm", []Key{{ID: 1, Secret: []byte("s")}}},
		{"no secret", []Key{{ID: 1, Algorithm: HMACSHA1}}},
		{"bad dialect", []Key{{ID: 1, Algorithm: HMACSHA1, Dialect: 2, Secret: []byte("s")}}},
		{"duplicate ID", []Key{ok, ok}},
		{"send window reversed", []Key{{ID: 1, Algorithm: HMACSHA1, Secret: []byte("s"), SendFrom: t0, SendUntil: t0}}},
		{"accept window reversed", []Key{{ID: 1, Algorithm: HMACSHA1, Secret: []byte("s"),
			AcceptFrom: t0.Add(time.Hour), AcceptUntil: t0}}},
	}
	for _, tc := range tests {
		if _, err := NewKeychain(tc.keys...); !errors.Is(err, ErrBadKey) {
			t.Errorf("%s: %v, want ErrBadKey", tc.name, err)
		}
	}
}

// TestNewKeychainCopiesSecret: changing the caller's slice later does not
// change the keychain.
func TestNewKeychainCopiesSecret(t *testing.T) {
	s := []byte("secret")
	kc := mustKeychain(t, Key{ID: 1, Algorithm: HMACSHA256, Secret: s})
	s[0] = 'X'
	k, _ := kc.AcceptKey(1, time.Now())
	if string(k.Secret) != "secret" {
		t.Errorf("secret %q", k.Secret)
	}
}

// TestRolloverWindows walks a key change: key 1 is replaced by key 2. Both
// are accepted from T-5m to T+5m; key 2 sends from T.
func TestRolloverWindows(t *testing.T) {
	T := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	kc := mustKeychain(t,
		Key{ID: 2, Algorithm: HMACSHA256, Secret: []byte("new"),
			SendFrom: T, AcceptFrom: T.Add(-5 * time.Minute)},
		Key{ID: 1, Algorithm: HMACSHA256, Secret: []byte("old"),
			SendUntil: T.Add(time.Minute), AcceptUntil: T.Add(5 * time.Minute)},
	)
	steps := []struct {
		at       time.Duration
		send     uint16
		accepted []uint16
	}{
		{-time.Hour, 1, []uint16{1}},
		{-5 * time.Minute, 1, []uint16{1, 2}},
		{-time.Second, 1, []uint16{1, 2}},
		{0, 2, []uint16{1, 2}}, // key 2's window opened later than key 1's
		{time.Minute, 2, []uint16{1, 2}},
		{5*time.Minute - 1, 2, []uint16{1, 2}},
		{5 * time.Minute, 2, []uint16{2}},
		{24 * time.Hour, 2, []uint16{2}},
	}
	for _, s := range steps {
		now := T.Add(s.at)
		k, ok := kc.SendKey(now)
		if !ok || k.ID != s.send {
			t.Errorf("T%+v: send key %d (%v), want %d", s.at, k.ID, ok, s.send)
		}
		var acc []uint16
		for id := range uint16(4) {
			if _, ok := kc.AcceptKey(id, now); ok {
				acc = append(acc, id)
			}
		}
		if !slices.Equal(acc, s.accepted) {
			t.Errorf("T%+v: accepted %v, want %v", s.at, acc, s.accepted)
		}
	}
}

// TestSendKeyLastExpired: when every send window has ended the key that
// ended last stays in use (RFC 2328 D.3); before any window starts there is
// no key.
func TestSendKeyLastExpired(t *testing.T) {
	T := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	kc := mustKeychain(t,
		Key{ID: 1, Algorithm: HMACSHA1, Secret: []byte("a"), SendFrom: T, SendUntil: T.Add(time.Hour)},
		Key{ID: 2, Algorithm: HMACSHA1, Secret: []byte("b"), SendFrom: T, SendUntil: T.Add(2 * time.Hour)},
	)
	if _, ok := kc.SendKey(T.Add(-time.Second)); ok {
		t.Error("a key before every window")
	}
	if k, ok := kc.SendKey(T.Add(90 * time.Minute)); !ok || k.ID != 2 {
		t.Errorf("in key 2's window: %d %v", k.ID, ok)
	}
	if k, ok := kc.SendKey(T.Add(3 * time.Hour)); !ok || k.ID != 2 {
		t.Errorf("after both windows: %d %v, want the last one, 2", k.ID, ok)
	}
	if n := kc.MaxTrailerLen(); n != 36 {
		t.Errorf("MaxTrailerLen %d", n)
	}
}
