package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIndexKeys(t *testing.T) {
	const doc = `# comment with [brackets] and key = "value"
top = "a # not a comment" # comment
multi = """
x = 1
[not.a.table]
"""
arr = [
  1, # one
  "two ]",
  [3, 4],
]
ospf.area = 5
"quoted.key" = 1

[[service]]
name = "a"
socket = { port = 53, address = "::" }
tiers = [ { metric = 1 }, { metric = 2 } ]

[service.probe]  # the first service's probe
kind = 'dns'
lit = '''
'''

[[service]]
name = "b"

[[service.tier]]
metric = 10

[[service.tier]]
metric = 20
  up = 0.5
`
	ix := indexKeys([]byte(doc))
	want := map[string]int{
		"top":                       2,
		"multi":                     3,
		"arr":                       7,
		"ospf":                      12,
		"ospf.area":                 12,
		"quoted.key":                13,
		"service":                   15,
		"service[0]":                15,
		"service[0].name":           16,
		"service[0].socket":         17,
		"service[0].socket.port":    17,
		"service[0].tiers[1]":       18,
		"service[0].probe":          20,
		"service[0].probe.kind":     21,
		"service[0].probe.lit":      22,
		"service[1]":                25,
		"service[1].name":           26,
		"service[1].tier":           28,
		"service[1].tier[0]":        28,
		"service[1].tier[0].metric": 29,
		"service[1].tier[1]":        31,
		"service[1].tier[1].up":     33,
		// Missing keys find their table.
		"service[1].tier[1].down": 31,
		"service[0].probe.rise":   20,
		"router_id":               0,
	}
	got := make(map[string]int)
	for k := range want {
		got[k] = ix.lookup(k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lookup (-want +got):\n%s", diff)
	}
	if _, ok := ix.line["x"]; ok {
		t.Error("a key inside a multi-line string was indexed")
	}
	if _, ok := ix.line["not"]; ok {
		t.Error("a table header inside a multi-line string was indexed")
	}
	if got := ix.fullPath("service.tier.metric", 32); got != "service[1].tier[1].metric" {
		t.Errorf("fullPath(service.tier.metric, 32) = %q", got)
	}
	if got := ix.fullPath("service.name", 0); got != "service[0].name" {
		t.Errorf("fullPath(service.name, 0) = %q", got)
	}
}

func TestPayload(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []byte
		ok   bool
	}{
		{"ping", []byte("ping"), true},
		{"hex:00ff", []byte{0, 0xff}, true},
		{"hex:00 01:02", []byte{0, 1, 2}, true},
		{"hex:0", nil, false},
		{"hex:zz", nil, false},
		{"", []byte{}, true},
	} {
		got, err := decodePayload(tc.in)
		if (err == nil) != tc.ok || (tc.ok && string(got) != string(tc.want)) {
			t.Errorf("decodePayload(%q) = %v, %v", tc.in, got, err)
		}
		if tc.ok {
			back, err := decodePayload(encodePayload(tc.want))
			if err != nil || string(back) != string(tc.want) {
				t.Errorf("payload %v does not survive encodePayload: %q", tc.want, encodePayload(tc.want))
			}
		}
	}
	for _, b := range [][]byte{[]byte("hex:ab"), {0x80}, {'\n'}} {
		if back, _ := decodePayload(encodePayload(b)); string(back) != string(b) {
			t.Errorf("payload %q does not survive encodePayload: %q", b, encodePayload(b))
		}
	}
}

func TestQType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint16
		ok   bool
	}{
		{"SOA", 6, true}, {"aaaa", 28, true}, {"TYPE65", 65, true}, {"type1", 1, true},
		{"TYPE0", 0, false}, {"TYPE70000", 0, false}, {"TYPE", 0, false}, {"TYPE+1", 0, false}, {"BOGUS", 0, false},
	} {
		got, ok := ParseQType(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseQType(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, q := range []uint16{1, 6, 28, 65, 257, 999} {
		if got, ok := ParseQType(QTypeString(q)); !ok || got != q {
			t.Errorf("QTypeString(%d) = %q does not parse back", q, QTypeString(q))
		}
	}
}
