package lab

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Anycast is the service address every lab server advertises.
var Anycast = netip.MustParsePrefix("2001:db8:53::53/128")

// Farm is the reference topology of docs/quickstart.md's picture: one FRR router (zebra +
// ospf6d, hello 1 s, dead 4 s, priority 10) and servers running the built
// anycostd binary, all on one bridged link "lan".
type Farm struct {
	Lab        *Lab
	LAN        *Link
	RouterHost *Host
	Router     *FRR
	RouterIf   Iface
	Servers    []*Server
	bin        string
	// OSPFExtra is appended to every server's [ospf] table (TOML lines).
	OSPFExtra string
	// noDAD turns duplicate address detection off on the hosts added
	// from now on (a faster set-up: see noDAD).
	noDAD bool
}

// Server is one anycostd host of a farm.
type Server struct {
	*Host
	Farm     *Farm
	Iface    Iface
	RouterID string
	Config   string // path of its anycostd config
	Control  string // path of its control socket
	Proc     *Proc  // the running daemon, nil when stopped
	started  int
}

// NewFarm builds the router and n servers (router IDs 192.0.2.11...).
// Each server gets the config ServerTOML(i) writes; no daemon runs yet.
func NewFarm(t testing.TB, n int) *Farm {
	t.Helper()
	RequireFRR(t)
	f := newFarm(t, n)
	f.Router = f.RouterHost.StartFRR(RouterConfig("192.0.2.1", "eth0"))
	return f
}

// newFarm builds the link, the router host (r1, forwarding on) and n
// servers, but starts no router daemon.
func newFarm(t testing.TB, n int) *Farm {
	t.Helper()
	return newFarmDAD(t, n, true)
}

// newFarmDAD is newFarm, with duplicate address detection on every host
// only if dad is true.
func newFarmDAD(t testing.TB, n int, dad bool) *Farm {
	t.Helper()
	RequireRoot(t)
	bin := BuildAnycostd(t)
	f := &Farm{Lab: New(t), bin: bin, noDAD: !dad}
	f.Lab.must(f.build(n))
	return f
}

// OpenFarm is NewFarm outside a test: the farm on a lab of Open (log as
// Open takes it), which f.Lab.Close removes. On an error nothing is left.
func OpenFarm(log io.Writer, n int) (*Farm, error) {
	f, err := openFarm(log, n, true, CheckFRR)
	if err != nil {
		return nil, err
	}
	if f.Router, err = f.RouterHost.TryStartFRR(RouterConfig("192.0.2.1", "eth0")); err != nil {
		f.Lab.Close()
		return nil, err
	}
	return f, nil
}

// openFarm is newFarmDAD outside a test, after checks: the link, the
// router host and n servers on a lab of Open, no router daemon. On an
// error nothing is left.
func openFarm(log io.Writer, n int, dad bool, checks ...func() error) (*Farm, error) {
	l, bin, err := openBuilt(log, checks...)
	if err != nil {
		return nil, err
	}
	f := &Farm{Lab: l, bin: bin, noDAD: !dad}
	if err := f.build(n); err != nil {
		l.Close()
		return nil, err
	}
	return f, nil
}

// openBuilt runs the prerequisite checks, builds anycostd and opens a lab
// (log as Open takes it): the start of each OpenX.
func openBuilt(log io.Writer, checks ...func() error) (*Lab, string, error) {
	for _, check := range checks {
		if err := check(); err != nil {
			return nil, "", err
		}
	}
	bin, err := Build()
	if err != nil {
		return nil, "", err
	}
	l, err := Open(log)
	if err != nil {
		return nil, "", err
	}
	return l, bin, nil
}

// build puts the link, the router host (r1, forwarding on) and n servers
// on the farm's lab, but starts no router daemon.
func (f *Farm) build(n int) error {
	l := f.Lab
	var err error
	if f.LAN, err = l.TryAddLink("lan"); err != nil {
		return err
	}
	if f.RouterHost, err = f.addHost("r1"); err != nil {
		return err
	}
	if err := f.RouterHost.TrySysctl("net.ipv6.conf.all.forwarding", "1"); err != nil {
		return err
	}
	if f.RouterIf, err = f.RouterHost.TryAttach(f.LAN, "eth0", netip.MustParsePrefix("2001:db8:1::1/64")); err != nil {
		return err
	}
	for i := range n {
		if _, err := f.TryAddServer(fmt.Sprintf("192.0.2.%d", 11+i)); err != nil {
			return err
		}
	}
	return nil
}

// addHost adds a host to the farm's lab, without duplicate address
// detection if the farm's noDAD says so.
func (f *Farm) addHost(name string) (*Host, error) {
	h, err := f.Lab.TryAddHost(name)
	if err != nil || !f.noDAD {
		return h, err
	}
	return h, noDAD(h)
}

// AddServer adds one server host with the given router ID to the link and
// writes its default config (one service "dns" with metric 10).
func (f *Farm) AddServer(routerID string) *Server {
	s, err := f.TryAddServer(routerID)
	f.Lab.must(err)
	return s
}

// TryAddServer is AddServer, returning its error.
func (f *Farm) TryAddServer(routerID string) (*Server, error) {
	i := len(f.Servers)
	return f.tryAddServer(fmt.Sprintf("s%d", i+1), routerID, netip.MustParsePrefix(fmt.Sprintf("2001:db8:1::%x/64", 0x100+i)))
}

// tryAddServer adds a server host named name with address addr on the
// link.
func (f *Farm) tryAddServer(name, routerID string, addr netip.Prefix) (*Server, error) {
	h, err := f.addHost(name)
	if err != nil {
		return nil, err
	}
	s := &Server{
		Host:     h,
		Farm:     f,
		RouterID: routerID,
		Config:   filepath.Join(f.Lab.Dir(), h.Name()+".toml"),
		Control:  filepath.Join(f.Lab.Dir(), h.Name()+".sock"),
	}
	if s.Iface, err = h.TryAttach(f.LAN, "eth0", addr); err != nil {
		return nil, err
	}
	if err := s.TryWriteConfig(s.TOML(ServiceTOML("dns", Anycast, 10))); err != nil {
		return nil, err
	}
	f.Servers = append(f.Servers, s)
	return s, nil
}

// TOML returns a complete anycostd config for the server with the given
// [[service]] blocks: the lab's OSPF timers (hello 1 s, dead 4 s).
func (s *Server) TOML(services ...string) string {
	return fmt.Sprintf(`router_id = %q
control_socket = %q
state_dir = %q
log_level = "debug"

[ospf]
interface = "eth0"
hello_interval = "1s"
dead_interval = "4s"
retransmit_interval = "5s"
flush_timeout = "5s"
%s
%s`, s.RouterID, s.Control, s.StateDir(), s.Farm.OSPFExtra, strings.Join(services, "\n"))
}

// StateDir is the server's state_dir (its drains), beside its control
// socket in the lab's folder.
func (s *Server) StateDir() string {
	return strings.TrimSuffix(s.Control, ".sock") + "-state"
}

// ServiceTOML is one [[service]] block with a static metric.
func ServiceTOML(name string, p netip.Prefix, metric int) string {
	return fmt.Sprintf("[[service]]\nname = %q\nprefix = %q\nmetric = %d\n", name, p.String(), metric)
}

// TryWriteConfig replaces the server's config file.
func (s *Server) TryWriteConfig(toml string) error {
	return os.WriteFile(s.Config, []byte(toml), 0o644)
}

// WriteConfig is TryWriteConfig for tests.
func (s *Server) WriteConfig(toml string) { s.Farm.Lab.must(s.TryWriteConfig(toml)) }

// TryStart runs anycostd on the server.
func (s *Server) TryStart() (*Proc, error) {
	s.started++
	p, err := s.Host.TryStart(fmt.Sprintf("anycostd-%d", s.started), s.Farm.bin, "run", "--config", s.Config)
	if err != nil {
		return nil, err
	}
	s.Proc = p
	return p, nil
}

// Start is TryStart for tests.
func (s *Server) Start() *Proc {
	p, err := s.TryStart()
	s.Farm.Lab.must(err)
	return p
}

// Start1 starts the daemon under a log name of the caller's choice.
func (s *Server) Start1(name string) *Proc {
	return s.Host.Start(name, s.Farm.bin, "run", "--config", s.Config)
}

// TrySignal sends sig to the running daemon.
func (s *Server) TrySignal(sig syscall.Signal) error {
	if s.Proc == nil {
		return fmt.Errorf("%s: anycostd is not running", s.Name())
	}
	if err := s.Proc.Signal(sig); err != nil {
		return fmt.Errorf("%s: signal %v: %w", s.Name(), sig, err)
	}
	return nil
}

// Signal is TrySignal for tests.
func (s *Server) Signal(sig syscall.Signal) { s.Farm.Lab.must(s.TrySignal(sig)) }

// CLI runs an anycostd client command against the server's daemon
// (flags go before arguments: urfave/cli stops at the first argument).
func (s *Server) CLI(command string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	argv := append([]string{s.Farm.bin, command, "--control", s.Control}, args...)
	return s.Host.Run(ctx, argv...)
}

// LinkLocals returns the link-local addresses of the given servers, sorted
// as FIBNextHops returns next hops.
func LinkLocals(servers ...*Server) []netip.Addr {
	var out []netip.Addr
	for _, s := range servers {
		out = append(out, s.Iface.LinkLocal)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// DNSFarm is a Farm with NSD on every server and a client behind the
// router on a second link "wan" (2001:db8:2::/64), where dnsperf runs.
type DNSFarm struct {
	*Farm
	WAN    *Link
	Client *Host
	NSD    []*NSD
}

// NewDNSFarm builds the farm of NewFarm with NSD on every server and a
// client. The router hashes multipath routes on the 5-tuple
// (fib_multipath_hash_policy=1) so dnsperf's many client ports spread.
func NewDNSFarm(t testing.TB, n int, nsd func(i int) NSDOptions) *DNSFarm {
	t.Helper()
	RequireNSD(t)
	RequireDNSPerf(t)
	d := &DNSFarm{Farm: NewFarm(t, n)}
	d.Lab.must(d.build(nsd))
	return d
}

// OpenDNSFarm is NewDNSFarm outside a test (see OpenFarm).
func OpenDNSFarm(log io.Writer, n int, nsd func(i int) NSDOptions) (*DNSFarm, error) {
	for _, check := range []func() error{CheckNSD, CheckDNSPerf} {
		if err := check(); err != nil {
			return nil, err
		}
	}
	f, err := OpenFarm(log, n)
	if err != nil {
		return nil, err
	}
	d := &DNSFarm{Farm: f}
	if err := d.build(nsd); err != nil {
		f.Lab.Close()
		return nil, err
	}
	return d, nil
}

// build adds the client, its link and NSD on every server.
func (d *DNSFarm) build(nsd func(i int) NSDOptions) error {
	f := d.Farm
	if err := f.RouterHost.TrySysctl("net.ipv6.fib_multipath_hash_policy", "1"); err != nil {
		return err
	}
	var err error
	if d.WAN, err = f.Lab.TryAddLink("wan"); err != nil {
		return err
	}
	if _, err := f.RouterHost.TryAttach(d.WAN, "eth1", netip.MustParsePrefix("2001:db8:2::1/64")); err != nil {
		return err
	}
	if d.Client, err = f.addHost("client"); err != nil {
		return err
	}
	if _, err := d.Client.TryAttach(d.WAN, "eth0", netip.MustParsePrefix("2001:db8:2::100/64")); err != nil {
		return err
	}
	if err := d.Client.TryRoute("default", "via", "2001:db8:2::1"); err != nil {
		return err
	}
	for i, s := range f.Servers {
		if err := s.TryRoute("default", "via", "2001:db8:1::1"); err != nil {
			return err
		}
		if err := s.TryAddAddr("lo", Anycast); err != nil {
			return err
		}
		var o NSDOptions
		if nsd != nil {
			o = nsd(i)
		}
		n, err := s.TryStartNSD(o)
		if err != nil {
			return err
		}
		d.NSD = append(d.NSD, n)
	}
	return nil
}

// DNSServiceTOML is the [[service]] block of the lab's DNS service with
// the socket monitor and a DNS probe; tiers are appended as given
// (e.g. TiersTOML).
func DNSServiceTOML(drainTime time.Duration, extra ...string) string {
	return fmt.Sprintf(`[[service]]
name = "dns"
prefix = %q
metric = 10
drain_time = %q

%s%s`, Anycast.String(), drainTime.String(), dnsMonitorsTOML, strings.Join(extra, "\n"))
}

// dnsMonitorsTOML are the lab DNS service's monitors: the socket
// monitor and a DNS probe (OSPF and ND services alike).
const dnsMonitorsTOML = `[service.socket]
port = 53
interval = "100ms"

[service.probe]
kind = "dns"
qname = "example.org."
qtype = "SOA"
interval = "200ms"
timeout = "100ms"
rise = 3
fall = 2
`

// TiersTOML is the three tiers docs/quickstart.md's configuration recommends.
const TiersTOML = `
[[service.tier]]
metric = 10
up = 0.6
down = 0.4

[[service.tier]]
metric = 20
up = 0.85
down = 0.65

[[service.tier]]
metric = 40
`

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
