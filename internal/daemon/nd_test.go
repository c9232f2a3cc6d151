package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/ndproxy"
)

// fakeNDConn is an ND socket that receives nothing and records what is
// sent.
type fakeNDConn struct {
	rec    *recorder
	closed chan struct{}
}

func (c *fakeNDConn) ReadFrom(b []byte) (int, int, netip.Addr, netip.Addr, error) {
	<-c.closed
	return 0, 0, netip.Addr{}, netip.Addr{}, net.ErrClosed
}

func (c *fakeNDConn) WriteTo(m ndp.Message, dst netip.Addr) error {
	c.rec.add("nd send %T to %s", m, dst)
	return nil
}
func (c *fakeNDConn) JoinGroup(g netip.Addr) error   { c.rec.add("nd join %s", g); return nil }
func (c *fakeNDConn) LeaveGroup(g netip.Addr) error  { c.rec.add("nd leave %s", g); return nil }
func (c *fakeNDConn) Addr() netip.Addr               { return netip.MustParseAddr("fe80::11") }
func (c *fakeNDConn) HardwareAddr() net.HardwareAddr { return net.HardwareAddr{2, 0, 0, 0, 0, 0x11} }
func (c *fakeNDConn) Close() error {
	select {
	case <-c.closed:
	default:
		close(c.closed)
		c.rec.add("nd closed")
	}
	return nil
}

// writeNDConfig writes a configuration: an [nd] table on eth0, [ospf] (with
// router_id) only if withOSPF, then the services.
func writeNDConfig(t *testing.T, path string, withOSPF bool, services string) {
	t.Helper()
	sock := filepath.Join(filepath.Dir(path), "ctl", "anycostd.sock")
	text := fmt.Sprintf("control_socket = %q\nstate_dir = %q\n", sock, stateDir(path))
	if withOSPF {
		text += "router_id = \"192.0.2.11\"\n[ospf]\ninterface = \"eth0\"\nmin_ls_interval = \"300ms\"\n"
	}
	text += "[nd]\ninterface = \"eth0\"\nmin_gap = \"100ms\"\nstandby_after = \"5s\"\n" + services
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const svcNDWeb = "[[service]]\nname = \"web\"\nprefix = \"2001:db8:1::80/128\"\nmetric = 10\ndrain_time = \"0s\"\nmode = \"nd\"\n"

// newNDTestDaemon runs a daemon whose ND speaker sits on a fakeNDConn;
// edit (if any) changes the loaded configuration.
func newNDTestDaemon(t *testing.T, cfgPath string, edit ...func(*config.Config)) *testDaemon {
	t.Helper()
	return newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.editConfig = func(c *config.Config) {
			for _, e := range edit {
				e(c)
			}
		}
		td.newND = func(c ndproxy.Config, svcs []ndproxy.Service, log *slog.Logger) (*ndproxy.Speaker, error) {
			td.rec.add("nd new if=%s gap=%s services=%d", c.Interface, c.Params.MinGap, len(svcs))
			return ndproxy.New(c, svcs, &fakeNDConn{rec: td.rec, closed: make(chan struct{})}, nil, log)
		}
	})
}

func controlStatus(t *testing.T, cfgPath string) *control.Status {
	t.Helper()
	st, err := client(cfgPath).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitNDService waits until the control socket shows the ND service
// advertised.
func waitNDService(t *testing.T, cfgPath, name string) *control.Status {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := controlStatus(t, cfgPath)
		for _, s := range st.Services {
			if s.Name == name && s.Advertised {
				return st
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("service %s not advertised in %+v", name, st.Services)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDaemonNDOnly: a configuration whose services are all in ND mode
// starts without an OSPF instance; the service's address goes on lo, the
// ND speaker joins its solicited-node group and reports it advertised;
// SIGTERM withdraws it and exits cleanly.
func TestDaemonNDOnly(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	writeNDConfig(t, cfgPath, false, svcNDWeb)
	td := newNDTestDaemon(t, cfgPath)
	td.rec.waitFor(t, "nd new if=eth0 gap=100ms services=1")
	td.rec.waitFor(t, "nd join ff02::1:ff00:80")
	st := waitNDService(t, cfgPath, "web")
	if st.OSPF != nil || len(st.Services) != 1 || st.Services[0].Prefix.String() != "2001:db8:1::80/128" || st.Services[0].Mode != config.ModeND {
		t.Errorf("status %+v", st)
	}
	if td.rec.index("add lo 2001:db8:1::80/128") < 0 {
		t.Errorf("address not put on lo: %q", td.rec.list())
	}
	// The ND speaker's own status: web runs, but no solicitation ever
	// reached the (fake) link, and the status says so.
	res := controlStatus(t, cfgPath)
	if res.ND == nil || len(res.ND.Services) != 1 {
		t.Fatalf("status has no ND speaker's status with one service: %+v", res.ND)
	}
	ws := res.ND.Services[0]
	if ws.Name != "web" || ws.State != "idle" || ws.IdleCause != "no_solicitation" || !strings.Contains(ws.IdleReason, "no Neighbor Solicitation has reached eth0") ||
		ws.Timing.MinGap != 100*time.Millisecond || ws.Timing.MeanWait <= ws.Timing.MinGap || ws.Timing.MaxWait <= ws.Timing.MeanWait {
		t.Errorf("ND status of web: %+v", ws)
	}
	for _, e := range td.rec.list() {
		if len(e) > 10 && e[:10] == "new router" {
			t.Errorf("an OSPF instance was built: %q", e)
		}
	}
	// A reload adds a second ND service.
	writeNDConfig(t, cfgPath, false, svcNDWeb+"[[service]]\nname = \"dns\"\nprefix = \"2001:db8:53::53/128\"\ndrain_time = \"0s\"\nmode = \"nd\"\n")
	td.sigs <- syscall.SIGHUP
	td.log.Wait(t, `msg="reload: service added" service=dns`)
	waitNDService(t, cfgPath, "dns")

	td.sigs <- syscall.SIGTERM
	if err := td.wait(); err != nil {
		t.Fatalf("run = %v; log:\n%s", err, td.log)
	}
	for _, e := range []string{"nd closed", "del lo 2001:db8:1::80/128"} {
		if td.rec.index(e) < 0 {
			t.Errorf("no %q at exit: %q", e, td.rec.list())
		}
	}
}

// TestDaemonNDMetrics: an ND-only daemon serves the ND speaker's
// metrics, and no OSPF metrics.
func TestDaemonNDMetrics(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	writeNDConfig(t, cfgPath, false, svcNDWeb)
	td := newNDTestDaemon(t, cfgPath, func(c *config.Config) { c.MetricsListen = "127.0.0.1:0" })
	td.log.Wait(t, `msg="serving metrics" address=http://127.0.0.1:`)
	waitNDService(t, cfgPath, "web")
	_, fams := scrapeMetrics(t, td.log.String())
	value := func(name string, labels ...string) (float64, bool) {
		f := fams[name]
		if f == nil {
			return 0, false
		}
	series:
		for _, m := range f.Metric {
			got := map[string]string{}
			for _, l := range m.Label {
				got[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue series
				}
			}
			return m.GetGauge().GetValue() + m.GetCounter().GetValue(), true
		}
		return 0, false
	}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"anycostd_source_up", []string{"source", "nd"}, 1},
		{"anycostd_nd_min_gap_seconds", []string{"interface", "eth0"}, 0.1},
		{"anycostd_nd_service_state", []string{"service", "web", "state", "idle"}, 1},
		{"anycostd_nd_service_state", []string{"service", "web", "state", "active"}, 0},
		{"anycostd_nd_service_idle_cause", []string{"service", "web", "cause", "no_solicitation"}, 1},
		{"anycostd_nd_service_weight", []string{"service", "web"}, 1},
		{"anycostd_nd_service_turns_total", []string{"service", "web"}, 0},
		{"anycostd_service_withdrawn", []string{"service", "web"}, 0},
	} {
		if got, ok := value(tc.name, tc.labels...); !ok || got != tc.want {
			t.Errorf("%s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	for name := range fams {
		if strings.HasPrefix(name, "anycostd_ospf_") {
			t.Errorf("%s served by a daemon without OSPF", name)
		}
	}
}

// TestDaemonMixedModes: one manager, two speakers: the OSPF instance
// gets only the OSPF service, the ND speaker the ND one, and the status
// shows both.
func TestDaemonMixedModes(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	writeNDConfig(t, cfgPath, true, svcDNS+svcNDWeb)
	td := newNDTestDaemon(t, cfgPath)
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	st := waitNDService(t, cfgPath, "web")
	if len(st.Services) != 2 || st.Services[0].Name != "dns" || st.Services[1].Name != "web" || st.OSPF == nil || st.OSPF.RouterID != "192.0.2.11" {
		t.Errorf("status services %+v (OSPF %+v)", st.Services, st.OSPF)
	}
	if len(st.OSPF.Services) != 1 || st.OSPF.Services[0].Name != "dns" {
		t.Errorf("mixed daemon: OSPF services %+v, want dns alone", st.OSPF.Services)
	}
	if st.ND == nil || len(st.ND.Services) != 1 || st.ND.Services[0].Name != "web" {
		t.Errorf("mixed daemon: ND status %+v, want web alone", st.ND)
	}
	// Each service is paced as its mode says: dns at min_ls_interval,
	// web at min_gap.
	ex, err := client(cfgPath).Explain(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	paced := map[string]int64{}
	for _, e := range ex {
		paced[e.Service] = e.Settings.MinIntervalMS
	}
	if want := map[string]int64{"dns": 300, "web": 100}; !cmp.Equal(paced, want) {
		t.Errorf("pacing in ms %v, want %v", paced, want)
	}
	// The reload moves web to OSPF: the OSPF instance gets it.
	writeNDConfig(t, cfgPath, true, svcDNS+"[[service]]\nname = \"web\"\nprefix = \"2001:db8:1::80/128\"\nmetric = 10\ndrain_time = \"0s\"\n")
	td.sigs <- syscall.SIGHUP
	td.log.Wait(t, `changes="mode nd -> ospf"`)
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10 web=2001:db8:1::80/10")
}

// TestDaemonNDNeedsRestart: an OSPF-only daemon cannot take an ND service
// on reload: it says so and leaves it out.
func TestDaemonNDNeedsRestart(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS)
	td := newTestDaemon(t, cfgPath, nil)
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	writeNDConfig(t, cfgPath, true, svcDNS+svcNDWeb)
	td.sigs <- syscall.SIGHUP
	td.log.Wait(t, `reload: service not added: mode = \"nd\" needs the ND speaker`)
}
