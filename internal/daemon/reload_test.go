package daemon

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/config"
)

func mustParse(t *testing.T, text string) *config.Config {
	t.Helper()
	c, err := config.Parse("t.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// planSummary flattens a plan for comparison.
type planSummary struct {
	Restart, Live, Added, Removed, Changed []string
}

func summarize(p reloadPlan) planSummary {
	var s planSummary
	for _, c := range p.restart {
		s.Restart = append(s.Restart, c.key+": "+c.old+" -> "+c.new)
	}
	for _, c := range p.live {
		s.Live = append(s.Live, c.key+": "+c.old+" -> "+c.new)
	}
	for _, a := range p.added {
		s.Added = append(s.Added, a.Name)
	}
	for _, r := range p.removed {
		s.Removed = append(s.Removed, r.Name)
	}
	for _, c := range p.changed {
		s.Changed = append(s.Changed, c.new.Name+": "+strings.Join(c.what, ", "))
	}
	return s
}

func TestPlanReload(t *testing.T) {
	const base = `router_id = "192.0.2.11"
log_level = "info"
[ospf]
interface = "eth0"
[[service]]
name = "dns"
prefix = "2001:db8:53::53/128"
metric = 10
[[service]]
name = "ntp"
prefix = "2001:db8:123::123/128"
`
	for _, tc := range []struct {
		name string
		next string
		opts Options
		want planSummary
	}{
		{"same", base, Options{}, planSummary{}},
		{"restart settings", `router_id = "192.0.2.12"
log_level = "info"
log_format = "json"
[ospf]
interface = "eth1"
area = 1
hello_interval = "1s"
[[service]]
name = "dns"
prefix = "2001:db8:53::53/128"
[[service]]
name = "ntp"
prefix = "2001:db8:123::123/128"
`, Options{}, planSummary{Restart: []string{
			`router_id: "192.0.2.11" -> "192.0.2.12"`,
			`log_format: "text" -> "json"`,
			`ospf.interface: "eth0" -> "eth1"`,
			`ospf.area: "0.0.0.0" -> "0.0.0.1"`,
			`ospf.hello_interval: "10s" -> "1s"`,
			`ospf.dead_interval: "40s" -> "4s"`,
		}}},
		{"live settings", `router_id = "192.0.2.11"
log_level = "debug"
stop_timeout = "60s"
[ospf]
interface = "eth0"
keep_addresses = true
[[service]]
name = "dns"
prefix = "2001:db8:53::53/128"
[[service]]
name = "ntp"
prefix = "2001:db8:123::123/128"
`, Options{}, planSummary{Live: []string{`log_level: "info" -> "debug"`, `stop_timeout: "30s" -> "1m0s"`, `ospf.keep_addresses: false -> true`}}},
		{"overridden by flags", `router_id = "192.0.2.11"
log_level = "debug"
log_format = "json"
control_socket = "/tmp/x.sock"
[ospf]
interface = "eth0"
[[service]]
name = "dns"
prefix = "2001:db8:53::53/128"
[[service]]
name = "ntp"
prefix = "2001:db8:123::123/128"
`, Options{Control: "/run/a.sock", LogFormat: "text", LogLevel: "warn"}, planSummary{}},
		{"authentication needs a restart", `router_id = "192.0.2.11"
log_level = "info"
[ospf]
interface = "eth0"
[ospf.auth]
key_id = 1
key_file = "/etc/anycostd/ospf.key"
[[service]]
name = "dns"
prefix = "2001:db8:53::53/128"
metric = 10
[[service]]
name = "ntp"
prefix = "2001:db8:123::123/128"
`, Options{}, planSummary{Restart: []string{
			"ospf.auth: off -> key 1 hmac-sha-256 /etc/anycostd/ospf.key; dialect rfc7166; seq_file /var/lib/anycostd/auth-seq",
		}}},
		{"BFD needs a restart", `router_id = "192.0.2.11"
log_level = "info"
[ospf]
interface = "eth0"
[ospf.bfd]
interval = "50ms"
[[service]]
name = "dns"
prefix = "2001:db8:53::53/128"
metric = 10
[[service]]
name = "ntp"
prefix = "2001:db8:123::123/128"
`, Options{}, planSummary{Restart: []string{"ospf.bfd: off -> interval 50ms multiplier 3"}}},
		{"services", `router_id = "192.0.2.11"
[ospf]
interface = "eth0"
[[service]]
name = "ntp"
prefix = "2001:db8:123::124/128"
metric = 40
drain_action = "withdraw"
[service.probe]
kind = "udp"
payload = "x"
[[service]]
name = "web"
prefix = "2001:db8:80::80/128"
`, Options{}, planSummary{
			Added:   []string{"web"},
			Removed: []string{"dns"},
			Changed: []string{"ntp: prefix 2001:db8:123::123/128 -> 2001:db8:123::124/128, metric 10 -> 40, probe"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := summarize(planReload(mustParse(t, base), mustParse(t, tc.next), tc.opts))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlanReloadTierPrefix: a change of a tier's prefix alone
// (config/tierprefix.go) is a change of the service.
func TestPlanReloadTierPrefix(t *testing.T) {
	conf := func(prefix string) string {
		return `router_id = "192.0.2.11"
[ospf]
interface = "eth0"
[[service]]
name = "dns"
prefix = "2001:db8:53::53/128"
[[service.tier]]
metric = 10
up = 0.6
down = 0.4
[[service.tier]]
metric = 40
` + prefix
	}
	for _, tc := range []struct {
		name, old, next string
		want            planSummary
	}{
		{"same", conf(`prefix = "2001:db8:53::50/126"`), conf(`prefix = "2001:db8:53::50/126"`), planSummary{}},
		{"added", conf(""), conf(`prefix = "2001:db8:53::50/126"`), planSummary{Changed: []string{"dns: tier prefix"}}},
		{"changed", conf(`prefix = "2001:db8:53::50/126"`), conf(`prefix = "2001:db8:53::50/125"`), planSummary{Changed: []string{"dns: tier prefix"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := summarize(planReload(mustParse(t, tc.old), mustParse(t, tc.next), Options{}))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}
