package lsa

import "testing"

func TestCompare(t *testing.T) {
	base := Header{Age: 100, Type: TypeRouter, AdvRouter: 0xc000020b, Seq: InitialSequenceNumber + 5, Checksum: 0x1234, Length: 40}
	with := func(f func(*Header)) Header {
		h := base
		f(&h)
		return h
	}
	tests := []struct {
		name string
		a, b Header
		want int // sign
	}{
		{"identical", base, base, 0},
		{"(1) higher sequence", with(func(h *Header) { h.Seq++ }), base, 1},
		{"(1) lower sequence", with(func(h *Header) { h.Seq-- }), base, -1},
		{"(1) sequence beats checksum", with(func(h *Header) { h.Seq++; h.Checksum = 1 }), base, 1},
		{"(1) sequence beats MaxAge", base, with(func(h *Header) { h.Seq--; h.Age = MaxAge }), 1},
		{"(1) sequence beats younger age", with(func(h *Header) { h.Seq++; h.Age = 3000 }), with(func(h *Header) { h.Age = 0 }), 1},
		{"(1) signed: 0x80000001 older than 0x7fffffff",
			with(func(h *Header) { h.Seq = InitialSequenceNumber }), with(func(h *Header) { h.Seq = MaxSequenceNumber }), -1},
		{"(1) signed: 0x80000001 older than 0", with(func(h *Header) { h.Seq = InitialSequenceNumber }), with(func(h *Header) { h.Seq = 0 }), -1},
		{"(1) signed: 0 older than 1", with(func(h *Header) { h.Seq = 0 }), with(func(h *Header) { h.Seq = 1 }), -1},
		{"(1) signed: 0xffffffff (-1) older than 0", with(func(h *Header) { h.Seq = -1 }), with(func(h *Header) { h.Seq = 0 }), -1},
		{"(2) larger checksum", with(func(h *Header) { h.Checksum = 0x1235 }), base, 1},
		{"(2) checksum is unsigned", with(func(h *Header) { h.Checksum = 0xff00 }), with(func(h *Header) { h.Checksum = 0x00ff }), 1},
		{"(2) checksum beats MaxAge", base, with(func(h *Header) { h.Checksum--; h.Age = MaxAge }), 1},
		{"(3) a at MaxAge", with(func(h *Header) { h.Age = MaxAge }), base, 1},
		{"(3) b at MaxAge", with(func(h *Header) { h.Age = 0 }), with(func(h *Header) { h.Age = MaxAge }), -1},
		{"(3) age above MaxAge counts as MaxAge", with(func(h *Header) { h.Age = MaxAge + 7 }), base, 1},
		{"(3) both at MaxAge", with(func(h *Header) { h.Age = MaxAge }), with(func(h *Header) { h.Age = MaxAge + 1 }), 0},
		{"(3) MaxAge beats a far younger age", with(func(h *Header) { h.Age = MaxAge }), with(func(h *Header) { h.Age = 0 }), 1},
		{"(4) a younger by MaxAgeDiff+1", with(func(h *Header) { h.Age = 10 }), with(func(h *Header) { h.Age = 10 + MaxAgeDiff + 1 }), 1},
		{"(4) b younger by MaxAgeDiff+1", with(func(h *Header) { h.Age = 2000 + MaxAgeDiff + 1 }), with(func(h *Header) { h.Age = 2000 }), -1},
		{"(5) ages differ by exactly MaxAgeDiff", with(func(h *Header) { h.Age = 10 }), with(func(h *Header) { h.Age = 10 + MaxAgeDiff }), 0},
		{"(5) ages differ by less", with(func(h *Header) { h.Age = 0 }), with(func(h *Header) { h.Age = 899 }), 0},
		{"(5) other fields do not matter", base, with(func(h *Header) { h.Length = 99; h.ID = 7 }), 0},
		{"(4) ages near MaxAge", with(func(h *Header) { h.Age = MaxAge - 1 }), with(func(h *Header) { h.Age = MaxAge - 2 - MaxAgeDiff }), -1},
	}
	for _, tc := range tests {
		got := Compare(tc.a, tc.b)
		if sign(got) != tc.want {
			t.Errorf("%s: Compare = %d, want sign %d", tc.name, got, tc.want)
		}
		if back := Compare(tc.b, tc.a); sign(back) != -tc.want {
			t.Errorf("%s: Compare(b, a) = %d, want sign %d", tc.name, back, -tc.want)
		}
	}
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
