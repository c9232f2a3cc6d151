package config

import (
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/ospf/auth"
)

const referencePath = "../testdata/reference.toml"

// reference is what testdata/reference.toml says, value by value.
var reference = &Config{
	RouterID:      192<<24 | 2<<8 | 11, // 192.0.2.11
	ControlSocket: "/run/anycostd/anycostd.sock",
	StateDir:      "/var/lib/anycostd",
	LogLevel:      slog.LevelInfo,
	LogFormat:     LogJSON,
	MetricsListen: "[::1]:9153",
	StopTimeout:   30 * time.Second,
	OSPF: OSPF{
		Interface:          "eth0",
		Area:               0,
		InstanceID:         0,
		InterfaceCost:      10,
		HelloInterval:      time.Second,
		DeadInterval:       4 * time.Second,
		RetransmitInterval: 5 * time.Second,
		TransmitDelay:      time.Second,
		MinLSInterval:      1100 * time.Millisecond,
		FlushTimeout:       5 * time.Second,
		StubArea:           false,
		AddressInterface:   "lo",
		KeepAddresses:      false,
		SPFNudge:           true,
		TTLSecurity:        true,
		LoadStep:           0.05,
		BFD:                &BFD{Interval: 50 * time.Millisecond, Multiplier: 3},
		Auth: &Auth{
			Dialect: auth.DialectFRR8,
			SeqFile: "/var/lib/anycostd/auth-seq",
			Keys: []AuthKey{
				{
					ID:          1,
					Algorithm:   auth.HMACSHA256,
					KeyFile:     "/etc/anycostd/ospf.key",
					SendFrom:    time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
					SendUntil:   time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC),
					AcceptFrom:  time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
					AcceptUntil: time.Date(2027, 7, 2, 0, 0, 0, 0, time.UTC),
				},
				{
					ID:          2,
					Algorithm:   auth.HMACSHA256,
					KeyFile:     "/etc/anycostd/ospf.key.2",
					SendFrom:    time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC),
					SendUntil:   time.Date(2027, 12, 31, 23, 0, 0, 0, time.UTC), // +01:00
					AcceptFrom:  time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC),
					AcceptUntil: time.Date(2028, 1, 2, 0, 0, 0, 0, time.UTC),
				},
			},
		},
	},
	ND: ND{
		Interface:    "eth0",
		MinGap:       500 * time.Millisecond,
		StandbyAfter: 30 * time.Second,
	},
	Services: []Service{
		{
			Name:        "dns",
			Prefix:      netip.MustParsePrefix("2001:db8:53::53/128"),
			Metric:      10,
			DrainTime:   3 * time.Second,
			DrainFile:   "/run/anycostd/drain-dns",
			DrainAction: costmodel.DrainMaxTier,
			Socket: &SocketMonitor{
				Port:     53,
				Address:  netip.MustParseAddr("2001:db8:53::53"),
				Interval: 100 * time.Millisecond,
			},
			Probe: &Probe{
				Kind:      ProbeDNS,
				QName:     "example.org.",
				QType:     6,
				Port:      53,
				Interval:  200 * time.Millisecond,
				Timeout:   100 * time.Millisecond,
				Rise:      3,
				Fall:      2,
				HungAfter: 3 * time.Second,
			},
			External: &External{
				File:     "/run/dns/load",
				Interval: time.Second,
				Timeout:  500 * time.Millisecond,
			},
			CPU: &CPU{Cgroup: "system.slice/nsd.service", CgroupRoot: "/sys/fs/cgroup", Cores: 2, Interval: time.Second},
			Tiers: []costmodel.Tier{
				{Metric: 10, Up: 0.6, Down: 0.4},
				{Metric: 20, Up: 0.8, Down: 0.5},
				{Metric: 40},
			},
			TierPrefixes: []netip.Prefix{{}, {}, netip.MustParsePrefix("2001:db8:53::50/126")},
			Capacity:     2,
			FarmRules:    true,
		},
		{
			Name:        "echo",
			Prefix:      netip.MustParsePrefix("2001:db8:7::7/128"),
			Metric:      100,
			DrainTime:   0,
			DrainAction: costmodel.DrainWithdraw,
			Probe: &Probe{
				Kind:      ProbeUDP,
				Payload:   []byte{0, 1, 2, 3},
				Expect:    []byte("pong"),
				Port:      7,
				Interval:  time.Second,
				Timeout:   250 * time.Millisecond,
				Rise:      1,
				Fall:      1,
				HungAfter: 3 * time.Second,
			},
			External: &External{
				Command:  []string{"/usr/local/bin/echo-load", "--once"},
				FullRate: 3500,
				Interval: 2 * time.Second,
				Timeout:  2 * time.Second,
			},
			LoadWeights: &costmodel.Weights{RQueue: 0, Drops: 1, Latency: 0, External: 1, CPU: 1},
			Mode:        ModeND,
			Capacity:    1,
		},
	},
}

// cmpOpts compares netip values by their value.
var cmpOpts = []cmp.Option{
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
}

func TestReference(t *testing.T) {
	got, err := Load(referencePath)
	if err != nil {
		t.Fatalf("Load(%s): %v", referencePath, err)
	}
	if diff := cmp.Diff(reference, got, cmpOpts...); diff != "" {
		t.Errorf("reference.toml (-want +got):\n%s", diff)
	}
	if w := got.Warnings(); len(w) != 0 {
		t.Errorf("reference.toml warnings: %q", w)
	}
}

// TestReferenceHasEveryKey makes sure the reference documents every key
// the loader knows.
func TestReferenceHasEveryKey(t *testing.T) {
	documented := map[string]bool{}
	for _, path := range []string{referencePath, routerReferencePath} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for k := range indexKeys(data).first {
			documented[k] = true
		}
	}
	for k := range knownKeys {
		if !documented[k] {
			t.Errorf("key %s is in neither reference.toml nor router.toml", k)
		}
	}
}

func TestDefaults(t *testing.T) {
	const minimal = `
router_id = "192.0.2.1"
[ospf]
interface = "eth0"
[[service]]
name = "dns"
prefix = "2001:db8:53::53/128"
[service.socket]
port = 53
[service.probe]
kind = "dns"
qname = "example.org"
[service.external]
command = "cat /run/load"
[[service]]
name = "udp"
prefix = "2001:db8::1/128"
[service.probe]
kind = "udp"
payload = "ping"
[[service]]
name = "tiered"
prefix = "2001:db8::2/128"
[[service.tier]]
metric = 30
up = 1
down = 0.5
[[service.tier]]
metric = 60
`
	want := &Config{
		RouterID:      192<<24 | 2<<8 | 1,
		ControlSocket: "/run/anycostd/anycostd.sock",
		StateDir:      "/var/lib/anycostd",
		LogLevel:      slog.LevelInfo,
		LogFormat:     LogText,
		MetricsListen: "",
		StopTimeout:   30 * time.Second,
		OSPF: OSPF{
			Interface:          "eth0",
			Area:               0,
			InstanceID:         0,
			InterfaceCost:      10,
			HelloInterval:      10 * time.Second,
			DeadInterval:       40 * time.Second,
			RetransmitInterval: 5 * time.Second,
			TransmitDelay:      time.Second,
			MinLSInterval:      1100 * time.Millisecond,
			FlushTimeout:       5 * time.Second,
			AddressInterface:   "lo",
			SPFNudge:           true,
			LoadStep:           0.05,
		},
		ND: ND{MinGap: 500 * time.Millisecond, StandbyAfter: 30 * time.Second}, // no [nd]
		Services: []Service{
			{
				Name:        "dns",
				Prefix:      netip.MustParsePrefix("2001:db8:53::53/128"),
				Metric:      10,
				DrainTime:   3 * time.Second,
				DrainAction: costmodel.DrainWithdraw,
				Capacity:    1,
				Socket: &SocketMonitor{
					Port:     53,
					Address:  netip.MustParseAddr("2001:db8:53::53"),
					Interval: 100 * time.Millisecond,
				},
				Probe: &Probe{
					Kind:      ProbeDNS,
					QName:     "example.org.", // made fully qualified
					QType:     6,              // SOA
					Port:      53,
					Interval:  200 * time.Millisecond,
					Timeout:   100 * time.Millisecond,
					Rise:      3,
					Fall:      2,
					HungAfter: 3 * time.Second,
				},
				External: &External{
					Command:  []string{"/bin/sh", "-c", "cat /run/load"},
					Interval: time.Second,
					Timeout:  time.Second,
				},
			},
			{
				Name:        "udp",
				Prefix:      netip.MustParsePrefix("2001:db8::1/128"),
				Metric:      10,
				DrainTime:   3 * time.Second,
				DrainAction: costmodel.DrainWithdraw,
				Capacity:    1,
				Probe: &Probe{
					Kind:      ProbeUDP,
					Payload:   []byte("ping"),
					Port:      53,
					Interval:  200 * time.Millisecond,
					Timeout:   100 * time.Millisecond,
					Rise:      3,
					Fall:      2,
					HungAfter: 3 * time.Second,
				},
			},
			{
				Name:        "tiered",
				Prefix:      netip.MustParsePrefix("2001:db8::2/128"),
				Metric:      30, // the first tier's
				DrainTime:   3 * time.Second,
				DrainAction: costmodel.DrainWithdraw,
				Capacity:    1,
				Tiers: []costmodel.Tier{
					{Metric: 30, Up: 1, Down: 0.5},
					{Metric: 60},
				},
			},
		},
	}
	got, err := Parse("minimal.toml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

// TestOtherSpellings covers the accepted alternatives of some keys.
func TestOtherSpellings(t *testing.T) {
	const head = "router_id = \"10.0.0.1\"\n[ospf]\ninterface = \"eth0\"\n"
	for _, tc := range []struct {
		name, body string
		check      func(*Config) any
		want       any
	}{
		{"integer area", "area = 7\n", func(c *Config) any { return c.OSPF.Area }, uint32(7)},
		{"dotted area", "area = \"0.0.1.2\"\n", func(c *Config) any { return c.OSPF.Area }, uint32(258)},
		{"dead follows hello", "hello_interval = \"2s\"\n", func(c *Config) any { return c.OSPF.DeadInterval }, 8 * time.Second},
		{"metrics on loopback", "", func(c *Config) any { return c.MetricsListen }, "127.0.0.1:9153"},
		{"qtype number", "[[service]]\nname=\"a\"\nprefix=\"2001:db8::1/128\"\n[service.probe]\nkind=\"dns\"\nqname=\".\"\nqtype=28\n",
			func(c *Config) any { return c.Services[0].Probe.QType }, uint16(28)},
		{"qtype generic", "[[service]]\nname=\"a\"\nprefix=\"2001:db8::1/128\"\n[service.probe]\nkind=\"dns\"\nqname=\".\"\nqtype=\"type65\"\n",
			func(c *Config) any { return c.Services[0].Probe.QType }, uint16(65)},
		{"inline table", "[[service]]\nname=\"a\"\nprefix=\"2001:db8::1/128\"\nsocket = { port = 5353 }\n",
			func(c *Config) any { return c.Services[0].Socket.Port }, uint16(5353)},
		{"cpu defaults", cpuTOML(`"system.slice/nsd.service"`), func(c *Config) any { return *c.Services[0].CPU },
			CPU{Cgroup: "system.slice/nsd.service", CgroupRoot: "/sys/fs/cgroup", Interval: time.Second}},
		{"cpu cgroup under the mount", cpuTOML(`"/sys/fs/cgroup/system.slice/nsd.service/"`), func(c *Config) any { return c.Services[0].CPU.Cgroup },
			"system.slice/nsd.service"},
		{"cpu cgroup as /proc/PID/cgroup", cpuTOML(`"/system.slice//nsd.service"`), func(c *Config) any { return c.Services[0].CPU.Cgroup },
			"system.slice/nsd.service"},
		{"cpu root cgroup", cpuTOML(`"/"`), func(c *Config) any { return c.Services[0].CPU.Cgroup }, "."},
		{"cpu root mount", cpuTOML(`"/sys/fs/cgroup"`), func(c *Config) any { return c.Services[0].CPU.Cgroup }, "."},
		{"cpu cores", cpuTOML(`"a"`) + "cores = 0.5\ninterval = \"2s\"\n", func(c *Config) any { return *c.Services[0].CPU },
			CPU{Cgroup: "a", CgroupRoot: "/sys/fs/cgroup", Cores: 0.5, Interval: 2 * time.Second}},
		{"cpu cgroup root", cpuTOML(`"/proc/7/root/sys/fs/cgroup/lab-nsd-s1"`) + "cgroup_root = \"/proc/7/root/sys/fs/cgroup/\"\n",
			func(c *Config) any { return *c.Services[0].CPU },
			CPU{Cgroup: "lab-nsd-s1", CgroupRoot: "/proc/7/root/sys/fs/cgroup", Interval: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := head + tc.body
			if !strings.Contains(text, "[[service]]") {
				text += serviceTOML
			}
			if tc.name == "metrics on loopback" {
				text = "metrics_listen = \":9153\"\n" + text
			}
			c, err := Parse("t.toml", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, tc.check(c)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			again, err := Parse("rendered.toml", []byte(c.String()))
			if err != nil {
				t.Fatalf("rendered: %v\n%s", err, c.String())
			}
			if diff := cmp.Diff(c, again, cmpOpts...); diff != "" {
				t.Errorf("rendered config differs (-parsed +reparsed):\n%s", diff)
			}
		})
	}
}

// cpuTOML is a service with [service.cpu] on cgroup (a TOML string).
func cpuTOML(cgroup string) string {
	return "[[service]]\nname=\"a\"\nprefix=\"2001:db8::1/128\"\n[service.cpu]\ncgroup = " + cgroup + "\n"
}

// TestRender checks that the effective configuration reads back to the
// same Config.
func TestRender(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/*.toml")
	paths = append(paths, referencePath)
	for _, p := range paths {
		c, err := Load(p)
		if err != nil {
			t.Fatalf("Load(%s): %v", p, err)
		}
		text := c.String()
		again, err := Parse("rendered.toml", []byte(text))
		if err != nil {
			t.Fatalf("rendered %s does not parse: %v\n%s", p, err, text)
		}
		if diff := cmp.Diff(c, again, cmpOpts...); diff != "" {
			t.Errorf("%s: rendered config differs (-loaded +reparsed):\n%s\n%s", p, diff, text)
		}
	}
}

func TestWarnings(t *testing.T) {
	c, err := Parse("w.toml", []byte(`router_id = "10.0.0.1"
[ospf]
interface = "eth0"
min_ls_interval = "500ms"
retransmit_interval = "1s"
`+serviceTOML))
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Warnings(); len(w) != 2 {
		t.Errorf("Warnings = %q, want two", w)
	}
}
