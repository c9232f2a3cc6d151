package packet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/anycostd/anycostd/lsa"
)

// edit returns a copy of a golden vector changed by f.
func edit(t *testing.T, file string, f func(b []byte) []byte) []byte {
	t.Helper()
	return f(bytes.Clone(load(t, file)))
}

// setLen sets the packet length field.
func setLen(b []byte, n int) []byte {
	binary.BigEndian.PutUint16(b[2:4], uint16(n))
	return b
}

// cut shortens the packet to n bytes and makes the length field agree.
func cut(n int) func([]byte) []byte {
	return func(b []byte) []byte { return setLen(b[:n], n) }
}

// grow appends extra bytes to the packet and makes the length field agree.
func grow(extra ...byte) func([]byte) []byte {
	return func(b []byte) []byte {
		b = append(b, extra...)
		return setLen(b, len(b))
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		b       []byte
		wantErr error
		wantMsg string // substring of the message: where it went wrong
	}{
		{"empty", nil, ErrTruncated, "header"},
		{"15 bytes", make([]byte, 15), ErrTruncated, "header"},
		{"version 2", edit(t, "hello.hex", func(b []byte) []byte { b[0] = 2; return b }), ErrVersion, "version 2"},
		{"length below header", edit(t, "hello.hex", func(b []byte) []byte { return setLen(b, 15) }), ErrBadLength, "packet length 15"},
		{"length zero", edit(t, "hello.hex", func(b []byte) []byte { return setLen(b, 0) }), ErrBadLength, "packet length 0"},
		{"length beyond buffer", edit(t, "hello.hex", func(b []byte) []byte { return b[:39] }), ErrTruncated, "packet length 40 but 39"},
		{"type 0", edit(t, "hello.hex", func(b []byte) []byte { b[1] = 0; return b }), ErrUnknownType, "type 0"},
		{"type 6", edit(t, "hello.hex", func(b []byte) []byte { b[1] = 6; return b }), ErrUnknownType, "type 6"},
		{"hello body short", edit(t, "hello.hex", cut(35)), ErrTruncated, "hello: body"},
		{"hello header only", edit(t, "hello.hex", cut(16)), ErrTruncated, "hello: body"},
		{"hello ragged neighbors", edit(t, "hello.hex", cut(38)), ErrBadLength, "hello: 2 bytes of neighbor"},
		{"dbdesc body short", edit(t, "dbdesc.hex", cut(27)), ErrTruncated, "dbdesc: body"},
		{"dbdesc ragged lsa headers", edit(t, "dbdesc-lsas.hex", cut(67)), ErrBadLength, "dbdesc: 39 bytes of LSA headers"},
		{"dbdesc lsa length 19", edit(t, "dbdesc-lsas.hex", func(b []byte) []byte { b[67] = 19; return b }), ErrBadLength, "dbdesc: lsa header 1: length 19"},
		{"lsreq ragged", edit(t, "lsreq.hex", cut(51)), ErrBadLength, "lsreq: 35 bytes"},
		{"lsreq one byte", edit(t, "lsreq.hex", cut(17)), ErrBadLength, "lsreq: 1 bytes"},
		{"lsupdate no count", edit(t, "lsupdate.hex", cut(19)), ErrTruncated, "lsupdate: body needs 4"},
		{"lsupdate count too high", edit(t, "lsupdate.hex", func(b []byte) []byte { b[19] = 4; return b }), ErrTruncated, "lsupdate: lsa 3 at offset 168: count 4"},
		{"lsupdate count huge", edit(t, "lsupdate.hex", func(b []byte) []byte { copy(b[16:20], []byte{0xff, 0xff, 0xff, 0xff}); return b }), ErrTruncated, "lsupdate: lsa 3"},
		{"lsupdate count too low", edit(t, "lsupdate.hex", func(b []byte) []byte { b[19] = 2; return b }), ErrBadLength, "lsupdate: 52 bytes after the 2 LSAs"},
		{"lsupdate count zero with lsas", edit(t, "lsupdate.hex", func(b []byte) []byte { b[19] = 0; return b }), ErrBadLength, "lsupdate: 148 bytes after the 0 LSAs"},
		{"lsupdate lsa length 19", edit(t, "lsupdate.hex", func(b []byte) []byte { b[60+19] = 19; return b }), ErrBadLength, "lsupdate: lsa 1 at offset 60: length 19"},
		{"lsupdate lsa length 0", edit(t, "lsupdate.hex", func(b []byte) []byte { b[20+18], b[20+19] = 0, 0; return b }), ErrBadLength, "lsupdate: lsa 0 at offset 20: length 0"},
		{"lsupdate lsa beyond packet", edit(t, "lsupdate.hex", func(b []byte) []byte { b[116+19] = 56; return b }), ErrTruncated, "lsupdate: lsa 2 at offset 116: length 56 but 52"},
		{"lsupdate lsa header cut", edit(t, "lsupdate.hex", cut(130)), ErrTruncated, "lsupdate: lsa 2 at offset 116: count 3 but only 14"},
		{"lsupdate stray byte", edit(t, "lsupdate.hex", grow(0)), ErrBadLength, "lsupdate: 1 bytes after"},
		{"lsack ragged", edit(t, "lsack.hex", cut(75)), ErrBadLength, "lsack: 59 bytes"},
		{"lsack lsa length 0", edit(t, "lsack.hex", func(b []byte) []byte { b[34], b[35] = 0, 0; return b }), ErrBadLength, "lsack: lsa header 0: length 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePacket(tc.b)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ParsePacket = %v, %v; want error %v", p, err, tc.wantErr)
			}
			if p != nil {
				t.Errorf("ParsePacket returned %v with its error", p)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not say %q", err, tc.wantMsg)
			}
		})
	}
}

// TestParseIgnores checks the fields RFC 5340 says to ignore on receipt:
// reserved bytes and reserved DD flag bits, and whatever follows the packet
// length.
func TestParseIgnores(t *testing.T) {
	raw := edit(t, "dbdesc.hex", func(b []byte) []byte {
		b[15] = 0xaa // header reserved
		b[16] = 0xbb // DBD reserved before options
		b[22] = 0xcc // DBD reserved before flags
		b[23] |= 0xf8
		return append(b, 0xde, 0xad, 0xbe, 0xef)
	})
	p, err := ParsePacket(raw)
	if err != nil {
		t.Fatal(err)
	}
	if f := p.(*DatabaseDescription).Flags; f != DDInit|DDMore|DDMaster {
		t.Errorf("Flags = %v, want I|M|MS", f)
	}
	enc, err := MarshalPacket(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := load(t, "dbdesc.hex"); !bytes.Equal(enc, want) {
		t.Errorf("re-encoded %x, want %x", enc, want)
	}
	raw = edit(t, "lsreq.hex", func(b []byte) []byte { b[16], b[17] = 0x12, 0x34; return b })
	p, err = ParsePacket(raw)
	if err != nil {
		t.Fatal(err)
	}
	if k := p.(*LinkStateRequest).Requests[0]; k.Type != lsa.TypeRouter {
		t.Errorf("request 0 = %v; reserved bytes leaked into it", k)
	}
}

func TestMarshalErrors(t *testing.T) {
	okLSA := load(t, "lsupdate.hex")[20:60]
	badLen := bytes.Clone(okLSA)
	badLen[19] = 44
	tests := []struct {
		name    string
		p       Packet
		wantErr error
	}{
		{"nil interface", nil, ErrBadField},
		{"nil hello", (*Hello)(nil), ErrBadField},
		{"nil lsupdate", (*LinkStateUpdate)(nil), ErrBadField},
		{"type mismatch", &Hello{Header: Header{Type: TypeLinkStateAck}}, ErrBadField},
		{"hello options over 24 bits", &Hello{Options: 0x1000000}, ErrBadField},
		{"dbdesc options over 24 bits", &DatabaseDescription{Options: 0xff000003}, ErrBadField},
		{"dbdesc reserved flag", &DatabaseDescription{Flags: 0x08}, ErrBadField},
		{"dbdesc lsa header length 19", &DatabaseDescription{LSAs: []lsa.Header{{Length: 19}}}, ErrBadLength},
		{"lsack lsa header length 0", &LinkStateAck{LSAs: []lsa.Header{{Length: 20}, {}}}, ErrBadLength},
		{"lsupdate lsa shorter than header", &LinkStateUpdate{LSAs: [][]byte{okLSA, okLSA[:19]}}, ErrBadLength},
		{"lsupdate lsa length field disagrees", &LinkStateUpdate{LSAs: [][]byte{badLen}}, ErrBadLength},
		{"lsupdate over 65535 bytes", &LinkStateUpdate{LSAs: repeat(okLSA, 1700)}, ErrBadLength},
		{"lsreq over 65535 bytes", &LinkStateRequest{Requests: make([]lsa.Key, 5460)}, ErrBadLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if b, err := MarshalPacket(tc.p); !errors.Is(err, tc.wantErr) {
				t.Errorf("MarshalPacket = %x, %v; want error %v", b, err, tc.wantErr)
			}
			dst := []byte{1, 2, 3}
			got, err := AppendPacket(dst, tc.p)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("AppendPacket error %v, want %v", err, tc.wantErr)
			}
			if !bytes.Equal(got, []byte{1, 2, 3}) {
				t.Errorf("AppendPacket returned %x on error, want dst unchanged", got)
			}
		})
	}
}

// TestMarshalLargest checks the limits just inside 65535 bytes encode.
func TestMarshalLargest(t *testing.T) {
	// 16 + 12*5459 = 65524 bytes: fits.
	p := &LinkStateRequest{Requests: make([]lsa.Key, 5459)}
	b, err := MarshalPacket(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 65524 || binary.BigEndian.Uint16(b[2:4]) != 65524 {
		t.Errorf("len %d, length field %d; want 65524", len(b), binary.BigEndian.Uint16(b[2:4]))
	}
	if _, err := ParsePacket(b); err != nil {
		t.Errorf("ParsePacket of the largest LSR: %v", err)
	}
}

func repeat(b []byte, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func TestMaxPerPacket(t *testing.T) {
	tests := []struct {
		mtu          int
		wantDBD, LSR int
	}{
		{0, 0, 0},
		{-1, 0, 0},
		{55, 0, 0},
		{67, 0, 0}, // 40 + 16 + 12 > 67: no empty DBD fits
		{68, 0, 1}, // empty DBD exactly; 12 bytes for one request
		{88, 1, 2}, // 40 + 16 + 12 + 20 = 88
		{1280, 60, 102},
		{1500, 71, 120},
		{9000, 446, 745},
		{65575, 3275, 5459}, // 65535 bytes of payload: the length field is full
		{1 << 20, 3275, 5459},
	}
	for _, tc := range tests {
		if got := MaxLSAHeadersPerDBD(tc.mtu); got != tc.wantDBD {
			t.Errorf("MaxLSAHeadersPerDBD(%d) = %d, want %d", tc.mtu, got, tc.wantDBD)
		}
		if got := MaxRequestsPerLSR(tc.mtu); got != tc.LSR {
			t.Errorf("MaxRequestsPerLSR(%d) = %d, want %d", tc.mtu, got, tc.LSR)
		}
	}
	// The counts must fill the MTU: n fits, n+1 does not.
	for _, mtu := range []int{1280, 1500, 9000} {
		fits := func(p Packet) bool {
			b, err := MarshalPacket(p)
			return err == nil && 40+len(b) <= mtu
		}
		n := MaxLSAHeadersPerDBD(mtu)
		hs := make([]lsa.Header, n+1)
		for i := range hs {
			hs[i].Length = lsa.HeaderLen
		}
		if !fits(&DatabaseDescription{LSAs: hs[:n]}) || fits(&DatabaseDescription{LSAs: hs}) {
			t.Errorf("mtu %d: %d LSA headers is not the most that fits", mtu, n)
		}
		m := MaxRequestsPerLSR(mtu)
		ks := make([]lsa.Key, m+1)
		if !fits(&LinkStateRequest{Requests: ks[:m]}) || fits(&LinkStateRequest{Requests: ks}) {
			t.Errorf("mtu %d: %d requests is not the most that fits", mtu, m)
		}
	}
}
