package lsa

import "testing"

func TestSequenceConstants(t *testing.T) {
	initial, maxSeq := InitialSequenceNumber, MaxSequenceNumber
	if got := uint32(initial); got != 0x80000001 {
		t.Errorf("InitialSequenceNumber on the wire = %#08x, want 0x80000001", got)
	}
	if got := uint32(maxSeq); got != 0x7fffffff {
		t.Errorf("MaxSequenceNumber on the wire = %#08x, want 0x7fffffff", got)
	}
}

func TestNextSeq(t *testing.T) {
	tests := []struct {
		in     int32
		want   int32
		wantOK bool
	}{
		{InitialSequenceNumber, InitialSequenceNumber + 1, true},
		{-1, 0, true}, // 0xffffffff -> 0
		{0, 1, true},
		{MaxSequenceNumber - 1, MaxSequenceNumber, true},
		{MaxSequenceNumber, 0, false}, // flush first, then InitialSequenceNumber
	}
	for _, tc := range tests {
		got, ok := NextSeq(tc.in)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("NextSeq(%#08x) = %#08x, %v; want %#08x, %v", uint32(tc.in), uint32(got), ok, uint32(tc.want), tc.wantOK)
		}
		if ok && Compare(Header{Seq: got}, Header{Seq: tc.in}) <= 0 {
			t.Errorf("NextSeq(%#08x) = %#08x is not newer by Compare", uint32(tc.in), uint32(got))
		}
	}
}
