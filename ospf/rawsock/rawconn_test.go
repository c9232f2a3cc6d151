package rawsock_test

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"golang.org/x/net/ipv6"

	"github.com/anycostd/anycostd/internal/host"
	"github.com/anycostd/anycostd/internal/testvec"
	"github.com/anycostd/anycostd/lab"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/packet"
	"github.com/anycostd/anycostd/ospf/rawsock"
)

// RawConn is the engine's transport.
var _ ospf.Transport = (*rawsock.RawConn)(nil)

// frrHello is a real OSPFv3 Hello captured from FRR (testdata/frr).
func frrHello(t *testing.T, routerID byte) []byte {
	t.Helper()
	b, err := testvec.Load("../../testdata/frr/hello-r1-first.hex")
	if err != nil {
		t.Fatal(err)
	}
	b[7] = routerID                            // 192.0.2.<routerID>: tells the test's packets apart
	binary.BigEndian.PutUint16(b[12:], 0xdead) // garbage: the kernel must fill it in
	return b
}

// sameExceptChecksum compares OSPF packets ignoring bytes 12-13.
func sameExceptChecksum(a, b []byte) bool {
	if len(a) != len(b) || len(a) < 14 {
		return false
	}
	return string(a[:12]) == string(b[:12]) && string(a[14:]) == string(b[14:])
}

type readResult struct {
	d   ospf.Datagram
	err error
}

// pump reads c until it fails and delivers every result on the channel.
func pump(c *rawsock.RawConn) <-chan readResult {
	ch := make(chan readResult, 16)
	go func() {
		defer close(ch)
		for {
			d, err := c.ReadDatagram()
			ch <- readResult{d, err}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan readResult, what string) ospf.Datagram {
	t.Helper()
	select {
	case r, ok := <-ch:
		if !ok {
			t.Fatalf("%s: reader ended", what)
		}
		if r.err != nil {
			t.Fatalf("%s: %v", what, r.err)
		}
		return r.d
	case <-time.After(3 * time.Second):
		t.Fatalf("%s: nothing received within 3 s", what)
	}
	return ospf.Datagram{}
}

func nothing(t *testing.T, ch <-chan readResult, what string) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s: got %+v, want nothing", what, r)
	case <-time.After(500 * time.Millisecond):
	}
}

func listen(t *testing.T, h *lab.Host, ifname string) *rawsock.RawConn {
	t.Helper()
	var c *rawsock.RawConn
	if err := h.Do(func() (err error) {
		c, err = rawsock.ListenOSPF(ifname)
		return err
	}); err != nil {
		t.Fatalf("ListenOSPF(%s) in %s: %v", ifname, h.Name(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// plainSocket opens a raw ip6:89 socket without IPV6_CHECKSUM in h that
// reports traffic class, hop limit, destination and interface.
func plainSocket(t *testing.T, h *lab.Host, ifname string, join bool) *ipv6.PacketConn {
	t.Helper()
	var pc *ipv6.PacketConn
	if err := h.Do(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		c, err := net.ListenPacket("ip6:89", "::")
		if err != nil {
			return err
		}
		pc = ipv6.NewPacketConn(c)
		if err := pc.SetMulticastInterface(ifi); err != nil {
			return err
		}
		if err := pc.SetMulticastHopLimit(1); err != nil {
			return err
		}
		if join {
			if err := pc.JoinGroup(ifi, &net.IPAddr{IP: net.ParseIP("ff02::5")}); err != nil {
				return err
			}
		}
		return pc.SetControlMessage(ipv6.FlagTrafficClass|ipv6.FlagHopLimit|ipv6.FlagDst|ipv6.FlagInterface, true)
	}); err != nil {
		t.Fatalf("plain raw socket in %s: %v", h.Name(), err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// observe reads obs until the packet from router ID 192.0.2.<rid> arrives
// (the observer also sees the test's other packets to b).
func observe(t *testing.T, obs *ipv6.PacketConn, rid byte) ([]byte, *ipv6.ControlMessage) {
	t.Helper()
	buf := make([]byte, 1500)
	_ = obs.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		n, cm, _, err := obs.ReadFrom(buf)
		if err != nil {
			t.Fatalf("observer waiting for router ID %d: %v", rid, err)
		}
		if n > 7 && buf[7] == rid {
			return buf[:n], cm
		}
	}
}

// TestRawConn runs two RawConns across a bridge: a and b on link lan; a
// also has eth1 on link other, shared with c.
func TestRawConn(t *testing.T) {
	l := lab.New(t)
	lan, other := l.AddLink("lan"), l.AddLink("other")
	a, b, c := l.AddHost("a"), l.AddHost("b"), l.AddHost("c")
	ia := a.Attach(lan, "eth0")
	ib := b.Attach(lan, "eth0")
	a.Attach(other, "eth1")
	c.Attach(other, "eth0")

	ra, rb, rc := listen(t, a, "eth0"), listen(t, b, "eth0"), listen(t, c, "eth0")
	ra1 := listen(t, a, "eth1")
	if ra.LocalAddr() != ia.LinkLocal || ra.IfName() != "eth0" || ra.IfIndex() != ia.Index {
		t.Fatalf("ra: LocalAddr %v IfName %s IfIndex %d, want %v eth0 %d", ra.LocalAddr(), ra.IfName(), ra.IfIndex(), ia.LinkLocal, ia.Index)
	}
	// The receive buffer is raised past rmem_max (SO_RCVBUFFORCE; the
	// kernel reports twice the size set).
	if n, err := ra.ReceiveBuffer(); err != nil || n < 2*rawsock.DefaultOSPFReceiveBuffer {
		t.Errorf("ra.ReceiveBuffer() = %d, %v; want at least %d", n, err, 2*rawsock.DefaultOSPFReceiveBuffer)
	}
	obs := plainSocket(t, b, "eth0", true) // sees everything b's kernel accepts on eth0
	rxA, rxB, rxA1 := pump(ra), pump(rb), pump(ra1)

	t.Run("multicast", func(t *testing.T) {
		pkt := frrHello(t, 1)
		if err := ra.WriteDatagram(ospf.AllSPFRouters, pkt); err != nil {
			t.Fatal(err)
		}
		d := next(t, rxB, "b from a to ff02::5")
		if d.Src != ia.LinkLocal || d.Dst != ospf.AllSPFRouters || d.HopLimit != 1 {
			t.Errorf("got Src %v Dst %v HopLimit %d, want %v ff02::5 1", d.Src, d.Dst, d.HopLimit, ia.LinkLocal)
		}
		if !sameExceptChecksum(d.Data, pkt) {
			t.Errorf("data\n%x\nwant (checksum aside)\n%x", d.Data, pkt)
		}
		if !packet.VerifyChecksum(d.Src, d.Dst, d.Data) {
			t.Errorf("checksum %#04x not filled in correctly", binary.BigEndian.Uint16(d.Data[12:]))
		}
		// Traffic class and hop limit as seen by a plain socket.
		got, cm := observe(t, obs, 1)
		if !sameExceptChecksum(got, pkt) || cm.TrafficClass != 0xc0 || cm.HopLimit != 1 {
			t.Errorf("observer: traffic class %#x hop limit %d data %x; want 0xc0, 1, the hello", cm.TrafficClass, cm.HopLimit, got)
		}
		// Multicast loopback is off: a does not hear itself.
		nothing(t, rxA, "a's own multicast")
	})

	t.Run("unicast", func(t *testing.T) {
		pkt := frrHello(t, 2)
		if err := ra.WriteDatagram(ib.LinkLocal, pkt); err != nil {
			t.Fatal(err)
		}
		d := next(t, rxB, "b from a to its link-local")
		if d.Src != ia.LinkLocal || d.Dst != ib.LinkLocal || d.HopLimit != 1 {
			t.Errorf("got Src %v Dst %v HopLimit %d, want %v %v 1", d.Src, d.Dst, d.HopLimit, ia.LinkLocal, ib.LinkLocal)
		}
		if !sameExceptChecksum(d.Data, pkt) || !packet.VerifyChecksum(d.Src, d.Dst, d.Data) {
			t.Errorf("data %x: want the hello with a valid checksum", d.Data)
		}
		// And back.
		if err := rb.WriteDatagram(ia.LinkLocal, pkt); err != nil {
			t.Fatal(err)
		}
		if d := next(t, rxA, "a from b"); d.Src != ib.LinkLocal || d.Dst != ia.LinkLocal {
			t.Errorf("a got Src %v Dst %v, want %v %v", d.Src, d.Dst, ib.LinkLocal, ia.LinkLocal)
		}
	})

	t.Run("other interface", func(t *testing.T) {
		pkt := frrHello(t, 3)
		if err := rc.WriteDatagram(ospf.AllSPFRouters, pkt); err != nil {
			t.Fatal(err)
		}
		// It reached a (on eth1) ...
		if d := next(t, rxA1, "a's eth1 from c"); !sameExceptChecksum(d.Data, pkt) {
			t.Errorf("a's eth1 got %x, want c's hello", d.Data)
		}
		// ... but not the connection on eth0.
		nothing(t, rxA, "a's eth0 connection, c's packet on eth1")
	})

	t.Run("bad checksum dropped", func(t *testing.T) {
		// Without IPV6_CHECKSUM the sender's kernel sends what it is given.
		raw := plainSocket(t, a, "eth0", false)
		dst := &net.IPAddr{IP: net.ParseIP("ff02::5"), Zone: strconv.Itoa(ia.Index)}
		cm := &ipv6.ControlMessage{HopLimit: 1, Src: net.IP(ia.LinkLocal.AsSlice()), IfIndex: ia.Index}
		bad := frrHello(t, 4)
		packet.SetChecksum(ia.LinkLocal, ospf.AllSPFRouters, bad)
		bad[13] ^= 0x01
		good := frrHello(t, 5)
		packet.SetChecksum(ia.LinkLocal, ospf.AllSPFRouters, good)
		for _, p := range [][]byte{bad, good} {
			if _, err := raw.WriteTo(p, cm, dst); err != nil {
				t.Fatal(err)
			}
		}
		// The plain observer on b gets both: the bad one was on the wire.
		for _, want := range [][]byte{bad, good} {
			if got, _ := observe(t, obs, want[7]); string(got) != string(want) {
				t.Fatalf("observer got %x, want %x", got, want)
			}
		}
		// b's RawConn only the good one.
		if d := next(t, rxB, "b after bad and good checksums"); string(d.Data) != string(good) {
			t.Errorf("b got %x, want the packet with the good checksum %x", d.Data, good)
		}
		nothing(t, rxB, "b, after the good packet")
	})

	t.Run("destinations refused", func(t *testing.T) {
		for _, s := range []string{"2001:db8::1", "ff05::5", "ff0e::5", "::1", "192.0.2.1", "::ffff:192.0.2.1"} {
			err := ra.WriteDatagram(netip.MustParseAddr(s), frrHello(t, 6))
			if !errors.Is(err, rawsock.ErrBadDestination) {
				t.Errorf("WriteDatagram(%s) = %v, want ErrBadDestination", s, err)
			}
		}
		if err := ra.WriteDatagram(netip.Addr{}, frrHello(t, 6)); !errors.Is(err, rawsock.ErrBadDestination) {
			t.Errorf("WriteDatagram(zero Addr) = %v, want ErrBadDestination", err)
		}
		nothing(t, rxB, "b, after refused sends")
	})

	t.Run("close unblocks read", func(t *testing.T) {
		start := time.Now()
		go func() {
			time.Sleep(100 * time.Millisecond)
			rb.Close()
		}()
		select {
		case r := <-rxB:
			if !errors.Is(r.err, net.ErrClosed) {
				t.Errorf("ReadDatagram after Close = %+v, want an error wrapping net.ErrClosed", r)
			}
			t.Logf("read returned %v after Close, %v after start", r.err, time.Since(start).Round(time.Millisecond))
		case <-time.After(2 * time.Second):
			t.Fatal("ReadDatagram still blocked 2 s after Close")
		}
		if err := rb.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
		if _, err := rb.ReadDatagram(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("ReadDatagram on a closed conn = %v, want net.ErrClosed", err)
		}
	})
}

func TestListenOSPFErrors(t *testing.T) {
	l := lab.New(t)
	h := l.AddHost("a")
	// A veth pair whose DAD lasts 30 s: its link-local stays tentative.
	ctx := t.Context()
	for _, argv := range [][]string{
		{"ip", "link", "add", "t0", "type", "veth", "peer", "name", "t1"},
		{"sysctl", "-qw", "net.ipv6.neigh.t0.retrans_time_ms=30000", "net.ipv6.conf.t0.dad_transmits=1"},
		{"ip", "link", "set", "t1", "up"},
		{"ip", "link", "set", "t0", "up"},
	} {
		if out, err := h.Run(ctx, argv...); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	err := h.Do(func() error {
		if _, err := rawsock.ListenOSPF("nosuch0"); !errors.Is(err, host.ErrNoSuchInterface) {
			t.Errorf("ListenOSPF(nosuch0) = %v, want ErrNoSuchInterface", err)
		}
		c, err := rawsock.ListenOSPF("t0")
		if !errors.Is(err, host.ErrNoLinkLocal) {
			t.Errorf("ListenOSPF(t0 with tentative link-local) = %v, want ErrNoLinkLocal", err)
		}
		if c != nil {
			c.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRawConnSource: a second speaker on an interface, sending from its
// own link-local address (OSPFOptions.Source), takes only the unicast
// packets addressed to it, and multicast.
func TestRawConnSource(t *testing.T) {
	l := lab.New(t)
	lan := l.AddLink("lan")
	a, b := l.AddHost("a"), l.AddHost("b")
	ia := a.Attach(lan, "eth0")
	ib := b.Attach(lan, "eth0")
	second := netip.MustParseAddr("fe80::a")
	a.AddAddr("eth0", netip.PrefixFrom(second, 64))
	var ra2 *rawsock.RawConn
	if err := a.Do(func() (err error) {
		ra2, err = rawsock.ListenOSPFOpts("eth0", rawsock.OSPFOptions{Source: second})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ra2.Close() })
	if ra2.LocalAddr() != second {
		t.Fatalf("LocalAddr %v, want %v", ra2.LocalAddr(), second)
	}
	rb := listen(t, b, "eth0")
	rx2, rxB := pump(ra2), pump(rb)

	if err := ra2.WriteDatagram(ospf.AllSPFRouters, frrHello(t, 2)); err != nil {
		t.Fatal(err)
	}
	if d := next(t, rxB, "b from the second speaker"); d.Src != second {
		t.Errorf("source %v, want %v", d.Src, second)
	}
	// Unicast to a's first address is the other speaker's: skipped.
	if err := rb.WriteDatagram(ia.LinkLocal, frrHello(t, 3)); err != nil {
		t.Fatal(err)
	}
	nothing(t, rx2, "unicast to the other speaker's address")
	// Unicast to the second address and multicast arrive.
	if err := rb.WriteDatagram(second, frrHello(t, 4)); err != nil {
		t.Fatal(err)
	}
	if d := next(t, rx2, "unicast to the second address"); d.Src != ib.LinkLocal || d.Dst != second {
		t.Errorf("got Src %v Dst %v", d.Src, d.Dst)
	}
	if err := rb.WriteDatagram(ospf.AllSPFRouters, frrHello(t, 5)); err != nil {
		t.Fatal(err)
	}
	if d := next(t, rx2, "multicast"); d.Dst != ospf.AllSPFRouters {
		t.Errorf("got Dst %v", d.Dst)
	}
}
