package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/control/controltest"
	"github.com/anycostd/anycostd/internal/testlog"
	"github.com/anycostd/anycostd/ndproxy"
	"github.com/anycostd/anycostd/services"
)

// daemonConfig writes a configuration with the given services (TOML
// [[service]] tables) and extra [ospf] lines.
func daemonConfig(t *testing.T, path, routerID, ospfExtra, services string) {
	t.Helper()
	sock := filepath.Join(filepath.Dir(path), "ctl", "anycostd.sock")
	text := fmt.Sprintf("router_id = %q\ncontrol_socket = %q\nstate_dir = %q\n[ospf]\ninterface = \"eth0\"\nmin_ls_interval = \"100ms\"\nretransmit_interval = \"5s\"\n%s\n%s",
		routerID, sock, stateDir(path), ospfExtra, services)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// stateDir is the state directory of the test configuration at cfgPath:
// beside it, never the default.
func stateDir(cfgPath string) string { return filepath.Join(filepath.Dir(cfgPath), "state") }

// client asks the daemon that runs the configuration at cfgPath (its
// control socket is beside it, see daemonConfig).
func client(cfgPath string) control.Client {
	return control.Client{Path: filepath.Join(filepath.Dir(cfgPath), "ctl", "anycostd.sock")}
}

const (
	svcDNS = "[[service]]\nname = \"dns\"\nprefix = \"2001:db8:53::53/128\"\nmetric = 10\ndrain_time = \"0s\"\n"
	svcNTP = "[[service]]\nname = \"ntp\"\nprefix = \"2001:db8:123::123/128\"\nmetric = 20\ndrain_time = \"0s\"\n"
	svcWeb = "[[service]]\nname = \"web\"\nprefix = \"2001:db8:80::80/128\"\nmetric = 30\ndrain_time = \"0s\"\n"
)

// testDaemon runs a daemon with fakes until the test ends.
type testDaemon struct {
	t    *testing.T
	d    *Daemon
	rec  *recorder
	host *fakeHost
	sp   *fakeSpeaker
	log  *testlog.Buffer
	sigs chan os.Signal
	errc chan error
	path string

	// Set by prepare: inputs replaces the real monitors, opts the run
	// options, editConfig changes the loaded configuration.
	inputs     services.Inputs
	opts       Options
	editConfig func(*config.Config)
	// newND, when set, replaces the daemon's ND speaker constructor.
	newND func(ndproxy.Config, []ndproxy.Service, *slog.Logger) (*ndproxy.Speaker, error)
	// newBFD, when set, replaces the daemon's BFD speaker constructor.
	newBFD newBFDFunc
}

func newTestDaemon(t *testing.T, cfgPath string, prepare func(*testDaemon)) *testDaemon {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	td := &testDaemon{
		t: t, rec: rec, host: newFakeHost(rec), sp: &fakeSpeaker{rec: rec},
		log: &testlog.Buffer{}, sigs: make(chan os.Signal, 2), errc: make(chan error, 1), path: cfgPath,
	}
	td.sp.status = controltest.OSPFStatus()
	td.opts = Options{ConfigPath: cfgPath, LogLevel: "debug"}
	if prepare != nil {
		prepare(td)
	}
	if td.editConfig != nil {
		td.editConfig(cfg)
	}
	if cfg.StateDir == config.DefaultStateDir {
		t.Fatalf("%s: a test daemon would keep its drains in %s; set state_dir", cfgPath, cfg.StateDir)
	}
	td.opts.LogTo = td.log
	td.d = New(cfg, td.host, td.opts)
	td.d.newOSPF = td.sp.factory()
	if td.inputs != nil {
		td.d.inputs = td.inputs
	}
	if td.newND != nil {
		td.d.newND = td.newND
	}
	if td.newBFD != nil {
		td.d.newBFD = td.newBFD
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

// wait returns the daemon's result.
func (td *testDaemon) wait() error {
	td.t.Helper()
	select {
	case err := <-td.errc:
		td.errc <- err // for Cleanup
		return err
	case <-time.After(5 * time.Second):
		td.t.Fatalf("daemon did not return; log:\n%s", td.log)
		return nil
	}
}

func TestDaemonLifecycle(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS+svcNTP)
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.host.linkLocalAfter = 2 // DAD: two lookups without a usable address
	})
	rec := td.rec

	// Start-up: the instance is built for the link, each address is in
	// place before the services are handed over.
	rec.waitFor(t, "services dns=2001:db8:53::53/10 ntp=2001:db8:123::123/20")
	for _, e := range []string{"add lo 2001:db8:53::53/128", "add lo 2001:db8:123::123/128"} {
		if i, j := rec.index(e), rec.index("services dns=2001:db8:53::53/10 ntp=2001:db8:123::123/20"); i < 0 || i > j {
			t.Errorf("%q not before the services were set: %q", e, rec.list())
		}
	}
	if rec.index("new router=c000020b if=eth0 ll=fe80::11") < 0 {
		t.Errorf("instance not built for the link: %q", rec.list())
	}
	td.log.Wait(t, "waiting for the interface")

	// The control socket answers, mode 0600.
	sock := filepath.Join(filepath.Dir(cfgPath), "ctl", "anycostd.sock")
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("control socket: %v %v", fi, err)
	}
	st, err := control.Client{Path: sock}.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.OSPF == nil || st.OSPF.RouterID != "192.0.2.11" || len(st.OSPF.Neighbors) != 3 || st.ND != nil ||
		len(st.Services) != 2 || st.Services[0].Name != "dns" || st.Services[0].Mode != config.ModeOSPF {
		t.Errorf("status over the socket: %+v", st)
	}

	// Link changes reach the instance.
	down := td.host.link
	down.Up = false
	td.host.linkEvents <- down
	rec.waitFor(t, "link up=false mtu=1500")

	// SIGHUP: ntp's metric changes, dns goes, web comes; the router ID
	// change needs a restart.
	daemonConfig(t, cfgPath, "192.0.2.99", "", strings.Replace(svcNTP, "metric = 20", "metric = 25", 1)+svcWeb)
	td.sigs <- syscall.SIGHUP
	rec.waitFor(t, "services ntp=2001:db8:123::123/25 web=2001:db8:80::80/30")
	if i, j := rec.index("add lo 2001:db8:80::80/128"), rec.index("services ntp=2001:db8:123::123/25 web=2001:db8:80::80/30"); i < 0 || i > j {
		t.Errorf("web's address not added before it was advertised: %q", rec.list())
	}
	// dns's address goes after its drain time plus min_ls_interval.
	rec.waitFor(t, "del lo 2001:db8:53::53/128")
	for _, s := range []string{
		`msg="reload: setting needs a restart, not applied" key=router_id running="\"192.0.2.11\"" new="\"192.0.2.99\""`,
		`msg="reload: service changed" service=ntp changes="metric 20 -> 25"`,
		`msg="reload: service added" service=web`,
		`msg="reload: service removed" service=dns`,
	} {
		td.log.Wait(t, s)
	}

	// An invalid file changes nothing.
	n := len(rec.list())
	if err := os.WriteFile(cfgPath, []byte("router_id = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	td.sigs <- syscall.SIGHUP
	td.log.Wait(t, "reload: invalid configuration; the running one is kept")
	if got := rec.list()[n:]; len(got) != 0 {
		t.Errorf("an invalid reload did something: %q", got)
	}

	// SIGTERM: shutdown, then the addresses and the socket go.
	td.sigs <- syscall.SIGTERM
	if err := td.wait(); err != nil {
		t.Fatalf("run = %v, want nil; log:\n%s", err, td.log)
	}
	for _, e := range []string{"shutdown", "transport closed", "del lo 2001:db8:123::123/128", "del lo 2001:db8:80::80/128"} {
		if rec.index(e) < 0 {
			t.Errorf("no %q at exit: %q", e, rec.list())
		}
	}
	if rec.index("shutdown") > rec.index("del lo 2001:db8:123::123/128") {
		t.Errorf("an address was removed before the shutdown: %q", rec.list())
	}
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control socket left behind: %v", err)
	}
	if c := rec.count("del lo 2001:db8:53::53/128"); c != 1 {
		t.Errorf("dns's address removed %d times", c)
	}
}

func TestDaemonKeepAddresses(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "keep_addresses = true", svcDNS)
	td := newTestDaemon(t, cfgPath, nil)
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	td.sigs <- syscall.SIGINT
	if err := td.wait(); err != nil {
		t.Fatal(err)
	}
	if i := td.rec.index("del lo 2001:db8:53::53/128"); i >= 0 {
		t.Errorf("address removed despite keep_addresses: %q", td.rec.list())
	}
}

func TestDaemonSecondSignal(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS)
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) { td.sp.hangOnShutdown = true })
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	td.sigs <- syscall.SIGTERM
	td.rec.waitFor(t, "shutdown")
	td.sigs <- syscall.SIGTERM
	if err := td.wait(); !errors.Is(err, errSecondSignal) {
		t.Fatalf("run = %v, want %v", err, errSecondSignal)
	}
	if td.rec.index("del lo 2001:db8:53::53/128") < 0 || td.rec.index("transport closed") < 0 {
		t.Errorf("no clean-up after the second signal: %q", td.rec.list())
	}
}

func TestDaemonAddressFailure(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS+svcNTP)
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.host.failAdd[netip.MustParsePrefix("2001:db8:123::123/128")] = true
	})
	err := td.wait()
	if err == nil || !strings.Contains(err.Error(), "service ntp: cannot put 2001:db8:123::123/128 on lo: operation not permitted") {
		t.Fatalf("run = %v", err)
	}
	for _, e := range td.rec.list() {
		if strings.HasPrefix(e, "services") || e == "run" {
			t.Errorf("something was advertised: %q", td.rec.list())
		}
	}
	if td.rec.index("del lo 2001:db8:53::53/128") < 0 || td.rec.index("transport closed") < 0 {
		t.Errorf("no clean-up after the failure: %q", td.rec.list())
	}
}

func TestDaemonNoLinkLocal(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	h := newFakeHost(rec)
	h.linkLocalAfter = 1 << 30
	sp := &fakeSpeaker{rec: rec}
	d := New(cfg, h, Options{ConfigPath: cfgPath, LogTo: &testlog.Buffer{}})
	d.newOSPF = sp.factory()
	d.linkWait = 300 * time.Millisecond
	err = d.run(context.Background(), make(chan os.Signal))
	want := "waited 300ms for interface eth0: interface eth0 has no usable IPv6 link-local address (DAD not finished?)"
	if err == nil || err.Error() != want {
		t.Errorf("run = %v, want %s", err, want)
	}
	if len(rec.list()) != 0 {
		t.Errorf("did something without a link: %q", rec.list())
	}
}

// TestDaemonReloadAddressFailure: a service added by reload whose address
// cannot be added is not advertised, and is tried again next time.
func TestDaemonReloadAddressFailure(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS)
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.host.failAdd[netip.MustParsePrefix("2001:db8:80::80/128")] = true
	})
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS+svcWeb)
	td.sigs <- syscall.SIGHUP
	td.log.Wait(t, "reload: service not added: cannot put its address in place")
	if td.rec.count("services dns=2001:db8:53::53/10") != 2 {
		t.Errorf("services after a failed add: %q", td.rec.list())
	}
	if td.rec.index("services dns=2001:db8:53::53/10 web=2001:db8:80::80/30") >= 0 {
		t.Errorf("web advertised without its address: %q", td.rec.list())
	}
}

// TestDaemonStopWhileStarting: SIGTERM while waiting for the link is a
// clean exit with nothing advertised.
func TestDaemonStopWhileStarting(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	h := newFakeHost(rec)
	h.linkLocalAfter = 1 << 30
	log := &testlog.Buffer{}
	d := New(cfg, h, Options{ConfigPath: cfgPath, LogTo: log})
	d.newOSPF = (&fakeSpeaker{rec: rec}).factory()
	sigs := make(chan os.Signal, 1)
	errc := make(chan error, 1)
	go func() { errc <- d.run(context.Background(), sigs) }()
	log.Wait(t, "waiting for the interface")
	sigs <- syscall.SIGTERM
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return")
	}
	if len(rec.list()) != 0 {
		t.Errorf("did something while starting: %q", rec.list())
	}
}
