package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/anycostd/anycostd/control/controltest"
	"github.com/anycostd/anycostd/internal/cmdline"
)

// Issue 16 D7, D8, D11, D13: what a wrong command line gets. Every usage
// error is one line on stderr and exit 2; nothing goes to stdout.
func TestUsageErrors(t *testing.T) {
	const ref = "../../testdata/reference.toml"
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		// D7: an unknown command said "No help topic for 'stat'", exit 3.
		{[]string{"stat"}, `anycostd: unknown command "stat" (did you mean status?); anycostd --help lists the commands` + "\n"},
		{[]string{"frobnicate"}, `anycostd: unknown command "frobnicate"; anycostd --help lists the commands` + "\n"},
		{[]string{"help", "stat"}, `anycostd: unknown command "stat" (did you mean status?); anycostd --help lists the commands` + "\n"},
		{nil, "anycostd: no command given: anycostd COMMAND [FLAGS] [ARGUMENTS]; commands: run, check, router, status, lsdb, neighbors, drain, undrain, cost, completion (anycostd --help)\n"},
		// D8: a flag typo printed the help text on stdout.
		{[]string{"status", "--jsno"}, "anycostd: status: flag provided but not defined: -jsno (did you mean --json?) (see anycostd status --help)\n"},
		{[]string{"--bogus"}, "anycostd: flag provided but not defined: -bogus (anycostd --help lists the commands and flags)\n"},
		{[]string{"cost", "what-if", "-c", ref, "-s", "dns", "--sett", "x"}, "anycostd: cost what-if: flag provided but not defined: -sett (did you mean --set?) (see anycostd cost what-if --help)\n"},
		// A missing required flag printed the help text on stdout too.
		{[]string{"check"}, "anycostd: check: --config is required (see anycostd check --help)\n"},
		{[]string{"run"}, "anycostd: run: --config is required (see anycostd run --help)\n"},
		// D11: extra arguments were ignored (check -c f extra: exit 0).
		{[]string{"check", "-c", ref, "extra"}, "anycostd: check takes no arguments, got 1: extra\n"},
		{[]string{"status", "now"}, "anycostd: status takes no arguments, got 1: now\n"},
		{[]string{"run", "-c", ref, "now"}, "anycostd: run takes no arguments, got 1: now\n"},
		{[]string{"drain", "dns", "ntp", "--control", "/nonexistent"}, "anycostd: drain takes at most one argument, SERVICE, got 2: dns ntp\n"},
		{[]string{"undrain"}, "anycostd: undrain: name a service, or --all\n"},
		{[]string{"drain", "--all", "dns"}, "anycostd: drain: a service name or --all, not both\n"},
		{[]string{"completion", "fish"}, "anycostd: completion: \"fish\": bash or zsh\n"},
		// Issue 16: a relative control socket from the command line was
		// created (run) or looked for in the current folder. (run and
		// router name no file: the flag is refused before it is read,
		// and, were it not, nothing would start.)
		{[]string{"run", "-c", "/nonexistent/anycostd.toml", "--control", "rel.sock"}, relControl},
		{[]string{"router", "-c", "/nonexistent/anycostd.toml", "--control", "rel.sock"}, relControl},
		{[]string{"router", "status", "--control", "rel.sock"}, relControl},
		{[]string{"status", "--control", "rel.sock"}, relControl},
		{[]string{"lsdb", "--control", "./rel.sock"}, `anycostd: --control (or ANYCOSTD_CONTROL) "./rel.sock" is not an absolute path: give the socket's full path, e.g. /run/anycostd/anycostd.sock` + "\n"},
		{[]string{"neighbors", "--control", "rel.sock"}, relControl},
		{[]string{"cost", "--control", "rel.sock"}, relControl},
		{[]string{"drain", "dns", "--control", "rel.sock"}, relControl},
		{[]string{"undrain", "--all", "--control", "rel.sock"}, relControl},
	} {
		code, out, errOut := runCLI(tc.args...)
		if code != exitUsage || out != "" || errOut != tc.stderr {
			t.Errorf("anycostd %q: exit %d, stdout %q, stderr %q\nwant exit %d, stderr %q", tc.args, code, out, errOut, exitUsage, tc.stderr)
		}
	}
	// The same path from the environment.
	t.Setenv("ANYCOSTD_CONTROL", "rel.sock")
	for _, args := range [][]string{{"run", "-c", "/nonexistent/anycostd.toml"}, {"status"}, {"drain", "dns"}, {"cost"}} {
		code, out, errOut := runCLI(args...)
		if code != exitUsage || out != "" || errOut != relControl {
			t.Errorf("ANYCOSTD_CONTROL=rel.sock anycostd %q: exit %d, stdout %q, stderr %q\nwant exit %d, stderr %q", args, code, out, errOut, exitUsage, relControl)
		}
	}
}

// relControl is the usage error of a relative --control.
const relControl = `anycostd: --control (or ANYCOSTD_CONTROL) "rel.sock" is not an absolute path: give the socket's full path, e.g. /run/anycostd/anycostd.sock` + "\n"

// Asking for help is no error: `help` (D7: "No help topic for 'help'",
// exit 3), `help COMMAND` and --help print the help on stdout, exit 0.
func TestHelp(t *testing.T) {
	code, root, errOut := runCLI("--help")
	if code != 0 || errOut != "" || !strings.Contains(root, "COMMANDS:") || !strings.Contains(root, "Exit status: 0 success") {
		t.Fatalf("--help: exit %d, stderr %q, stdout:\n%s", code, errOut, root)
	}
	if code, out, errOut := runCLI("help"); code != 0 || errOut != "" || out != root {
		t.Errorf("help: exit %d, stderr %q, stdout differs from --help:\n%s", code, errOut, out)
	}
	_, want, _ := runCLI("drain", "--help")
	if code, out, errOut := runCLI("help", "drain"); code != 0 || errOut != "" || out != want || !strings.Contains(out, "anycostd drain [command options] SERVICE") {
		t.Errorf("help drain: exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	_, want, _ = runCLI("cost", "what-if", "--help")
	if code, out, errOut := runCLI("help", "cost", "what-if"); code != 0 || errOut != "" || out != want {
		t.Errorf("help cost what-if: exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	// No help subcommand in the listings.
	if strings.Contains(root, "help, h") {
		t.Errorf("--help lists a help command:\n%s", root)
	}
}

// Issue 16 D12: what-if's help said its --set keys were "below" (they
// are above, in the description) and printed two defaults for --for.
func TestWhatIfHelp(t *testing.T) {
	_, out, _ := runCLI("cost", "what-if", "--help")
	keys := strings.Index(out, "--set keys")
	set := strings.Index(out, "--set KEY=VALUE [ --set KEY=VALUE ]")
	if keys < 0 || set < 0 || keys > set {
		t.Fatalf("the --set keys are not listed above the --set flag:\n%s", out)
	}
	for _, bad := range []string{"below", "(default: long enough to settle) (default: 0s)"} {
		if strings.Contains(out, bad) {
			t.Errorf("what-if --help says %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "simulated TIME to run (default: long enough to settle)\n") {
		t.Errorf("what-if --help: --for has not one default:\n%s", out)
	}
}

// Issue 16 D9: flags after the arguments are read as flags: `drain dns
// --control X` said "drain takes one service name, got 3 arguments".
func TestFlagsAfterArguments(t *testing.T) {
	path := controltest.Serve(t, &controltest.Backend{StatusResult: controltest.Status(), Entries: controltest.LSDB()})
	code, out, errOut := runCLI("drain", "dns", "--control", path)
	if code != 0 || errOut != "" || out != "dns: drained (the change reaches the router as soon as pacing allows)\n" {
		t.Errorf("drain dns --control PATH: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = runCLI("undrain", "dns", "--control="+path)
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "dns: undrained") {
		t.Errorf("undrain dns --control=PATH: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// Not read as check -c FILE.
	code, out, errOut = runCLI("check", "../../testdata/reference.toml", "-c")
	if code != exitUsage || out != "" || errOut != "anycostd: check: flag needs an argument: -c (see anycostd check --help)\n" {
		t.Errorf("check FILE -c: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestPrepareArgs(t *testing.T) {
	app := newApp(nil, nil)
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"drain dns --control x", "drain --control x dns"},
		{"drain dns --all", "drain --all dns"},
		{"drain --control=x dns --json", "drain --control=x --json dns"},
		{"cost dns --watch --interval 2s", "cost --watch --interval 2s dns"},
		{"cost what-if -s dns --set a=1 -c f", "cost what-if -s dns --set a=1 -c f"},
		{"drain x -- -odd --control y", "drain -- x -odd --control y"},
		{"check -c", "check -c"},
		{"help", "--help"},
		{"help cost what-if", "cost what-if --help"},
		{"stat --json", "stat --json"},
		{"drain dns --generate-bash-completion", "drain dns --generate-bash-completion"},
	} {
		args, err := cmdline.PrepareArgs(app, append([]string{"anycostd"}, strings.Fields(tc.in)...))
		if got := strings.Join(args[1:], " "); err != nil || got != tc.want {
			t.Errorf("prepareArgs(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// Issue 16 D13: --version names the module version and the commit.
func TestVersion(t *testing.T) {
	code, out, errOut := runCLI("--version")
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "anycostd version ") {
		t.Errorf("--version: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/anycostd/anycostd", Version: "v1.2.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "28b7bbf0c0ffee"},
			{Key: "vcs.time", Value: "2026-12-06T19:03:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	if got, want := formatVersion(bi), "v1.2.0, commit 28b7bbf0c0ffee of 2026-12-06T19:03:00Z with uncommitted changes, go1.26.8"; got != want {
		t.Errorf("formatVersion = %q, want %q", got, want)
	}
	bi.Main.Version, bi.Settings = "", nil
	if got, want := formatVersion(bi), "(devel), go1.26.8"; got != want {
		t.Errorf("formatVersion without VCS = %q, want %q", got, want)
	}
}

// The completion scripts ask the binary for candidates; the binary
// answers with commands, and with flags for a word starting with "-".
func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh"} {
		code, out, errOut := runCLI("completion", sh)
		if code != 0 || errOut != "" || !strings.Contains(out, "--generate-bash-completion") || !strings.Contains(out, "_anycostd") {
			t.Errorf("completion %s: exit %d, stderr %q, stdout:\n%s", sh, code, errOut, out)
		}
	}
	// urfave/cli's completion reads os.Args: run the test binary as
	// anycostd (TestMain).
	complete := func(args ...string) string {
		cmd := exec.Command(os.Args[0])
		cmd.Env = childEnv(append(args, "--generate-bash-completion")...)
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("anycostd %q --generate-bash-completion: %v", args, err)
		}
		return string(out)
	}
	if out := complete(); !strings.Contains(out, "status\n") || !strings.Contains(out, "drain\n") || strings.Contains(out, "man\n") {
		t.Errorf("commands: %q", out)
	}
	if out := complete("drain", "dns", "-"); !strings.Contains(out, "--control\n") || !strings.Contains(out, "--all\n") {
		t.Errorf("drain's flags: %q", out)
	}
}

// The manual page is generated from the command definitions; the one in
// docs/ is kept equal to them (make man, or go test -update).
func TestManPage(t *testing.T) {
	page, err := manPage()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI("man")
	if code != 0 || errOut != "" || out != page {
		t.Errorf("anycostd man: exit %d, stderr %q, stdout differs from manPage", code, errOut)
	}
	for _, want := range []string{".TH anycostd 8", "check", "what-if", "Exit status"} {
		if !strings.Contains(page, want) {
			t.Errorf("the man page lacks %q", want)
		}
	}
	// make man writes it; so does go test -update.
	goldenFile(t, filepath.Join("..", "..", "docs", "anycostd.8"), page)
}
