package bfd

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/anycostd/anycostd/internal/testvec"
	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks Parse never panics, that whatever it accepts re-encodes
// to bytes that parse to the same value and re-encode identically, and
// that those bytes are the accepted packet's first Length bytes.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(vecDir, "*.hex"))
	if len(files) == 0 {
		f.Fatal("no seed vectors")
	}
	for _, file := range files {
		b, err := testvec.Load(file)
		if err != nil {
			f.Fatalf("seed %s: %v", file, err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			if p.MyDiscriminator != 0 || p.Auth != nil {
				t.Fatalf("Parse returned %+v with error %v", p, err)
			}
			return
		}
		enc, err := p.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed packet %+v: %v", p, err)
		}
		if !bytes.Equal(enc, b[:b[3]]) {
			t.Fatalf("re-encoded %x, input %x", enc, b[:b[3]])
		}
		p2, err := Parse(enc)
		if err != nil {
			t.Fatalf("Parse of re-encoded %x: %v", enc, err)
		}
		if d := cmp.Diff(p, p2); d != "" {
			t.Fatalf("round trip changed the packet (-first +second):\n%s", d)
		}
		if enc2, err := p2.Marshal(); err != nil || !bytes.Equal(enc2, enc) {
			t.Fatalf("second encoding %x, %v; first %x", enc2, err, enc)
		}
	})
}
