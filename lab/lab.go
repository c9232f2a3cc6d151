package lab

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvLab is the environment variable that turns skipped lab tests into
// failures: with ANYCOSTD_LAB=1 a missing prerequisite (root, ip, FRR)
// fails the test instead of skipping it.
const EnvLab = "ANYCOSTD_LAB"

// namePrefix starts every namespace, temporary folder and FRR run folder
// a Lab creates; namePattern matches the whole lab name.
const namePrefix = "acd"

var namePattern = regexp.MustCompile(`^acd[0-9a-f]{6}$`)

// frrRunDir holds FRR's per-namespace vty socket folders (FRR's -N option).
const frrRunDir = "/var/run/frr"

// netnsDir is where iproute2 keeps named network namespaces.
const netnsDir = "/var/run/netns"

// Lab is one test network. A test creates it with New, which removes it
// at the test's end; a program (the benchmarks, the demo) with Open, and
// removes it with Close.
//
// Every operation that can fail has two forms: TryX returns the error, X
// (for tests) fails the test, or skips it when a prerequisite is missing
// (fails it with ANYCOSTD_LAB=1). A program uses the Try forms only; X
// panics in a lab a program opened.
type Lab struct {
	tb   testing.TB // the test that owns the lab; nil for Open
	logw io.Writer  // Open's log; nil: none
	name string
	dir  string

	mu       sync.Mutex
	nsList   []string // namespaces in creation order
	nsSet    map[string]bool
	procs    []*Proc
	frrs     []*FRR
	hosts    map[string]*Host
	links    map[string]*Link
	cleanups []func() // run by Close, newest first
	closed   bool
}

// New creates an empty lab and registers its removal with t.Cleanup. It
// skips the test (fails it with ANYCOSTD_LAB=1) when not running as root or
// when iproute2's ip is missing. New must be called from the test goroutine.
func New(t testing.TB) *Lab {
	t.Helper()
	RequireRoot(t)
	l, err := open()
	if err != nil {
		t.Fatal(err)
	}
	l.tb = t
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(l.ProcessTails(30))
		}
		if err := l.Close(); err != nil {
			t.Errorf("lab cleanup: %v", err)
		}
	})
	return l
}

// Open creates an empty lab outside a test; Close removes it. It fails
// when not running as root or when iproute2's ip is missing. log receives
// the few lines the lab writes while it runs (nil: none).
func Open(log io.Writer) (*Lab, error) {
	if err := CheckRoot(); err != nil {
		return nil, err
	}
	l, err := open()
	if err != nil {
		return nil, err
	}
	l.logw = log
	return l, nil
}

// open names the lab and creates its folder.
func open() (*Lab, error) {
	keepDescriptors()
	l := &Lab{nsSet: map[string]bool{}, hosts: map[string]*Host{}, links: map[string]*Link{}}
	for i := 0; ; i++ {
		var b [3]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("lab: random name: %w", err)
		}
		l.name = namePrefix + hex.EncodeToString(b[:])
		if !l.nameInUse() {
			break
		}
		if i == 10 {
			return nil, fmt.Errorf("lab: no free lab name after %d tries", i)
		}
	}
	dir, err := os.MkdirTemp("", l.name+"-")
	if err != nil {
		return nil, fmt.Errorf("lab: temp dir: %w", err)
	}
	// FRR daemons drop to user frr and must reach their config.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("lab: chmod %s: %w", dir, err)
	}
	l.dir = dir
	return l, nil
}

// must is the test form of a Try operation's error: it fails the test (or
// skips it for a missing prerequisite).
func (l *Lab) must(err error) {
	if err == nil {
		return
	}
	if l.tb == nil {
		panic(fmt.Sprintf("lab: %v (a lab opened by Open takes the Try forms)", err))
	}
	l.tb.Helper()
	var m *MissingError
	if errors.As(err, &m) {
		skipOrFail(l.tb, "%s", m.What)
	}
	l.tb.Fatal(err)
}

// logf writes a line of the lab's own: to the test's log, or Open's.
func (l *Lab) logf(format string, args ...any) {
	if l.tb != nil {
		l.tb.Logf(format, args...)
		return
	}
	if l.logw != nil {
		fmt.Fprintf(l.logw, "lab %s: %s\n", l.name, fmt.Sprintf(format, args...))
	}
}

// addCleanup registers fn to run when the lab is removed, before its
// processes are killed.
func (l *Lab) addCleanup(fn func()) {
	l.mu.Lock()
	l.cleanups = append(l.cleanups, fn)
	l.mu.Unlock()
}

// nameInUse reports whether anything with this lab name already exists.
func (l *Lab) nameInUse() bool {
	for _, g := range []string{
		filepath.Join(netnsDir, l.name+"-*"),
		filepath.Join(os.TempDir(), l.name+"-*"),
		filepath.Join(frrRunDir, l.name+"-*"),
	} {
		if m, _ := filepath.Glob(g); len(m) > 0 {
			return true
		}
	}
	return false
}

// Name is the lab's unique name ("acd" + 6 hex digits); every namespace of
// the lab is called Name()+"-"+something.
func (l *Lab) Name() string { return l.name }

// Dir is the lab's temporary folder: configs and process logs. It is
// removed with the lab.
func (l *Lab) Dir() string { return l.dir }

// Namespaces lists the names of the network namespaces the lab has
// created and not yet removed.
func (l *Lab) Namespaces() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.nsList...)
}

// addNamespace creates a named network namespace with lo up and IPv6
// forwarding off, and records it for cleanup.
func (l *Lab) addNamespace(suffix string) (string, error) {
	ns := l.name + "-" + suffix
	l.mu.Lock()
	if l.nsSet[ns] {
		l.mu.Unlock()
		return "", fmt.Errorf("lab: namespace %s exists already (duplicate name %q)", ns, suffix)
	}
	l.nsSet[ns] = true
	l.nsList = append(l.nsList, ns)
	l.mu.Unlock()
	return ns, runAll(
		[]string{"ip", "netns", "add", ns},
		[]string{"ip", "-n", ns, "link", "set", "lo", "up"},
		[]string{"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=0", "net.ipv6.conf.default.forwarding=0"},
	)
}

// mustRun runs a set-up command in the root namespace and fails the test
// when it fails.
func (l *Lab) mustRun(argv ...string) []byte {
	out, err := runCmd(argv...)
	if err != nil {
		err = fmt.Errorf("lab: %w", err)
	}
	l.must(err)
	return out
}

// runAll runs set-up commands in the root namespace, one after the other,
// and stops at the first that fails.
func runAll(cmds ...[]string) error {
	for _, argv := range cmds {
		if _, err := runCmd(argv...); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
	}
	return nil
}

// runCmd runs argv and returns its stdout; the error carries stderr.
func runCmd(argv ...string) ([]byte, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// ProcessTails returns the last n lines of every process's log, for a
// failure report.
func (l *Lab) ProcessTails(n int) string {
	l.mu.Lock()
	procs := append([]*Proc(nil), l.procs...)
	l.mu.Unlock()
	var b strings.Builder
	for _, p := range procs {
		fmt.Fprintf(&b, "lab: last lines of %s (%s):\n%s\n", p.name, p.logPath, tail(p.logPath, n))
	}
	return b.String()
}

// Close removes everything the lab created: it runs the registered
// cleanups, kills the processes, removes the namespaces and the folder. It
// keeps going on errors and returns them all. Closing twice does nothing.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	procs := append([]*Proc(nil), l.procs...)
	nsList := append([]string(nil), l.nsList...)
	cleanups := l.cleanups
	l.mu.Unlock()

	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	for _, p := range procs {
		p.Kill()
	}
	// Reverse order: hosts and links were added before anything that
	// depends on them, so tear down the newest first.
	var errs []error
	for i := len(nsList) - 1; i >= 0; i-- {
		if err := removeNamespace(nsList[i]); err != nil {
			errs = append(errs, err)
		}
	}
	l.mu.Lock()
	l.nsList = nil
	l.mu.Unlock()
	if err := os.RemoveAll(l.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// removeNamespace kills whatever still runs in ns (a daemon that escaped
// its process group), deletes ns and its FRR run folder.
func removeNamespace(ns string) error {
	var errs []string
	if _, err := os.Stat(filepath.Join(netnsDir, ns)); err == nil {
		killNamespacePids(ns)
		if _, err := runCmd("ip", "netns", "del", ns); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if err := os.RemoveAll(filepath.Join(frrRunDir, ns)); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("removing namespace %s: %s", ns, strings.Join(errs, "; "))
	}
	return nil
}

// killNamespacePids SIGKILLs every process inside ns and waits up to 2 s
// for them to go.
func killNamespacePids(ns string) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		out, _ := runCmd("ip", "netns", "pids", ns)
		pids := strings.Fields(string(out))
		if len(pids) == 0 || time.Now().After(deadline) {
			return
		}
		self := strconv.Itoa(os.Getpid())
		others := 0
		for _, p := range pids {
			if p == self {
				// A thread of ours (the main thread) inside the namespace:
				// never kill the test binary itself.
				continue
			}
			others++
			_, _ = runCmd("kill", "-9", p)
		}
		if others == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
