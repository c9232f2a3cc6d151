// Package contrib holds the files that go with anycostd but are not Go: a
// systemd unit and an example FRR router configuration. Its tests check
// them.
package contrib

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/lab"
)

const (
	unitFile = "anycostd.service"
	frrFile  = "frr-router.conf"
	binary   = "/usr/local/sbin/anycostd"
)

// TestUnitVerify runs systemd-analyze verify on the unit, with the binary's
// path pointing at an executable that exists (verify checks it). Any
// output is a complaint: unknown keys only warn and still exit 0.
func TestUnitVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("no systemd-analyze here")
	}
	text, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "ExecStart="+binary+" ") {
		t.Fatalf("ExecStart does not run %s", binary)
	}
	path := filepath.Join(t.TempDir(), unitFile)
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(text), binary, self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// unitLine is one setting of the unit and whether a comment explains it.
type unitLine struct {
	section, key, value string
	commented           bool
}

func readUnit(t *testing.T) []unitLine {
	t.Helper()
	f, err := os.Open(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []unitLine
	section, commented := "", false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "":
			commented = false // a comment covers the lines right below it
		case strings.HasPrefix(l, "#"):
			commented = true
		case strings.HasPrefix(l, "["):
			section, commented = l, false
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				t.Fatalf("%s: not key=value: %q", unitFile, l)
			}
			out = append(out, unitLine{section, k, v, commented})
		}
	}
	return out
}

// TestUnitSettings checks what the unit must say, that every setting has
// a comment above it, and that the stop timeout leaves room for the
// default drain and flush.
func TestUnitSettings(t *testing.T) {
	lines := readUnit(t)
	got := map[string]string{}
	var reload []string
	for _, l := range lines {
		if !l.commented {
			t.Errorf("%s %s=%s has no comment above it", l.section, l.key, l.value)
		}
		if l.key == "ExecReload" {
			reload = append(reload, l.value) // run in order
			continue
		}
		if _, dup := got[l.key]; dup {
			t.Errorf("%s set twice", l.key)
		}
		got[l.key] = l.value
	}
	const configPath = "/etc/anycostd/anycostd.toml"
	for k, v := range map[string]string{
		"Type":                     "notify",
		"NotifyAccess":             "main",
		"WatchdogSec":              "30s",
		"ExecStart":                binary + " run --config " + configPath,
		"KillSignal":               "SIGTERM",
		"Restart":                  "on-failure",
		"RestartPreventExitStatus": "2",
		"CapabilityBoundingSet":    "CAP_NET_RAW CAP_NET_ADMIN",
		"AmbientCapabilities":      "CAP_NET_RAW CAP_NET_ADMIN",
		"NoNewPrivileges":          "yes",
		"ProtectSystem":            "strict",
		"ProtectHome":              "yes",
		"PrivateTmp":               "yes",
		"RuntimeDirectory":         "anycostd",
		"StateDirectory":           "anycostd",
		"RestrictAddressFamilies":  "AF_UNIX AF_INET6 AF_INET AF_NETLINK AF_PACKET",
		"WantedBy":                 "multi-user.target",
	} {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	// Issue 16: a reload of an invalid configuration must fail, so the
	// configuration ExecStart runs is checked before the signal.
	wantReload := []string{binary + " check --host --quiet --config " + configPath, "/bin/kill -HUP $MAINPID"}
	if diff := cmp.Diff(wantReload, reload); diff != "" {
		t.Errorf("ExecReload lines (-want +got):\n%s", diff)
	}
	// The control socket's default folder is the runtime directory.
	if filepath.Dir(config.DefaultControlSocket) != "/run/anycostd" {
		t.Errorf("the default control socket %s is not in RuntimeDirectory=anycostd", config.DefaultControlSocket)
	}

	// check refuses a stop longer than stop_timeout, whose default must
	// be the unit's, and a stop with the defaults must fit in it.
	timeout, err := time.ParseDuration(got["TimeoutStopSec"])
	if err != nil || timeout != config.DefaultStopTimeout {
		t.Errorf("TimeoutStopSec=%s (%v), config.DefaultStopTimeout %v: keep them equal", got["TimeoutStopSec"], err, config.DefaultStopTimeout)
	}
	cfgPath := filepath.Join(t.TempDir(), "a.toml")
	os.WriteFile(cfgPath, []byte("router_id = \"192.0.2.1\"\n[ospf]\ninterface = \"eth0\"\n"+
		"[[service]]\nname = \"dns\"\nprefix = \"2001:db8:53::53/128\"\n"), 0o644)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if stop := cfg.StopTime(); stop > timeout {
		t.Errorf("TimeoutStopSec=%v: below the %v a stop with the defaults may take", timeout, stop)
	}
}

// frrCommands returns the configuration lines of the FRR file: no
// comments (lines starting with "!").
func frrCommands(t *testing.T) string {
	t.Helper()
	text, err := os.ReadFile(frrFile)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range strings.SplitAfter(string(text), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "!") || l == "" {
			continue
		}
		b.WriteString(l)
	}
	return b.String()
}

// TestFRRRouterConfig: the example is the router configuration the lab
// runs, with comments.
func TestFRRRouterConfig(t *testing.T) {
	if diff := cmp.Diff(lab.RouterConfig("192.0.2.1"), frrCommands(t)); diff != "" {
		t.Errorf("%s differs from lab.RouterConfig (-lab +file):\n%s", frrFile, diff)
	}
}

// TestFRRRouterConfigParses has FRR's ospf6d check the file (--dryrun),
// where FRR is installed.
func TestFRRRouterConfigParses(t *testing.T) {
	const ospf6d = "/usr/lib/frr/ospf6d"
	if _, err := os.Stat(ospf6d); errors.Is(err, os.ErrNotExist) {
		t.Skip("FRR is not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("ospf6d needs root")
	}
	text, err := os.ReadFile(frrFile)
	if err != nil {
		t.Fatal(err)
	}
	// ospf6d reads the file as user frr.
	dir, err := os.MkdirTemp("", "anycostd-frr-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, frrFile)
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatal(err)
	}
	// A file with a wrong command must fail the same check.
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("interface eth0\n ipv6 ospf6 no-such-thing 1\n"), 0o644)
	check := func(p string) string {
		out, err := exec.Command(ospf6d, "--dryrun", "-f", p).CombinedOutput()
		if err != nil {
			t.Fatalf("ospf6d --dryrun -f %s: %v\n%s", p, err, out)
		}
		var complaints []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "[EC ") || strings.Contains(l, "No such command") || strings.Contains(l, "rror") {
				complaints = append(complaints, l)
			}
		}
		return strings.Join(complaints, "\n")
	}
	if c := check(bad); !strings.Contains(c, "No such command on config line 2") {
		t.Fatalf("ospf6d --dryrun does not report a wrong command: %q", c)
	}
	if c := check(path); c != "" {
		t.Errorf("ospf6d complains about %s:\n%s", frrFile, c)
	}
}

// TestDeploymentDoc checks that every setting docs/deployment.md quotes
// (`Key=value` in backquotes) is a setting of the unit as shipped, and that
// the page links the unit instead of copying it.
func TestDeploymentDoc(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "deployment.md"))
	if err != nil {
		t.Fatal(err)
	}
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]bool{}
	for _, l := range strings.Split(string(unit), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "[") {
			settings[l] = true
		}
	}
	quoted := regexp.MustCompile("`([A-Z][A-Za-z]+=[^`]*)`").FindAllStringSubmatch(string(doc), -1)
	if len(quoted) < 10 {
		t.Fatalf("docs/deployment.md quotes %d settings; want the unit's main ones", len(quoted))
	}
	for _, q := range quoted {
		key, value, _ := strings.Cut(q[1], "=")
		found := settings[q[1]]
		if value == "" || strings.HasSuffix(value, " ") { // "ReadWritePaths=": the key alone
			for l := range settings {
				found = found || strings.HasPrefix(l, key+"=")
			}
		}
		if !found {
			t.Errorf("docs/deployment.md quotes %s, which contrib/%s does not set", q[1], unitFile)
		}
	}
	if !strings.Contains(string(doc), "(../contrib/"+unitFile+")") {
		t.Errorf("docs/deployment.md does not link contrib/%s", unitFile)
	}
	if strings.Contains(string(doc), "[Service]") {
		t.Error("docs/deployment.md copies the unit; link it instead")
	}
}
