package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
)

// NDAddr is the service address of the ND lab: on every server's
// loopback, inside the LAN's on-link prefix 2001:db8:1::/64 at the router.
var NDAddr = netip.MustParseAddr("2001:db8:1::53")

// NDFarm is the ND mode's lab: a plain Linux router (forwarding on, the
// LAN's /64 on its eth0, no routing daemon), servers on link "lan" with
// NDAddr on lo and NSD, and a client behind the router on link "wan"
// (2001:db8:2::/64), where dnsperf runs.
type NDFarm struct {
	Lab      *Lab
	LAN, WAN *Link
	Router   *Host
	RouterIf Iface
	Client   *Host
	Servers  []*NDServer
}

// NDServer is one server of an NDFarm.
type NDServer struct {
	*Host
	Iface Iface
	MAC   string // eth0's link-layer address, as ip prints it
	NSD   *NSD
}

// NewNDFarm builds the router, the client and n servers (2001:db8:1::100
// and up on eth0) with NSD (nsd(i) tunes server i; nil: defaults). NSD
// listens on NDAddr and the server's own address (unless nsd(i) sets
// Addresses), so that its answers leave from the address they were sent
// to. No anycostd runs yet.
func NewNDFarm(t testing.TB, n int, nsd func(i int) NSDOptions) *NDFarm {
	t.Helper()
	RequireNSD(t)
	RequireDNSPerf(t)
	f := &NDFarm{Lab: New(t)}
	f.Lab.must(f.build(n, nsd))
	return f
}

// OpenNDFarm is NewNDFarm outside a test: the farm on a lab of Open (log
// as Open takes it), which f.Lab.Close removes. On an error nothing is
// left.
func OpenNDFarm(log io.Writer, n int, nsd func(i int) NSDOptions) (*NDFarm, error) {
	for _, check := range []func() error{CheckNSD, CheckDNSPerf} {
		if err := check(); err != nil {
			return nil, err
		}
	}
	l, err := Open(log)
	if err != nil {
		return nil, err
	}
	f := &NDFarm{Lab: l}
	if err := f.build(n, nsd); err != nil {
		l.Close()
		return nil, err
	}
	return f, nil
}

// build puts the links, the router, the client and n servers with NSD on
// the farm's lab.
func (f *NDFarm) build(n int, nsd func(i int) NSDOptions) error {
	l := f.Lab
	var err error
	if f.LAN, err = l.TryAddLink("lan"); err != nil {
		return err
	}
	if f.WAN, err = l.TryAddLink("wan"); err != nil {
		return err
	}
	if f.Router, err = l.TryAddHost("r1"); err != nil {
		return err
	}
	if err := f.Router.TrySysctl("net.ipv6.conf.all.forwarding", "1"); err != nil {
		return err
	}
	if f.RouterIf, err = f.Router.TryAttach(f.LAN, "eth0", netip.MustParsePrefix("2001:db8:1::1/64")); err != nil {
		return err
	}
	if _, err := f.Router.TryAttach(f.WAN, "eth1", netip.MustParsePrefix("2001:db8:2::1/64")); err != nil {
		return err
	}
	if f.Client, err = l.TryAddHost("client"); err != nil {
		return err
	}
	if _, err := f.Client.TryAttach(f.WAN, "eth0", netip.MustParsePrefix("2001:db8:2::100/64")); err != nil {
		return err
	}
	if err := f.Client.TryRoute("default", "via", "2001:db8:2::1"); err != nil {
		return err
	}
	for i := range n {
		h, err := l.TryAddHost(fmt.Sprintf("s%d", i+1))
		if err != nil {
			return err
		}
		s := &NDServer{Host: h}
		own := netip.MustParsePrefix(fmt.Sprintf("2001:db8:1::%x/64", 0x100+i))
		if s.Iface, err = h.TryAttach(f.LAN, "eth0", own); err != nil {
			return err
		}
		if s.MAC, err = h.MAC("eth0"); err != nil {
			return err
		}
		if err := h.TryRoute("default", "via", "2001:db8:1::1"); err != nil {
			return err
		}
		if err := h.TryAddAddr("lo", netip.PrefixFrom(NDAddr, 128)); err != nil {
			return err
		}
		var o NSDOptions
		if nsd != nil {
			o = nsd(i)
		}
		if o.Addresses == nil {
			// Bound to the service address, NSD answers from it; on
			// [::]:53 it would answer from eth0's own address (RFC 6724
			// rule 5), which clients with connected sockets drop (see
			// NSDOptions.Addresses). The server's own address too, so
			// that the lab can query one server directly. Both are in
			// place before NSD starts: no ip-freebind needed.
			o.Addresses = []netip.Addr{NDAddr, own.Addr()}
		}
		if s.NSD, err = h.TryStartNSD(o); err != nil {
			return err
		}
		f.Servers = append(f.Servers, s)
	}
	return nil
}

// ServerByMAC returns the server with link-layer address mac (nil: none).
func (f *NDFarm) ServerByMAC(mac string) *NDServer {
	for _, s := range f.Servers {
		if strings.EqualFold(s.MAC, mac) {
			return s
		}
	}
	return nil
}

// MAC returns the link-layer address of the host's ifname.
func (h *Host) MAC(ifname string) (string, error) {
	out, err := runCmd("ip", "-n", h.name, "-j", "link", "show", "dev", ifname)
	if err != nil {
		return "", err
	}
	var links []struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		return "", fmt.Errorf("parsing ip -j link show %s output %q: %v", ifname, out, err)
	}
	return links[0].Address, nil
}

// Neighbor is one entry of a host's IPv6 neighbor cache.
type Neighbor struct {
	MAC   string   // "" while INCOMPLETE or FAILED
	State []string // e.g. ["REACHABLE"], ["STALE"]
}

// Neighbor returns the host's neighbor cache entry for addr on dev (ok
// false: none).
func (h *Host) Neighbor(dev string, addr netip.Addr) (Neighbor, bool, error) {
	out, err := runCmd("ip", "-n", h.name, "-6", "-j", "neigh", "show", "dev", dev, "to", addr.String())
	if err != nil {
		return Neighbor{}, false, err
	}
	var ents []struct {
		LLAddr string   `json:"lladdr"`
		State  []string `json:"state"`
	}
	if err := json.Unmarshal(out, &ents); err != nil {
		return Neighbor{}, false, fmt.Errorf("parsing ip -j neigh output %q: %w", out, err)
	}
	if len(ents) == 0 {
		return Neighbor{}, false, nil
	}
	return Neighbor{MAC: ents[0].LLAddr, State: ents[0].State}, true, nil
}

// NDPacket is one NS or NA that tshark saw on a link.
type NDPacket struct {
	At        time.Time
	SrcMAC    string
	Src, Dst  netip.Addr
	Type      int // 135 NS, 136 NA
	Target    netip.Addr
	Solicited bool
	Override  bool
	LinkAddr  string // target (NA) or source (NS) link-layer address option
}

// NDCapture is a tshark capture of the NS and NA on a link's bridge.
type NDCapture struct {
	fieldCapture
}

// CaptureND starts tshark on the link's bridge for every NS and NA
// (ICMPv6 types 135 and 136, without extension headers) and waits until
// it captures.
func (k *Link) CaptureND(t testing.TB) *NDCapture {
	t.Helper()
	c, err := k.TryCaptureND()
	require(t, err)
	return c
}

// TryCaptureND is CaptureND, returning its error (a MissingError without
// tshark).
func (k *Link) TryCaptureND() (*NDCapture, error) {
	c, err := k.tryCaptureFields("nd", "icmp6 and (ip6[40] == 135 or ip6[40] == 136)",
		"frame.time_epoch", "eth.src", "ipv6.src", "ipv6.dst", "icmpv6.type", "icmpv6.nd.ns.target_address",
		"icmpv6.nd.na.target_address", "icmpv6.nd.na.flag.s", "icmpv6.nd.na.flag.o", "icmpv6.opt.linkaddr")
	if err != nil {
		return nil, err
	}
	return &NDCapture{c}, nil
}

// Packets returns what was captured so far.
func (c *NDCapture) Packets() ([]NDPacket, error) {
	lines, err := c.lines()
	var out []NDPacket
	for _, line := range lines {
		if p, ok := parseNDLine(line); ok {
			out = append(out, p)
		}
	}
	return out, err
}

// parseNDLine parses one line of CaptureND's tshark fields (a partial
// last line fails).
func parseNDLine(line string) (NDPacket, bool) {
	f := strings.Split(line, ",")
	if len(f) < 10 {
		return NDPacket{}, false
	}
	sec, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return NDPacket{}, false
	}
	p := NDPacket{At: time.Unix(0, int64(sec*1e9)), SrcMAC: f[1]}
	p.Src, _ = netip.ParseAddr(f[2])
	p.Dst, _ = netip.ParseAddr(f[3])
	p.Type, _ = strconv.Atoi(f[4])
	target := f[5]
	if p.Type == 136 {
		target = f[6]
	}
	p.Target, _ = netip.ParseAddr(target)
	p.Solicited = f[7] == "1" || f[7] == "True"
	p.Override = f[8] == "1" || f[8] == "True"
	p.LinkAddr = f[9]
	return p, p.Type == 135 || p.Type == 136
}

// Turns returns the unsolicited NAs with Override for addr: the servers'
// turns.
func Turns(pkts []NDPacket, addr netip.Addr) []NDPacket {
	var out []NDPacket
	for _, p := range pkts {
		if p.Type == 136 && p.Target == addr && !p.Solicited && p.Override {
			out = append(out, p)
		}
	}
	return out
}

// QueryTimes captures, on the host's ifname, the UDP packets to addr
// port 53 for d and returns their arrival times (tshark's clock).
func (h *Host) QueryTimes(ctx context.Context, ifname string, addr netip.Addr, d time.Duration) ([]time.Time, error) {
	out, err := h.Run(ctx, "tshark", "-i", ifname, "-n", "-a", fmt.Sprintf("duration:%d", int(d.Seconds()+0.999)),
		"-f", fmt.Sprintf("ip6 dst %s and udp dst port 53", addr), "-T", "fields", "-e", "frame.time_epoch")
	if err != nil {
		return nil, err
	}
	var ts []time.Time
	for _, l := range strings.Fields(string(out)) {
		if sec, err := strconv.ParseFloat(l, 64); err == nil {
			ts = append(ts, time.Unix(0, int64(sec*1e9)))
		}
	}
	return ts, nil
}

// AnswerSources captures, on the host's ifname for d, the UDP packets
// from port 53 and counts them by IPv6 source address.
func (h *Host) AnswerSources(ctx context.Context, ifname string, d time.Duration) (map[netip.Addr]int, error) {
	out, err := h.Run(ctx, "tshark", "-i", ifname, "-n", "-a", fmt.Sprintf("duration:%d", int(d.Seconds()+0.999)),
		"-f", "ip6 and udp src port 53", "-T", "fields", "-e", "ipv6.src")
	if err != nil {
		return nil, err
	}
	n := map[netip.Addr]int{}
	for _, l := range strings.Fields(string(out)) {
		if a, err := netip.ParseAddr(l); err == nil {
			n[a]++
		}
	}
	return n, nil
}

// SendICMPv6 sends the ICMPv6 message b (its checksum is filled by the
// kernel) from the host to dst with the given hop limit, out of ifname
// for a link-local or multicast destination.
func (h *Host) SendICMPv6(ifname string, dst netip.Addr, hopLimit int, b []byte) error {
	return h.Do(func() error {
		c, err := icmp.ListenPacket("ip6:ipv6-icmp", "::")
		if err != nil {
			return err
		}
		defer c.Close()
		cm := &ipv6.ControlMessage{HopLimit: hopLimit}
		if dst.IsMulticast() || dst.IsLinkLocalUnicast() {
			ifi, err := net.InterfaceByName(ifname)
			if err != nil {
				return err
			}
			cm.IfIndex = ifi.Index
		}
		_, err = c.IPv6PacketConn().WriteTo(b, cm, &net.IPAddr{IP: dst.AsSlice()})
		return err
	})
}
