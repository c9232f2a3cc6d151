package lab

import (
	"context"
	"fmt"
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

// Farm is the reference topology of README: one FRR router (zebra +
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
	RequireRoot(t)
	RequireFRR(t)
	bin := BuildAnycostd(t)
	l := New(t)
	f := &Farm{Lab: l, bin: bin}
	f.LAN = l.AddLink("lan")
	f.RouterHost = l.AddHost("r1")
	f.RouterHost.Sysctl("net.ipv6.conf.all.forwarding", "1")
	f.RouterIf = f.RouterHost.Attach(f.LAN, "eth0", netip.MustParsePrefix("2001:db8:1::1/64"))
	for i := range n {
		f.AddServer(fmt.Sprintf("192.0.2.%d", 11+i))
	}
	f.Router = f.RouterHost.StartFRR(RouterConfig("192.0.2.1", "eth0"))
	return f
}

// AddServer adds one server host with the given router ID to the link and
// writes its default config (one service "dns" with metric 10).
func (f *Farm) AddServer(routerID string) *Server {
	i := len(f.Servers)
	return f.addServer(fmt.Sprintf("s%d", i+1), routerID, netip.MustParsePrefix(fmt.Sprintf("2001:db8:1::%x/64", 0x100+i)))
}

// addServer adds a server host named name with address addr on the link.
func (f *Farm) addServer(name, routerID string, addr netip.Prefix) *Server {
	h := f.Lab.AddHost(name)
	s := &Server{
		Host:     h,
		Farm:     f,
		RouterID: routerID,
		Config:   filepath.Join(f.Lab.Dir(), h.Name()+".toml"),
		Control:  filepath.Join(f.Lab.Dir(), h.Name()+".sock"),
	}
	s.Iface = h.Attach(f.LAN, "eth0", addr)
	s.WriteConfig(s.TOML(ServiceTOML("dns", Anycast, 10)))
	f.Servers = append(f.Servers, s)
	return s
}

// TOML returns a complete anycostd config for the server with the given
// [[service]] blocks: the lab's OSPF timers (hello 1 s, dead 4 s).
func (s *Server) TOML(services ...string) string {
	return fmt.Sprintf(`router_id = %q
control_socket = %q
log_level = "debug"

[ospf]
interface = "eth0"
hello_interval = "1s"
dead_interval = "4s"
retransmit_interval = "5s"
flush_timeout = "5s"
%s
%s`, s.RouterID, s.Control, s.Farm.OSPFExtra, strings.Join(services, "\n"))
}

// ServiceTOML is one [[service]] block with a static metric.
func ServiceTOML(name string, p netip.Prefix, metric int) string {
	return fmt.Sprintf("[[service]]\nname = %q\nprefix = %q\nmetric = %d\n", name, p.String(), metric)
}

// WriteConfig replaces the server's config file.
func (s *Server) WriteConfig(toml string) {
	t := s.Farm.Lab.t
	t.Helper()
	if err := os.WriteFile(s.Config, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Start runs anycostd on the server.
func (s *Server) Start() *Proc {
	s.Farm.Lab.t.Helper()
	s.started++
	s.Proc = s.Start1(fmt.Sprintf("anycostd-%d", s.started))
	return s.Proc
}

// Start1 starts the daemon under a log name of the caller's choice.
func (s *Server) Start1(name string) *Proc {
	return s.Host.Start(name, s.Farm.bin, "run", "--config", s.Config)
}

// Signal sends sig to the running daemon.
func (s *Server) Signal(sig syscall.Signal) {
	t := s.Farm.Lab.t
	t.Helper()
	if s.Proc == nil {
		t.Fatalf("%s: anycostd is not running", s.Name())
	}
	if err := s.Proc.Signal(sig); err != nil {
		t.Fatalf("%s: signal %v: %v", s.Name(), sig, err)
	}
}

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
	f := NewFarm(t, n)
	d := &DNSFarm{Farm: f}
	f.RouterHost.Sysctl("net.ipv6.fib_multipath_hash_policy", "1")
	d.WAN = f.Lab.AddLink("wan")
	f.RouterHost.Attach(d.WAN, "eth1", netip.MustParsePrefix("2001:db8:2::1/64"))
	d.Client = f.Lab.AddHost("client")
	d.Client.Attach(d.WAN, "eth0", netip.MustParsePrefix("2001:db8:2::100/64"))
	d.Client.mustRoute("default", "via", "2001:db8:2::1")
	for i, s := range f.Servers {
		s.mustRoute("default", "via", "2001:db8:1::1")
		s.AddAddr("lo", Anycast)
		var o NSDOptions
		if nsd != nil {
			o = nsd(i)
		}
		d.NSD = append(d.NSD, s.StartNSD(o))
	}
	return d
}

// mustRoute adds an IPv6 route in the host.
func (h *Host) mustRoute(args ...string) {
	h.lab.t.Helper()
	h.lab.mustRun(append([]string{"ip", "-n", h.name, "-6", "route", "add"}, args...)...)
}

// DNSServiceTOML is the [[service]] block of the lab's DNS service with
// the seed's socket monitor and a DNS probe; tiers are appended as given
// (e.g. TiersTOML).
func DNSServiceTOML(drainTime time.Duration, extra ...string) string {
	return fmt.Sprintf(`[[service]]
name = "dns"
prefix = %q
metric = 10
drain_time = %q

%s%s`, Anycast.String(), drainTime.String(), dnsMonitorsTOML, strings.Join(extra, "\n"))
}

// dnsMonitorsTOML are the lab DNS service's monitors: the seed's socket
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

// TiersTOML is the README's recommended three tiers.
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
