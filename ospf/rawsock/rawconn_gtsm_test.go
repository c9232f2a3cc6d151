package rawsock_test

import (
	"net/netip"
	"testing"

	"github.com/anycostd/anycostd/lab"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/rawsock"
)

// With OSPFOptions.TTLSecurity every packet leaves with hop limit 255 (RFC
// 5082), multicast and unicast alike, and the receiving end reads it.
func TestRawConnTTLSecurity(t *testing.T) {
	l := lab.New(t)
	lan := l.AddLink("lan")
	a, b := l.AddHost("a"), l.AddHost("b")
	a.Attach(lan, "eth0")
	ib := b.Attach(lan, "eth0")
	var ra *rawsock.RawConn
	if err := a.Do(func() (err error) {
		ra, err = rawsock.ListenOSPFOpts("eth0", rawsock.OSPFOptions{TTLSecurity: true})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ra.Close() })
	rxB := pump(listen(t, b, "eth0"))
	obs := plainSocket(t, b, "eth0", true)
	for _, tc := range []struct {
		name string
		to   netip.Addr
		rid  byte
	}{{"multicast", ospf.AllSPFRouters, 11}, {"unicast", ib.LinkLocal, 12}} {
		if err := ra.WriteDatagram(tc.to, frrHello(t, tc.rid)); err != nil {
			t.Fatal(err)
		}
		if d := next(t, rxB, tc.name); d.HopLimit != 255 {
			t.Errorf("%s: b's RawConn read hop limit %d, want 255", tc.name, d.HopLimit)
		}
		if _, cm := observe(t, obs, tc.rid); cm.HopLimit != 255 {
			t.Errorf("%s: on the wire hop limit %d, want 255", tc.name, cm.HopLimit)
		}
	}
}
