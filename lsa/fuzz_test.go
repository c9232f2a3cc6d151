package lsa

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// survives Marshal and Parse again unchanged (the checksum aside, which
// Marshal recomputes).
func FuzzParse(f *testing.F) {
	for _, tc := range golden {
		raw := loadGolden(f, tc.file)
		f.Add(raw)
		f.Add(raw[:len(raw)-1])
		f.Add(raw[:HeaderLen+2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(data)
		if err != nil {
			return
		}
		_ = l.String()
		out, err := Marshal(l)
		if err != nil {
			t.Fatalf("Marshal of a parsed LSA: %v\n%v", err, l)
		}
		if !VerifyChecksum(out) {
			t.Fatalf("Marshal wrote a bad checksum: %x", out)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse of Marshal output: %v\n%x", err, out)
		}
		want := l
		want.Header.Checksum = Checksum(out)
		if diff := cmp.Diff(want, back, cmpOpts); diff != "" {
			t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
		}
		again, err := Marshal(back)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("second Marshal differs (err %v):\n%x\n%x", err, again, out)
		}
	})
}

// FuzzParseBody checks that ParseBody never panics, whatever the type, and
// that an accepted body encodes back to a body that decodes the same.
func FuzzParseBody(f *testing.F) {
	for _, tc := range golden {
		raw := loadGolden(f, tc.file)
		f.Add(uint16(tc.want.Header.Type), raw[HeaderLen:])
	}
	f.Fuzz(func(t *testing.T, ty uint16, body []byte) {
		b, err := ParseBody(Type(ty), body)
		if err != nil {
			return
		}
		_ = b.String()
		if b.Type() != Type(ty) {
			t.Fatalf("body type %s from type %s", b.Type(), Type(ty))
		}
		enc, err := MarshalBody(b)
		if err != nil {
			if len(body) > 0xffff-HeaderLen {
				return // too long for an LSA; ParseBody does not know the limit
			}
			t.Fatalf("MarshalBody of a parsed body: %v", err)
		}
		if len(enc) != len(body) {
			t.Fatalf("re-encoded %d bytes, parsed %d", len(enc), len(body))
		}
		back, err := ParseBody(Type(ty), enc)
		if err != nil {
			t.Fatalf("ParseBody of MarshalBody output: %v", err)
		}
		if diff := cmp.Diff(b, back, cmpOpts); diff != "" {
			t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
		}
	})
}
