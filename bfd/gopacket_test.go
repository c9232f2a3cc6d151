package bfd

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// gopacketDecode decodes a control packet with gopacket's BFD layer, an
// independent decoder.
func gopacketDecode(t *testing.T, b []byte) *layers.BFD {
	t.Helper()
	pkt := gopacket.NewPacket(b, layers.LayerTypeBFD, gopacket.Default)
	if el := pkt.ErrorLayer(); el != nil {
		t.Fatalf("gopacket decode of %x: %v", b, el.Error())
	}
	l, ok := pkt.Layer(layers.LayerTypeBFD).(*layers.BFD)
	if !ok {
		t.Fatalf("gopacket found no BFD layer in %v", pkt)
	}
	return l
}

// crossCheck compares our decoding p of b with gopacket's, field by field.
func crossCheck(t *testing.T, b []byte, p ControlPacket) {
	t.Helper()
	g := gopacketDecode(t, b[:b[3]])
	us := func(v layers.BFDTimeInterval) time.Duration { return time.Duration(v) * time.Microsecond }
	fromG := ControlPacket{
		Diag:                    Diag(g.Diagnostic),
		State:                   State(g.State),
		Poll:                    g.Poll,
		Final:                   g.Final,
		ControlPlaneIndependent: g.ControlPlaneIndependent,
		Demand:                  g.Demand,
		DetectMult:              uint8(g.DetectMultiplier),
		MyDiscriminator:         uint32(g.MyDiscriminator),
		YourDiscriminator:       uint32(g.YourDiscriminator),
		DesiredMinTx:            us(g.DesiredMinTxInterval),
		RequiredMinRx:           us(g.RequiredMinRxInterval),
		RequiredMinEchoRx:       us(g.RequiredMinEchoRxInterval),
	}
	if g.Version != Version || g.Multipoint {
		t.Errorf("gopacket: version %d, M %v", g.Version, g.Multipoint)
	}
	if g.AuthPresent != (p.Auth != nil) {
		t.Fatalf("gopacket: auth present %v, ours %+v", g.AuthPresent, p.Auth)
	}
	if p.Auth != nil {
		h := g.AuthHeader
		if h == nil || AuthType(h.AuthType) != p.Auth.Type || byte(h.KeyID) != p.Auth.Data[0] {
			t.Errorf("gopacket auth header %+v, ours %+v", h, p.Auth)
		}
		fromG.Auth = p.Auth // the rest of the section is laid out per type by gopacket
	}
	if d := cmp.Diff(fromG, p); d != "" {
		t.Errorf("gopacket vs Parse (-gopacket +ours):\n%s", d)
	}
}
