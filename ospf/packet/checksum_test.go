package packet

import (
	"bytes"
	"net/netip"
	"testing"
)

var (
	llRouter = netip.MustParseAddr("fe80::1")
	llServer = netip.MustParseAddr("fe80::10")
	allSPF   = netip.MustParseAddr("ff02::5")
)

// TestChecksumVector checks hello-router.hex, whose checksum 0xec8c was
// summed by hand in 16-bit words and confirmed by Wireshark 4.0's OSPF
// dissector ("[correct]") on a pcap from fe80::1 to ff02::5:
//
//	pseudo-header: fe80 + 0001 (src) + ff02 + 0005 (dst)
//	             + 0000 002c (length 44) + 0000 0059 (next header 89)
//	             = 0x1fe0e
//	packet:        0301 002c c000 0201 0000 0000 [checksum skipped] 0000
//	             + 0000 0005 0a00 0013 0001 0004 c000 0201 0000 0000
//	             + c000 020a c000 020b
//	             = 0x31560
//	total 0x5136e, folded 0x136e + 0x5 = 0x1373, complement 0xec8c.
func TestChecksumVector(t *testing.T) {
	raw := load(t, "hello-router.hex")
	if got := Checksum(llRouter, allSPF, raw); got != 0xec8c {
		t.Errorf("Checksum = %#04x, want 0xec8c", got)
	}
	if !VerifyChecksum(llRouter, allSPF, raw) {
		t.Errorf("VerifyChecksum = false on the vector")
	}
	zeroed := bytes.Clone(raw)
	zeroed[12], zeroed[13] = 0, 0
	if got := Checksum(llRouter, allSPF, zeroed); got != 0xec8c {
		t.Errorf("Checksum with the field zeroed = %#04x, want 0xec8c", got)
	}
	if VerifyChecksum(llRouter, allSPF, zeroed) {
		t.Errorf("VerifyChecksum = true with the field zeroed")
	}
	SetChecksum(llRouter, allSPF, zeroed)
	if !bytes.Equal(zeroed, raw) {
		t.Errorf("SetChecksum gave %x, want %x", zeroed, raw)
	}
}

func TestChecksumDetectsChanges(t *testing.T) {
	raw := load(t, "hello-router.hex")
	for _, tc := range []struct {
		name     string
		src, dst netip.Addr
		pkt      []byte
	}{
		{"other source", llServer, allSPF, raw},
		{"unicast destination", llRouter, llServer, raw},
		{"flipped bit", llRouter, allSPF, edit(t, "hello-router.hex", func(b []byte) []byte { b[23] ^= 0x10; return b })},
		{"extra zero word", llRouter, allSPF, append(bytes.Clone(raw), 0, 0)},
		{"too short", llRouter, allSPF, raw[:13]},
	} {
		if VerifyChecksum(tc.src, tc.dst, tc.pkt) {
			t.Errorf("%s: VerifyChecksum = true", tc.name)
		}
	}
}

// TestSetChecksumRoundTrip covers odd lengths, a trailer and every vector.
func TestSetChecksumRoundTrip(t *testing.T) {
	for _, tc := range goldenCases {
		for _, extra := range [][]byte{nil, {0xab}, {1, 2, 3, 4, 5}} {
			pkt := append(load(t, tc.file), extra...)
			SetChecksum(llServer, allSPF, pkt)
			if !VerifyChecksum(llServer, allSPF, pkt) {
				t.Errorf("%s + %d bytes: VerifyChecksum after SetChecksum = false", tc.file, len(extra))
			}
		}
	}
	short := []byte{3, 1, 0}
	SetChecksum(llServer, allSPF, short)
	if !bytes.Equal(short, []byte{3, 1, 0}) {
		t.Errorf("SetChecksum wrote into a 3-byte packet: %x", short)
	}
}
