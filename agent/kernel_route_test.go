package agent

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// routeRequest's message, read back with the library's own decoder: the
// header flags, the metric, protocol and table, each next hop's weight
// and gateway, and the lease in whole seconds (rounded up), absent
// without one.
func TestRouteRequest(t *testing.T) {
	r := Route{Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Nexthops: []Nexthop{
		{Addr: netip.MustParseAddr("fe80::11"), Ifindex: 3, Weight: 255},
		{Addr: netip.MustParseAddr("fe80::12%eth0"), Ifindex: 3, Weight: 1},
	}}
	for _, tc := range []struct {
		lease time.Duration
		want  int // RTA_EXPIRES, -1 absent
	}{{5 * time.Second, 5}, {2500 * time.Millisecond, 3}, {0, -1}} {
		req, err := routeRequest(r, 10, 201, unix.RT_TABLE_MAIN, tc.lease)
		if err != nil {
			t.Fatal(err)
		}
		b := req.Serialize()
		if typ := binary.NativeEndian.Uint16(b[4:]); typ != unix.RTM_NEWROUTE {
			t.Errorf("type %d", typ)
		}
		if fl := binary.NativeEndian.Uint16(b[6:]); fl != unix.NLM_F_REQUEST|unix.NLM_F_CREATE|unix.NLM_F_REPLACE|unix.NLM_F_ACK {
			t.Errorf("flags %#x", fl)
		}
		body := b[unix.SizeofNlMsghdr:]
		msg := nl.DeserializeRtMsg(body)
		if msg.Family != unix.AF_INET6 || msg.Dst_len != 128 || msg.Protocol != 201 || msg.Table != unix.RT_TABLE_MAIN || msg.Type != unix.RTN_UNICAST {
			t.Errorf("rtmsg %+v", msg.RtMsg)
		}
		attrs, err := nl.ParseRouteAttr(body[unix.SizeofRtMsg:])
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]any{}
		for _, a := range attrs {
			switch a.Attr.Type {
			case unix.RTA_DST:
				got["dst"] = netip.AddrFrom16([16]byte(a.Value)).String()
			case unix.RTA_PRIORITY:
				got["metric"] = int(binary.NativeEndian.Uint32(a.Value))
			case unix.RTA_EXPIRES:
				got["expires"] = int(binary.NativeEndian.Uint32(a.Value))
			case unix.RTA_MULTIPATH:
				var hops []string
				for v := a.Value; len(v) >= unix.SizeofRtNexthop; {
					nh := nl.DeserializeRtNexthop(v)
					n := int(nh.RtNexthop.Len)
					sub, err := nl.ParseRouteAttr(v[unix.SizeofRtNexthop:n])
					if err != nil || len(sub) != 1 || sub[0].Attr.Type != unix.RTA_GATEWAY {
						t.Fatalf("next hop attributes %v %v", sub, err)
					}
					hops = append(hops, fmt.Sprintf("%s dev %d weight %d", netip.AddrFrom16([16]byte(sub[0].Value)), nh.Ifindex, int(nh.Hops)+1))
					v = v[(n+3)&^3:]
				}
				got["hops"] = hops
			default:
				t.Errorf("unexpected attribute %d", a.Attr.Type)
			}
		}
		want := map[string]any{"dst": "2001:db8:53::53", "metric": 10,
			"hops": []string{"fe80::11 dev 3 weight 255", "fe80::12 dev 3 weight 1"}}
		if tc.want >= 0 {
			want["expires"] = tc.want
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("lease %s (-want +got):\n%s", tc.lease, diff)
		}
	}
}

// renewRequest: no NLM_F_REPLACE (the kernel renews the entry in place,
// answering EEXIST), one next hop with its weight, and the lease.
func TestRenewRequest(t *testing.T) {
	h := Nexthop{Addr: netip.MustParseAddr("fe80::12"), Ifindex: 3, Weight: 64}
	req, err := renewRequest(netip.MustParsePrefix("2001:db8:53::53/128"), h, 10, 201, unix.RT_TABLE_MAIN, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b := req.Serialize()
	if fl := binary.NativeEndian.Uint16(b[6:]); fl != unix.NLM_F_REQUEST|unix.NLM_F_CREATE|unix.NLM_F_ACK {
		t.Errorf("flags %#x, want REQUEST|CREATE|ACK", fl)
	}
	attrs, err := nl.ParseRouteAttr(b[unix.SizeofNlMsghdr+unix.SizeofRtMsg:])
	if err != nil {
		t.Fatal(err)
	}
	var hops, expires int
	for _, a := range attrs {
		switch a.Attr.Type {
		case unix.RTA_MULTIPATH:
			nh := nl.DeserializeRtNexthop(a.Value)
			hops = len(a.Value) / int(nh.RtNexthop.Len)
			if nh.Hops != 63 || nh.Ifindex != 3 {
				t.Errorf("next hop %+v, want weight 64 on ifindex 3", nh.RtNexthop)
			}
		case unix.RTA_EXPIRES:
			expires = int(binary.NativeEndian.Uint32(a.Value))
		}
	}
	if hops != 1 || expires != 5 {
		t.Errorf("%d next hops, expires %d; want 1 and 5", hops, expires)
	}
}
