// Package arch holds the test that keeps the import directions of
// docs/architecture.md true.
package arch

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/anycostd/anycostd"

// pkg is what `go list -json` says of one package.
type pkg struct {
	ImportPath string
	Imports    []string // direct
	Deps       []string // every package it depends on, directly or not
}

// rel is p without the module path ("lsa", "ospf/auth").
func rel(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, module), "/") }

// listPackages runs `go list -json -deps=false` over the module.
func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Skipf("no go command: %v", err)
		}
	}
	cmd := exec.Command(goBin, "list", "-json", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[rel(p.ImportPath)] = p
	}
	return pkgs
}

// under reports whether package p is dir or below it.
func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// pure are the packages that do no I/O: the codecs, the cost model, the
// engines and the contract types they share. Everything they depend on in
// the module is pure too, and they import none of noIO.
var pure = []string{"lsa", "costmodel", "costmodel/sim", "agent/weights", "internal/probeloop", "internal/linkgraph", "netif", "ospf", "ospf/packet", "ospf/auth", "ndproxy"}

// noIO are the standard and third-party packages a pure package must not
// import: files, processes, sockets, netlink.
var noIO = []string{
	"os", "os/exec", "os/signal", "io/fs", "path/filepath", "syscall", "net/http",
	"golang.org/x/sys/unix", "github.com/vishvananda/netlink", "github.com/vishvananda/netns",
}

// modes are the packages of each mode; no mode imports another.
var modes = [][]string{{"ospf"}, {"ndproxy"}, {"agent"}}

// rules forbid imports of the packages matching forbid to the packages
// matching from (a package and those below it): direct or not, or direct
// only.
var rules = []struct {
	from   []string
	forbid []string
	direct bool
	why    string
}{
	{[]string{"lsa", "costmodel", "netif"}, []string{"ospf", "ndproxy", "services", "config", "monitor", "metrics", "control", "internal/daemon", "internal/host", "cmd"},
		false, "lsa, netif and costmodel import nothing of the daemon"},
	{[]string{"lsa"}, []string{"costmodel", "netif"}, false, "lsa is the LSA codec and nothing else"},
	{[]string{"internal/linkgraph"}, []string{"ospf", "ndproxy", "agent", "services", "config", "monitor", "metrics", "control", "internal/daemon", "internal/host", "cmd", "costmodel"},
		false, "linkgraph reads LSAs as SPF reads links for the daemon and the router agent: it imports lsa and nothing of either"},
	{[]string{"internal/probeloop"}, []string{"monitor", "costmodel"}, false,
		"probeloop is the probe loop's rule, which monitor and costmodel/sim share: it imports neither"},
	{[]string{"ospf", "ndproxy", "agent", "bfd"}, []string{"cmd", "config", "control", "services", "metrics", "monitor", "internal/daemon"},
		false, "engines (and the router agent) know no CLI, no configuration and no service manager"},
	{[]string{"ospf"}, []string{"bfd"}, false, "the OSPF engine knows nothing of BFD: the daemon glues them (internal/daemon/bfd.go)"},
	{[]string{"bfd"}, []string{"ospf", "lsa", "ndproxy", "agent"}, false, "the BFD speaker knows no routing protocol: the daemon glues it to OSPF"},
	{[]string{"config"}, []string{"ospf/rawsock", "ospf/auth/authfile", "ndproxy/ndsock", "monitor", "internal", "services", "metrics", "control", "cmd"},
		false, "config depends on no engine with I/O"},
	// services uses config's types, and config the engines' defaults: the
	// rule is on what services itself imports.
	{[]string{"services"}, []string{"ospf", "ndproxy", "internal/daemon", "control", "metrics", "cmd"},
		true, "services is the mode-neutral contract: it knows no mode"},
	{[]string{"monitor", "internal/host", "control", "metrics", "internal/render"}, []string{"internal/daemon", "cmd"},
		false, "only cmd uses the daemon"},
	// control's types carry services' (and so config's): the rule is on
	// what render itself imports.
	{[]string{"internal/render"}, []string{"internal/daemon", "cmd", "config", "monitor", "metrics", "internal/cmdline"},
		true, "render lays out the control protocol's answers: it knows no daemon, no configuration and no command"},
}

// standalone are packages that import nothing of the module: what they
// do is not anycostd's own (the command line's rules, its generated
// documents).
var standalone = []string{"internal/cmdline"}

func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	match := func(p string, dirs []string) bool {
		return slices.ContainsFunc(dirs, func(d string) bool { return under(p, d) })
	}
	for name, p := range pkgs {
		for _, r := range rules {
			if !match(name, r.from) {
				continue
			}
			deps := p.Deps
			if r.direct {
				deps = p.Imports
			}
			for _, d := range deps {
				if strings.HasPrefix(d, module) && match(rel(d), r.forbid) {
					t.Errorf("%s depends on %s: %s", name, rel(d), r.why)
				}
			}
		}
	}
	for _, name := range standalone {
		p, ok := pkgs[name]
		if !ok {
			t.Errorf("no package %s", name)
		}
		for _, d := range p.Deps {
			if strings.HasPrefix(d, module) {
				t.Errorf("%s depends on %s: it imports nothing of the module", name, rel(d))
			}
		}
	}
	for i, m := range modes {
		for j, other := range modes {
			if i == j {
				continue
			}
			for name, p := range pkgs {
				if !match(name, m) {
					continue
				}
				for _, d := range p.Deps {
					if strings.HasPrefix(d, module) && match(rel(d), other) {
						t.Errorf("mode package %s depends on %s, another mode's", name, rel(d))
					}
				}
			}
		}
	}
}

func TestPurePackages(t *testing.T) {
	pkgs := listPackages(t)
	for _, name := range pure {
		p, ok := pkgs[name]
		if !ok {
			t.Errorf("no package %s", name)
			continue
		}
		for _, imp := range p.Imports {
			if slices.Contains(noIO, imp) {
				t.Errorf("%s imports %s: it must do no I/O", name, imp)
			}
		}
		for _, d := range p.Deps {
			if strings.HasPrefix(d, module) && !slices.Contains(pure, rel(d)) {
				t.Errorf("%s depends on %s, which is not pure", name, rel(d))
			}
		}
	}
	// render writes to the writer it is given and does nothing else.
	for _, imp := range pkgs["internal/render"].Imports {
		if slices.Contains(noIO, imp) {
			t.Errorf("internal/render imports %s: it only writes to the writer it is given", imp)
		}
	}
	// config: only pure packages of the module.
	for _, d := range pkgs["config"].Deps {
		if strings.HasPrefix(d, module) && !slices.Contains(pure, rel(d)) {
			t.Errorf("config depends on %s, which is not pure", rel(d))
		}
	}
}
