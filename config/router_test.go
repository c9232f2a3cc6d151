package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// routerReferencePath documents the [router] table.
const routerReferencePath = "../testdata/router.toml"

func TestRouterReference(t *testing.T) {
	got, err := Load(routerReferencePath)
	if err != nil {
		t.Fatalf("Load(%s): %v", routerReferencePath, err)
	}
	want := &Router{
		Backend: BackendZebra, ZebraSocket: "/var/run/frr/zserv.api", Distance: 100, KernelMetric: 10,
		KernelLease: 5 * time.Second, KernelNetns: "/proc/1/ns/net",
		Prefixes:  []netip.Prefix{netip.MustParsePrefix("2001:db8:53::53/128")},
		MaxWeight: 255, MinFactor: 0.25, MaxFactor: 4, DeadBand: 0.1, Confirm: 3,
		ServerIfindex: 2, ServerDR: 0xc0000201, ServerInterfaceID: 2,
	}
	if diff := cmp.Diff(want, got.Router, cmpOpts...); diff != "" {
		t.Errorf("router.toml (-want +got):\n%s", diff)
	}
	if got.RouterID != 0xc0000202 || got.OSPF.Interface != "anycost1" || len(got.Services) != 0 {
		t.Errorf("router.toml: router_id %x, interface %q, %d services", got.RouterID, got.OSPF.Interface, len(got.Services))
	}
}

func TestRouterDefaults(t *testing.T) {
	got, err := Parse("r.toml", []byte("router_id = \"192.0.2.2\"\n[ospf]\ninterface = \"eth0\"\n[router]\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Router{ZebraSocket: DefaultZebraSocket, Distance: 100, KernelMetric: 10, KernelLease: 5 * time.Second, MaxWeight: 255, MinFactor: 0.25, MaxFactor: 4, DeadBand: 0.1, Confirm: 3}
	if diff := cmp.Diff(want, got.Router, cmpOpts...); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestRouterBad(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"[router]\nbackend = \"bird\"", `router.backend: "bird" is not a backend`},
		{"[router]\ndistance = 110", "router.distance: 110 is out of range 1..109"},
		{"[router]\nmax_weight = 256", "router.max_weight: 256 is out of range 1..255"},
		{"[router]\nbackend = \"kernel\"\nmax_weight = 257", "router.max_weight: 257 is out of range 1..256"},
		{"[router]\nmin_factor = 2", "router.min_factor: integer 2 is outside (0, 1]"},
		{"[router]\nmax_factor = 0.5", "router.max_factor: float 0.5 is outside [1, 100]"},
		{"[router]\ndead_band = 0.6", "router.dead_band: float 0.6 is outside [0, 0.5]"},
		{"[router]\ndead_band = -0.1", "router.dead_band: float -0.1 is not a load figure"},
		{"[router]\nconfirm = 0", "router.confirm: 0 is out of range 1..10"},
		{"[router]\nconfirm = 11", "router.confirm: 11 is out of range 1..10"},
		{"[router]\nprefixes = [\"192.0.2.0/24\"]", `router.prefixes[0]: "192.0.2.0/24" is not an IPv6 prefix`},
		{"[router]\nserver_dr = \"192.0.2.1\"", "router.server_dr: with server_dr"},
		{"[router]\nzebra_socket = \"zserv.api\"", "router.zebra_socket"},
		{"[router]\nkernel_lease = \"1s\"", "router.kernel_lease: 1s is out of range 2s..1h"},
		{"[router]\nkernel_lease = \"2500ms\"", "router.kernel_lease: 2.5s is not a whole number of seconds"},
		{"[router]\nkernel_lease = 5", "router.kernel_lease"},
		{"[router]\nkernel_netns = \"ns/r1\"", `router.kernel_netns: "ns/r1" is not an absolute path`},
		{"[router]\n[[service]]\nname = \"dns\"\nprefix = \"2001:db8:53::53/128\"", "a [router] configuration (anycostd router) has no [[service]]"},
	} {
		_, err := Parse("r.toml", []byte("router_id = \"192.0.2.2\"\n[ospf]\ninterface = \"eth0\"\n"+tc.body+"\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.body, err, tc.want)
		}
	}
	if _, err := Parse("r.toml", []byte("[router]\n")); err == nil || !strings.Contains(err.Error(), "router_id") {
		t.Errorf("no router_id: %v", err)
	}
}

func TestLoadStep(t *testing.T) {
	for _, tc := range []struct {
		line string
		want float64
		err  string
	}{
		{"", 0.05, ""},
		{"load_step = 0.1", 0.1, ""},
		{"load_step = 0", 0, "ospf.load_step: integer 0 is outside [0.01, 0.5]"},
		{"load_step = 0.6", 0, "ospf.load_step: float 0.6 is outside [0.01, 0.5]"},
		{`load_step = "5%"`, 0, "ospf.load_step: want a number"},
	} {
		c, err := Parse("s.toml", []byte("router_id = \"192.0.2.11\"\n[ospf]\ninterface = \"eth0\"\n"+tc.line+"\n"+serviceTOML))
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: got %v, want %q", tc.line, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.line, err)
		case c.OSPF.LoadStep != tc.want:
			t.Errorf("%q: load_step %g, want %g", tc.line, c.OSPF.LoadStep, tc.want)
		}
	}
}

// Router.Settings lists every key of the [router] table, so that a
// reload (anycostd router, SIGHUP) sees a change of any of them.
func TestRouterSettingsListEveryKey(t *testing.T) {
	var keys []string
	for _, s := range (&Router{}).Settings() {
		keys = append(keys, s.Key)
	}
	rt := reflect.TypeOf(rawRouter{})
	var want []string
	for i := range rt.NumField() {
		want = append(want, "router."+rt.Field(i).Tag.Get("toml"))
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("Settings keys (-the [router] table +Settings):\n%s", diff)
	}
	// The values are the file's: the reference reads back the same.
	c, err := Load(routerReferencePath)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("back.toml", []byte(c.String()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c.Router.Settings(), back.Router.Settings()); diff != "" {
		t.Errorf("rendered and read back (-want +got):\n%s", diff)
	}
}
