package auth

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// pcapFrame is one OSPFv3 packet to write into a pcap file.
type pcapFrame struct {
	src, dst netip.Addr
	payload  []byte
}

// writePcap writes frames as Ethernet/IPv6 (hop limit 1, next header 89).
func writePcap(path string, frames []pcapFrame) error {
	var b bytes.Buffer
	hdr := []any{uint32(0xa1b2c3d4), uint16(2), uint16(4), int32(0), uint32(0), uint32(65535), uint32(1)}
	for _, v := range hdr {
		binary.Write(&b, binary.LittleEndian, v)
	}
	for i, f := range frames {
		var fr bytes.Buffer
		fr.Write([]byte{0x33, 0x33, 0, 0, 0, 5, 0x02, 0, 0, 0, 0, 1, 0x86, 0xdd})
		ip := make([]byte, 40)
		ip[0], ip[1] = 0x6c, 0 // version 6, traffic class 0xc0
		binary.BigEndian.PutUint16(ip[4:], uint16(len(f.payload)))
		ip[6], ip[7] = 89, 1
		s, d := f.src.As16(), f.dst.As16()
		copy(ip[8:], s[:])
		copy(ip[24:], d[:])
		fr.Write(ip)
		fr.Write(f.payload)
		for _, v := range []uint32{uint32(i), 0, uint32(fr.Len()), uint32(fr.Len())} {
			binary.Write(&b, binary.LittleEndian, v)
		}
		b.Write(fr.Bytes())
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// readPcap returns the IPv6 source and payload of each frame of an
// Ethernet pcap (no extension headers).
func readPcap(t *testing.T, path string) []pcapFrame {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []pcapFrame
	for off := 24; off+16 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		fr := b[off+16 : off+16+n]
		off += 16 + n
		ip := fr[14:]
		pl := int(binary.BigEndian.Uint16(ip[4:]))
		out = append(out, pcapFrame{
			src:     netip.AddrFrom16([16]byte(ip[8:24])),
			dst:     netip.AddrFrom16([16]byte(ip[24:40])),
			payload: ip[40 : 40+pl],
		})
	}
	return out
}

// tsharkTrailers decodes path with tshark: per frame "SA ID|seq|digest|
// auth data length|AT bit".
func tsharkTrailers(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.Command("tshark", "-r", path, "-T", "fields",
		"-e", "ospf.at.sa_id", "-e", "ospf.at.crypto_seq_nbr", "-e", "ospf.at.auth_data",
		"-e", "ospf.at.auth_data_len", "-e", "ospf.v3.options.at", "-E", "separator=|").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// ourDecode formats what Verify reports like tsharkTrailers.
func ourDecode(tr Trailer, data []byte) string {
	l, _ := split(data)
	at := ""
	if l.optOff != 0 {
		at = "0"
		if l.opts&lsa.OptAT != 0 {
			at = "1"
		}
	}
	return fmt.Sprintf("0x%04x|%d|%s|%d|%s", tr.KeyID, tr.Seq, hex.EncodeToString(tr.Digest), len(data)-tr.Start, at)
}

// TestTsharkDecode checks that Wireshark's dissector reads our trailers as
// Verify does: for packets made by Append (every algorithm) and for FRR's
// real packets in frr-capture.pcap. Wireshark finds a trailer only in Hello
// and Database Description packets, where the AT bit announces it (for the
// other types a receiver must remember the neighbor's AT bit); those are
// compared.
func TestTsharkDecode(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("no tshark")
	}
	src := netip.MustParseAddr("fe80::a0c:2ff:fe00:10")
	var frames []pcapFrame
	var want []string
	pkts := []packet.Packet{
		&packet.Hello{Options: lsa.OptV6 | lsa.OptE, HelloInterval: 10, DeadInterval: 40, DR: 1, Neighbors: []uint32{1}},
		&packet.DatabaseDescription{Options: lsa.OptV6 | lsa.OptE, MTU: 1500, Flags: 7, Seq: 42},
		&packet.LinkStateAck{LSAs: []lsa.Header{{Type: 0x2001, AdvRouter: 1, Seq: lsa.InitialSequenceNumber, Length: 24}}},
	}
	seq := uint64(0x0000000500000001)
	for a := HMACSHA1; a <= HMACSHA512; a++ {
		for _, p := range pkts {
			p.Hdr().RouterID = 0xc000020a
			raw, err := packet.MarshalPacket(p)
			if err != nil {
				t.Fatal(err)
			}
			key := Key{ID: uint16(a) * 100, Algorithm: a, Secret: []byte("tshark")}
			out, err := Append(raw, src, key, seq)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := Verify(out, src, mustKeychain(t, key), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			frames = append(frames, pcapFrame{src, netip.MustParseAddr("ff02::5"), out})
			want = append(want, ourDecode(tr, out))
			seq++
		}
	}
	path := filepath.Join(t.TempDir(), "ours.pcap")
	if err := writePcap(path, frames); err != nil {
		t.Fatal(err)
	}
	got := tsharkTrailers(t, path)
	if len(got) != len(want) {
		t.Fatalf("tshark decoded %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if typ := frames[i].payload[1]; typ != 1 && typ != 2 {
			continue
		}
		if got[i] != want[i] {
			t.Errorf("frame %d: tshark %q, Verify %q", i+1, got[i], want[i])
		}
	}

	// FRR's capture: every frame verifies and tshark agrees on each field.
	capPath := filepath.Join(goldenDir, "frr-capture.pcap")
	kc := mustKeychain(t, Key{ID: 1, Algorithm: HMACSHA256, Dialect: DialectFRR8, Secret: []byte("anycostd-lab-key")})
	fr := readPcap(t, capPath)
	got = tsharkTrailers(t, capPath)
	if len(fr) < 40 || len(got) != len(fr) {
		t.Fatalf("%d frames, tshark %d", len(fr), len(got))
	}
	compared := 0
	for i, f := range fr {
		tr, err := Verify(f.payload, f.src, kc, time.Now())
		if err != nil {
			t.Errorf("FRR frame %d: %v", i+1, err)
			continue
		}
		if typ := f.payload[1]; typ != 1 && typ != 2 {
			continue
		}
		compared++
		if w := ourDecode(tr, f.payload); got[i] != w {
			t.Errorf("FRR frame %d: tshark %q, Verify %q", i+1, got[i], w)
		}
	}
	if compared < 30 {
		t.Errorf("only %d Hello and DBD frames in the capture", compared)
	}
	t.Logf("tshark agrees with Verify on the Hello and DBD frames: %d of ours, %d of FRR's (all %d of FRR's verify)",
		2*len(want)/3, compared, len(fr))
}
