package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ndOnly is a configuration whose services are all in ND mode: no
// router_id, no [ospf].
const ndOnly = `
[nd]
interface = "eth0"
min_gap = "250ms"

[[service]]
name = "dns"
prefix = "2001:db8:1::53/128"
mode = "nd"

[[service.tier]]
metric = 10
up = 0.6
down = 0.4

[[service.tier]]
metric = 40
`

func TestNDOnly(t *testing.T) {
	c, err := Parse("nd.toml", []byte(ndOnly))
	if err != nil {
		t.Fatal(err)
	}
	if c.HasOSPF() || !c.HasND() || c.RouterID != 0 {
		t.Errorf("HasOSPF %v, HasND %v, router ID %d; want false, true, 0", c.HasOSPF(), c.HasND(), c.RouterID)
	}
	if want := (ND{Interface: "eth0", MinGap: 250 * time.Millisecond, StandbyAfter: 30 * time.Second}); c.ND != want {
		t.Errorf("ND %+v, want %+v", c.ND, want)
	}
	if got := c.ModeServices(ModeOSPF); len(got) != 0 {
		t.Errorf("OSPF services %v, want none", got)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("warnings %q", w)
	}
	text := c.String()
	for _, s := range []string{"[ospf]", "router_id"} {
		if strings.Contains(text, s) {
			t.Errorf("rendered ND-only config holds %s:\n%s", s, text)
		}
	}
	again, err := Parse("rendered.toml", []byte(text))
	if err != nil {
		t.Fatalf("rendered config does not parse: %v\n%s", err, text)
	}
	if diff := cmp.Diff(c, again, cmpOpts...); diff != "" {
		t.Errorf("rendered config differs (-loaded +reparsed):\n%s\n%s", diff, text)
	}
	// The settings list keeps its length (reload compares it by index).
	if o, n := len((&Config{}).Settings()), len(c.Settings()); o != n {
		t.Errorf("Settings has %d entries, %d for an empty config", n, o)
	}
}

func TestMixedModes(t *testing.T) {
	c, err := Parse("mixed.toml", []byte(`
router_id = "192.0.2.1"
[ospf]
interface = "eth0"
[nd]
interface = "eth1"
[[service]]
name = "a"
prefix = "2001:db8::a/128"
[[service]]
name = "b"
prefix = "2001:db8:1::b/128"
mode = "nd"
metric = 20
`))
	if err != nil {
		t.Fatal(err)
	}
	if !c.HasOSPF() || !c.HasND() {
		t.Fatalf("HasOSPF %v, HasND %v", c.HasOSPF(), c.HasND())
	}
	if a, b := c.ModeServices(ModeOSPF), c.ModeServices(ModeND); len(a) != 1 || a[0].Name != "a" || len(b) != 1 || b[0].Name != "b" {
		t.Errorf("OSPF services %v, ND services %v", a, b)
	}
}

func TestNDErrors(t *testing.T) {
	for _, tc := range []struct {
		name, toml string
		want       []string
	}{
		{"nd service without [nd]", `
[[service]]
name = "dns"
prefix = "2001:db8:1::53/128"
mode = "nd"
`, []string{`nd.toml: nd.interface: missing: this key is required, e.g. interface = "eth0" in [nd] (a service has mode = "nd")`}},
		{"ospf service without [ospf] or router_id", `
[nd]
interface = "eth0"
[[service]]
name = "dns"
prefix = "2001:db8:1::53/128"
`, []string{
			`nd.toml: router_id: missing: this key is required, e.g. router_id = "192.0.2.11"`,
			`nd.toml: ospf.interface: missing: this key is required, e.g. interface = "eth0" in [ospf]`,
		}},
		{"bad mode", `
[nd]
interface = "eth0"
[[service]]
name = "dns"
prefix = "2001:db8:1::53/128"
mode = "arp"
`, []string{`nd.toml:7: service[0].mode: "arp" is not a mode (ospf or nd)`}},
		{"gap and standby", `
[nd]
interface = "eth0"
min_gap = "10ms"
standby_after = "1s"
[[service]]
name = "dns"
prefix = "2001:db8:1::53/128"
mode = "nd"
`, []string{
			// standby_after is not compared with the default min_gap that
			// stands in for the bad one (it once was: 10 x 500ms).
			`nd.toml:4: nd.min_gap: 10ms is not between 50ms and 1m0s: invalid ND parameters`,
		}},
		{"standby against a min_gap that is no duration", `
[nd]
interface = "eth0"
min_gap = "soon"
standby_after = "1s"
[[service]]
name = "dns"
prefix = "2001:db8:1::53/128"
mode = "nd"
`, []string{
			`nd.toml:4: nd.min_gap: "soon" is not a duration (write e.g. "1.5s" or "100ms")`,
		}},
		{"standby_after above its range", `
[nd]
interface = "eth0"
standby_after = "2h"
[[service]]
name = "dns"
prefix = "2001:db8:1::53/128"
mode = "nd"
`, []string{
			`nd.toml:4: nd.standby_after: 2h is above the maximum 1h`,
		}},
		{"[nd] without interface", `
[nd]
min_gap = "1s"
[[service]]
name = "dns"
prefix = "2001:db8:1::53/128"
mode = "nd"
`, []string{`nd.toml:2: nd.interface: missing: this key is required, e.g. interface = "eth0" in [nd] (a service has mode = "nd")`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("nd.toml", []byte(tc.toml))
			if err == nil {
				t.Fatal("accepted")
			}
			var got []string
			for _, e := range AsErrors(err) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNDWarning(t *testing.T) {
	c, err := Parse("w.toml", []byte("router_id = \"192.0.2.1\"\n"+serviceTOML+"[ospf]\ninterface = \"eth0\"\n[nd]\ninterface = \"eth0\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], "no service has mode") {
		t.Errorf("warnings %q, want one about [nd] without ND services", w)
	}
}
