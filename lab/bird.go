package lab

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// birdBin and birdcBin are Debian's bird2 package.
const (
	birdBin  = "/usr/sbin/bird"
	birdcBin = "birdc"
)

// birdStartTimeout bounds how long StartBIRD waits for birdc to answer.
const birdStartTimeout = 15 * time.Second

// BIRDOptions describes the BIRD 2 link router StartBIRD runs: OSPFv3 on
// the given interfaces (hello 1 s, dead 4 s, priority 10 like
// RouterConfig's FRR), every route imported, nothing exported into OSPF,
// ECMP on.
type BIRDOptions struct {
	// RouterID is the router ID, e.g. "192.0.2.1". Required.
	RouterID string
	// Interfaces run OSPF; default "eth0".
	Interfaces []string
	// Priority is the router priority; 0 means the default, 10 (BIRD as
	// a priority-0 speaker is not what the lab needs it for).
	Priority uint8
	// TTLSecurity is BIRD's `ttl security` on every interface: "" (off),
	// "yes" (send with hop limit 255 and require it) or "tx only" (send
	// 255, accept any).
	TTLSecurity string
	// Kernel exports the OSPF routes into the namespace's kernel FIB
	// (protocol kernel, ECMP routes merged into multipath routes), so
	// Host.FIBNextHops sees them.
	Kernel bool
	// InterfaceExtra is added inside every OSPF interface block, e.g.
	// "bfd yes;" or an authentication block.
	InterfaceExtra string
	// OSPFExtra is added inside the protocol ospf block, e.g. "tick 1;".
	OSPFExtra string
	// Extra is added at the end of the config, e.g. "protocol bfd {}".
	Extra string
}

// Config renders the options as bird.conf.
func (o BIRDOptions) Config() string {
	ifaces := o.Interfaces
	if len(ifaces) == 0 {
		ifaces = []string{"eth0"}
	}
	prio := o.Priority
	if prio == 0 {
		prio = 10
	}
	var b strings.Builder
	fmt.Fprintf(&b, "router id %s;\n", o.RouterID)
	b.WriteString("log stderr all;\n")
	b.WriteString("protocol device { scan time 10; }\n")
	if o.Kernel {
		b.WriteString("protocol kernel { ipv6 { import none; export all; }; merge paths yes; }\n")
	}
	b.WriteString("protocol ospf v3 ospf1 {\n")
	b.WriteString("  ipv6 { import all; export none; };\n")
	b.WriteString("  ecmp yes;\n")
	if o.OSPFExtra != "" {
		fmt.Fprintf(&b, "  %s\n", o.OSPFExtra)
	}
	b.WriteString("  area 0 {\n")
	for _, ifn := range ifaces {
		fmt.Fprintf(&b, "    interface %q {\n      hello 1; dead 4; priority %d;\n", ifn, prio)
		if o.TTLSecurity != "" {
			fmt.Fprintf(&b, "      ttl security %s;\n", o.TTLSecurity)
		}
		if o.InterfaceExtra != "" {
			fmt.Fprintf(&b, "      %s\n", o.InterfaceExtra)
		}
		b.WriteString("    };\n")
	}
	b.WriteString("  };\n}\n")
	if o.Extra != "" {
		b.WriteString(o.Extra + "\n")
	}
	return b.String()
}

// BIRD is one BIRD 2 instance running inside a host's namespace, with its
// own config and control socket in the lab folder.
type BIRD struct {
	host   *Host
	opts   BIRDOptions
	conf   string // path of bird.conf
	sock   string // control socket
	proc   *Proc
	starts int
}

// StartBIRD writes the config o renders and runs BIRD in the host's
// namespace, in the foreground (so the lab's cleanup kills it), with its
// own control socket. It returns once birdc answers. It skips the test
// when BIRD is not installed (fails with ANYCOSTD_LAB=1).
func (h *Host) StartBIRD(o BIRDOptions) *BIRD {
	b, err := h.TryStartBIRD(o)
	h.lab.must(err)
	return b
}

// TryStartBIRD is StartBIRD, returning its error (a MissingError when
// BIRD is not installed).
func (h *Host) TryStartBIRD(o BIRDOptions) (*BIRD, error) {
	l := h.lab
	if err := CheckBIRD(); err != nil {
		return nil, err
	}
	if o.RouterID == "" {
		return nil, fmt.Errorf("lab: StartBIRD in %s: no router ID", h.hostName)
	}
	b := &BIRD{
		host: h,
		opts: o,
		conf: filepath.Join(l.dir, "bird-"+h.hostName+".conf"),
		sock: filepath.Join(l.dir, "bird-"+h.hostName+".ctl"),
	}
	if err := os.WriteFile(b.conf, []byte(o.Config()), 0o644); err != nil {
		return nil, fmt.Errorf("lab: StartBIRD: %w", err)
	}
	return b, b.start()
}

// CheckBIRD reports (as a MissingError) when bird or birdc is not
// installed.
func CheckBIRD() error {
	if _, err := os.Stat(birdBin); err != nil {
		return missing("BIRD not installed: %v", err)
	}
	if _, err := exec.LookPath(birdcBin); err != nil {
		return missing("birdc not found: %v", err)
	}
	return nil
}

// RequireBIRD skips the test unless bird and birdc are installed; with
// ANYCOSTD_LAB=1 it fails instead. StartBIRD calls it.
func RequireBIRD(t testing.TB) {
	t.Helper()
	require(t, CheckBIRD())
}

// start runs bird and waits until it answers on its control socket; it
// gives up at once when the process exits.
func (b *BIRD) start() error {
	b.starts++
	p, err := b.host.TryStart(fmt.Sprintf("bird.%d", b.starts), birdBin, "-f", "-c", b.conf, "-s", b.sock)
	if err != nil {
		return err
	}
	b.proc = p
	_, err = Wait(birdStartTimeout, fmt.Sprintf("BIRD in %s to answer birdc", b.host.hostName), func() (bool, error) {
		select {
		case <-p.Done():
			return false, giveUp{fmt.Errorf("lab: BIRD in %s exited: %v\n%s", b.host.hostName, p.Wait(), tail(p.LogPath(), 20))}
		default:
		}
		out, err := b.Birdc("show status")
		return err == nil && strings.Contains(out, "Daemon is up and running"), err
	})
	return err
}

// Birdc runs one birdc command against this instance (birdc -s SOCK cmd)
// and returns its output without the "BIRD x.y ready." banner. BIRD's
// error replies (e.g. "syntax error") come back as errors.
func (b *BIRD) Birdc(cmd string) (string, error) {
	c := exec.Command(birdcBin, append([]string{"-s", b.sock}, strings.Fields(cmd)...)...)
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.Output()
	s := string(out)
	if i := strings.Index(s, " ready.\n"); i >= 0 && strings.HasPrefix(s, "BIRD ") {
		s = s[i+len(" ready.\n"):]
	}
	if err != nil {
		return s, fmt.Errorf("birdc -s %s %s: %w: %s%s", b.sock, cmd, err, strings.TrimSpace(stderr.String()), strings.TrimSpace(s))
	}
	return s, nil
}

// Stop ends BIRD: SIGTERM (it flushes its LSAs), SIGKILL to whatever still
// runs after 5 s.
func (b *BIRD) Stop() {
	_ = b.proc.Signal(syscall.SIGTERM)
	if err := b.proc.WaitTimeout(5 * time.Second); err == ErrTimeout {
		b.proc.Kill()
	}
}

// Restart stops BIRD and starts it again with the same config.
func (b *BIRD) Restart() { b.host.lab.must(b.TryRestart()) }

// TryRestart is Restart, returning its error.
func (b *BIRD) TryRestart() error {
	b.Stop()
	return b.start()
}

// Proc is the running bird process.
func (b *BIRD) Proc() *Proc { return b.proc }

// Options are the options BIRD was started with.
func (b *BIRD) Options() BIRDOptions { return b.opts }

// BIRDFarm is the reference farm of NewFarm with BIRD 2 as the link router
// instead of FRR (Farm.Router is nil).
type BIRDFarm struct {
	*Farm
	BIRD *BIRD
}

// NewBIRDFarm builds the router host and n servers (router IDs
// 192.0.2.11...) like NewFarm and starts BIRD on the router with o
// (RouterID defaults to 192.0.2.1). No anycostd runs yet.
func NewBIRDFarm(t testing.TB, n int, o BIRDOptions) *BIRDFarm {
	t.Helper()
	RequireBIRD(t)
	if o.RouterID == "" {
		o.RouterID = "192.0.2.1"
	}
	f := newFarm(t, n)
	return &BIRDFarm{Farm: f, BIRD: f.RouterHost.StartBIRD(o)}
}

// OpenBIRDFarm is NewBIRDFarm outside a test: the farm on a lab of Open
// (log as Open takes it), which f.Lab.Close removes. On an error nothing
// is left.
func OpenBIRDFarm(log io.Writer, n int, o BIRDOptions) (*BIRDFarm, error) {
	if o.RouterID == "" {
		o.RouterID = "192.0.2.1"
	}
	f, err := openFarm(log, n, true, CheckBIRD)
	if err != nil {
		return nil, err
	}
	b, err := f.RouterHost.TryStartBIRD(o)
	if err != nil {
		f.Lab.Close()
		return nil, err
	}
	return &BIRDFarm{Farm: f, BIRD: b}, nil
}
