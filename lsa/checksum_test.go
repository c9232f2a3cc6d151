package lsa

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// isoVerify is the verification of RFC 905 annex B, written independently
// of Checksum: running sums over the checksummed bytes, the stored checksum
// included, must both be 0 mod 255.
func isoVerify(raw []byte) bool {
	n := int(binary.BigEndian.Uint16(raw[18:20]))
	var c0, c1 int
	for _, b := range raw[2:n] {
		c0 = (c0 + int(b)) % 255
		c1 = (c1 + c0) % 255
	}
	return c0 == 0 && c1 == 0
}

func TestChecksumGolden(t *testing.T) {
	for _, tc := range golden {
		raw := loadGolden(t, tc.file)
		stored := binary.BigEndian.Uint16(raw[16:18])
		if got := Checksum(raw); got != stored {
			t.Errorf("%s: Checksum = %#04x, stored %#04x", tc.file, got, stored)
		}
		cleared := append([]byte(nil), raw...)
		cleared[16], cleared[17] = 0, 0
		if VerifyChecksum(cleared) {
			t.Errorf("%s: VerifyChecksum true with the checksum zeroed", tc.file)
		}
		SetChecksum(cleared)
		if got := binary.BigEndian.Uint16(cleared[16:18]); got != stored {
			t.Errorf("%s: SetChecksum stored %#04x, want %#04x", tc.file, got, stored)
		}
	}
}

// TestChecksumRandom checks Checksum against the RFC 905 verification on
// many random LSAs of every length from the header size up.
func TestChecksumRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := HeaderLen; n < 600; n++ {
		for range 4 {
			raw := make([]byte, n)
			for i := range raw {
				raw[i] = byte(r.UintN(256))
			}
			binary.BigEndian.PutUint16(raw[18:20], uint16(n))
			SetChecksum(raw)
			if !isoVerify(raw) {
				t.Fatalf("length %d: checksum %#04x fails RFC 905 verification: %x", n, Checksum(raw), raw)
			}
			if raw[16] == 0 || raw[17] == 0 {
				t.Fatalf("length %d: checksum byte 0 in %#04x", n, Checksum(raw))
			}
			if !VerifyChecksum(raw) {
				t.Fatalf("length %d: VerifyChecksum false after SetChecksum", n)
			}
		}
	}
	// The longest LSA the length field allows.
	raw := make([]byte, 0xffff)
	for i := range raw {
		raw[i] = 0xfe
	}
	binary.BigEndian.PutUint16(raw[18:20], 0xffff)
	SetChecksum(raw)
	if !isoVerify(raw) {
		t.Errorf("65535-byte LSA: checksum fails RFC 905 verification")
	}
}

func TestChecksumIgnoresAge(t *testing.T) {
	raw := loadGolden(t, "intraareaprefix.hex")
	for _, age := range []uint16{0, 1, 1800, MaxAge, 0xffff} {
		SetAge(raw, age)
		if !VerifyChecksum(raw) {
			t.Errorf("age %d: VerifyChecksum false", age)
		}
	}
}

func TestChecksumDetectsChange(t *testing.T) {
	raw := loadGolden(t, "link.hex")
	for i := 2; i < len(raw); i++ {
		if i == 18 || i == 19 {
			continue // a changed length makes the buffer another LSA or none
		}
		for _, flip := range []byte{0x01, 0x80, 0x3c} {
			c := append([]byte(nil), raw...)
			c[i] ^= flip
			if VerifyChecksum(c) {
				t.Errorf("byte %d ^ %#02x: VerifyChecksum still true", i, flip)
			}
		}
	}
	// Bytes past Length are not covered.
	longer := append(append([]byte(nil), raw...), 1, 2, 3, 4)
	if !VerifyChecksum(longer) {
		t.Errorf("trailing bytes past Length changed the verdict")
	}
}

func TestChecksumBadInput(t *testing.T) {
	valid := loadGolden(t, "network.hex")
	tests := []struct {
		name string
		raw  []byte
	}{
		{"nil", nil},
		{"short header", valid[:HeaderLen-1]},
		{"length below header", func() []byte {
			c := append([]byte(nil), valid...)
			binary.BigEndian.PutUint16(c[18:20], HeaderLen-1)
			return c
		}()},
		{"length past buffer", valid[:len(valid)-4]},
	}
	for _, tc := range tests {
		if got := Checksum(tc.raw); got != 0 {
			t.Errorf("%s: Checksum = %#04x, want 0", tc.name, got)
		}
		if VerifyChecksum(tc.raw) {
			t.Errorf("%s: VerifyChecksum true", tc.name)
		}
		before := append([]byte(nil), tc.raw...)
		SetChecksum(tc.raw)
		if string(before) != string(tc.raw) {
			t.Errorf("%s: SetChecksum changed the buffer", tc.name)
		}
	}
}

// A stored checksum of 0 never verifies (RFC 2328 12.1.7), even when the
// RFC 905 sums come out 0 with it.
func TestVerifyChecksumZero(t *testing.T) {
	raw := make([]byte, HeaderLen)
	binary.BigEndian.PutUint16(raw[18:20], HeaderLen)
	// Choose the low sequence-number bytes so the sums vanish with a
	// stored checksum of 0.
	found := false
	for x := 0; x < 256 && !found; x++ {
		for y := 0; y < 256 && !found; y++ {
			raw[14], raw[15] = byte(x), byte(y)
			found = isoVerify(raw)
		}
	}
	if !found {
		t.Fatal("no zero-sum header found")
	}
	if VerifyChecksum(raw) {
		t.Errorf("VerifyChecksum true for a stored 0 (%x)", raw)
	}
	if Checksum(raw) == 0 {
		t.Errorf("Checksum returned 0 for a valid header")
	}
}

// The algorithm writes a checksum byte of 0 as 255 (RFC 905 annex B), but
// 0 and 255 are the same value mod 255: a sender that writes 0x00 where
// the algorithm writes 0xff sends a valid checksum, the Fletcher sums over
// the LSA still coming to zero. Verification is by those sums (RFC 2328
// 12.1.7, RFC 905 annex B), not by recomputing and comparing bytes, so
// both encodings verify; a wrong byte still does not. Golden vectors for
// each checksum byte in each encoding.
func TestVerifyChecksumBothEncodings(t *testing.T) {
	for _, tc := range []struct {
		canonical, zero string
		byteIdx         int // which checksum byte is 0xff / 0x00
	}{
		{"checksum/high-ff.hex", "checksum/high-00.hex", 16},
		{"checksum/low-ff.hex", "checksum/low-00.hex", 17},
	} {
		ff, zero := loadGolden(t, tc.canonical), loadGolden(t, tc.zero)
		if ff[tc.byteIdx] != 0xff || zero[tc.byteIdx] != 0 {
			t.Fatalf("%s / %s: byte %d is %#02x / %#02x, want 0xff / 0x00", tc.canonical, tc.zero, tc.byteIdx, ff[tc.byteIdx], zero[tc.byteIdx])
		}
		if got, want := Checksum(zero), binary.BigEndian.Uint16(ff[16:18]); got != want {
			t.Errorf("%s: Checksum = %#04x, want the canonical %#04x", tc.zero, got, want)
		}
		for _, f := range []string{tc.canonical, tc.zero} {
			raw := loadGolden(t, f)
			if !isoVerify(raw) {
				t.Fatalf("%s: the RFC 905 sums are not zero: the vector is wrong", f)
			}
			if !VerifyChecksum(raw) {
				t.Errorf("%s: VerifyChecksum false for a valid checksum", f)
			}
			if _, err := Parse(raw); err != nil {
				t.Errorf("%s: Parse: %v", f, err)
			}
			// Any other value of that byte is wrong.
			for v := 1; v < 255; v++ {
				bad := append([]byte(nil), raw...)
				bad[tc.byteIdx] = byte(v)
				if VerifyChecksum(bad) {
					t.Errorf("%s: byte %d = %#02x verifies", f, tc.byteIdx, v)
				}
			}
		}
	}
}
