package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"net/netip"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// TestTamperEveryBit flips each bit of each vector in turn, and the source
// address: every change must be rejected.
func TestTamperEveryBit(t *testing.T) {
	for _, v := range loadVectors(t) {
		key := v.key(t)
		kc := mustKeychain(t, key)
		src := v.src(t)
		now := time.Now()
		if _, err := Verify(v.data, src, kc, now); err != nil {
			t.Fatalf("%s: untouched vector: %v", v.name, err)
		}
		for i := range v.data {
			for bit := range 8 {
				b := bytes.Clone(v.data)
				b[i] ^= 1 << bit
				if _, err := Verify(b, src, kc, now); err == nil {
					t.Errorf("%s: byte %d bit %d flipped: accepted", v.name, i, bit)
				}
			}
		}
		s16 := src.As16()
		for i := range 16 {
			for bit := range 8 {
				a := s16
				a[i] ^= 1 << bit
				if _, err := Verify(v.data, netip.AddrFrom16(a), kc, now); !errors.Is(err, ErrBadDigest) {
					t.Errorf("%s: source byte %d bit %d flipped: %v, want ErrBadDigest", v.name, i, bit, err)
				}
			}
		}
	}
}

// TestVerifyErrors covers every way Verify refuses a packet, each with its
// sentinel error.
func TestVerifyErrors(t *testing.T) {
	v := vectorNamed(t, "rfc-hello-sha256.hex")
	key := v.key(t)
	src := v.src(t)
	now := time.Now()
	good := v.data
	n := int(binary.BigEndian.Uint16(good[2:4]))
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	other := key
	other.ID = key.ID + 1
	tests := []struct {
		name string
		data []byte
		src  netip.Addr
		kc   *Keychain
		want error
	}{
		{"empty", nil, src, nil, ErrMalformed},
		{"short header", good[:10], src, nil, ErrMalformed},
		{"version 2", mod(func(b []byte) []byte { b[0] = 2; return b }), src, nil, ErrMalformed},
		{"length below header", mod(func(b []byte) []byte { b[3] = 8; return b }), src, nil, ErrMalformed},
		{"length beyond data", mod(func(b []byte) []byte { binary.BigEndian.PutUint16(b[2:], uint16(len(b)+1)); return b }), src, nil, ErrMalformed},
		{"type 0", mod(func(b []byte) []byte { b[1] = 0; return b }), src, nil, ErrMalformed},
		{"type 6", mod(func(b []byte) []byte { b[1] = 6; return b }), src, nil, ErrMalformed},
		{"hello too short for options", mod(func(b []byte) []byte { b[3] = 30; return b }), src, nil, ErrMalformed},
		{"no trailer", good[:n], src, nil, ErrNoTrailer},
		{"AT bit clear", mod(func(b []byte) []byte { b[offHelloOpts+1] &^= 0x04; return b }), src, nil, ErrNoTrailer},
		{"trailer shorter than header", good[:n+10], src, nil, ErrMalformed},
		{"auth type 2", mod(func(b []byte) []byte { b[n+1] = 2; return b }), src, nil, ErrMalformed},
		{"auth data length short", mod(func(b []byte) []byte { b[n+3]--; return b }), src, nil, ErrMalformed},
		{"trailer truncated", good[:len(good)-1], src, nil, ErrMalformed},
		{"extra byte after trailer", append(bytes.Clone(good), 0), src, nil, ErrMalformed},
		{"IPv4 source", good, netip.MustParseAddr("192.0.2.1"), nil, ErrMalformed},
		{"invalid source", good, netip.Addr{}, nil, ErrMalformed},
		{"unknown key ID", good, src, mustKeychain(t, other), ErrUnknownKey},
		{"key not yet accepted", good, src, mustKeychain(t, Key{ID: key.ID, Algorithm: key.Algorithm, Secret: key.Secret,
			AcceptFrom: now.Add(time.Minute)}), ErrUnknownKey},
		{"key no longer accepted", good, src, mustKeychain(t, Key{ID: key.ID, Algorithm: key.Algorithm, Secret: key.Secret,
			AcceptUntil: now}), ErrUnknownKey},
		{"other algorithm", good, src, mustKeychain(t, Key{ID: key.ID, Algorithm: HMACSHA512, Secret: key.Secret}), ErrAlgorithm},
		{"wrong secret", good, src, mustKeychain(t, Key{ID: key.ID, Algorithm: key.Algorithm, Secret: []byte("anycostD")}), ErrBadDigest},
		{"wrong source", good, netip.MustParseAddr("fe80::1"), nil, ErrBadDigest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kc := tc.kc
			if kc == nil {
				kc = mustKeychain(t, key)
			}
			_, err := Verify(tc.data, tc.src, kc, now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := Verify(good, src, nil, now); !errors.Is(err, ErrBadKey) {
		t.Errorf("nil keychain: %v", err)
	}
}

// TestAppendRoundTrip signs each packet type with each algorithm and
// dialect and verifies the result; the trailer is exactly where and as
// long as RFC 7166 4.1 says.
func TestAppendRoundTrip(t *testing.T) {
	src := netip.MustParseAddr("fe80::5:1")
	pkts := map[string]packet.Packet{
		"hello": &packet.Hello{Header: packet.Header{RouterID: 1}, Options: lsa.OptV6 | lsa.OptE, HelloInterval: 10, DeadInterval: 40},
		"dbd":   &packet.DatabaseDescription{Header: packet.Header{RouterID: 1}, Options: lsa.OptV6, MTU: 1500, Flags: 7, Seq: 9},
		"lsr":   &packet.LinkStateRequest{Header: packet.Header{RouterID: 1}},
		"lsu":   &packet.LinkStateUpdate{Header: packet.Header{RouterID: 1}},
		"lsack": &packet.LinkStateAck{Header: packet.Header{RouterID: 1}},
	}
	for name, p := range pkts {
		raw, err := packet.MarshalPacket(p)
		if err != nil {
			t.Fatal(err)
		}
		for a := HMACSHA1; a <= HMACSHA512; a++ {
			for _, d := range []Dialect{DialectRFC7166, DialectFRR8} {
				key := Key{ID: 300, Algorithm: a, Dialect: d, Secret: []byte("s")}
				out, err := Append(raw, src, key, 0x0102030405060708)
				if err != nil {
					t.Fatalf("%s %v %v: %v", name, a, d, err)
				}
				if len(out) != len(raw)+16+a.Size() {
					t.Errorf("%s %v: %d bytes, want %d", name, a, len(out), len(raw)+16+a.Size())
				}
				tr, err := Verify(out, src, mustKeychain(t, key), time.Now())
				if err != nil {
					t.Fatalf("%s %v %v: Verify: %v", name, a, d, err)
				}
				if tr.KeyID != 300 || tr.Seq != 0x0102030405060708 || tr.Start != len(raw) {
					t.Errorf("%s %v: trailer %+v", name, a, tr)
				}
				wantHdr := []byte{0, 1, 0, byte(16 + a.Size()), 0, 0, 1, 44, 1, 2, 3, 4, 5, 6, 7, 8}
				if got := out[len(raw) : len(raw)+16]; !bytes.Equal(got, wantHdr) {
					t.Errorf("%s %v: trailer header %x, want %x", name, a, got, wantHdr)
				}
			}
		}
	}
}

// TestAppendSetsATAndZeroChecksum: Append clears the checksum and sets the
// AT bit on Hello and DBD only, on a copy.
func TestAppendSetsATAndZeroChecksum(t *testing.T) {
	src := netip.MustParseAddr("fe80::5:1")
	key := Key{ID: 1, Algorithm: HMACSHA256, Secret: []byte("k")}
	hello := helloPacket(t, 10, 1)
	in := bytes.Clone(hello)
	out, err := Append(in, src, key, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in, hello) {
		t.Error("Append modified its input")
	}
	if out[12] != 0 || out[13] != 0 {
		t.Errorf("checksum %x, want 0", out[12:14])
	}
	p, err := packet.ParsePacket(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.(*packet.Hello).Options; got != 0x13|lsa.OptAT {
		t.Errorf("hello options %v, want %v", got, 0x13|lsa.OptAT)
	}
	dbd, _ := packet.MarshalPacket(&packet.DatabaseDescription{Header: packet.Header{RouterID: 1}, Options: lsa.OptV6, MTU: 1500})
	out, err = Append(dbd, src, key, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, _ = packet.ParsePacket(out)
	if got := p.(*packet.DatabaseDescription).Options; got != lsa.OptV6|lsa.OptAT {
		t.Errorf("dbd options %v", got)
	}
	// An LSAck has no options; its body must come out unchanged.
	ack, _ := packet.MarshalPacket(&packet.LinkStateAck{Header: packet.Header{RouterID: 1, Checksum: 7},
		LSAs: []lsa.Header{{Type: 0x2001, AdvRouter: 1, Seq: lsa.InitialSequenceNumber, Length: 24}}})
	out, err = Append(ack, src, key, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out[16:len(ack)], ack[16:]) {
		t.Error("LSAck body changed")
	}
}

func TestAppendErrors(t *testing.T) {
	src := netip.MustParseAddr("fe80::5:1")
	key := Key{ID: 1, Algorithm: HMACSHA256, Secret: []byte("k")}
	hello := helloPacket(t, 10)
	// 36 + 4*16363 = 65488 bytes: a valid Hello that a 48-byte trailer
	// pushes beyond the 65535 bytes of an IPv6 payload.
	big := helloPacket(t, 10, make([]uint32, 16363)...)
	tests := []struct {
		name string
		pkt  []byte
		src  netip.Addr
		key  Key
		want error
	}{
		{"no algorithm", hello, src, Key{ID: 1, Secret: []byte("k")}, ErrBadKey},
		{"empty secret", hello, src, Key{ID: 1, Algorithm: HMACSHA1}, ErrBadKey},
		{"bad dialect", hello, src, Key{ID: 1, Algorithm: HMACSHA1, Dialect: 9, Secret: []byte("k")}, ErrBadKey},
		{"IPv4 source", hello, netip.MustParseAddr("192.0.2.1"), key, ErrMalformed},
		{"short", hello[:12], src, key, ErrMalformed},
		{"bytes after length", append(bytes.Clone(hello), 1, 2, 3, 4), src, key, ErrMalformed},
		{"too long for IPv6", big, src, key, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Append(tc.pkt, tc.src, tc.key, 1); !errors.Is(err, tc.want) {
				t.Fatalf("Append: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestLLS: a Hello with the L bit carries an LLS block between the packet
// and the trailer (RFC 5613, RFC 7166 4.1); the digest covers it and the
// trailer starts after it.
func TestLLS(t *testing.T) {
	src := netip.MustParseAddr("fe80::5:1")
	key := Key{ID: 1, Algorithm: HMACSHA256, Secret: []byte("k")}
	hello := helloPacket(t, 10)
	hello[offHelloOpts+1] |= byte(lsa.OptL >> 8)
	lls := []byte{0, 0, 0, 3, 0, 1, 0, 4, 0, 0, 0, 1} // checksum, 3 words; one TLV (EO, 4 bytes)
	withLLS := append(bytes.Clone(hello), lls...)
	out, err := Append(withLLS, src, key, 5)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Verify(out, src, mustKeychain(t, key), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if tr.Start != len(withLLS) {
		t.Errorf("trailer at %d, want %d", tr.Start, len(withLLS))
	}
	// Changing the LLS block breaks the digest.
	bad := bytes.Clone(out)
	bad[len(hello)+11] ^= 1
	if _, err := Verify(bad, src, mustKeychain(t, key), time.Now()); !errors.Is(err, ErrBadDigest) {
		t.Errorf("LLS changed: %v", err)
	}
	// LLS length pointing beyond the packet, or below its header.
	for _, words := range []uint16{0, 100} {
		b := bytes.Clone(out)
		binary.BigEndian.PutUint16(b[len(hello)+2:], words)
		if _, err := Verify(b, src, mustKeychain(t, key), time.Now()); !errors.Is(err, ErrMalformed) {
			t.Errorf("LLS length %d words: %v", words, err)
		}
	}
	// L bit but no room for the LLS header.
	if _, err := Append(hello, src, key, 1); !errors.Is(err, ErrMalformed) {
		t.Errorf("L bit without LLS: %v", err)
	}
}

// TestKeyHashing pins the key preparation of RFC 7166 4.5 against a plain
// HMAC computed here: Ks = Secret || 00 01 longer than L (33 bytes for
// SHA-256, below the 64-byte block) is hashed first; Ks of exactly L bytes
// is used as is. Plain HMAC (RFC 2104) would hash neither.
func TestKeyHashing(t *testing.T) {
	src := netip.MustParseAddr("fe80::5:1")
	pkt := helloPacket(t, 10)
	for _, tc := range []struct {
		secret []byte
		hashed bool
	}{
		{bytes.Repeat([]byte("x"), 31), true},
		{bytes.Repeat([]byte("x"), 30), false},
		{[]byte("x"), false},
	} {
		out, err := Append(pkt, src, Key{ID: 1, Algorithm: HMACSHA256, Secret: tc.secret}, 1)
		if err != nil {
			t.Fatal(err)
		}
		ko := append(bytes.Clone(tc.secret), 0, 1)
		if tc.hashed {
			s := sha256.Sum256(ko)
			ko = s[:]
		}
		want := directHMAC(sha256.New, sha256.Size, ko, out[:len(pkt)+16], src)
		if !bytes.Equal(out[len(pkt)+16:], want) {
			t.Errorf("%d-byte secret: digest is not HMAC(Ko, ...) with Ko hashed=%v", len(tc.secret), tc.hashed)
		}
	}
}

// directHMAC is a second, plain implementation of the digest for a given
// Ko: HMAC over covered, the source address and Apad up to size bytes.
func directHMAC(h func() hash.Hash, size int, ko, covered []byte, src netip.Addr) []byte {
	s := src.As16()
	msg := append(bytes.Clone(covered), s[:]...)
	for len(msg) < len(covered)+size {
		msg = append(msg, 0x87, 0x8f, 0xe1, 0xf3)
	}
	m := hmac.New(h, ko)
	m.Write(msg)
	return m.Sum(nil)
}
