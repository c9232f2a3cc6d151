package packet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anycostd/anycostd/internal/testvec"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// frrDir holds the real FRR 8.4.4 captures (testdata/frr, see its README):
// capture.pcap and one .hex file per chosen packet, each naming its IPv6
// source and destination in "# src:" and "# dst:" comment lines.
var frrDir = filepath.Join("..", "..", "testdata", "frr")

// frrAddrs reads the "# src:" and "# dst:" lines of a capture .hex file.
func frrAddrs(t *testing.T, file string) (src, dst netip.Addr) {
	t.Helper()
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(text), "\n") {
		if v, ok := strings.CutPrefix(line, "# src: "); ok {
			src = netip.MustParseAddr(strings.TrimSpace(v))
		}
		if v, ok := strings.CutPrefix(line, "# dst: "); ok {
			dst = netip.MustParseAddr(strings.TrimSpace(v))
		}
	}
	if !src.IsValid() || !dst.IsValid() {
		t.Fatalf("%s: no src/dst comment lines", file)
	}
	return src, dst
}

// checkCaptured checks one captured OSPF payload: the wire checksum verifies
// over the pseudo-header, it parses, and re-marshalling (captured checksum
// kept in the Header) gives the same bytes.
func checkCaptured(t *testing.T, src, dst netip.Addr, b []byte) Packet {
	t.Helper()
	if !VerifyChecksum(src, dst, b) {
		t.Errorf("VerifyChecksum(%v, %v) = false on the wire bytes", src, dst)
	}
	p, err := ParsePacket(b)
	if err != nil {
		t.Fatalf("ParsePacket: %v", err)
	}
	enc, err := MarshalPacket(p)
	if err != nil {
		t.Fatalf("MarshalPacket: %v", err)
	}
	if !bytes.Equal(enc, b) {
		t.Errorf("re-marshalled bytes differ:\n got %x\nwant %x", enc, b)
	}
	if tr := Trailer(b); tr != nil {
		t.Errorf("unexpected %d-byte trailer", len(tr))
	}
	return p
}

// TestFRRHexFiles checks every .hex file of testdata/frr and cross-checks it
// with gopacket, except where gopacket cannot decode an LSA (see
// gopacketCannotDecode).
func TestFRRHexFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(frrDir, "*.hex"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no FRR captures in %s (%v)", frrDir, err)
	}
	seen, checked := map[Type]int{}, map[Type]int{}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := testvec.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			src, dst := frrAddrs(t, file)
			p := checkCaptured(t, src, dst, b)
			seen[p.Hdr().Type]++
			if crossCheck(t, b, p) {
				checked[p.Hdr().Type]++
			}
		})
	}
	for ty := TypeHello; ty <= TypeLinkStateAck; ty++ {
		if seen[ty] == 0 || checked[ty] == 0 {
			t.Errorf("type %v: %d captured packets, %d cross-checked with gopacket", ty, seen[ty], checked[ty])
		}
	}
}

// TestFRRAnnotated checks that the annotated copies in testdata/packet hold
// exactly the captured bytes (their decoded values are in goldenCases).
func TestFRRAnnotated(t *testing.T) {
	for annotated, raw := range map[string]string{
		"frr-hello-r1-dr.hex":       "hello-r1-dr.hex",
		"frr-dbdesc-s1-headers.hex": "dbd-s1-headers.hex",
		"frr-lsreq-r1.hex":          "lsreq-r1.hex",
		"frr-lsupdate-s1-reply.hex": "lsupdate-s1-reply.hex",
		"frr-lsack-s1-direct.hex":   "lsack-s1-direct.hex",
	} {
		want, err := testvec.Load(filepath.Join(frrDir, raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := load(t, annotated); !bytes.Equal(got, want) {
			t.Errorf("%s differs from the capture %s:\n got %x\nwant %x", annotated, raw, got, want)
		}
		src, dst := frrAddrs(t, filepath.Join(frrDir, raw))
		checkCaptured(t, src, dst, want)
	}
}

// TestFRRPcap checks every OSPFv3 packet of capture.pcap, not only the
// ones extracted into .hex files.
func TestFRRPcap(t *testing.T) {
	f, err := os.Open(filepath.Join(frrDir, "capture.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	frames, ospf, checked := 0, 0, 0
	seen := map[Type]int{}
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("frame %d: %v", frames+1, err)
		}
		frames++
		pkt := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		ip, ok := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		if !ok || ip.NextHeader != layers.IPProtocolOSPF {
			continue
		}
		ospf++
		src, _ := netip.AddrFromSlice(ip.SrcIP)
		dst, _ := netip.AddrFromSlice(ip.DstIP)
		t.Run(fmt.Sprintf("frame%03d", frames), func(t *testing.T) {
			p := checkCaptured(t, src, dst, ip.Payload)
			seen[p.Hdr().Type]++
			// gopacket decoded the same frame along the way: compare.
			if g, ok := pkt.Layer(layers.LayerTypeOSPF).(*layers.OSPFv3); ok && pkt.ErrorLayer() == nil {
				crossCheckWith(t, g, ip.Payload, p)
				checked++
			} else if !gopacketCannotDecode(p) {
				t.Errorf("gopacket could not decode the frame: %v", pkt.ErrorLayer())
			}
		})
	}
	if ospf == 0 {
		t.Fatalf("no OSPFv3 packet among %d frames", frames)
	}
	t.Logf("%d frames, %d OSPFv3 packets (%d cross-checked with gopacket), by type %v", frames, ospf, checked, seen)
	for ty := TypeHello; ty <= TypeLinkStateAck; ty++ {
		if seen[ty] == 0 {
			t.Errorf("no captured packet of type %v", ty)
		}
	}
}
