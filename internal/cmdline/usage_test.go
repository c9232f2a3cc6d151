package cmdline

import "testing"

func TestClosest(t *testing.T) {
	names := []string{"run", "check", "status", "lsdb", "neighbors", "drain", "undrain", "cost"}
	for in, want := range map[string]string{
		"stat": "status", "stauts": "status", "chek": "check", "neighbours": "neighbors",
		"rn": "run", "xyz": "", "frobnicate": "", "drian": "drain",
	} {
		if got := closest(in, names); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}
