package lsa

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTypeBits(t *testing.T) {
	tests := []struct {
		t        Type
		u        bool
		scope    Scope
		function uint16
		known    bool
	}{
		{TypeRouter, false, ScopeArea, 1, true},
		{TypeASExternal, false, ScopeAS, 5, true},
		{TypeNSSA, false, ScopeArea, 7, true},
		{TypeLink, false, ScopeLink, 8, true},
		{TypeIntraAreaPrefix, false, ScopeArea, 9, true},
		{0xa00a, true, ScopeArea, 10, false},
		{TypeServerLoad, true, ScopeArea, 8176, false}, // decoded, but flooded as unknown
		{0xe00b, true, ScopeReserved, 11, false},
		{0xa001, true, ScopeArea, 1, false}, // Router function code, other bits: not decoded
	}
	for _, tc := range tests {
		if tc.t.UBit() != tc.u || tc.t.Scope() != tc.scope || tc.t.Function() != tc.function || tc.t.Known() != tc.known {
			t.Errorf("%s: U %v scope %s function %d known %v; want %v %s %d %v", tc.t,
				tc.t.UBit(), tc.t.Scope(), tc.t.Function(), tc.t.Known(), tc.u, tc.scope, tc.function, tc.known)
		}
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	raw := loadGolden(t, "asexternal.hex")
	h, err := ParseHeader(raw)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(golden[4].want.Header, h); diff != "" {
		t.Errorf("ParseHeader mismatch (-want +got):\n%s", diff)
	}
	if got := AppendHeader(nil, h); !bytes.Equal(got, raw[:HeaderLen]) {
		t.Errorf("AppendHeader = %x, want %x", got, raw[:HeaderLen])
	}
	if _, err := ParseHeader(raw[:HeaderLen-1]); !errors.Is(err, ErrTruncated) {
		t.Errorf("short header: error %v, want ErrTruncated", err)
	}
}
