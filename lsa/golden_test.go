package lsa

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/anycostd/anycostd/internal/testvec"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// cmpOpts compares netip values by ==.
var cmpOpts = cmp.Options{cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})}

// goldenDir holds the annotated golden vectors.
var goldenDir = filepath.Join("..", "testdata", "lsa")

func loadGolden(t testing.TB, file string) []byte {
	t.Helper()
	raw, err := testvec.Load(filepath.Join(goldenDir, file))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func hdr(age uint16, t Type, id, adv uint32, seq uint32, cksum, length uint16) Header {
	return Header{Age: age, Type: t, ID: id, AdvRouter: adv, Seq: int32(seq), Checksum: cksum, Length: length}
}

// The golden vectors and what they decode to. The checksums and lengths
// here were computed by the script that wrote the files, independently of
// this package.
var golden = []struct {
	file string
	want LSA
}{
	{"router.hex", LSA{
		Header: hdr(1, TypeRouter, 0, 0xc0000201, 0x80000001, 0x871c, 56),
		Body: &Router{Flags: RouterE | RouterB, Options: OptV6 | OptE | OptR, Links: []RouterLink{
			{Type: LinkTransit, Metric: 10, InterfaceID: 3, NeighborInterfaceID: 3, NeighborRouterID: 0xc0000201},
			{Type: LinkPointToPoint, Metric: 1, InterfaceID: 4, NeighborInterfaceID: 7, NeighborRouterID: 0xc0000202},
		}},
	}},
	{"network.hex", LSA{
		Header: hdr(1, TypeNetwork, 3, 0xc0000201, 0x80000001, 0xe31a, 36),
		Body:   &Network{Options: OptV6 | OptE | OptR, AttachedRouters: []uint32{0xc0000201, 0xc000020b, 0xc000020c}},
	}},
	{"interareaprefix.hex", LSA{
		Header: hdr(1, TypeInterAreaPrefix, 1, 0xc0000201, 0x80000001, 0xdc69, 36),
		Body:   &InterAreaPrefix{Metric: 20, Prefix: Prefix{Prefix: netip.MustParsePrefix("2001:db8:100::/48")}},
	}},
	{"interarearouter.hex", LSA{
		Header: hdr(1, TypeInterAreaRouter, 5, 0xc0000201, 0x80000001, 0xdc9b, 32),
		Body:   &InterAreaRouter{Options: OptV6 | OptE | OptR, Metric: 30, DestRouterID: 0xc0000205},
	}},
	{"asexternal.hex", LSA{
		Header: hdr(1, TypeASExternal, 7, 0xc0000201, 0x80000001, 0xb51e, 60),
		Body: &ASExternal{
			Flags:             ExternalE | ExternalF | ExternalT,
			Metric:            20,
			Prefix:            Prefix{Prefix: netip.MustParsePrefix("2001:db8:200:1::/64")},
			ReferencedType:    TypeRouter,
			ForwardingAddress: netip.MustParseAddr("2001:db8::1"),
			RouteTag:          7,
			ReferencedID:      9,
		},
	}},
	{"nssa.hex", LSA{
		Header: hdr(1, TypeNSSA, 2, 0xc0000201, 0x80000001, 0xe6fb, 36),
		Body: &ASExternal{
			NSSA:   true,
			Flags:  ExternalE,
			Metric: 100,
			Prefix: Prefix{Prefix: netip.MustParsePrefix("2001:db8:300::/48"), Options: PrefixP},
		},
	}},
	{"link.hex", LSA{
		Header: hdr(1, TypeLink, 2, 0xc000020b, 0x80000001, 0x59c7, 76),
		Body: &Link{
			Priority:  0,
			Options:   OptV6 | OptE,
			LinkLocal: netip.MustParseAddr("fe80::11"),
			Prefixes: []Prefix{
				{Prefix: netip.MustParsePrefix("2001:db8:1::/64")},
				{Prefix: netip.MustParsePrefix("2001:db8:1::11/128"), Options: PrefixLA},
			},
		},
	}},
	{"intraareaprefix.hex", LSA{
		Header: hdr(1, TypeIntraAreaPrefix, 1, 0xc000020b, 0x80000001, 0x8fba, 52),
		Body: &IntraAreaPrefix{
			RefType: TypeRouter, RefID: 0, RefAdvRouter: 0xc000020b,
			Prefixes: []Prefix{{Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Metric: 10}},
		},
	}},
	{"intraareaprefix-flush.hex", LSA{
		Header: hdr(MaxAge, TypeIntraAreaPrefix, 1, 0xc000020b, 0x80000002, 0x8dbb, 52),
		Body: &IntraAreaPrefix{
			RefType: TypeRouter, RefID: 0, RefAdvRouter: 0xc000020b,
			Prefixes: []Prefix{{Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Metric: 10}},
		},
	}},
	{"intraareaprefix-multi.hex", LSA{
		Header: hdr(1, TypeIntraAreaPrefix, 2, 0xc0000201, 0x80000001, 0x897c, 80),
		Body: &IntraAreaPrefix{
			RefType: TypeNetwork, RefID: 3, RefAdvRouter: 0xc0000201,
			Prefixes: []Prefix{
				{Prefix: netip.MustParsePrefix("2001:db8:1::/64")},
				{Prefix: netip.MustParsePrefix("2001:db8:f800::/37"), Metric: 5},
				{Prefix: netip.MustParsePrefix("::/0"), Options: PrefixNU, Metric: 1},
				{Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Options: PrefixP | PrefixLA, Metric: 65535},
			},
		},
	}},
	{"serverload.hex", LSA{
		Header: hdr(1, TypeServerLoad, 1, 0xc000020b, 0x80000001, 0x5c77, 68),
		Body: &ServerLoad{
			State: ServerAdvertised, Load: 250000, Capacity: 2000,
			NextHop: netip.MustParseAddr("fe80::11"),
			Prefix:  Prefix{Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Metric: 10},
		},
	}},
	{"serverload-withdrawn.hex", LSA{
		Header: hdr(1, TypeServerLoad, 2, 0xc000020c, 0x80000003, 0xe37c, 60),
		Body: &ServerLoad{
			State: ServerWithdrawn, Load: 900000, Capacity: 500,
			NextHop: netip.MustParseAddr("fe80::12"),
			Prefix:  Prefix{Prefix: netip.MustParsePrefix("2001:db8:53::/48")},
		},
	}},
	{"serverload-agent.hex", LSA{
		Header: hdr(1, TypeServerLoad, 1, 0xc0000264, 0x80000001, 0x4c78, 68),
		Body: &ServerLoad{
			State:   ServerAgent,
			NextHop: netip.MustParseAddr("fe80::a"),
			Prefix:  Prefix{Prefix: netip.MustParsePrefix("2001:db8:53::53/128")},
		},
	}},
	{"unknown.hex", LSA{
		Header: hdr(1, 0xa00a, 1, 0xc0000201, 0x80000001, 0xbdf3, 28),
		Body:   &Unknown{LSType: 0xa00a, Data: []byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3}},
	}},
}

func TestGolden(t *testing.T) {
	for _, tc := range golden {
		t.Run(tc.file, func(t *testing.T) {
			raw := loadGolden(t, tc.file)
			if !isoVerify(raw) {
				t.Errorf("RFC 905 verification of the stored checksum fails")
			}
			if !VerifyChecksum(raw) {
				t.Errorf("VerifyChecksum = false, want true")
			}
			got, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpOpts); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			// Encode the expected value with Length and Checksum cleared:
			// Marshal must fill both in as the independent script did.
			in := tc.want
			in.Header.Length, in.Header.Checksum = 0, 0
			out, err := Marshal(in)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(out, raw) {
				t.Errorf("Marshal mismatch:\n got %x\nwant %x", out, raw)
			}
		})
	}
}

// TestGoldenCovered keeps every file in testdata/lsa under TestGolden.
func TestGoldenCovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.hex"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tc := range golden {
		listed[tc.file] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no entry in golden", f)
		}
	}
	if len(files) != len(golden) {
		t.Errorf("%d files, %d golden entries", len(files), len(golden))
	}
	// Every body type has a vector.
	have := map[Type]bool{}
	for _, tc := range golden {
		have[tc.want.Header.Type] = true
	}
	for _, ty := range []Type{TypeRouter, TypeNetwork, TypeInterAreaPrefix, TypeInterAreaRouter,
		TypeASExternal, TypeNSSA, TypeLink, TypeIntraAreaPrefix, TypeServerLoad} {
		if !have[ty] {
			t.Errorf("no golden vector of type %s", ty)
		}
	}
}
