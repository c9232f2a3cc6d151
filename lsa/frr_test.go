package lsa

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/anycostd/anycostd/internal/testvec"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Real FRR 8.4.4 packets captured on a lab link: testdata/frr/README.md.
var frrDir = filepath.Join("..", "testdata", "frr")

const (
	ospfHeaderLen = 16 // RFC 5340 A.3.1
	ospfLSUpdate  = 4  // packet type
)

// lsuLSAs splits the body of an OSPFv3 LS Update packet (RFC 5340 A.3.5:
// a 32-bit count, then the LSAs back to back) into raw LSAs.
func lsuLSAs(t *testing.T, pkt []byte) [][]byte {
	t.Helper()
	if len(pkt) < ospfHeaderLen+4 || pkt[0] != 3 || pkt[1] != ospfLSUpdate {
		t.Fatalf("not an OSPFv3 LS Update: %x", pkt[:min(len(pkt), ospfHeaderLen)])
	}
	if n := int(binary.BigEndian.Uint16(pkt[2:4])); n != len(pkt) {
		t.Fatalf("packet length %d, have %d bytes", n, len(pkt))
	}
	count := binary.BigEndian.Uint32(pkt[16:20])
	b := pkt[ospfHeaderLen+4:]
	var out [][]byte
	for i := uint32(0); i < count; i++ {
		h, err := ParseHeader(b)
		if err != nil {
			t.Fatalf("LSA %d of %d: %v", i+1, count, err)
		}
		if int(h.Length) > len(b) {
			t.Fatalf("LSA %d of %d: length %d, %d bytes left", i+1, count, h.Length, len(b))
		}
		out = append(out, b[:h.Length])
		b = b[h.Length:]
	}
	if len(b) != 0 {
		t.Fatalf("%d bytes after %d LSAs", len(b), count)
	}
	return out
}

// checkFRRLSA verifies the checksum of one captured LSA, decodes it and
// re-encodes it to the same bytes.
func checkFRRLSA(t *testing.T, raw []byte) LSA {
	t.Helper()
	if !VerifyChecksum(raw) || !isoVerify(raw) {
		t.Errorf("checksum does not verify: %x", raw)
	}
	l, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse: %v\n%x", err, raw)
	}
	if _, ok := l.Body.(*Unknown); ok {
		t.Errorf("%s: decoded as Unknown", l.Header)
	}
	out, err := Marshal(l)
	if err != nil {
		t.Fatalf("%s: Marshal: %v", l.Header, err)
	}
	if !bytes.Equal(out, raw) {
		t.Errorf("%s: re-encoded bytes differ:\n got %x\nwant %x", l.Header, out, raw)
	}
	return l
}

// TestFRRHexLSUpdates decodes the LSAs of the annotated LS Update packets.
func TestFRRHexLSUpdates(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(frrDir, "lsupdate-*.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no LS Update captures in %s", frrDir)
	}
	byFile := map[string][]LSA{}
	seen := map[Type]int{}
	for _, f := range files {
		pkt, err := testvec.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range lsuLSAs(t, pkt) {
			l := checkFRRLSA(t, raw)
			byFile[filepath.Base(f)] = append(byFile[filepath.Base(f)], l)
			seen[l.Header.Type]++
		}
	}
	for _, ty := range []Type{TypeRouter, TypeNetwork, TypeInterAreaPrefix, TypeInterAreaRouter,
		TypeASExternal, TypeLink, TypeIntraAreaPrefix} {
		if seen[ty] == 0 {
			t.Errorf("no %s-LSA in the captures", ty)
		}
	}

	// What the README says of the server's LSA after its cost change.
	anycast := netip.MustParsePrefix("2001:db8:53::53/128")
	cost := byFile["lsupdate-s1-cost.hex"]
	if len(cost) != 1 {
		t.Fatalf("lsupdate-s1-cost.hex: %d LSAs, want 1", len(cost))
	}
	iap, ok := cost[0].Body.(*IntraAreaPrefix)
	if !ok || cost[0].Header.AdvRouter != 0xc000020b || uint32(cost[0].Header.Seq) != 0x80000004 ||
		iap.RefType != TypeRouter || len(iap.Prefixes) != 1 || iap.Prefixes[0].Prefix != anycast || iap.Prefixes[0].Metric != 20 {
		t.Errorf("lsupdate-s1-cost.hex: got %v, want S1's %v metric 20 at seq 0x80000004", cost[0], anycast)
	}
	// The DR's update holds a flushed Intra-Area-Prefix-LSA, a Network-LSA
	// listing the three routers and a Router-LSA with one transit link.
	var flushed, network, router bool
	for _, l := range byFile["lsupdate-r1-dr.hex"] {
		switch b := l.Body.(type) {
		case *IntraAreaPrefix:
			flushed = flushed || l.Header.Age == MaxAge
		case *Network:
			network = len(b.AttachedRouters) == 3
		case *Router:
			router = len(b.Links) == 1 && b.Links[0].Type == LinkTransit && b.Flags == RouterB|RouterE
		}
	}
	if !flushed || !network || !router {
		t.Errorf("lsupdate-r1-dr.hex: flushed IAP %v, Network with 3 routers %v, Router B|E with transit link %v",
			flushed, network, router)
	}
}

// TestFRRCapture decodes every LSA of every LS Update in the pcap.
func TestFRRCapture(t *testing.T) {
	f, err := os.Open(filepath.Join(frrDir, "capture.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Fatalf("link type %v, want Ethernet", r.LinkType())
	}
	var packets, lsas int
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		ip, ok := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		if !ok || ip.NextHeader != layers.IPProtocolOSPF || len(ip.Payload) < 2 || ip.Payload[1] != ospfLSUpdate {
			continue
		}
		packets++
		for _, raw := range lsuLSAs(t, ip.Payload) {
			checkFRRLSA(t, raw)
			lsas++
		}
	}
	// README.md: all 61 LSAs in the capture's LS Updates.
	if lsas != 61 {
		t.Errorf("%d LSAs in %d LS Updates, README says 61", lsas, packets)
	}
	t.Logf("%d LSAs in %d LS Updates", lsas, packets)
}
