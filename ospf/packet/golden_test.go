package packet

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/anycostd/anycostd/internal/testvec"
	"github.com/anycostd/anycostd/lsa"
	"github.com/google/go-cmp/cmp"
)

// goldenDir holds the annotated hex vectors of this package.
var goldenDir = filepath.Join("..", "..", "testdata", "packet")

// load reads one annotated hex vector from testdata/packet.
func load(t testing.TB, name string) []byte {
	t.Helper()
	b, err := testvec.Load(filepath.Join(goldenDir, name))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return b
}

// id turns a dotted quad into a 32-bit router, area or link-state ID.
func id(s string) uint32 {
	a := netip.MustParseAddr(s).As4()
	return uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
}

// goldenCase is one vector with the value it decodes to. want builds the
// value from the raw vector only for the LSU, whose LSAs stay raw bytes.
type goldenCase struct {
	file string
	want func(raw []byte) Packet
}

var goldenCases = []goldenCase{
	{"hello.hex", func([]byte) Packet {
		return &Hello{
			Header:        Header{Type: TypeHello, RouterID: id("192.0.2.10")},
			InterfaceID:   2,
			Priority:      0,
			Options:       lsa.OptV6 | lsa.OptE,
			HelloInterval: 1,
			DeadInterval:  4,
			DR:            id("192.0.2.1"),
			Neighbors:     []uint32{id("192.0.2.1")},
		}
	}},
	{"hello-router.hex", func([]byte) Packet {
		return &Hello{
			Header:        Header{Type: TypeHello, RouterID: id("192.0.2.1"), Checksum: 0xec8c},
			InterfaceID:   5,
			Priority:      10,
			Options:       lsa.OptV6 | lsa.OptE | lsa.OptR,
			HelloInterval: 1,
			DeadInterval:  4,
			DR:            id("192.0.2.1"),
			Neighbors:     []uint32{id("192.0.2.10"), id("192.0.2.11")},
		}
	}},
	{"hello-trailer.hex", func([]byte) Packet {
		return &Hello{
			Header:        Header{Type: TypeHello, RouterID: id("192.0.2.10")},
			InterfaceID:   2,
			Options:       lsa.OptAT | lsa.OptV6 | lsa.OptE,
			HelloInterval: 1,
			DeadInterval:  4,
		}
	}},
	{"dbdesc.hex", func([]byte) Packet {
		return &DatabaseDescription{
			Header:  Header{Type: TypeDatabaseDescription, RouterID: id("192.0.2.10")},
			Options: lsa.OptV6 | lsa.OptE,
			MTU:     1500,
			Flags:   DDInit | DDMore | DDMaster,
			Seq:     0x4f1a2b3c,
		}
	}},
	{"dbdesc-lsas.hex", func([]byte) Packet {
		return &DatabaseDescription{
			Header:  Header{Type: TypeDatabaseDescription, RouterID: id("192.0.2.1")},
			Options: lsa.OptV6 | lsa.OptE | lsa.OptR,
			MTU:     1500,
			Flags:   DDMore | DDMaster,
			Seq:     0x4f1a2b3d,
			LSAs: []lsa.Header{
				{Age: 5, Type: lsa.TypeRouter, ID: 0, AdvRouter: id("192.0.2.1"), Seq: -0x7ffffffc, Checksum: 0x9a3e, Length: 40},
				{Age: 5, Type: lsa.TypeNetwork, ID: 5, AdvRouter: id("192.0.2.1"), Seq: -0x7ffffffe, Checksum: 0x4c71, Length: 32},
			},
		}
	}},
	{"lsreq.hex", func([]byte) Packet {
		return &LinkStateRequest{
			Header: Header{Type: TypeLinkStateRequest, RouterID: id("192.0.2.10")},
			Requests: []lsa.Key{
				{Type: lsa.TypeRouter, ID: 0, AdvRouter: id("192.0.2.1")},
				{Type: lsa.TypeNetwork, ID: 5, AdvRouter: id("192.0.2.1")},
				{Type: lsa.TypeLink, ID: 5, AdvRouter: id("192.0.2.1")},
			},
		}
	}},
	{"lsupdate.hex", func(raw []byte) Packet {
		// Offsets from the annotation: count at 16, LSAs of 40, 56 and 52 bytes.
		return &LinkStateUpdate{
			Header: Header{Type: TypeLinkStateUpdate, RouterID: id("192.0.2.10")},
			LSAs:   [][]byte{raw[20:60], raw[60:116], raw[116:168]},
		}
	}},
	{"lsack.hex", func([]byte) Packet {
		return &LinkStateAck{
			Header: Header{Type: TypeLinkStateAck, RouterID: id("192.0.2.1")},
			LSAs: []lsa.Header{
				{Age: 1, Type: lsa.TypeRouter, ID: 0, AdvRouter: id("192.0.2.10"), Seq: -0x7fffffff, Checksum: 0x543a, Length: 40},
				{Age: 1, Type: lsa.TypeLink, ID: 2, AdvRouter: id("192.0.2.10"), Seq: -0x7fffffff, Checksum: 0x07ac, Length: 56},
				{Age: 1, Type: lsa.TypeIntraAreaPrefix, ID: 1, AdvRouter: id("192.0.2.10"), Seq: -0x7ffffffd, Checksum: 0x3808, Length: 52},
			},
		}
	}},
	// Annotated copies of real FRR 8.4.4 packets (testdata/frr, see
	// TestFRRAnnotated); their checksums are the ones on the wire.
	{"frr-hello-r1-dr.hex", func([]byte) Packet {
		return &Hello{
			Header:        Header{Type: TypeHello, RouterID: id("192.0.2.1"), Checksum: 0x7cfd},
			InterfaceID:   2,
			Priority:      10,
			Options:       lsa.OptV6 | lsa.OptE | lsa.OptR,
			HelloInterval: 1,
			DeadInterval:  4,
			DR:            id("192.0.2.1"),
			Neighbors:     []uint32{id("192.0.2.11"), id("192.0.2.12")},
		}
	}},
	{"frr-dbdesc-s1-headers.hex", func([]byte) Packet {
		s1 := id("192.0.2.11")
		return &DatabaseDescription{
			Header:  Header{Type: TypeDatabaseDescription, RouterID: s1, Checksum: 0x307e},
			Options: lsa.OptV6 | lsa.OptE | lsa.OptR,
			MTU:     1500,
			Flags:   DDMaster,
			Seq:     0x172,
			LSAs: []lsa.Header{
				{Age: 7, Type: lsa.TypeLink, ID: 2, AdvRouter: s1, Seq: -0x7fffffff, Checksum: 0x1b69, Length: 56},
				{Age: 7, Type: lsa.TypeRouter, ID: 0, AdvRouter: s1, Seq: -0x7fffffff, Checksum: 0x174d, Length: 24},
				{Age: 7, Type: lsa.TypeIntraAreaPrefix, ID: 0, AdvRouter: s1, Seq: -0x7ffffffe, Checksum: 0xcd3d, Length: 64},
			},
		}
	}},
	{"frr-lsreq-r1.hex", func([]byte) Packet {
		s1 := id("192.0.2.11")
		return &LinkStateRequest{
			Header: Header{Type: TypeLinkStateRequest, RouterID: id("192.0.2.1"), Checksum: 0xb8cf},
			Requests: []lsa.Key{
				{Type: lsa.TypeLink, ID: 2, AdvRouter: s1},
				{Type: lsa.TypeRouter, ID: 0, AdvRouter: s1},
				{Type: lsa.TypeIntraAreaPrefix, ID: 0, AdvRouter: s1},
			},
		}
	}},
	{"frr-lsupdate-s1-reply.hex", func(raw []byte) Packet {
		// Offsets from the annotation: count at 16, LSAs of 56, 24 and 64 bytes.
		return &LinkStateUpdate{
			Header: Header{Type: TypeLinkStateUpdate, RouterID: id("192.0.2.11"), Checksum: 0x3e04},
			LSAs:   [][]byte{raw[20:76], raw[76:100], raw[100:164]},
		}
	}},
	{"frr-lsack-s1-direct.hex", func([]byte) Packet {
		r1 := id("192.0.2.1")
		return &LinkStateAck{
			Header: Header{Type: TypeLinkStateAck, RouterID: id("192.0.2.11"), Checksum: 0xfba6},
			LSAs: []lsa.Header{
				{Age: 9, Type: lsa.TypeASExternal, ID: 1, AdvRouter: r1, Seq: -0x7fffffff, Checksum: 0xeb34, Length: 36},
				{Age: 9, Type: lsa.TypeASExternal, ID: 2, AdvRouter: r1, Seq: -0x7fffffff, Checksum: 0x64a9, Length: 36},
				{Age: 9, Type: lsa.TypeASExternal, ID: 3, AdvRouter: r1, Seq: -0x7fffffff, Checksum: 0x6c9f, Length: 36},
			},
		}
	}},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.file, func(t *testing.T) {
			raw := load(t, tc.file)
			got, err := ParsePacket(raw)
			if err != nil {
				t.Fatalf("ParsePacket: %v", err)
			}
			if diff := cmp.Diff(tc.want(raw), got); diff != "" {
				t.Errorf("ParsePacket mismatch (-want +got):\n%s", diff)
			}
			enc, err := MarshalPacket(got)
			if err != nil {
				t.Fatalf("MarshalPacket: %v", err)
			}
			n := int(raw[2])<<8 | int(raw[3])
			if !bytes.Equal(enc, raw[:n]) {
				t.Errorf("MarshalPacket:\n got %x\nwant %x", enc, raw[:n])
			}
			// The same through AppendPacket after a prefix.
			prefix := []byte{0xde, 0xad}
			app, err := AppendPacket(prefix, got)
			if err != nil {
				t.Fatalf("AppendPacket: %v", err)
			}
			if !bytes.Equal(app[:2], prefix) || !bytes.Equal(app[2:], raw[:n]) {
				t.Errorf("AppendPacket:\n got %x\nwant dead%x", app, raw[:n])
			}
		})
	}
}

// TestMarshalFromScratch builds packets the way the engine will, with Type
// and lengths left to the codec, and checks they encode to the vectors.
func TestMarshalFromScratch(t *testing.T) {
	tests := []struct {
		file string
		p    Packet
	}{
		{"hello.hex", &Hello{
			Header:      Header{RouterID: id("192.0.2.10")},
			InterfaceID: 2, Options: lsa.OptV6 | lsa.OptE, HelloInterval: 1, DeadInterval: 4,
			DR: id("192.0.2.1"), Neighbors: []uint32{id("192.0.2.1")},
		}},
		{"dbdesc.hex", &DatabaseDescription{
			Header:  Header{RouterID: id("192.0.2.10")},
			Options: lsa.OptV6 | lsa.OptE, MTU: 1500, Flags: DDInit | DDMore | DDMaster, Seq: 0x4f1a2b3c,
		}},
		{"lsreq.hex", &LinkStateRequest{
			Header: Header{RouterID: id("192.0.2.10")},
			Requests: []lsa.Key{
				{Type: lsa.TypeRouter, AdvRouter: id("192.0.2.1")},
				{Type: lsa.TypeNetwork, ID: 5, AdvRouter: id("192.0.2.1")},
				{Type: lsa.TypeLink, ID: 5, AdvRouter: id("192.0.2.1")},
			},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := MarshalPacket(tc.p)
			if err != nil {
				t.Fatalf("MarshalPacket: %v", err)
			}
			if want := load(t, tc.file); !bytes.Equal(got, want) {
				t.Errorf("got  %x\nwant %x", got, want)
			}
			if tc.p.Hdr().Type != 0 {
				t.Errorf("MarshalPacket changed its input: Type = %v", tc.p.Hdr().Type)
			}
		})
	}
}

func TestTrailer(t *testing.T) {
	raw := load(t, "hello-trailer.hex")
	tr := Trailer(raw)
	if len(tr) != 48 || !bytes.Equal(tr[:4], []byte{0x00, 0x01, 0x00, 0x30}) {
		t.Errorf("Trailer = %x, want the 48-byte RFC 7166 trailer", tr)
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"no trailer", load(t, "hello.hex")},
		{"short", raw[:10]},
		{"length beyond buffer", raw[:30]},
		{"length below header", []byte{3, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9}},
	} {
		if got := Trailer(tc.b); got != nil {
			t.Errorf("%s: Trailer = %x, want nil", tc.name, got)
		}
	}
}

// TestLSUElementsDoNotAlias checks that parsed LSAs are views into the input
// (no copy) whose capacity ends at their own end.
func TestLSUElementsDoNotAlias(t *testing.T) {
	raw := load(t, "lsupdate.hex")
	p, err := ParsePacket(raw)
	if err != nil {
		t.Fatal(err)
	}
	u := p.(*LinkStateUpdate)
	if &u.LSAs[0][0] != &raw[20] {
		t.Errorf("LSA 0 was copied; want a view into the input")
	}
	next := bytes.Clone(u.LSAs[1])
	for i, l := range u.LSAs {
		if cap(l) != len(l) {
			t.Errorf("LSA %d: cap %d, len %d; want equal", i, cap(l), len(l))
		}
	}
	_ = append(u.LSAs[0], 0xff, 0xff, 0xff, 0xff)
	if !bytes.Equal(u.LSAs[1], next) {
		t.Errorf("appending to LSA 0 changed LSA 1")
	}
}

func TestTypeString(t *testing.T) {
	for _, tc := range []struct {
		t    Type
		want string
	}{
		{TypeHello, "Hello"},
		{TypeDatabaseDescription, "DBDesc"},
		{TypeLinkStateRequest, "LSReq"},
		{TypeLinkStateUpdate, "LSUpdate"},
		{TypeLinkStateAck, "LSAck"},
		{0, "Unknown(0)"},
		{9, "Unknown(9)"},
	} {
		if got := tc.t.String(); got != tc.want {
			t.Errorf("Type(%d).String() = %q, want %q", uint8(tc.t), got, tc.want)
		}
	}
}

func TestDDFlagsString(t *testing.T) {
	for _, tc := range []struct {
		f    DDFlags
		want string
	}{
		{0, "-"},
		{DDMaster, "MS"},
		{DDMore | DDMaster, "M|MS"},
		{DDInit | DDMore | DDMaster, "I|M|MS"},
		{DDInit, "I"},
		{0x80 | DDMore, "M|0x80"},
		{0x08, "0x08"},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("DDFlags(%#x).String() = %q, want %q", uint8(tc.f), got, tc.want)
		}
	}
}
