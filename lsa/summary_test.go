package lsa

import (
	"errors"
	"net/netip"
	"testing"
)

func TestSummary(t *testing.T) {
	want := map[string]string{
		"router.hex":                "flags E|B options R|E|V6: transit metric 10 to 192.0.2.1 if 3, point-to-point metric 1 to 192.0.2.2 if 7",
		"network.hex":               "options R|E|V6 attached 192.0.2.1 192.0.2.11 192.0.2.12",
		"interareaprefix.hex":       "2001:db8:100::/48 metric 20",
		"interarearouter.hex":       "router 192.0.2.5 metric 30 options R|E|V6",
		"asexternal.hex":            "2001:db8:200:1::/64 metric 20 E2 fwd 2001:db8::1 tag 7 ref Router 0.0.0.9",
		"nssa.hex":                  "2001:db8:300::/48 metric 100 E2 options P",
		"link.hex":                  "fe80::11 priority 0 options E|V6: 2001:db8:1::/64, 2001:db8:1::11/128 options LA",
		"intraareaprefix.hex":       "2001:db8:53::53/128 metric 10; ref Router 0.0.0.0 adv 192.0.2.11",
		"intraareaprefix-flush.hex": "2001:db8:53::53/128 metric 10; ref Router 0.0.0.0 adv 192.0.2.11",
		"intraareaprefix-multi.hex": "2001:db8:1::/64 metric 0, 2001:db8:f800::/37 metric 5, ::/0 metric 1 options NU, " +
			"2001:db8:53::53/128 metric 65535 options P|LA; ref Network 0.0.0.3 adv 192.0.2.1",
		"serverload.hex":           "2001:db8:53::53/128 advertised metric 10 load 0.250 capacity 2.000 via fe80::11",
		"serverload-withdrawn.hex": "2001:db8:53::/48 withdrawn load 0.900 capacity 0.500 via fe80::12",
		"serverload-agent.hex":     "2001:db8:53::53/128 weighed by a router agent at fe80::a",
		"unknown.hex":              "unknown type 0xa00a (U, area scope), 8 bytes",
	}
	for _, tc := range golden {
		w, ok := want[tc.file]
		if !ok {
			t.Errorf("%s: no expected summary", tc.file)
			continue
		}
		if got := tc.want.Summary(); got != w {
			t.Errorf("%s: Summary\n got %q\nwant %q", tc.file, got, w)
		}
	}
	l := golden[7].want // intraareaprefix.hex
	if got, w := l.String(), "Intra-Prefix id=0.0.0.1 adv=192.0.2.11 seq=0x80000001 age=1 len=52 cksum=0x8fba: "+want["intraareaprefix.hex"]; got != w {
		t.Errorf("LSA.String\n got %q\nwant %q", got, w)
	}
}

func TestStrings(t *testing.T) {
	p := netip.MustParsePrefix("2001:db8::/32")
	tests := []struct {
		got, want string
	}{
		{LSA{}.Summary(), "no body"},
		{(*Router)(nil).String(), "<nil>"},
		{(*Unknown)(nil).String(), "<nil>"},
		{(&Router{Options: OptV6}).String(), "flags - options V6: no links"},
		{(&Network{Options: OptV6}).String(), "options V6, no attached routers"},
		{(&Link{LinkLocal: netip.MustParseAddr("fe80::1"), Priority: 1}).String(), "fe80::1 priority 1 options -: no prefixes"},
		{(&ASExternal{NSSA: true, Prefix: Prefix{Prefix: p}, Metric: 3}).String(), "2001:db8::/32 metric 3 E1"},
		{(&InterAreaPrefix{Prefix: Prefix{Prefix: p, Options: PrefixNU}, Metric: 7}).String(), "2001:db8::/32 metric 7 options NU"},
		{(&Unknown{LSType: 0x000c, Data: []byte{1}}).String(), "unknown type 0x000c (link scope), 1 bytes"},
		{(&Unknown{LSType: 0xc00c}).String(), "unknown type 0xc00c (U, as scope), 0 bytes"},
		{Prefix{Prefix: p, Metric: 10}.String(), "2001:db8::/32 metric 10"},
		{Prefix{Prefix: p, Options: PrefixLA | PrefixNU}.String(), "2001:db8::/32 metric 0 options LA|NU"},
		{RouterLink{Type: LinkVirtual, Metric: 5, NeighborRouterID: 0xc0000202, NeighborInterfaceID: 9}.String(), "virtual metric 5 to 192.0.2.2 if 9"},
		{LinkTransit.String(), "transit"},
		{LinkPointToPoint.String(), "point-to-point"},
		{LinkType(3).String(), "type-3"},
		{ExternalFlags(0).String(), "-"},
		{(ExternalE | ExternalT).String(), "E|T"},
		{ExternalFlags(0x81).String(), "T|0x80"},
		{Header{Type: TypeLink, ID: 2, AdvRouter: 0xc000020b, Seq: InitialSequenceNumber, Age: 3, Length: 44, Checksum: 0xab}.String(),
			"Link id=0.0.0.2 adv=192.0.2.11 seq=0x80000001 age=3 len=44 cksum=0x00ab"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestBodyTypes(t *testing.T) {
	tests := []struct {
		b    Body
		want Type
	}{
		{&Router{}, TypeRouter},
		{&Network{}, TypeNetwork},
		{&InterAreaPrefix{}, TypeInterAreaPrefix},
		{&InterAreaRouter{}, TypeInterAreaRouter},
		{&ASExternal{}, TypeASExternal},
		{&ASExternal{NSSA: true}, TypeNSSA},
		{&Link{}, TypeLink},
		{&IntraAreaPrefix{}, TypeIntraAreaPrefix},
		{&Unknown{LSType: 0x4321}, 0x4321},
	}
	for _, tc := range tests {
		if got := tc.b.Type(); got != tc.want {
			t.Errorf("%T.Type() = %s, want %s", tc.b, got, tc.want)
		}
	}
}

// A nil body of any type neither panics nor encodes.
func TestNilBodies(t *testing.T) {
	for _, b := range []Body{(*Router)(nil), (*Network)(nil), (*InterAreaPrefix)(nil), (*InterAreaRouter)(nil),
		(*ASExternal)(nil), (*Link)(nil), (*IntraAreaPrefix)(nil), (*Unknown)(nil)} {
		if got := b.String(); got != "<nil>" {
			t.Errorf("%T: String = %q", b, got)
		}
		if _, err := Marshal(LSA{Header: Header{Type: b.Type()}, Body: b}); !errors.Is(err, ErrBadField) {
			t.Errorf("%T: Marshal error %v, want ErrBadField", b, err)
		}
		if _, err := MarshalBody(b); !errors.Is(err, ErrBadField) {
			t.Errorf("%T: MarshalBody error %v, want ErrBadField", b, err)
		}
	}
}
