package lab

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// NSD is one NSD server (Debian package nsd) in a host's namespace, with
// its own config, zone and pid file in the lab folder. It serves the zone
// example.org. with a per-server "whoami IN TXT" record, on [::]:53 (or
// the addresses of NSDOptions.Addresses).
type NSD struct {
	host  *Host
	port  int
	dir   string
	conf  string
	check netip.Addr // where Start asks whether it answers
	Proc  *Proc
	runs  int
}

// NSDOptions tune one server.
type NSDOptions struct {
	// ID is the text of whoami.example.org. TXT (default: the host name).
	ID string
	// ServerCount is NSD's server-count (default 1).
	ServerCount int
	// Port is the UDP/TCP port (default 53).
	Port int
	// Extra lines appended to the server: clause (e.g. a rate limit).
	Extra []string
	// Addresses are NSD's ip-address: lines (default: the one line "::",
	// every address of the host). Bound to the service address, NSD
	// answers from it. On "::" it answers from the address source
	// selection picks (RFC 6724): for a query that came in on eth0 to an
	// address on lo, eth0's own global address (rule 5), not the address
	// the client asked, and clients with connected UDP sockets drop such
	// answers. NSD 4.6 does not start when an address is not on an
	// interface ("can't bind udp socket ...: Cannot assign requested
	// address"), unless FreeBind; a bound socket keeps answering when the
	// address is removed and added again (anycostd removes the service
	// address from lo when it stops and puts it back when it starts).
	Addresses []netip.Addr
	// FreeBind sets ip-freebind: yes: NSD binds Addresses that are not
	// on an interface (yet).
	FreeBind bool
}

// CheckNSD reports a MissingError without nsd installed.
func CheckNSD() error {
	if _, err := os.Stat("/usr/sbin/nsd"); err != nil {
		return missing("nsd is not installed (apt-get install nsd): %v", err)
	}
	return nil
}

// RequireNSD skips (or fails, under ANYCOSTD_LAB=1) without nsd installed.
func RequireNSD(t testing.TB) {
	t.Helper()
	require(t, CheckNSD())
}

// StartNSD writes the server's config and zone and starts it in the
// foreground (-d), waiting until it answers on [::1]:53 (or on the first
// of opts.Addresses).
func (h *Host) StartNSD(opts NSDOptions) *NSD {
	n, err := h.TryStartNSD(opts)
	h.lab.must(err)
	return n
}

// TryStartNSD is StartNSD, returning its error.
func (h *Host) TryStartNSD(opts NSDOptions) (*NSD, error) {
	if opts.ID == "" {
		opts.ID = h.hostName
	}
	if opts.ServerCount == 0 {
		opts.ServerCount = 1
	}
	if opts.Port == 0 {
		opts.Port = 53
	}
	dir := filepath.Join(h.lab.dir, fmt.Sprintf("%s-nsd-%d", h.name, opts.Port))
	for _, d := range []string{dir, filepath.Join(dir, "xfr")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	zone := fmt.Sprintf(`$ORIGIN example.org.
$TTL 300
@       IN SOA  ns1.example.org. hostmaster.example.org. 1 3600 900 604800 300
@       IN NS   ns1.example.org.
ns1     IN AAAA 2001:db8:53::53
www     IN AAAA 2001:db8:80::80
whoami  IN TXT  %q
`, opts.ID)
	listen := []string{"ip-address: ::"}
	check := netip.MustParseAddr("::1")
	if len(opts.Addresses) > 0 {
		listen = listen[:0]
		for _, a := range opts.Addresses {
			listen = append(listen, "ip-address: "+a.String())
		}
		if a := opts.Addresses[0]; !a.IsUnspecified() {
			check = a
		}
	}
	if opts.FreeBind {
		listen = append(listen, "ip-freebind: yes")
	}
	conf := fmt.Sprintf(`server:
%[5]s  port: %[4]d
  username: ""
  chroot: ""
  database: ""
  zonesdir: "%[1]s"
  pidfile: "%[1]s/nsd.pid"
  zonelistfile: "%[1]s/zone.list"
  xfrdfile: "%[1]s/xfrd.state"
  xfrdir: "%[1]s/xfr"
  server-count: %[2]d
  rrl-ratelimit: 0
  verbosity: 1
%[3]s
remote-control:
  control-enable: no

zone:
  name: example.org
  zonefile: example.org.zone
`, dir, opts.ServerCount, indent(opts.Extra), opts.Port, indent(listen))
	n := &NSD{host: h, dir: dir, conf: filepath.Join(dir, "nsd.conf"), port: opts.Port, check: check}
	for path, body := range map[string]string{n.conf: conf, filepath.Join(dir, "example.org.zone"): zone} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	return n, n.TryStart()
}

func indent(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// TryStart (re)starts the server and waits until it answers (on [::1], or
// on the first of NSDOptions.Addresses).
func (n *NSD) TryStart() error {
	n.runs++
	p, err := n.host.TryStart(fmt.Sprintf("nsd%d-%d", n.port, n.runs), "/usr/sbin/nsd", "-d", "-c", n.conf)
	if err != nil {
		return err
	}
	n.Proc = p
	_, err = Wait(15*time.Second, "NSD in "+n.host.hostName+" to answer", func() (bool, error) {
		_, err := n.host.Whoami(netip.AddrPortFrom(n.check, uint16(n.port)))
		return err == nil, err
	})
	return err
}

// Start is TryStart for tests.
func (n *NSD) Start() { n.host.lab.must(n.TryStart()) }

// Whoami asks server (from inside the host's namespace) for
// whoami.example.org. TXT and returns the text: which server answered.
func (h *Host) Whoami(server netip.AddrPort) (string, error) {
	var txt string
	err := h.Do(func() error {
		c := dns.Client{Net: "udp", Timeout: time.Second}
		m := new(dns.Msg)
		m.SetQuestion("whoami.example.org.", dns.TypeTXT)
		r, _, err := c.Exchange(m, server.String())
		if err != nil {
			return err
		}
		for _, rr := range r.Answer {
			if t, ok := rr.(*dns.TXT); ok && len(t.Txt) > 0 {
				txt = t.Txt[0]
				return nil
			}
		}
		return fmt.Errorf("no TXT answer from %s (rcode %s)", server, dns.RcodeToString[r.Rcode])
	})
	return txt, err
}

// Signal sends sig to every NSD process (the main one and its server
// children share a process group).
func (n *NSD) Signal(sig syscall.Signal) error {
	return syscall.Kill(-n.Proc.Pid(), sig)
}

// Kill ends every NSD process with SIGKILL and waits for the main one.
func (n *NSD) Kill() {
	n.Signal(syscall.SIGKILL)
	n.Proc.WaitTimeout(5 * time.Second)
}

// Pids lists the NSD processes: every process of its process group (the
// lab starts each program in a group of its own; NSD's main process forks
// xfrd and its servers into it).
func (n *NSD) Pids() []int {
	return groupPids(n.Proc.Pid())
}

// groupPids lists the processes whose process group is pgid.
func groupPids(pgid int) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces, so
		// split after its closing parenthesis.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}
