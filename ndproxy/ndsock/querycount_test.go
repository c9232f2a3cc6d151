package ndsock

import (
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"
)

// svcAddr is the service address of the tests.
var svcAddr = netip.MustParseAddr("2001:db8:1::53")

// ipv6Header returns a 40-byte IPv6 header (and 8 bytes of payload) with
// the given next header and destination.
func ipv6Header(next byte, dst netip.Addr) []byte {
	b := make([]byte, 48)
	b[0] = 0x60 // version 6
	b[5] = 8    // payload length
	b[6] = next // next header
	b[7] = 64   // hop limit
	copy(b[8:24], netip.MustParseAddr("2001:db8:2::100").AsSlice())
	copy(b[24:40], dst.AsSlice())
	return b
}

func TestQueryFilter(t *testing.T) {
	prog, err := queryFilter(svcAddr)
	if err != nil {
		t.Fatal(err)
	}
	var insns []bpf.Instruction
	for _, f := range prog {
		insns = append(insns, bpf.RawInstruction{Op: f.Code, Jt: f.Jt, Jf: f.Jf, K: f.K}.Disassemble())
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		pkt  []byte
		want int
	}{
		{"UDP query to the service", ipv6Header(17, svcAddr), 1},
		{"TCP to the service", ipv6Header(6, svcAddr), 1},
		{"ICMPv6 (the router's probe) to the service", ipv6Header(58, svcAddr), 0},
		{"UDP to another address", ipv6Header(17, netip.MustParseAddr("2001:db8:1::54")), 0},
		{"UDP to the server's own address", ipv6Header(17, netip.MustParseAddr("2001:db8:1::100")), 0},
		{"UDP to a differing first word", ipv6Header(17, netip.MustParseAddr("2001:db9:1::53")), 0},
		{"truncated", ipv6Header(17, svcAddr)[:30], 0},
	} {
		got, err := vm.Run(tc.pkt)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("%s: filter returned %d, want %d", tc.name, got, tc.want)
		}
	}
}
