package ndproxy

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
)

var (
	svcAddr   = netip.MustParseAddr("2001:db8:1::53")
	goldenMAC = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}
	allNodes  = netip.MustParseAddr("ff02::1")
	snmSvc    = netip.MustParseAddr("ff02::1:ff00:53") // solicited-node group of svcAddr
)

// Golden messages as they leave the socket: the kernel fills the checksum
// (bytes 2-3), so it is zero here.
var (
	goldenTurnNA = []byte{
		0x88, 0x00, 0x00, 0x00, // type 136 (NA), code 0, checksum (kernel)
		0x20, 0x00, 0x00, 0x00, // R=0 S=0 O=1, reserved
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, // target 2001:db8:1::53
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x53,
		0x02, 0x01, // option 2 (target link-layer address), length 1 (8 bytes)
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // 02:00:00:00:00:01
	}
	goldenAnswerNA = []byte{
		0x88, 0x00, 0x00, 0x00, // type 136 (NA), code 0, checksum (kernel)
		0x40, 0x00, 0x00, 0x00, // R=0 S=1 O=0 (anycast target), reserved
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, // target 2001:db8:1::53
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x53,
		0x02, 0x01, // option 2 (target link-layer address), length 1
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // 02:00:00:00:00:01
	}
	goldenCallNS = []byte{
		0x87, 0x00, 0x00, 0x00, // type 135 (NS), code 0, checksum (kernel)
		0x00, 0x00, 0x00, 0x00, // reserved
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, // target 2001:db8:1::53
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x53,
		0x01, 0x01, // option 1 (source link-layer address), length 1
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // 02:00:00:00:00:01
	}
)

func TestMarshalGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    ndp.Message
		want []byte
	}{
		{"turn NA", turnNA(svcAddr, goldenMAC), goldenTurnNA},
		{"answer NA", answerNA(svcAddr, goldenMAC), goldenAnswerNA},
		{"call NS", callNS(svcAddr, goldenMAC), goldenCallNS},
	} {
		got, err := ndp.MarshalMessage(tc.m)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// patch returns a copy of b with b[i] = v.
func patch(b []byte, i int, v byte) []byte {
	c := append([]byte(nil), b...)
	c[i] = v
	return c
}

func TestParseReceived(t *testing.T) {
	peer := netip.MustParseAddr("fe80::2")
	router := netip.MustParseAddr("fe80::1")
	multicastTarget := append(append([]byte(nil), goldenTurnNA[:8]...), append(netip.MustParseAddr("ff02::1").AsSlice(), goldenTurnNA[24:]...)...)
	for _, tc := range []struct {
		name     string
		b        []byte
		hop      int
		src, dst netip.Addr
		want     Received
		reason   DropReason
	}{
		{"turn NA", goldenTurnNA, 255, peer, allNodes,
			Received{Target: svcAddr, Src: peer, Dst: allNodes, LinkAddr: goldenMAC, Override: true}, DropNone},
		{"answer NA to us", goldenAnswerNA, 255, peer, router,
			Received{Target: svcAddr, Src: peer, Dst: router, LinkAddr: goldenMAC, Solicited: true}, DropNone},
		{"router NS", goldenCallNS, 255, router, snmSvc,
			Received{NS: true, Target: svcAddr, Src: router, Dst: snmSvc, LinkAddr: goldenMAC}, DropNone},
		{"NA without options", goldenTurnNA[:24], 255, peer, allNodes,
			Received{Target: svcAddr, Src: peer, Dst: allNodes, Override: true}, DropNone},
		{"off-link NA (hop limit 64)", goldenTurnNA, 64, peer, allNodes, Received{}, DropHopLimit},
		{"off-link NS (hop limit 254)", goldenCallNS, 254, router, snmSvc, Received{}, DropHopLimit},
		{"code 1", patch(goldenTurnNA, 1, 1), 255, peer, allNodes, Received{}, DropCode},
		{"23 bytes", goldenTurnNA[:23], 255, peer, allNodes, Received{}, DropMalformed},
		{"option length 0", patch(goldenTurnNA, 25, 0), 255, peer, allNodes, Received{}, DropMalformed},
		{"option past the end", patch(goldenTurnNA, 25, 2), 255, peer, allNodes, Received{}, DropMalformed},
		{"solicited NA to ff02::1", patch(goldenTurnNA, 4, 0x60), 255, peer, allNodes, Received{}, DropInvalid},
		{"multicast target", multicastTarget, 255, peer, allNodes, Received{}, DropInvalid},
		{"DAD NS with a source link-layer address", goldenCallNS, 255, netip.IPv6Unspecified(), snmSvc, Received{}, DropInvalid},
		{"DAD NS to ff02::1", goldenCallNS[:24], 255, netip.IPv6Unspecified(), allNodes, Received{}, DropInvalid},
		{"DAD NS", goldenCallNS[:24], 255, netip.IPv6Unspecified(), snmSvc,
			Received{NS: true, Target: svcAddr, Src: netip.IPv6Unspecified(), Dst: snmSvc}, DropNone},
		{"router solicitation", []byte{133, 0, 0, 0, 0, 0, 0, 0}, 255, peer, allNodes, Received{}, DropOtherType},
		{"empty", nil, 255, peer, allNodes, Received{}, DropMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseReceived(tc.b, tc.hop, tc.src, tc.dst)
			if r := reasonOf(err); r != tc.reason {
				t.Fatalf("reason %v (err %v), want %v", r, err, tc.reason)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseReceivedErrorsWrap(t *testing.T) {
	_, err := ParseReceived(goldenTurnNA, 1, netip.MustParseAddr("fe80::2"), allNodes)
	if !errors.Is(err, ErrHopLimit) {
		t.Fatalf("err %v does not wrap ErrHopLimit", err)
	}
	if want := "neighbor advertisement from fe80::2 with hop limit 1: hop limit is not 255: not sent on-link"; err.Error() != want {
		t.Errorf("err %q, want %q", err, want)
	}
}

// FuzzParseReceived: no input panics; whatever is accepted has a unicast
// target and survives a round trip through ndp's marshaller.
func FuzzParseReceived(f *testing.F) {
	for _, b := range [][]byte{goldenTurnNA, goldenAnswerNA, goldenCallNS, goldenTurnNA[:24]} {
		f.Add(b, 255, false)
		f.Add(b, 64, true)
	}
	f.Fuzz(func(t *testing.T, b []byte, hop int, unspecified bool) {
		src := netip.MustParseAddr("fe80::2")
		if unspecified {
			src = netip.IPv6Unspecified()
		}
		r, err := ParseReceived(b, hop, src, snmSvc)
		if err != nil {
			if reasonOf(err) == DropNone {
				t.Fatalf("error %v maps to no reason", err)
			}
			return
		}
		if r.Target.IsMulticast() || !r.Target.Is6() {
			t.Fatalf("accepted target %v", r.Target)
		}
		var m ndp.Message
		if r.NS {
			m = &ndp.NeighborSolicitation{TargetAddress: r.Target}
		} else {
			m = &ndp.NeighborAdvertisement{TargetAddress: r.Target, Router: r.Router, Solicited: r.Solicited, Override: r.Override}
		}
		out, err := ndp.MarshalMessage(m)
		if err != nil {
			t.Fatalf("re-marshal %+v: %v", r, err)
		}
		back, err := ParseReceived(out, 255, src, snmSvc)
		if err != nil || back.Target != r.Target || back.NS != r.NS || back.Override != r.Override {
			t.Fatalf("round trip %+v -> %+v, %v", r, back, err)
		}
	})
}
