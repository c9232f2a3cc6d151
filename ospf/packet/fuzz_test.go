package packet

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/anycostd/anycostd/internal/testvec"
	"github.com/google/go-cmp/cmp"
)

// FuzzParsePacket checks ParsePacket never panics and that whatever it
// accepts re-encodes to bytes that parse to the same value and re-encode
// identically.
func FuzzParsePacket(f *testing.F) {
	for _, dir := range []string{goldenDir, frrDir} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.hex"))
		for _, file := range files {
			b, err := testvec.Load(file)
			if err != nil {
				f.Fatalf("seed %s: %v", file, err)
			}
			f.Add(b)
		}
	}
	if _, err := os.Stat(goldenDir); err != nil {
		f.Fatalf("golden vectors: %v", err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePacket(b)
		if err != nil {
			if p != nil {
				t.Fatalf("ParsePacket returned %v with error %v", p, err)
			}
			return
		}
		_ = Trailer(b)
		enc, err := MarshalPacket(p)
		if err != nil {
			t.Fatalf("MarshalPacket of a parsed %v: %v", p.Hdr().Type, err)
		}
		p2, err := ParsePacket(enc)
		if err != nil {
			t.Fatalf("ParsePacket of re-encoded %x: %v", enc, err)
		}
		if diff := cmp.Diff(p, p2); diff != "" {
			t.Fatalf("round trip changed the packet (-first +second):\n%s", diff)
		}
		enc2, err := MarshalPacket(p2)
		if err != nil || string(enc2) != string(enc) {
			t.Fatalf("second encoding %x, %v; first %x", enc2, err, enc)
		}
	})
}
