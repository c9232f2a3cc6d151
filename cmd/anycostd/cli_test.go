package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/control/controltest"
	"github.com/anycostd/anycostd/internal/goldentest"
	"github.com/anycostd/anycostd/ospf"
)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenFile(t, filepath.Join("testdata", name), got)
}

// goldenFile compares got with the file at path, or rewrites it with
// -update.
func goldenFile(t *testing.T, path, got string) {
	t.Helper()
	goldentest.File(t, path, got)
}

// renderTestdata holds the golden files of internal/render's tests; the
// commands print what it renders.
var renderTestdata = filepath.Join("..", "..", "internal", "render", "testdata")

// cli runs the CLI in-process and returns its exit code and output.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut strings.Builder
	code = runMain(context.Background(), append([]string{"anycostd"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestClientCommands runs status, lsdb and neighbors against a control
// server with a fake backend, as text and as JSON.
func TestClientCommands(t *testing.T) {
	o := controltest.OSPFStatus()
	b := &controltest.Backend{StatusResult: control.Status{OSPF: &o, Services: controltest.Wire()}, Entries: controltest.LSDB()}
	path := controltest.Serve(t, b)

	for _, cmd := range []string{"lsdb", "neighbors"} {
		code, out, errOut := runCLI(cmd, "--control", path)
		if code != 0 || errOut != "" {
			t.Fatalf("%s: exit %d, stderr %q", cmd, code, errOut)
		}
		goldenFile(t, filepath.Join(renderTestdata, cmd+".golden"), out)
	}

	code, out, errOut := runCLI("status", "--json", "--control", path)
	if code != 0 || errOut != "" {
		t.Fatalf("status --json: exit %d, stderr %q", code, errOut)
	}
	var st control.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json is not JSON: %v\n%s", err, out)
	}
	if diff := cmp.Diff(b.StatusResult, st, cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
		t.Errorf("status --json (-sent +printed):\n%s", diff)
	}
	for _, key := range []string{`"ospf": {`, `"router_id": "192.0.2.11"`, `"interface": {`, `"neighbors": [`, `"want_metric": 40`,
		`"dead_in_ns": 3200000000`, `"services": [`, `"prefix": "2001:db8:123::123/128"`, `"mode": "ospf"`} {
		if !strings.Contains(out, key) {
			t.Errorf("status --json lacks %s:\n%s", key, out)
		}
	}

	code, out, _ = runCLI("lsdb", "--json", "--control", path)
	var es []ospf.LSDBEntry
	if code != 0 || json.Unmarshal([]byte(out), &es) != nil || len(es) != len(b.Entries) {
		t.Errorf("lsdb --json: exit %d, output:\n%s", code, out)
	}

	code, out, _ = runCLI("neighbors", "--json", "--control", path)
	var nr control.NeighborsResult
	if code != 0 || json.Unmarshal([]byte(out), &nr) != nil || len(nr.Neighbors) != 3 || nr.Interface != "eth0" {
		t.Errorf("neighbors --json: exit %d, output:\n%s", code, out)
	}

	// The socket path may come from a configuration file.
	cfgPath := filepath.Join(t.TempDir(), "a.toml")
	os.WriteFile(cfgPath, []byte("router_id = \"192.0.2.1\"\ncontrol_socket = \""+path+"\"\n[ospf]\ninterface = \"eth0\"\n"+svcDNS), 0o644)
	if code, _, errOut := runCLI("neighbors", "--config", cfgPath); code != 0 {
		t.Errorf("neighbors --config: exit %d, stderr %q", code, errOut)
	}
}

func TestClientNoDaemon(t *testing.T) {
	path := filepath.Join(t.TempDir(), "anycostd.sock")
	for _, cmd := range []string{"status", "lsdb", "neighbors"} {
		code, out, errOut := runCLI(cmd, "--control", path)
		want := "anycostd: cannot reach anycostd at " + path + ": connect: no such file or directory (is the daemon running?)\n"
		if code != exitFailure || out != "" || errOut != want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and %q", cmd, code, out, errOut, want)
		}
	}
	// A socket file nobody listens on.
	t.Setenv("ANYCOSTD_CONTROL", path)
	os.WriteFile(path, nil, 0o600)
	code, _, errOut := runCLI("status")
	if code != exitFailure || !strings.Contains(errOut, "connection refused (is the daemon running?)") {
		t.Errorf("status on a dead socket: exit %d, stderr %q", code, errOut)
	}
}

func TestCheck(t *testing.T) {
	const ref = "../../testdata/reference.toml"
	code, out, errOut := runCLI("check", "--config", ref)
	// The only note: which bound applies to withdrawals and metric
	// changes with the configured pacing (docs/failover-timing.md).
	const note = "note: Pacing: a metric change goes 1.1s after its LSA's previous change (min_ls_interval);\n" +
		"  a withdrawal at once and, if the router drops it, again 1.02s after that change " +
		"(the router's MinLSArrival assumed 1s); the router's own setting is learned from what it takes (anycostd status)\n"
	if code != 0 || errOut != note {
		t.Fatalf("check reference: exit %d, stderr %q", code, errOut)
	}
	// What check prints is the effective configuration itself.
	want, err := config.Load(ref)
	if err != nil {
		t.Fatal(err)
	}
	if out != want.String() {
		t.Errorf("check printed:\n%s\nwant:\n%s", out, want)
	}

	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"check", "--config", "../../testdata/config/area-not-dotted.toml"}, exitConfig,
			"anycostd: ../../testdata/config/area-not-dotted.toml:5: ospf.area: \"0.0.0.x\" is not a dotted-quad area ID\n"},
		{[]string{"check", "-c", "../../testdata/config/multiple.toml"}, exitConfig,
			"anycostd: 3 problems in the configuration:\n" +
				"../../testdata/config/multiple.toml:1: router_id: \"192.0.2.300\" is not a dotted-quad router ID\n" +
				"../../testdata/config/multiple.toml:2: log_format: \"xml\" is not a log format (text or json)\n" +
				"../../testdata/config/multiple.toml:5: ospf.interface_cost: 0 is out of range 1..65535\n"},
		{[]string{"check", "--config", "../../testdata/config/stop-time.toml"}, exitConfig,
			"anycostd: ../../testdata/config/stop-time.toml:10: service[0].drain_time: a stop may take up to 37.2s (the longest drain_time 15s + 2 x pacing 1.1s + 5s, then flush_timeout 10s + 5s), above stop_timeout 30s (the unit's TimeoutStopSec, contrib/anycostd.service): systemd would kill anycostd before it flushes; shorten drain_time or flush_timeout, or raise TimeoutStopSec to at least 38s (a drop-in) and stop_timeout with it\n"},
		{[]string{"check", "--config", "/nonexistent/anycostd.toml"}, exitConfig,
			"anycostd: config: open /nonexistent/anycostd.toml: no such file or directory\n"},
		{[]string{"run", "--config", "../../testdata/config/unknown-key.toml"}, exitConfig,
			"anycostd: ../../testdata/config/unknown-key.toml:5: ospf.helo_interval: unknown key\n"},
		{[]string{"status", "--config", "../../testdata/config/syntax.toml"}, exitConfig,
			"anycostd: ../../testdata/config/syntax.toml:3: syntax error: expected value but found \"eth\" instead (after key ospf.interface)\n"},
	} {
		code, out, errOut := runCLI(tc.args...)
		if code != tc.code || out != "" || errOut != tc.stderr {
			t.Errorf("%v: exit %d, stdout %q, stderr %q\nwant exit %d, stderr %q", tc.args, code, out, errOut, tc.code, tc.stderr)
		}
	}

	// check prints warnings on stderr and still succeeds.
	p := filepath.Join(t.TempDir(), "w.toml")
	os.WriteFile(p, []byte("router_id = \"192.0.2.1\"\n[ospf]\ninterface = \"eth0\"\nmin_ls_interval = \"500ms\"\n"+svcDNS), 0o644)
	code, _, errOut = runCLI("check", "--config", p)
	if code != 0 || !strings.HasPrefix(errOut, "warning: ospf.min_ls_interval 500ms") {
		t.Errorf("check with a warning: exit %d, stderr %q", code, errOut)
	}

	// A missing flag is a usage error: one line, no help text.
	if code, out, errOut := runCLI("check"); code != exitUsage || out != "" ||
		errOut != "anycostd: check: --config is required (see anycostd check --help)\n" {
		t.Errorf("check without --config: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A bad flag value of run is a usage error too.
	if code, _, errOut := runCLI("run", "--config", ref, "--log-format", "xml"); code != exitUsage ||
		errOut != "anycostd: --log-format \"xml\": want text or json\n" {
		t.Errorf("run --log-format xml: exit %d, stderr %q; want %d", code, errOut, exitUsage)
	}
}

// TestControlPermissionDenied checks the CLI against a socket the user may
// not open. Root passes every permission check, so as root the test runs
// the CLI again as user nobody (uid 65534) in a child process (the test
// binary, see TestMain).
func TestControlPermissionDenied(t *testing.T) {
	// A folder others may enter (t.TempDir's parent is private).
	dir, err := os.MkdirTemp("", "anycostd-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "anycostd.sock")
	ln, err := control.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	b := &controltest.Backend{StatusResult: controltest.Status()}
	for _, v := range sampleCost(t) {
		b.Explanations = append(b.Explanations, v.Explanation)
	}
	srv := control.NewServer(ln, b, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go srv.Serve(context.Background())
	defer srv.Close()

	want := "anycostd: cannot reach anycostd at " + path +
		": connect: permission denied (the socket is mode 0600: run as the daemon's user, usually root)\n"
	commands := [][]string{
		{"status", "--control", path},
		{"cost", "--control", path, "dns"},
		{"cost", "--json", "--control", path},
		{"cost", "--watch", "--control", path},
		{"drain", "--control", path, "dns"},
	}
	if os.Geteuid() != 0 {
		for _, args := range commands {
			code, stdout, stderr := runCLI(args...)
			if code != exitFailure || stdout != "" || stderr != want {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 1, %q", args, code, stdout, stderr, want)
			}
		}
		return
	}
	// Copy the test binary where nobody can run it.
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "anycostd.test")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range commands {
		cmd := exec.Command(bin)
		cmd.Env = childEnv(args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			t.Skipf("cannot start the test binary as nobody (%v); TestReachErrorText covers the message", err)
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitFailure || stdout.String() != "" || stderr.String() != want {
			t.Errorf("%q as nobody: %v, stdout %q, stderr %q; want exit 1 and %q", args, err, stdout.String(), stderr.String(), want)
		}
	}
	if b.Explained() != 0 {
		t.Errorf("the daemon answered %d cost requests from nobody", b.Explained())
	}
}

// TestRouterConfigCommands: each configuration runs with its own command.
func TestRouterConfigCommands(t *testing.T) {
	router := filepath.Join("..", "..", "testdata", "router.toml")
	server := filepath.Join("..", "..", "testdata", "reference.toml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "-c", router}, "a [router] table: the router agent runs with anycostd router"},
		{[]string{"router", "-c", server}, "no [router] table: a server's configuration runs with anycostd run"},
	} {
		code, _, errOut := runCLI(tc.args...)
		if code != exitConfig || !strings.Contains(errOut, tc.want) {
			t.Errorf("anycostd %q: exit %d, stderr %q, want exit %d and %q", tc.args, code, errOut, exitConfig, tc.want)
		}
	}
}

// TestClientStarting: a daemon that is starting answers status with what
// it waits for (exit 0) and the other commands with an error (exit 1).
func TestClientStarting(t *testing.T) {
	const what = "waiting for interface eth0 (no such interface)"
	b := &controltest.Backend{StatusResult: control.Status{Starting: what}}
	path := controltest.Serve(t, b)
	code, out, errOut := runCLI("status", "--control", path)
	if code != 0 || errOut != "" {
		t.Fatalf("status: exit %d, stderr %q", code, errOut)
	}
	golden(t, "status-starting.golden", out)

	code, out, errOut = runCLI("neighbors", "--control", path)
	want := "anycostd: anycostd at " + path + ": neighbors: anycostd is starting: " + what + "\n"
	if code != exitFailure || out != "" || errOut != want {
		t.Errorf("neighbors: exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out, errOut, want)
	}
}
