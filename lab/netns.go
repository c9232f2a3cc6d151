package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/vishvananda/netns"
)

// Netns is one named network namespace of a lab. Host and Link embed it,
// so both can run commands inside their namespace.
type Netns struct {
	lab  *Lab
	name string
}

// Namespace is the namespace's name as `ip netns` knows it.
func (n *Netns) Namespace() string { return n.name }

// Run runs argv inside the namespace (ip netns exec) and returns its
// standard output. On failure the error includes standard error.
func (n *Netns) Run(ctx context.Context, argv ...string) ([]byte, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("lab: Run in %s: empty command", n.name)
	}
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.name}, argv...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("lab: %s in %s: %w: %s", strings.Join(argv, " "), n.name, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// TryStart starts argv in the background inside the namespace, in its
// own process group, with standard output and error going to the log file
// <lab dir>/<namespace>-<name>.log. The lab kills the process group at
// cleanup. name labels the process in logs; it must be unique per
// namespace.
func (n *Netns) TryStart(name string, argv ...string) (*Proc, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("lab: Start %s in %s: empty command", name, n.name)
	}
	logPath := filepath.Join(n.lab.dir, n.name+"-"+name+".log")
	log, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lab: Start %s: %w", name, err)
	}
	defer log.Close() // the child has its own copy
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.name}, argv...)...)
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &Proc{name: n.name + "/" + name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	n.lab.mu.Lock()
	if n.lab.closed {
		n.lab.mu.Unlock()
		return nil, fmt.Errorf("lab: Start %s after cleanup", name)
	}
	if err := cmd.Start(); err != nil {
		n.lab.mu.Unlock()
		return nil, fmt.Errorf("lab: Start %s (%s) in %s: %w", name, strings.Join(argv, " "), n.name, err)
	}
	n.lab.procs = append(n.lab.procs, p)
	n.lab.mu.Unlock()
	go p.wait()
	return p, nil
}

// Start is TryStart for tests: it fails the test when the process cannot
// be started.
func (n *Netns) Start(name string, argv ...string) *Proc {
	p, err := n.TryStart(name, argv...)
	n.lab.must(err)
	return p
}

// Do runs fn on an OS thread that has entered the namespace, and returns
// fn's error. Sockets and netlink handles that fn opens on its own
// goroutine belong to the namespace and keep working after Do returns;
// goroutines that fn starts run in the caller's namespace instead. The
// thread returns to its original namespace afterwards; if that fails, it
// stays locked and the runtime discards it, so no goroutine ever runs in
// the wrong namespace by accident.
func (n *Netns) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("lab: current namespace: %w", err)
			return
		}
		defer orig.Close()
		h, err := netns.GetFromName(n.name)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("lab: open namespace %s: %w", n.name, err)
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			// Unknown state: keep the thread locked so it is discarded.
			errc <- fmt.Errorf("lab: enter namespace %s: %w", n.name, err)
			return
		}
		fnErr := fn()
		// Go back before unlocking. The main thread in particular is
		// never discarded, and a process whose main thread sits in a lab
		// namespace would be listed (and killed) by the lab's cleanup.
		if err := netns.Set(orig); err == nil {
			runtime.UnlockOSThread()
		}
		errc <- fnErr
	}()
	return <-errc
}
