package lab

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
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

// Lab is one test network. Create it with New; it is removed by the
// cleanup New registers.
type Lab struct {
	t    testing.TB
	name string
	dir  string

	mu     sync.Mutex
	nsList []string // namespaces in creation order
	nsSet  map[string]bool
	procs  []*Proc
	frrs   []*FRR
	hosts  map[string]*Host
	links  map[string]*Link
	closed bool
}

// New creates an empty lab and registers its removal with t.Cleanup. It
// skips the test (fails it with ANYCOSTD_LAB=1) when not running as root or
// when iproute2's ip is missing. New must be called from the test goroutine.
func New(t testing.TB) *Lab {
	t.Helper()
	RequireRoot(t)
	keepDescriptors()
	l := &Lab{t: t, nsSet: map[string]bool{}, hosts: map[string]*Host{}, links: map[string]*Link{}}
	for i := 0; ; i++ {
		var b [3]byte
		if _, err := rand.Read(b[:]); err != nil {
			t.Fatalf("lab: random name: %v", err)
		}
		l.name = namePrefix + hex.EncodeToString(b[:])
		if !l.nameInUse() {
			break
		}
		if i == 10 {
			t.Fatalf("lab: no free lab name after %d tries", i)
		}
	}
	dir, err := os.MkdirTemp("", l.name+"-")
	if err != nil {
		t.Fatalf("lab: temp dir: %v", err)
	}
	// FRR daemons drop to user frr and must reach their config.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("lab: chmod %s: %v", dir, err)
	}
	l.dir = dir
	t.Cleanup(l.cleanup)
	return l
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
func (l *Lab) addNamespace(suffix string) string {
	l.t.Helper()
	ns := l.name + "-" + suffix
	l.mu.Lock()
	if l.nsSet[ns] {
		l.mu.Unlock()
		l.t.Fatalf("lab: namespace %s exists already (duplicate name %q)", ns, suffix)
	}
	l.nsSet[ns] = true
	l.nsList = append(l.nsList, ns)
	l.mu.Unlock()
	l.mustRun("ip", "netns", "add", ns)
	l.mustRun("ip", "-n", ns, "link", "set", "lo", "up")
	l.mustRun("ip", "netns", "exec", ns, "sysctl", "-qw",
		"net.ipv6.conf.all.forwarding=0", "net.ipv6.conf.default.forwarding=0")
	return ns
}

// mustRun runs a setup command in the root namespace and fails the test
// with its output when it fails.
func (l *Lab) mustRun(argv ...string) []byte {
	l.t.Helper()
	out, err := runCmd(argv...)
	if err != nil {
		l.t.Fatalf("lab: %v", err)
	}
	return out
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

// cleanup removes everything the lab created. It keeps going on errors
// and reports them with t.Errorf.
func (l *Lab) cleanup() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	procs := append([]*Proc(nil), l.procs...)
	nsList := append([]string(nil), l.nsList...)
	l.mu.Unlock()

	if l.t.Failed() {
		for _, p := range procs {
			l.t.Logf("lab: last lines of %s (%s):\n%s", p.name, p.logPath, tail(p.logPath, 30))
		}
	}
	for _, p := range procs {
		p.Kill()
	}
	// Reverse order: hosts and links were added before anything that
	// depends on them, so tear down the newest first.
	for i := len(nsList) - 1; i >= 0; i-- {
		ns := nsList[i]
		if err := removeNamespace(ns); err != nil {
			l.t.Errorf("lab cleanup: %v", err)
		}
	}
	l.mu.Lock()
	l.nsList = nil
	l.mu.Unlock()
	if err := os.RemoveAll(l.dir); err != nil {
		l.t.Errorf("lab cleanup: %v", err)
	}
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
