package rawsock_test

import (
	"encoding/binary"
	"testing"

	"github.com/anycostd/anycostd/lab"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/packet"
	"github.com/anycostd/anycostd/ospf/rawsock"
)

func listenOpts(t *testing.T, h *lab.Host, ifname string, opts rawsock.OSPFOptions) *rawsock.RawConn {
	t.Helper()
	var c *rawsock.RawConn
	if err := h.Do(func() (err error) {
		c, err = rawsock.ListenOSPFOpts(ifname, opts)
		return err
	}); err != nil {
		t.Fatalf("ListenOSPFOpts(%s, %+v) in %s: %v", ifname, opts, h.Name(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRawConnNoKernelChecksum: a connection opened with NoKernelChecksum
// sends packets exactly as written (the checksum field untouched, as the
// RFC 7166 trailer needs) and receives packets whose checksum is wrong,
// which a default connection never sees; everything else (hop limit,
// traffic class, source, ff02::5) is as with ListenOSPF.
func TestRawConnNoKernelChecksum(t *testing.T) {
	l := lab.New(t)
	lan := l.AddLink("lan")
	a, b := l.AddHost("a"), l.AddHost("b")
	ia := a.Attach(lan, "eth0")
	b.Attach(lan, "eth0")

	ra := listenOpts(t, a, "eth0", rawsock.OSPFOptions{NoKernelChecksum: true})
	rbPlain := listen(t, b, "eth0") // kernel checksum: drops bad ones
	rbNo := listenOpts(t, b, "eth0", rawsock.OSPFOptions{NoKernelChecksum: true})
	obs := plainSocket(t, b, "eth0", true)
	rxPlain, rxNo := pump(rbPlain), pump(rbNo)

	// Checksum 0, as with a trailer: wrong for the kernel, kept by us.
	zero := frrHello(t, 7)
	binary.BigEndian.PutUint16(zero[12:], 0)
	if packet.VerifyChecksum(ia.LinkLocal, ospf.AllSPFRouters, zero) {
		t.Fatal("test packet has a valid checksum by accident")
	}
	if err := ra.WriteDatagram(ospf.AllSPFRouters, zero); err != nil {
		t.Fatal(err)
	}
	got, cm := observe(t, obs, 7)
	if string(got) != string(zero) {
		t.Errorf("on the wire:\n%x\nwant exactly what was written:\n%x", got, zero)
	}
	if cm.HopLimit != 1 || cm.TrafficClass != 0xc0 {
		t.Errorf("hop limit %d traffic class %#x, want 1 and 0xc0", cm.HopLimit, cm.TrafficClass)
	}
	d := next(t, rxNo, "b's NoKernelChecksum connection, checksum 0")
	if string(d.Data) != string(zero) || d.Src != ia.LinkLocal || d.Dst != ospf.AllSPFRouters || d.HopLimit != 1 {
		t.Errorf("got %+v, want the packet from %v to ff02::5, hop limit 1", d, ia.LinkLocal)
	}
	nothing(t, rxPlain, "b's default connection, checksum 0")

	// A packet with a right checksum reaches both, unchanged.
	good := frrHello(t, 8)
	packet.SetChecksum(ia.LinkLocal, ospf.AllSPFRouters, good)
	if err := ra.WriteDatagram(ospf.AllSPFRouters, good); err != nil {
		t.Fatal(err)
	}
	if d := next(t, rxPlain, "b's default connection, right checksum"); string(d.Data) != string(good) {
		t.Errorf("default connection got %x, want %x", d.Data, good)
	}
	if d := next(t, rxNo, "b's NoKernelChecksum connection, right checksum"); string(d.Data) != string(good) {
		t.Errorf("NoKernelChecksum connection got %x, want %x", d.Data, good)
	}
}
