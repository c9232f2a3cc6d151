package bfd

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// captureFrame matches the "# capture: ... frame N" line of a captured
// vector.
var captureFrame = regexp.MustCompile(`(?m)^# capture: testdata/bfd/capture\.pcap frame (\d+)\b`)

// captured holds one BFD frame of capture.pcap.
type captured struct {
	hopLimit uint8
	src, dst layers.UDPPort
	payload  []byte
}

// readCapture returns the BFD frames of testdata/bfd/capture.pcap, the
// first one at index 1 as tshark numbers them.
func readCapture(t *testing.T) []captured {
	t.Helper()
	f, err := os.Open(filepath.Join(vecDir, "capture.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	frames := []captured{{}}
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			t.Fatal(err)
		}
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		ip, _ := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		udp, _ := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if ip == nil || udp == nil {
			t.Fatalf("frame %d is not IPv6/UDP: %v", len(frames), pkt)
		}
		frames = append(frames, captured{hopLimit: ip.HopLimit, src: udp.SrcPort, dst: udp.DstPort, payload: udp.Payload})
	}
}

// TestCapture checks the capture of FRR 8.4.4 and BIRD 2.0.12: every frame
// follows RFC 5881 (port 3784, source port 49152-65535, hop limit 255),
// parses, re-encodes to the same bytes and agrees with gopacket; every
// captured .hex vector is exactly the payload of the frame it names.
func TestCapture(t *testing.T) {
	frames := readCapture(t)
	if len(frames) < 2 {
		t.Fatal("no frames in capture.pcap")
	}
	for i, f := range frames[1:] {
		n := i + 1
		if f.dst != 3784 || f.src < 49152 || f.hopLimit != 255 {
			t.Errorf("frame %d: ports %d->%d, hop limit %d", n, f.src, f.dst, f.hopLimit)
		}
		p, err := Parse(f.payload)
		if err != nil {
			t.Errorf("frame %d: %v", n, err)
			continue
		}
		if enc, _ := p.Marshal(); !bytes.Equal(enc, f.payload) {
			t.Errorf("frame %d: re-encoded %x, captured %x", n, enc, f.payload)
		}
		crossCheck(t, f.payload, p)
	}
	files, _ := filepath.Glob(filepath.Join(vecDir, "*.hex"))
	seen := 0
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m := captureFrame.FindSubmatch(text)
		if m == nil {
			continue
		}
		seen++
		n, _ := strconv.Atoi(string(m[1]))
		if n >= len(frames) {
			t.Errorf("%s: frame %d not in the capture", filepath.Base(file), n)
			continue
		}
		if b := load(t, filepath.Base(file)); !bytes.Equal(b, frames[n].payload) {
			t.Errorf("%s: %x, frame %d holds %x", filepath.Base(file), b, n, frames[n].payload)
		}
	}
	if seen == 0 {
		t.Error("no captured vectors")
	}
}
