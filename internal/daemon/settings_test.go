package daemon

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/ndproxy"
	"github.com/anycostd/anycostd/netif"
)

// referencePath documents every key of the configuration.
const referencePath = "../../testdata/reference.toml"

// testLink is an interface as the host reports it.
var testLink = netif.Link{Name: "eth0", Index: 2, MTU: 1500, Up: true, LinkLocal: netip.MustParseAddr("fe80::1")}

// TestOSPFConfig: the reference configuration gives an instance
// configuration the engine accepts, with the file's values.
func TestOSPFConfig(t *testing.T) {
	c, err := config.Load(referencePath)
	if err != nil {
		t.Fatal(err)
	}
	oc := ospfConfig(c, testLink, 0)
	if err := oc.Validate(); err != nil {
		t.Errorf("the reference's OSPF configuration does not validate: %v", err)
	}
	if oc.RouterID != c.RouterID || oc.HelloInterval != time.Second || oc.DeadInterval != 4*time.Second ||
		oc.MinLSInterval != 1100*time.Millisecond || oc.Link.Index != testLink.Index || oc.Cost != 10 ||
		oc.ServerLoadStep != c.OSPF.LoadStep {
		t.Errorf("ospfConfig = %+v", oc)
	}
	// A retransmit interval of 1 s needs a shorter ack delay.
	short := mustParse(t, "router_id = \"10.0.0.1\"\n"+svcDNS+"[ospf]\ninterface = \"eth0\"\nmin_ls_interval = \"500ms\"\nretransmit_interval = \"1s\"\n")
	if oc := ospfConfig(short, testLink, 0); oc.Validate() != nil {
		t.Errorf("a 1s retransmit interval does not validate: %v", oc.Validate())
	}
}

// TestAuthTrailerOverhead: the engine keeps packets short by the longest
// trailer of any configured key (RFC 7166 section 4.1: 16 + L bytes).
func TestAuthTrailerOverhead(t *testing.T) {
	dir := t.TempDir()
	k1 := writeKey(t, dir, "k1", "s3cret", 0o600)
	k2 := writeKey(t, dir, "k2", "other", 0o600)
	const head = "router_id = \"192.0.2.11\"\n" + svcDNS + "[ospf]\ninterface = \"eth0\"\n"
	for _, tc := range []struct {
		body string
		want int
	}{
		{"", 0},
		{"[ospf.auth]\nkey_id = 1\nkey_file = \"" + k1 + "\"\n", 16 + 32},
		{"[ospf.auth]\nkey_id = 1\nalgorithm = \"hmac-sha-1\"\nkey_file = \"" + k1 + "\"\n", 16 + 20},
		{"[ospf.auth]\nkey_id = 1\nalgorithm = \"hmac-sha-1\"\nkey_file = \"" + k1 + "\"\n" +
			"[[ospf.auth.key]]\nkey_id = 2\nalgorithm = \"hmac-sha-512\"\nkey_file = \"" + k2 + "\"\n", 16 + 64},
	} {
		c := mustParse(t, head+tc.body)
		oa, err := loadAuth(c.OSPF)
		if err != nil {
			t.Fatal(err)
		}
		oc := ospfConfig(c, testLink, oa.trailer())
		if oc.TrailerOverhead != tc.want {
			t.Errorf("%q: TrailerOverhead %d, want %d", tc.body, oc.TrailerOverhead, tc.want)
		}
		if err := oc.Validate(); err != nil {
			t.Errorf("%q: the OSPF configuration does not validate: %v", tc.body, err)
		}
	}
}

// TestNDSettings: the ND services with the metric of weight 1: the first
// tier's, or the static metric.
func TestNDSettings(t *testing.T) {
	c := mustParse(t, `
router_id = "192.0.2.1"
[ospf]
interface = "eth0"
[nd]
interface = "eth1"
min_gap = "250ms"
[[service]]
name = "a"
prefix = "2001:db8::a/128"
[[service]]
name = "b"
prefix = "2001:db8:1::b/128"
mode = "nd"
metric = 20
[[service]]
name = "c"
prefix = "2001:db8:1::c/128"
mode = "nd"
[[service.tier]]
metric = 15
up = 0.5
down = 0.3
[[service.tier]]
metric = 30
`)
	want := []ndproxy.Service{
		{Name: "b", Addr: netip.MustParseAddr("2001:db8:1::b"), BaseMetric: 20},
		{Name: "c", Addr: netip.MustParseAddr("2001:db8:1::c"), BaseMetric: 15},
	}
	if diff := cmp.Diff(want, ndServices(c.Services), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("ndServices (-want +got):\n%s", diff)
	}
	nc := ndConfig(c, []netip.Prefix{netip.MustParsePrefix("2001:db8:1::11/64")})
	if nc.Interface != "eth1" || nc.Params.MinGap != 250*time.Millisecond || nc.Params.StandbyAfter != 30*time.Second || len(nc.Prefixes) != 1 {
		t.Errorf("ndConfig = %+v", nc)
	}
}

// TestPacing: each service's model is paced as its mode says.
func TestPacing(t *testing.T) {
	ospfSvc := config.Service{Name: "dns", Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Metric: 10}
	ndSvc := config.Service{Name: "web", Prefix: netip.MustParsePrefix("2001:db8:1::80/128"), Metric: 10, Mode: config.ModeND}
	both := pacing{ospf: 1100 * time.Millisecond, nd: 500 * time.Millisecond}
	for _, tc := range []struct {
		name   string
		pacing pacing
		svc    config.Service
		want   time.Duration
	}{
		{"OSPF service: min_ls_interval", both, ospfSvc, 1100 * time.Millisecond},
		{"ND service: min_gap", both, ndSvc, 500 * time.Millisecond},
		{"ND service, min_gap above min_ls_interval", pacing{ospf: time.Second, nd: 3 * time.Second}, ndSvc, 3 * time.Second},
		{"ND service without an ND pacing: OSPF's", pacing{ospf: time.Second}, ndSvc, time.Second},
	} {
		if got := tc.pacing.of(tc.svc); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		p, err := tc.pacing.params(tc.svc)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.MinInterval != tc.want {
			t.Errorf("%s: cost model MinInterval %v, want %v", tc.name, p.MinInterval, tc.want)
		}
	}

	cfg := &config.Config{OSPF: config.OSPF{MinLSInterval: 1100 * time.Millisecond}, ND: config.ND{MinGap: 250 * time.Millisecond}}
	if got, want := pacingOf(cfg), (pacing{ospf: 1100 * time.Millisecond, nd: 250 * time.Millisecond}); got != want {
		t.Errorf("pacingOf = %+v, want %+v", got, want)
	}
}

// TestCPUInputParams: [service.cpu] turns the cost model's cpu input on at
// its interval (its term counts with weight 1); without it the input is
// off. A change of the table reloads the service.
func TestCPUInputParams(t *testing.T) {
	const head = "router_id = \"10.0.0.1\"\n[ospf]\ninterface = \"eth0\"\n" + svcDNS
	with := mustParse(t, head+"[service.cpu]\ncgroup = \"/sys/fs/cgroup/system.slice/nsd.service\"\ninterval = \"2s\"\n")
	p, err := ModelParams(with, with.Services[0])
	if err != nil {
		t.Fatal(err)
	}
	if !p.CPU.Enabled || p.CPU.Interval != 2*time.Second || p.Weights.CPU != 1 {
		t.Errorf("with [service.cpu]: cpu monitor %+v, weight %g; want enabled every 2s, weight 1", p.CPU, p.Weights.CPU)
	}
	if got := with.Services[0].CPU.Cgroup; got != "system.slice/nsd.service" {
		t.Errorf("cgroup %q, want it relative to the cgroup root", got)
	}
	without := mustParse(t, head)
	p, err = ModelParams(without, without.Services[0])
	if err != nil {
		t.Fatal(err)
	}
	if p.CPU.Enabled {
		t.Errorf("without [service.cpu]: cpu monitor %+v, want off", p.CPU)
	}
	if d := serviceDiff(&without.Services[0], &with.Services[0]); !slices.Contains(d, "cpu") {
		t.Errorf("serviceDiff = %q, want cpu in it", d)
	}
}
