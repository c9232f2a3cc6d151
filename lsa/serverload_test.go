package lsa

import (
	"errors"
	"math"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestServerLoadFixedPoint(t *testing.T) {
	for _, tc := range []struct {
		in          float64
		load, capac uint32
	}{
		{0, 0, 0},
		{-1, 0, 0},
		{math.NaN(), 0, 0},
		{0.25, 250000, 250},
		{1.0000004, 1000000, 1000},
		{0.0005, 500, 1}, // half a thousandth rounds up
		{1e12, math.MaxUint32, math.MaxUint32},
		{math.Inf(1), math.MaxUint32, math.MaxUint32},
	} {
		if got := EncodeLoad(tc.in); got != tc.load {
			t.Errorf("EncodeLoad(%v) = %d, want %d", tc.in, got, tc.load)
		}
		if got := EncodeCapacity(tc.in); got != tc.capac {
			t.Errorf("EncodeCapacity(%v) = %d, want %d", tc.in, got, tc.capac)
		}
	}
	s := &ServerLoad{Load: EncodeLoad(0.731), Capacity: EncodeCapacity(2.5)}
	if s.LoadFigure() != 0.731 || s.CapacityFigure() != 2.5 {
		t.Errorf("figures %v %v, want 0.731 2.5", s.LoadFigure(), s.CapacityFigure())
	}
}

func TestServerLoadString(t *testing.T) {
	// The golden vectors' summaries are in TestSummary.
	for _, tc := range []struct {
		body *ServerLoad
		want string
	}{
		{&ServerLoad{State: ServerDrained, NextHop: netip.MustParseAddr("fe80::1"),
			Prefix: Prefix{Prefix: netip.MustParsePrefix("2001:db8::/32"), Options: PrefixLA}},
			"2001:db8::/32 options LA drained load 0.000 capacity 0.000 via fe80::1"},
	} {
		if got := tc.body.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	if got := TypeServerLoad.String(); got != "Server-Load" {
		t.Errorf("type name %q", got)
	}
}

func TestServerLoadMarshalErrors(t *testing.T) {
	good := func() *ServerLoad {
		return &ServerLoad{State: ServerAdvertised, NextHop: netip.MustParseAddr("fe80::11"),
			Prefix: Prefix{Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Metric: 10}}
	}
	for _, tc := range []struct {
		name string
		edit func(*ServerLoad)
		msg  string
	}{
		{"no state", func(s *ServerLoad) { s.State = 0 }, "state 0 unknown"},
		{"state 9", func(s *ServerLoad) { s.State = 9 }, "state 9 unknown"},
		{"IPv4 next hop", func(s *ServerLoad) { s.NextHop = netip.MustParseAddr("192.0.2.1") }, "next hop 192.0.2.1 is not IPv6"},
		{"no next hop", func(s *ServerLoad) { s.NextHop = netip.Addr{} }, "is not IPv6"},
		{"no prefix", func(s *ServerLoad) { s.Prefix.Prefix = netip.Prefix{} }, "is not an IPv6 prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good()
			tc.edit(s)
			_, err := Marshal(LSA{Header: Header{Type: TypeServerLoad}, Body: s})
			if !errors.Is(err, ErrBadField) && !errors.Is(err, ErrBadPrefix) {
				t.Fatalf("error %v, want ErrBadField or ErrBadPrefix", err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
	if _, err := Marshal(LSA{Header: Header{Type: TypeIntraAreaPrefix}, Body: good()}); !errors.Is(err, ErrTypeMismatch) {
		t.Errorf("server-load body under another type: %v, want ErrTypeMismatch", err)
	}
}

// Reserved bits are ignored on reading and written as zero.
func TestServerLoadReservedIgnored(t *testing.T) {
	raw := mkLSA(TypeServerLoad, "0101abcd 0003d090 000007d0 fe800000000000000000000000000011 8000000a 20010db8005300000000000000000053")
	l, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if out[HeaderLen+2] != 0 || out[HeaderLen+3] != 0 {
		t.Errorf("reserved written as %x", out[HeaderLen+2:HeaderLen+4])
	}
	back, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l.Body, back.Body, cmpOpts); diff != "" {
		t.Errorf("mismatch (-first +second):\n%s", diff)
	}
}

// FuzzServerLoad checks the server load body codec on its own: any
// accepted body survives MarshalBody and ParseBody, at the same length.
func FuzzServerLoad(f *testing.F) {
	for _, file := range []string{"serverload.hex", "serverload-withdrawn.hex"} {
		raw := loadGolden(f, file)
		f.Add(raw[HeaderLen:])
		f.Add(raw[HeaderLen : len(raw)-4])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := parseServerLoad(body)
		if err != nil {
			return
		}
		_ = b.String()
		enc, err := MarshalBody(b)
		if err != nil {
			t.Fatalf("MarshalBody of a parsed body: %v", err)
		}
		if len(enc) != len(body) {
			t.Fatalf("re-encoded %d bytes, parsed %d", len(enc), len(body))
		}
		back, err := parseServerLoad(enc)
		if err != nil {
			t.Fatalf("parse of MarshalBody output: %v", err)
		}
		if diff := cmp.Diff(b, back, cmpOpts); diff != "" {
			t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
		}
	})
}
