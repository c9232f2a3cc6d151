package lab

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Outputs of BIRD 2.0.12's birdc (banner removed), from a lab farm with
// two anycostd servers.
const (
	birdNeighborsOut = "ospf1:\n" +
		"Router ID   \tPri\t     State     \tDTime\tInterface  Router IP\n" +
		"192.0.2.11  \t  0\tFull/Other\t 3.265\teth0       fe80::e09f:3fff:fe37:9288\n" +
		"192.0.2.12  \t  0\tInit/Other\t 3.310\teth0       fe80::c44f:80ff:fe2d:2891\n"
	birdRouteOut = "Table master6:\n" +
		"2001:db8:53::53/128  unicast [ospf1 19:20:46.323] * I (150/20) [192.0.2.12]\n" +
		"\tvia fe80::e09f:3fff:fe37:9288 on eth0 weight 1\n" +
		"\tvia fe80::c44f:80ff:fe2d:2891 on eth0 weight 1\n" +
		"\tType: OSPF univ\n" +
		"\tOSPF.metric1: 20\n" +
		"\tOSPF.router_id: 192.0.2.12\n" +
		"                     unicast [static1 19:20:40.000] (200)\n" +
		"\tvia 2001:db8:1::100 on eth0\n"
	birdLSDBOut = "\nArea 0.0.0.0\n\n" +
		" Type   LS ID           Router          Sequence   Age  Checksum\n" +
		" 2001  0.0.0.0         192.0.2.1        80000002     7    b7d0\n" +
		" 2009  0.0.0.1         192.0.2.11       80000001    14    8fba\n" +
		"\nLink eth0\n\n" +
		" Type   LS ID           Router          Sequence   Age  Checksum\n" +
		" 0008  0.0.0.2         192.0.2.11       80000001    14    f8b8\n"
)

func TestParseBIRDNeighbors(t *testing.T) {
	got, err := parseBIRDNeighbors(birdNeighborsOut)
	if err != nil {
		t.Fatal(err)
	}
	want := []BIRDNeighbor{
		{RouterID: "192.0.2.11", Priority: 0, State: "Full", Role: "Other", Interface: "eth0", Address: netip.MustParseAddr("fe80::e09f:3fff:fe37:9288")},
		{RouterID: "192.0.2.12", Priority: 0, State: "Init", Role: "Other", Interface: "eth0", Address: netip.MustParseAddr("fe80::c44f:80ff:fe2d:2891")},
	}
	if d := cmp.Diff(want, got, addrOpt); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestParseBIRDRoutes(t *testing.T) {
	got, err := parseBIRDRoutes(birdRouteOut)
	if err != nil {
		t.Fatal(err)
	}
	want := []BIRDRoute{
		{Prefix: "2001:db8:53::53/128", Proto: "ospf1", Primary: true, Pref: 150, Metric: 20, NextHops: []netip.Addr{
			netip.MustParseAddr("fe80::c44f:80ff:fe2d:2891"), netip.MustParseAddr("fe80::e09f:3fff:fe37:9288")}},
		{Prefix: "2001:db8:53::53/128", Proto: "static1", Pref: 200, NextHops: []netip.Addr{netip.MustParseAddr("2001:db8:1::100")}},
	}
	if d := cmp.Diff(want, got, addrOpt); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if rs, err := parseBIRDRoutes("Network not found\n"); err != nil || len(rs) != 0 {
		t.Errorf("no route: %v, %v", rs, err)
	}
}

func TestParseBIRDLSDB(t *testing.T) {
	got, err := parseBIRDLSDB(birdLSDBOut)
	if err != nil {
		t.Fatal(err)
	}
	want := []BIRDLSA{
		{Scope: "area", Type: 0x2001, LSID: "0.0.0.0", AdvRouter: "192.0.2.1", Seq: 0x80000002, Age: 7, Checksum: 0xb7d0},
		{Scope: "area", Type: 0x2009, LSID: "0.0.0.1", AdvRouter: "192.0.2.11", Seq: 0x80000001, Age: 14, Checksum: 0x8fba},
		{Scope: "link", Type: 0x0008, LSID: "0.0.0.2", AdvRouter: "192.0.2.11", Seq: 0x80000001, Age: 14, Checksum: 0xf8b8},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
