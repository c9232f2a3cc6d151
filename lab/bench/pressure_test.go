package main

import (
	"testing"
	"time"
)

func TestParseStall(t *testing.T) {
	got, err := parseStall("some avg10=14.29 avg60=20.28 avg300=41.36 total=2795655726\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
	if err != nil || got != 2795655726*time.Microsecond {
		t.Errorf("parseStall = %v, %v; want 2795.655726s", got, err)
	}
	for _, bad := range []string{"", "full avg10=0 total=5\n", "some avg10=0 total=x\n", "some avg10=0\n"} {
		if _, err := parseStall(bad); err == nil {
			t.Errorf("parseStall(%q): no error", bad)
		}
	}
}
