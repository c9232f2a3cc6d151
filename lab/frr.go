package lab

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// FRR is one FRR instance (zebra, staticd, ospf6d and, when configured,
// bgpd) running inside a host's namespace, started with -N <namespace>.
type FRR struct {
	host    *Host
	conf    string
	dir     string // config, pid files; owned by frr
	daemons []string
	procs   []*Proc
	starts  int
}

// frrStartTimeout bounds how long StartFRR waits for vtysh to answer.
const frrStartTimeout = 15 * time.Second

var routerBGP = regexp.MustCompile(`(?m)^\s*router bgp\b`)

// StartFRR writes conf as the host's frr.conf and starts zebra, staticd and
// ospf6d (and bgpd when conf has `router bgp`, bfdd when it has a `bfd`
// node or `ipv6 ospf6 bfd`, see bfd.go) in the host's namespace,
// each in the foreground under Start (so the lab's cleanup kills them),
// with -N <namespace>, no TCP vty (-P 0) and --log stdout. It returns once
// every daemon answers vtysh. It skips the test when FRR is not installed
// (fails with ANYCOSTD_LAB=1).
func (h *Host) StartFRR(conf string) *FRR {
	f, err := h.TryStartFRR(conf)
	h.lab.must(err)
	return f
}

// TryStartFRR is StartFRR, returning its error (a MissingError when FRR
// is not installed).
func (h *Host) TryStartFRR(conf string) (*FRR, error) {
	l := h.lab
	if err := CheckFRR(); err != nil {
		return nil, err
	}
	f := &FRR{host: h, conf: conf, dir: filepath.Join(l.dir, "frr-"+h.hostName)}
	f.daemons = []string{"zebra", "staticd", "ospf6d"}
	if routerBGP.MatchString(conf) {
		f.daemons = append(f.daemons, "bgpd")
	}
	if needsBFDD.MatchString(conf) {
		f.daemons = append(f.daemons, "bfdd")
	}
	uid, gid, err := frrIDs()
	if err != nil {
		return nil, err
	}
	cf := f.confPath()
	for _, step := range []func() error{
		func() error { return os.MkdirAll(f.dir, 0o755) },
		func() error { return os.Chown(f.dir, uid, gid) },
		func() error { return os.MkdirAll(filepath.Join(frrRunDir, h.name), 0o755) },
		func() error { return os.Chown(filepath.Join(frrRunDir, h.name), uid, gid) },
		func() error { return os.WriteFile(cf, []byte(conf), 0o644) },
		func() error { return os.Chown(cf, uid, gid) },
	} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("lab: StartFRR: %w", err)
		}
	}
	l.mu.Lock()
	l.frrs = append(l.frrs, f)
	l.mu.Unlock()
	return f, f.start()
}

// frrIDs looks up the frr user and group.
func frrIDs() (uid, gid int, err error) {
	out, err := runCmd("id", "-u", "frr")
	if err == nil {
		uid, err = strconv.Atoi(strings.TrimSpace(string(out)))
	}
	if err == nil {
		out, err = runCmd("id", "-g", "frr")
	}
	if err == nil {
		gid, err = strconv.Atoi(strings.TrimSpace(string(out)))
	}
	if err != nil {
		return 0, 0, missing("no frr user: %v", err)
	}
	return uid, gid, nil
}

func (f *FRR) confPath() string { return filepath.Join(f.dir, "frr.conf") }

// start launches the daemons, zebra first, and waits until each answers.
func (f *FRR) start() error {
	f.starts++
	f.procs = f.procs[:0]
	deadline := time.Now().Add(frrStartTimeout)
	for _, d := range f.daemons {
		p, err := f.startDaemon(d)
		if err != nil {
			return err
		}
		f.procs = append(f.procs, p)
		if d == "zebra" {
			// The others connect to zebra's API socket at start-up.
			if err := f.waitDaemon(d, time.Until(deadline)); err != nil {
				return err
			}
		}
	}
	for _, d := range f.daemons[1:] {
		if err := f.waitDaemon(d, time.Until(deadline)); err != nil {
			return err
		}
	}
	return nil
}

// startDaemon starts FRR daemon d in the host's namespace.
func (f *FRR) startDaemon(d string) (*Proc, error) {
	argv := []string{filepath.Join(frrDaemonDir, d),
		"-N", f.host.name, "-P", "0",
		"-f", f.confPath(),
		"-i", filepath.Join(f.dir, d+".pid"),
		"--log", "stdout",
	}
	if d == "zebra" {
		argv = append(argv, zebraV6Replace)
	}
	return f.host.TryStart(fmt.Sprintf("%s.%d", d, f.starts), argv...)
}

// waitDaemon waits until daemon d answers vtysh, and returns early when
// its process has exited.
func (f *FRR) waitDaemon(d string, timeout time.Duration) error {
	p := f.procs[slices.Index(f.daemons, d)]
	_, err := Wait(timeout, fmt.Sprintf("FRR %s in %s to answer vtysh", d, f.host.name), func() (bool, error) {
		select {
		case <-p.Done():
			return false, giveUp{fmt.Errorf("lab: FRR %s in %s exited: %v\n%s", d, f.host.name, p.Wait(), tail(p.LogPath(), 20))}
		default:
		}
		_, err := f.vtysh([]string{"-d", d}, "show version")
		return err == nil, err
	})
	return err
}

// Vtysh runs vtysh commands against this instance (vtysh -N <namespace>
// -c cmd ...) and returns the output. Configuration commands work after
// "configure terminal", e.g. Vtysh("configure terminal", "interface lo",
// "ipv6 ospf6 cost 20").
func (f *FRR) Vtysh(cmds ...string) (string, error) {
	return f.vtysh(nil, cmds...)
}

func (f *FRR) vtysh(opts []string, cmds ...string) (string, error) {
	args := append([]string{"-N", f.host.name}, opts...)
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	cmd := exec.Command("vtysh", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("vtysh -N %s %q: %w: %s%s", f.host.name, cmds, err, cleanVtyshStderr(stderr.String()), strings.TrimSpace(string(out)))
	}
	// vtysh exits 0 on some command errors; they start with "%".
	if s := strings.TrimSpace(string(out)); strings.HasPrefix(s, "% ") {
		return string(out), fmt.Errorf("vtysh -N %s %q: %s", f.host.name, cmds, s)
	}
	return string(out), nil
}

// cleanVtyshStderr drops vtysh's harmless warning about the missing
// per-namespace vtysh.conf.
func cleanVtyshStderr(s string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.Contains(line, "vtysh.conf") {
			keep = append(keep, line)
		}
	}
	if len(keep) == 0 {
		return ""
	}
	return strings.Join(keep, "; ") + " "
}

// Stop ends the daemons: SIGTERM to each in reverse start order (ospf6d
// flushes its LSAs on SIGTERM), SIGKILL to whatever still runs after 5 s.
func (f *FRR) Stop() {
	for i := len(f.procs) - 1; i >= 0; i-- {
		p := f.procs[i]
		_ = p.Signal(syscall.SIGTERM)
		if err := p.WaitTimeout(5 * time.Second); err == ErrTimeout {
			p.Kill()
		}
	}
}

// TryRestart stops the daemons and starts them again with the config
// given to StartFRR (changes made with Vtysh are lost).
func (f *FRR) TryRestart() error {
	f.Stop()
	return f.start()
}

// Restart is TryRestart for tests.
func (f *FRR) Restart() { f.host.lab.must(f.TryRestart()) }

// Procs returns the daemons' processes in start order (zebra first).
func (f *FRR) Procs() []*Proc { return append([]*Proc(nil), f.procs...) }

// Daemon returns the process of daemon d ("zebra", "ospf6d", ...), or nil.
func (f *FRR) Daemon(d string) *Proc {
	if i := slices.Index(f.daemons, d); i >= 0 && i < len(f.procs) {
		return f.procs[i]
	}
	return nil
}

// zebraRoute is the part of `show ipv6 route X json` that Route reads.
type zebraRoute struct {
	Protocol string `json:"protocol"`
	Selected bool   `json:"selected"`
	Metric   int    `json:"metric"`
	Nexthops []struct {
		IP     string `json:"ip"`
		Active bool   `json:"active"`
		FIB    bool   `json:"fib"`
	} `json:"nexthops"`
}

// Route returns the next hops (sorted) of zebra's selected route for
// prefix, from `show ipv6 route <prefix> json`: only active next hops with
// an address. A prefix without a route gives no next hops and no error.
func (f *FRR) Route(prefix string) ([]netip.Addr, error) {
	out, err := f.Vtysh("show ipv6 route " + prefix + " json")
	if err != nil {
		return nil, err
	}
	var m map[string][]zebraRoute
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return nil, fmt.Errorf("parsing show ipv6 route %s json: %w (output %q)", prefix, err, out)
	}
	var hops []netip.Addr
	for _, routes := range m {
		for _, r := range routes {
			if !r.Selected {
				continue
			}
			for _, nh := range r.Nexthops {
				if !nh.Active || nh.IP == "" {
					continue
				}
				a, err := netip.ParseAddr(nh.IP)
				if err != nil {
					return nil, fmt.Errorf("show ipv6 route %s json: next hop %q: %w", prefix, nh.IP, err)
				}
				hops = append(hops, a)
			}
		}
	}
	slices.SortFunc(hops, netip.Addr.Compare)
	return hops, nil
}
