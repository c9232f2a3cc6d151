package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBFD(t *testing.T) {
	const head = "router_id = \"192.0.2.11\"\n[ospf]\ninterface = \"eth0\"\n" // [ospf.bfd] on line 4
	for _, tc := range []struct {
		name  string
		table string
		want  *BFD
		err   string // the whole message, after the file name
	}{
		{"absent", "", nil, ""},
		{"defaults", "[ospf.bfd]\n", &BFD{Interval: 100 * time.Millisecond, Multiplier: 3}, ""},
		{"set", "[ospf.bfd]\ninterval = \"50ms\"\nmultiplier = 5\n", &BFD{Interval: 50 * time.Millisecond, Multiplier: 5}, ""},
		{"bounds", "[ospf.bfd]\ninterval = \"10ms\"\nmultiplier = 255\n", &BFD{Interval: 10 * time.Millisecond, Multiplier: 255}, ""},
		{"interval too short", "[ospf.bfd]\ninterval = \"5ms\"\n", nil,
			`:5: ospf.bfd.interval: 5ms is out of range 10ms..10s`},
		{"interval too long", "[ospf.bfd]\ninterval = \"1m\"\n", nil,
			`:5: ospf.bfd.interval: 1m is out of range 10ms..10s`},
		{"interval zero", "[ospf.bfd]\ninterval = \"0s\"\n", nil,
			`:5: ospf.bfd.interval: must be above 0 (10ms..10s)`},
		{"interval no unit", "[ospf.bfd]\ninterval = 50\n", nil,
			`:5: ospf.bfd.interval: 50 has no unit: write durations as strings, e.g. "50s"`},
		{"interval below a microsecond", "[ospf.bfd]\ninterval = \"10.0005ms\"\n", nil,
			`:5: ospf.bfd.interval: 10.0005ms is not a whole number of microseconds (it is sent in microseconds)`},
		{"multiplier 1", "[ospf.bfd]\nmultiplier = 1\n", nil,
			`:5: ospf.bfd.multiplier: 1 is out of range 2..255`},
		{"multiplier 256", "[ospf.bfd]\nmultiplier = 256\n", nil,
			`:5: ospf.bfd.multiplier: 256 is out of range 2..255`},
		{"multiplier string", "[ospf.bfd]\nmultiplier = \"3\"\n", nil,
			`:5: ospf.bfd.multiplier: want an integer, got string "3"`},
		{"unknown key", "[ospf.bfd]\nintervall = \"50ms\"\n", nil,
			`:5: ospf.bfd.intervall: unknown key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("anycostd.toml", []byte(head+tc.table+serviceTOML))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), "anycostd.toml"+tc.err) {
					t.Fatalf("got %v, want %q", err, "anycostd.toml"+tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.OSPF.BFD); diff != "" {
				t.Errorf("BFD (-want +got):\n%s", diff)
			}
			again, err := Parse("rendered.toml", []byte(c.String()))
			if err != nil {
				t.Fatalf("rendered config does not parse: %v\n%s", err, c.String())
			}
			if diff := cmp.Diff(c.OSPF.BFD, again.OSPF.BFD); diff != "" {
				t.Errorf("rendered BFD differs (-loaded +reparsed):\n%s", diff)
			}
		})
	}
}

func TestBFDSummary(t *testing.T) {
	var off *BFD
	if got := off.Summary(); got != "off" {
		t.Errorf("nil Summary %q, want off", got)
	}
	b := &BFD{Interval: 50 * time.Millisecond, Multiplier: 3}
	if got, want := b.Summary(), "interval 50ms multiplier 3"; got != want {
		t.Errorf("Summary %q, want %q", got, want)
	}
	if got := b.DetectTime(); got != 150*time.Millisecond {
		t.Errorf("DetectTime %v, want 150ms", got)
	}
}
