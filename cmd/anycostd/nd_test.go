package main

import (
	"context"
	"encoding/json"
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

	"github.com/mdlayher/ndp"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/ndproxy"
	"github.com/anycostd/anycostd/ospf"
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

// ndConfig writes a configuration: an [nd] table on eth0, [ospf] (with
// router_id) only if withOSPF, then the services.
func ndConfig(t *testing.T, path string, withOSPF bool, services string) {
	t.Helper()
	sock := filepath.Join(filepath.Dir(path), "ctl", "anycostd.sock")
	text := fmt.Sprintf("control_socket = %q\n", sock)
	if withOSPF {
		text += "router_id = \"192.0.2.11\"\n[ospf]\ninterface = \"eth0\"\nmin_ls_interval = \"100ms\"\n"
	}
	text += "[nd]\ninterface = \"eth0\"\nmin_gap = \"100ms\"\nstandby_after = \"5s\"\n" + services
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const svcNDWeb = "[[service]]\nname = \"web\"\nprefix = \"2001:db8:1::80/128\"\nmetric = 10\ndrain_time = \"0s\"\nmode = \"nd\"\n"

// newNDTestDaemon runs a daemon whose ND speaker sits on a fakeNDConn.
func newNDTestDaemon(t *testing.T, cfgPath string) *testDaemon {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	td := &testDaemon{
		t: t, rec: rec, host: newFakeHost(rec), sp: &fakeSpeaker{rec: rec},
		log: &lockedBuffer{}, sigs: make(chan os.Signal, 2), errc: make(chan error, 1), path: cfgPath,
	}
	td.sp.status = sampleStatus()
	td.opts = runOptions{configPath: cfgPath, logLevel: "debug"}
	td.d = newDaemon(td.opts, cfg, td.host, td.sp.factory(), td.log)
	td.d.newND = func(c ndproxy.Config, svcs []ndproxy.Service, log *slog.Logger) (*ndproxy.Speaker, error) {
		rec.add("nd new if=%s gap=%s services=%d", c.Interface, c.Params.MinGap, len(svcs))
		return ndproxy.New(c, svcs, &fakeNDConn{rec: rec, closed: make(chan struct{})}, nil, log)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { td.errc <- td.d.run(ctx, td.sigs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-td.errc:
		case <-time.After(5 * time.Second):
			t.Error("daemon did not stop")
		}
	})
	return td
}

func controlStatus(t *testing.T, cfgPath string) ospf.Status {
	t.Helper()
	sock := filepath.Join(filepath.Dir(cfgPath), "ctl", "anycostd.sock")
	raw, err := callControl(context.Background(), sock, "status", nil)
	if err != nil {
		t.Fatal(err)
	}
	var st ospf.Status
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// waitNDService waits until the control socket shows the ND service
// advertised.
func waitNDService(t *testing.T, cfgPath, name string) ospf.Status {
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
	ndConfig(t, cfgPath, false, svcNDWeb)
	td := newNDTestDaemon(t, cfgPath)
	td.rec.waitFor(t, "nd new if=eth0 gap=100ms services=1")
	td.rec.waitFor(t, "nd join ff02::1:ff00:80")
	st := waitNDService(t, cfgPath, "web")
	if st.Interface.State != "ND" || len(st.Services) != 1 || st.Services[0].Prefix != "2001:db8:1::80/128" {
		t.Errorf("status %+v", st)
	}
	if td.rec.index("add lo 2001:db8:1::80/128") < 0 {
		t.Errorf("address not put on lo: %q", td.rec.list())
	}
	for _, e := range td.rec.list() {
		if len(e) > 10 && e[:10] == "new router" {
			t.Errorf("an OSPF instance was built: %q", e)
		}
	}
	// A reload adds a second ND service.
	ndConfig(t, cfgPath, false, svcNDWeb+"[[service]]\nname = \"dns\"\nprefix = \"2001:db8:53::53/128\"\ndrain_time = \"0s\"\nmode = \"nd\"\n")
	td.sigs <- syscall.SIGHUP
	td.log.waitLog(t, `msg="reload: service added" service=dns`)
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

// TestDaemonMixedModes: one manager, two speakers: the OSPF instance
// gets only the OSPF service, the ND speaker the ND one, and the status
// shows both.
func TestDaemonMixedModes(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	ndConfig(t, cfgPath, true, svcDNS+svcNDWeb)
	td := newNDTestDaemon(t, cfgPath)
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	st := waitNDService(t, cfgPath, "web")
	if len(st.Services) != 2 || st.Services[0].Name != "dns" || st.Services[1].Name != "web" || st.RouterID != "192.0.2.11" {
		t.Errorf("status services %+v (router %q)", st.Services, st.RouterID)
	}
	// The reload moves web to OSPF: the OSPF instance gets it.
	ndConfig(t, cfgPath, true, svcDNS+"[[service]]\nname = \"web\"\nprefix = \"2001:db8:1::80/128\"\nmetric = 10\ndrain_time = \"0s\"\n")
	td.sigs <- syscall.SIGHUP
	td.log.waitLog(t, `changes="mode nd -> ospf"`)
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10 web=2001:db8:1::80/10")
}

// TestDaemonNDNeedsRestart: an OSPF-only daemon cannot take an ND service
// on reload: it says so and leaves it out.
func TestDaemonNDNeedsRestart(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS)
	td := newTestDaemon(t, cfgPath, nil)
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	ndConfig(t, cfgPath, true, svcDNS+svcNDWeb)
	td.sigs <- syscall.SIGHUP
	td.log.waitLog(t, `reload: service not added: mode = \"nd\" needs the ND speaker`)
}

func TestRenderNDStatus(t *testing.T) {
	st := ospf.Status{
		Interface: ospf.InterfaceStatus{Name: "eth0", State: "ND", LinkLocal: "fe80::11"},
		Services: []ospf.ServiceStatus{
			{Name: "dns", Prefix: "2001:db8:1::53/128", Advertised: true, Wanted: true, Metric: 20, WantMetric: 20},
			{Name: "web", Prefix: "2001:db8:1::80/128"},
		},
	}
	var b strings.Builder
	if err := renderStatus(&b, &st, time.Now()); err != nil {
		t.Fatal(err)
	}
	want := "ND mode on interface eth0, link-local fe80::11\n\n" +
		"Service  Address             State       Metric\n" +
		"dns      2001:db8:1::53/128  advertised  20\n" +
		"web      2001:db8:1::80/128  withdrawn   -\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
