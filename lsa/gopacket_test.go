package lsa

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// gopacketDecodes lists the golden vectors gopacket's OSPFv3 decoder
// (v1.1.19) reads correctly. It cannot read intraareaprefix-multi.hex (it
// advances past a prefix by its length in bits rather than in padded bytes)
// nor unknown.hex (it rejects unknown types), and it truncates an address
// prefix to whole bytes; the vectors below avoid those cases.
var gopacketDecodes = map[string]bool{
	"router.hex": true, "network.hex": true, "interareaprefix.hex": true, "interarearouter.hex": true,
	"asexternal.hex": true, "nssa.hex": true, "link.hex": true, "intraareaprefix.hex": true,
	"intraareaprefix-flush.hex": true,
}

// TestGopacket encodes the expected values of the golden LSAs with Marshal, puts them in a
// synthetic OSPFv3 LS Update and checks that gopacket's independent decoder
// reads the same fields.
func TestGopacket(t *testing.T) {
	pkt := []byte{
		3, 4, // version 3, type 4 (LS Update)
		0, 0, // packet length, set below
		0xc0, 0, 2, 0x0b, // router ID 192.0.2.11
		0, 0, 0, 0, // area 0
		0, 0, // checksum (not checked by the decoder)
		0, 0, // instance ID, reserved
		0, 0, 0, 0, // number of LSAs, set below
	}
	var want []layers.LSA
	for _, tc := range golden {
		if !gopacketDecodes[tc.file] {
			continue
		}
		var err error
		pkt, err = Append(pkt, tc.want)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		want = append(want, toGopacket(t, tc.want))
	}
	if len(want) != len(gopacketDecodes) {
		t.Fatalf("%d LSAs for gopacket, want %d", len(want), len(gopacketDecodes))
	}
	binary.BigEndian.PutUint16(pkt[2:4], uint16(len(pkt)))
	binary.BigEndian.PutUint32(pkt[16:20], uint32(len(want)))

	var o layers.OSPFv3
	if err := o.DecodeFromBytes(pkt, gopacket.NilDecodeFeedback); err != nil {
		t.Fatalf("gopacket: %v", err)
	}
	lsu, ok := o.Content.(layers.LSUpdate)
	if !ok {
		t.Fatalf("gopacket content %T, want LSUpdate", o.Content)
	}
	if lsu.NumOfLSAs != uint32(len(want)) {
		t.Errorf("gopacket NumOfLSAs = %d, want %d", lsu.NumOfLSAs, len(want))
	}
	if diff := cmp.Diff(want, lsu.LSAs, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("gopacket disagrees (-ours +gopacket):\n%s", diff)
	}
}

// toGopacket expresses l in gopacket's types, with the quirks of its
// decoder: an address prefix is cut to PrefixLength/8 bytes except in an
// Inter-Area-Prefix-LSA, where it runs to the end of the LSA; the
// AS-External prefix length is in bytes; route tag and referenced ID are
// not decoded.
func toGopacket(t *testing.T, l LSA) layers.LSA {
	t.Helper()
	h := l.Header
	out := layers.LSA{LSAheader: layers.LSAheader{
		LSAge: h.Age, LSType: uint16(h.Type), LinkStateID: h.ID, AdvRouter: h.AdvRouter,
		LSSeqNumber: uint32(h.Seq), LSChecksum: h.Checksum, Length: h.Length,
	}}
	addr := func(p Prefix) []byte {
		a := p.Prefix.Addr().As16()
		return a[:p.Prefix.Bits()/8]
	}
	prefixes := func(ps []Prefix) []layers.Prefix {
		var out []layers.Prefix
		for _, p := range ps {
			out = append(out, layers.Prefix{PrefixLength: uint8(p.Prefix.Bits()), PrefixOptions: uint8(p.Options),
				Metric: p.Metric, AddressPrefix: addr(p)})
		}
		return out
	}
	switch b := l.Body.(type) {
	case *Router:
		var rs []layers.Router
		for _, r := range b.Links {
			rs = append(rs, layers.Router{Type: uint8(r.Type), Metric: r.Metric, InterfaceID: r.InterfaceID,
				NeighborInterfaceID: r.NeighborInterfaceID, NeighborRouterID: r.NeighborRouterID})
		}
		out.Content = layers.RouterLSA{Flags: uint8(b.Flags), Options: uint32(b.Options), Routers: rs}
	case *Network:
		out.Content = layers.NetworkLSA{Options: uint32(b.Options), AttachedRouter: b.AttachedRouters}
	case *InterAreaPrefix:
		a := b.Prefix.Prefix.Addr().As16()
		out.Content = layers.InterAreaPrefixLSA{Metric: b.Metric, PrefixLength: uint8(b.Prefix.Prefix.Bits()),
			PrefixOptions: uint8(b.Prefix.Options), AddressPrefix: a[:4*prefixWords(b.Prefix.Prefix.Bits())]}
	case *InterAreaRouter:
		out.Content = layers.InterAreaRouterLSA{Options: uint32(b.Options), Metric: b.Metric, DestinationRouterID: b.DestRouterID}
	case *ASExternal:
		var fwd []byte
		if b.Flags&ExternalF != 0 {
			a := b.ForwardingAddress.As16()
			fwd = a[:]
		}
		out.Content = layers.ASExternalLSA{Flags: uint8(b.Flags), Metric: b.Metric, PrefixLength: uint8(b.Prefix.Prefix.Bits() / 8),
			PrefixOptions: uint8(b.Prefix.Options), RefLSType: uint16(b.ReferencedType), AddressPrefix: addr(b.Prefix),
			ForwardingAddress: fwd}
	case *Link:
		a := b.LinkLocal.As16()
		out.Content = layers.LinkLSA{RtrPriority: b.Priority, Options: uint32(b.Options), LinkLocalAddress: a[:],
			NumOfPrefixes: uint32(len(b.Prefixes)), Prefixes: prefixes(b.Prefixes)}
	case *IntraAreaPrefix:
		out.Content = layers.IntraAreaPrefixLSA{NumOfPrefixes: uint16(len(b.Prefixes)), RefLSType: uint16(b.RefType),
			RefLinkStateID: b.RefID, RefAdvRouter: b.RefAdvRouter, Prefixes: prefixes(b.Prefixes)}
	default:
		t.Fatalf("no gopacket form for %T", l.Body)
	}
	return out
}
