package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nobodyBinary copies the built anycostd where user nobody may run it
// (BuildAnycostd's folder is private to root) and returns its path.
func nobodyBinary(t *testing.T, l *Lab, bin string) string {
	t.Helper()
	dst := filepath.Join(l.Dir(), "anycostd-nobody")
	in, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// Issue 6, part 6: `anycostd run` without CAP_NET_RAW or CAP_NET_ADMIN
// stops at once, exit status 1, naming what is missing; as user nobody
// with exactly those two (ambient) capabilities it runs, and the router
// routes the anycast prefix through it.
func TestLeastPrivilege(t *testing.T) {
	if _, err := exec.LookPath("setpriv"); err != nil {
		skipOrFail(t, "setpriv (util-linux) not found: %v", err)
	}
	f := NewFarm(t, 1)
	s1 := f.Servers[0]
	bin := nobodyBinary(t, f.Lab, f.bin)
	// A folder nobody can write its control socket to.
	run := filepath.Join(f.Lab.Dir(), "run-nobody")
	if err := os.Mkdir(run, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(run, 0o777); err != nil {
		t.Fatal(err)
	}
	s1.Control = filepath.Join(run, "anycostd.sock")
	s1.WriteConfig(s1.TOML(ServiceTOML("dns", Anycast, 10)))

	const msg = "anycostd run needs CAP_NET_RAW and CAP_NET_ADMIN (missing: %s); run as root or grant them, see contrib/anycostd.service"
	nobody := []string{"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"}
	for _, tc := range []struct {
		name    string
		argv    []string
		missing string
	}{
		{"user nobody", nobody, "CAP_NET_RAW, CAP_NET_ADMIN"},
		{"root without CAP_NET_ADMIN", []string{"setpriv", "--bounding-set=-net_admin"}, "CAP_NET_ADMIN"},
		{"root without CAP_NET_RAW", []string{"setpriv", "--bounding-set=-net_raw"}, "CAP_NET_RAW"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		argv := append(append([]string{"ip", "netns", "exec", s1.Namespace()}, tc.argv...), bin, "run", "--config", s1.Config)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		out, err := cmd.CombinedOutput()
		cancel()
		var ee *exec.ExitError
		want := "anycostd: " + fmt.Sprintf(msg, tc.missing) + "\n"
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || string(out) != want {
			t.Errorf("%s: %v, output %q\nwant exit status 1, output %q", tc.name, err, out, want)
		}
	}

	// nobody with the two capabilities, and nothing else, runs.
	caps := "+net_raw,+net_admin"
	s1.Proc = s1.Host.Start("anycostd-nobody", append(nobody,
		"--inh-caps=-all,"+caps, "--ambient-caps="+caps, "--bounding-set=-all,"+caps,
		bin, "run", "--config", s1.Config)...)
	took := fibIs(t, f, Anycast, 30*time.Second, "route via anycostd running as nobody", LinkLocals(s1))
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s1.Proc.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	var uid, capEff string
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Uid:"); ok {
			uid = strings.Fields(v)[1] // effective
		}
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			capEff = strings.TrimSpace(v)
		}
	}
	eff, err := strconv.ParseUint(capEff, 16, 64)
	if err != nil {
		t.Fatalf("CapEff %q: %v", capEff, err)
	}
	const want = 1<<12 | 1<<13 // CAP_NET_ADMIN, CAP_NET_RAW
	if uid == "0" || eff != want {
		t.Errorf("anycostd runs as uid %s with CapEff %#x, want a non-root uid and %#x", uid, eff, want)
	}
	if out, err := s1.CLI("status"); err != nil {
		t.Errorf("anycostd status against the daemon run by nobody: %v: %s", err, out)
	}
	t.Logf("anycostd as uid %s with CapEff %#x (CAP_NET_RAW, CAP_NET_ADMIN only): route in the router's FIB %v after start",
		uid, eff, took.Round(time.Millisecond))
}
