package lsa

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mkLSA builds an LSA of type t from the hex body, with Length and Checksum
// filled in.
func mkLSA(t Type, body string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(body, " ", ""))
	if err != nil {
		panic(err)
	}
	raw := AppendHeader(nil, Header{Age: 1, Type: t, ID: 1, AdvRouter: 0xc0000201, Seq: InitialSequenceNumber})
	raw = append(raw, b...)
	binary.BigEndian.PutUint16(raw[18:20], uint16(len(raw)))
	SetChecksum(raw)
	return raw
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		raw     []byte
		wantErr []error
		wantMsg string // part of the message
	}{
		{"empty", nil, []error{ErrTruncated}, "header"},
		{"short header", make([]byte, 19), []error{ErrTruncated}, "header"},
		{"length below header", func() []byte {
			b := mkLSA(TypeNetwork, "00000013")
			binary.BigEndian.PutUint16(b[18:20], 19)
			return b
		}(), []error{ErrBadLength}, "length 19"},
		{"length past buffer", mkLSA(TypeNetwork, "00000013 c0000201")[:24], []error{ErrTruncated}, "length 28, have 24"},

		{"router: no flags word", mkLSA(TypeRouter, ""), []error{ErrTruncated}, "router-lsa"},
		{"router: partial link", mkLSA(TypeRouter, "00000013 0200000a 00000003 00000003"), []error{ErrBadLength}, "router-lsa: 12 bytes of links"},

		{"network: no options", mkLSA(TypeNetwork, "0000"), []error{ErrTruncated}, "network-lsa"},
		{"network: odd router list", mkLSA(TypeNetwork, "00000013 c00002"), []error{ErrBadLength}, "network-lsa"},

		{"inter-area-prefix: short", mkLSA(TypeInterAreaPrefix, "000014"), []error{ErrTruncated}, "inter-area-prefix"},
		{"inter-area-prefix: no prefix", mkLSA(TypeInterAreaPrefix, "00000014"), []error{ErrTruncated}, "inter-area-prefix: prefix needs 4 bytes"},
		{"inter-area-prefix: length 129", mkLSA(TypeInterAreaPrefix, "00000014 81000000 "+strings.Repeat("00", 20)), []error{ErrBadPrefix}, "prefix length 129 above 128"},
		{"inter-area-prefix: address short", mkLSA(TypeInterAreaPrefix, "00000014 30000000 20010db8"), []error{ErrBadPrefix, ErrTruncated}, "prefix length 48 needs 8 address bytes, have 4"},
		{"inter-area-prefix: trailing", mkLSA(TypeInterAreaPrefix, "00000014 20000000 20010db8 00000000"), []error{ErrBadLength}, "4 bytes after the prefix"},

		{"inter-area-router: short", mkLSA(TypeInterAreaRouter, "00000013 0000001e"), []error{ErrTruncated}, "inter-area-router"},
		{"inter-area-router: long", mkLSA(TypeInterAreaRouter, "00000013 0000001e c0000205 00000000"), []error{ErrBadLength}, "inter-area-router: 4 bytes after"},

		{"as-external: short", mkLSA(TypeASExternal, "04"), []error{ErrTruncated}, "as-external"},
		{"as-external: F without address", mkLSA(TypeASExternal, "06000014 20000000 20010db8"), []error{ErrTruncated}, "forwarding address needs 16 bytes, have 0"},
		{"as-external: T without tag", mkLSA(TypeASExternal, "05000014 20000000 20010db8 0000"), []error{ErrTruncated}, "route tag needs 4 bytes, have 2"},
		{"as-external: ref type without ID", mkLSA(TypeASExternal, "04000014 20002001 20010db8"), []error{ErrTruncated}, "referenced link state ID"},
		{"as-external: trailing", mkLSA(TypeASExternal, "04000014 20000000 20010db8 00000007"), []error{ErrBadLength}, "4 bytes after the last field"},
		{"nssa: bad prefix", mkLSA(TypeNSSA, "04000014 ff000000"), []error{ErrBadPrefix}, "nssa: prefix length 255"},

		{"link: short", mkLSA(TypeLink, "01000013 fe800000"), []error{ErrTruncated}, "link-lsa: body needs 24"},
		{"link: count above prefixes", mkLSA(TypeLink, "01000013 fe800000000000000000000000000001 00000002 40000000 20010db8 00010000"),
			[]error{ErrTruncated}, "link-lsa: prefix 2 of 2: prefix needs 4 bytes, have 0"},
		{"link: huge count", mkLSA(TypeLink, "01000013 fe800000000000000000000000000001 ffffffff 40000000 20010db8 00010000"),
			[]error{ErrTruncated}, "prefix 2 of 4294967295"},
		{"link: count below prefixes", mkLSA(TypeLink, "01000013 fe800000000000000000000000000001 00000000 40000000 20010db8 00010000"),
			[]error{ErrBadLength}, "link-lsa: 12 bytes after 0 prefixes"},

		{"intra-area-prefix: short", mkLSA(TypeIntraAreaPrefix, "00012001 00000000"), []error{ErrTruncated}, "intra-area-prefix: body needs 12"},
		{"intra-area-prefix: bad second prefix", mkLSA(TypeIntraAreaPrefix, "00022001 00000000 c000020b 8000000a 20010db8 00530000 00000000 00000053 90000000"),
			[]error{ErrBadPrefix}, "intra-area-prefix: prefix 2 of 2: prefix length 144 above 128"},

		{"server-load: short", mkLSA(TypeServerLoad, "01010000 0003d090 000007d0 fe800000 00000000 00000000"), []error{ErrTruncated}, "server-load: body needs 28"},
		{"server-load: version 2", mkLSA(TypeServerLoad, "02010000 0003d090 000007d0 fe800000000000000000000000000011 80000000 20010db8005300000000000000000053"),
			[]error{ErrBadVersion}, "server-load: version 2, want 1"},
		{"server-load: state 0", mkLSA(TypeServerLoad, "01000000 0003d090 000007d0 fe800000000000000000000000000011 80000000 20010db8005300000000000000000053"),
			[]error{ErrBadField}, "server-load: state 0 unknown"},
		{"server-load: state 5", mkLSA(TypeServerLoad, "01050000 0003d090 000007d0 fe800000000000000000000000000011 80000000 20010db8005300000000000000000053"),
			[]error{ErrBadField}, "server-load: state 5 unknown"},
		{"server-load: no prefix", mkLSA(TypeServerLoad, "01010000 0003d090 000007d0 fe800000000000000000000000000011"),
			[]error{ErrTruncated}, "server-load: prefix needs 4 bytes, have 0"},
		{"server-load: prefix short", mkLSA(TypeServerLoad, "01010000 0003d090 000007d0 fe800000000000000000000000000011 8000000a 20010db8"),
			[]error{ErrBadPrefix, ErrTruncated}, "server-load: prefix length 128 needs 16 address bytes, have 4"},
		{"server-load: trailing", mkLSA(TypeServerLoad, "01010000 0003d090 000007d0 fe800000000000000000000000000011 4000000a 20010db8 00530000 00000000"),
			[]error{ErrBadLength}, "server-load: 4 bytes after the prefix"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse(tc.raw)
			if err == nil {
				t.Fatalf("Parse succeeded: %v", l)
			}
			for _, want := range tc.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("error %q is not %q", err, want)
				}
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not say %q", err, tc.wantMsg)
			}
		})
	}
}

// Bits past the prefix length are ignored on decode and written as zero.
func TestParseMasksPrefix(t *testing.T) {
	raw := mkLSA(TypeIntraAreaPrefix, "00012001 00000000 c000020b 2500000a 20010dbb ffffffff")
	l, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := &IntraAreaPrefix{RefType: TypeRouter, RefAdvRouter: 0xc000020b,
		Prefixes: []Prefix{{Prefix: netip.MustParsePrefix("2001:dbb:f800::/37"), Metric: 10}}}
	if diff := cmp.Diff(want, l.Body, cmpOpts); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
	out, err := Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out[HeaderLen+16:], []byte{0x20, 0x01, 0x0d, 0xbb, 0xf8, 0, 0, 0}; !bytes.Equal(got, want) {
		t.Errorf("re-encoded address %x, want %x", got, want)
	}
}

// Parse reads Length bytes and ignores the rest of the buffer, as an LS
// Update holds several LSAs back to back.
func TestParseIgnoresTrailing(t *testing.T) {
	raw := loadGolden(t, "network.hex")
	l, err := Parse(append(raw, loadGolden(t, "router.hex")...))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(golden[1].want, l, cmpOpts); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

// An Unknown body owns its bytes.
func TestParseUnknownCopies(t *testing.T) {
	raw := loadGolden(t, "unknown.hex")
	l, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	raw[HeaderLen] = 0
	if u := l.Body.(*Unknown); u.Data[0] != 0xde {
		t.Errorf("Unknown.Data aliases the input")
	}
}

// Only the exact eight types decode; a known function code with other U or
// scope bits stays Unknown, so that it re-encodes unchanged.
func TestParseBodyTypes(t *testing.T) {
	body, _ := hex.DecodeString("00000013c0000201")
	for _, ty := range []Type{0xa002, 0x0002, 0x4002, 0x2000, 0x200a, 0xffff} {
		b, err := ParseBody(ty, body)
		if err != nil {
			t.Fatalf("%s: %v", ty, err)
		}
		if diff := cmp.Diff(&Unknown{LSType: ty, Data: body}, b); diff != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", ty, diff)
		}
	}
	b, err := ParseBody(TypeNetwork, body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&Network{Options: 0x13, AttachedRouters: []uint32{0xc0000201}}, b); diff != "" {
		t.Errorf("network: mismatch (-want +got):\n%s", diff)
	}
}

func TestMarshalErrors(t *testing.T) {
	h := func(ty Type) Header { return Header{Type: ty, AdvRouter: 0xc000020b, Seq: InitialSequenceNumber} }
	p128 := Prefix{Prefix: netip.MustParsePrefix("2001:db8:53::53/128")}
	tests := []struct {
		name    string
		l       LSA
		wantErr error
		wantMsg string
	}{
		{"no body", LSA{Header: h(TypeRouter)}, ErrBadField, "no body"},
		{"nil router", LSA{Header: h(TypeRouter), Body: (*Router)(nil)}, ErrBadField, "nil body"},
		{"nil unknown", LSA{Header: h(0xa00a), Body: (*Unknown)(nil)}, ErrBadField, "nil body"},
		{"type mismatch", LSA{Header: h(TypeRouter), Body: &Network{}}, ErrTypeMismatch, "Network body"},
		{"nssa body in as-external header", LSA{Header: h(TypeASExternal), Body: &ASExternal{NSSA: true, Prefix: p128}}, ErrTypeMismatch, "NSSA body"},
		{"router options", LSA{Header: h(TypeRouter), Body: &Router{Options: 1 << 24}}, ErrBadField, "options 0x1000000"},
		{"network options", LSA{Header: h(TypeNetwork), Body: &Network{Options: 0xffffffff}}, ErrBadField, "network-lsa: options"},
		{"inter-area-prefix metric", LSA{Header: h(TypeInterAreaPrefix), Body: &InterAreaPrefix{Metric: 1 << 24, Prefix: p128}}, ErrBadField, "metric"},
		{"inter-area-prefix zero prefix", LSA{Header: h(TypeInterAreaPrefix), Body: &InterAreaPrefix{}}, ErrBadPrefix, "not an IPv6 prefix"},
		{"inter-area-prefix IPv4", LSA{Header: h(TypeInterAreaPrefix), Body: &InterAreaPrefix{Prefix: Prefix{Prefix: netip.MustParsePrefix("192.0.2.0/24")}}}, ErrBadPrefix, "192.0.2.0/24"},
		{"inter-area-router metric", LSA{Header: h(TypeInterAreaRouter), Body: &InterAreaRouter{Metric: 1 << 24}}, ErrBadField, "metric"},
		{"inter-area-router options", LSA{Header: h(TypeInterAreaRouter), Body: &InterAreaRouter{Options: 1 << 24}}, ErrBadField, "options"},
		{"as-external metric", LSA{Header: h(TypeASExternal), Body: &ASExternal{Metric: 1 << 24, Prefix: p128}}, ErrBadField, "metric"},
		{"as-external prefix", LSA{Header: h(TypeASExternal), Body: &ASExternal{}}, ErrBadPrefix, "as-external"},
		{"as-external prefix metric", LSA{Header: h(TypeASExternal), Body: &ASExternal{Prefix: Prefix{Prefix: p128.Prefix, Metric: 1}}}, ErrBadField, "ReferencedType"},
		{"F without address", LSA{Header: h(TypeASExternal), Body: &ASExternal{Flags: ExternalF, Prefix: p128}}, ErrBadField, "F flag set"},
		{"F with IPv4 address", LSA{Header: h(TypeASExternal), Body: &ASExternal{Flags: ExternalF, Prefix: p128, ForwardingAddress: netip.MustParseAddr("192.0.2.1")}}, ErrBadField, "F flag set"},
		{"address without F", LSA{Header: h(TypeASExternal), Body: &ASExternal{Prefix: p128, ForwardingAddress: netip.MustParseAddr("2001:db8::1")}}, ErrBadField, "without the F flag"},
		{"tag without T", LSA{Header: h(TypeNSSA), Body: &ASExternal{NSSA: true, Prefix: p128, RouteTag: 1}}, ErrBadField, "nssa: route tag 1 without the T flag"},
		{"ref ID without type", LSA{Header: h(TypeASExternal), Body: &ASExternal{Prefix: p128, ReferencedID: 1}}, ErrBadField, "without a referenced type"},
		{"link options", LSA{Header: h(TypeLink), Body: &Link{Options: 1 << 24, LinkLocal: netip.MustParseAddr("fe80::1")}}, ErrBadField, "options"},
		{"link without address", LSA{Header: h(TypeLink), Body: &Link{}}, ErrBadField, "link-local address invalid IP is not IPv6"},
		{"link with IPv4 address", LSA{Header: h(TypeLink), Body: &Link{LinkLocal: netip.MustParseAddr("192.0.2.1")}}, ErrBadField, "not IPv6"},
		{"link bad prefix", LSA{Header: h(TypeLink), Body: &Link{LinkLocal: netip.MustParseAddr("fe80::1"), Prefixes: []Prefix{p128, {}}}}, ErrBadPrefix, "link-lsa: prefix 2 of 2"},
		{"intra-area-prefix bad prefix", LSA{Header: h(TypeIntraAreaPrefix), Body: &IntraAreaPrefix{Prefixes: []Prefix{{Prefix: netip.MustParsePrefix("10.0.0.0/8")}}}}, ErrBadPrefix, "intra-area-prefix: prefix 1 of 1"},
		{"intra-area-prefix too many", LSA{Header: h(TypeIntraAreaPrefix), Body: &IntraAreaPrefix{Prefixes: make([]Prefix, 0x10000)}}, ErrBadLength, "65536 prefixes"},
		{"too long", LSA{Header: h(TypeNetwork), Body: &Network{AttachedRouters: make([]uint32, (0x10000-24)/4+1)}}, ErrBadLength, "65540 bytes"},
		{"unknown too long", LSA{Header: h(0xa00a), Body: &Unknown{LSType: 0xa00a, Data: make([]byte, 0xffff-19)}}, ErrBadLength, "65536 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("keep")
			out, err := Append(prefix, tc.l)
			if err == nil {
				t.Fatalf("Append succeeded: %x", out)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("error %q is not %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not say %q", err, tc.wantMsg)
			}
			if string(out) != "keep" {
				t.Errorf("Append changed the buffer to %q", out)
			}
			if _, err := Marshal(tc.l); err == nil {
				t.Errorf("Marshal succeeded")
			}
		})
	}
}

func TestMarshalLimits(t *testing.T) {
	// The longest possible LSA encodes.
	l := LSA{Header: Header{Type: 0xa00a}, Body: &Unknown{LSType: 0xa00a, Data: make([]byte, 0xffff-HeaderLen)}}
	out, err := Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 0xffff || !VerifyChecksum(out) {
		t.Errorf("len %d, checksum ok %v", len(out), VerifyChecksum(out))
	}
	// An Unknown body is written whatever the header type.
	l = LSA{Header: Header{Type: 0x2010}, Body: &Unknown{LSType: 0xa00a, Data: []byte{1, 2, 3, 4}}}
	if _, err := Marshal(l); err != nil {
		t.Errorf("Unknown body under another header type: %v", err)
	}
}

// Marshal masks the prefix bits past the length, drops a zone and keeps Age.
func TestMarshalNormalises(t *testing.T) {
	l := LSA{
		Header: Header{Age: 77, Type: TypeLink, ID: 2, AdvRouter: 0xc000020b, Seq: 5},
		Body: &Link{
			LinkLocal: netip.MustParseAddr("fe80::11%eth0"),
			Prefixes:  []Prefix{{Prefix: netip.MustParsePrefix("2001:db8:1::11/64")}},
		},
	}
	out, err := Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	want := LSA{
		Header: Header{Age: 77, Type: TypeLink, ID: 2, AdvRouter: 0xc000020b, Seq: 5, Length: uint16(len(out)), Checksum: Checksum(out)},
		Body: &Link{
			LinkLocal: netip.MustParseAddr("fe80::11"),
			Prefixes:  []Prefix{{Prefix: netip.MustParsePrefix("2001:db8:1::/64")}},
		},
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestMarshalBody(t *testing.T) {
	for _, tc := range golden {
		raw := loadGolden(t, tc.file)
		b, err := MarshalBody(tc.want.Body)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if !bytes.Equal(b, raw[HeaderLen:]) {
			t.Errorf("%s: MarshalBody = %x, want %x", tc.file, b, raw[HeaderLen:])
		}
		back, err := ParseBody(tc.want.Header.Type, b)
		if err != nil {
			t.Fatalf("%s: ParseBody: %v", tc.file, err)
		}
		if diff := cmp.Diff(tc.want.Body, back, cmpOpts); diff != "" {
			t.Errorf("%s: ParseBody mismatch (-want +got):\n%s", tc.file, diff)
		}
	}
	if _, err := MarshalBody(nil); !errors.Is(err, ErrBadField) {
		t.Errorf("MarshalBody(nil) error %v, want ErrBadField", err)
	}
	if _, err := MarshalBody(&Unknown{Data: make([]byte, 0xffff)}); !errors.Is(err, ErrBadLength) {
		t.Errorf("MarshalBody(too long) error %v, want ErrBadLength", err)
	}
}
