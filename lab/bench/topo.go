package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// routerID of the link router; servers are 192.0.2.11, .12, ...
const routerID = "192.0.2.1"

// routerAddr is the router's address on the servers' link.
var routerAddr = netip.MustParseAddr("2001:db8:1::1")

// farm is the bench's lab: one FRR router (zebra, staticd, ospf6d and,
// with BGP, bgpd), servers on one link "lan" and, for DNS rows, a client
// with dnsperf on a second link "wan". It does not use lab.NewFarm because
// the router must also speak BGP to the ExaBGP alternative.
type farm struct {
	r       *row
	l       *lab.Lab
	bin     string // anycostd
	lan     *lab.Link
	router  *lab.Host
	rfrr    *lab.FRR
	client  *lab.Host
	servers []*server
	mon     *routeMonitor
	// agent is the router agent's host and link (farmOptions.agent), nil
	// without.
	agent *lab.RouterAgent
	used  bool // a row has run on it (the router has met the servers)
	// ospfExtra is added to the [ospf] table of the anycostd configs
	// written from now on (TOML lines).
	ospfExtra string
}

// server is one server host and whatever runs on it now.
type server struct {
	f      *farm
	h      *lab.Host
	idx    int
	rid    string
	ll     netip.Addr // eth0's link-local address
	global netip.Addr // eth0's 2001:db8:1::/64 address
	nsd    *lab.NSD

	conf, ctl string
	acd       *lab.Proc // anycostd
	acdRuns   int
	frr       *lab.FRR // FRR "server" (zebra, staticd, ospf6d)
	script    *lab.Proc
	scriptN   int
	exa       *lab.Proc
	exaN      int
}

// farmOptions shape a farm.
type farmOptions struct {
	servers  int
	dns      bool   // NSD on every server and a client on a second link
	bgp      bool   // bgpd on the router, listening for the servers
	noDAD    bool   // no duplicate address detection on the servers (fast set-up)
	agent    bool   // the router agent's host on a link of its own to the router (lab.RouterAgent)
	extraCfg string // appended to the router's FRR config
}

// routerBGPConfig makes the router accept BGP sessions from any server
// address (AS 65001) and spread over up to 64 equal paths.
const routerBGPConfig = `router bgp 65000
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor SRV peer-group
 neighbor SRV remote-as 65001
 bgp listen range 2001:db8:1::/64 peer-group SRV
 address-family ipv6 unicast
  neighbor SRV activate
  maximum-paths 64
 exit-address-family
`

// newFarm builds the lab. The servers run nothing but NSD (with dns).
func newFarm(r *row, o farmOptions) *farm {
	r.check(lab.CheckFRR())
	if o.dns {
		r.check(lab.CheckNSD())
		r.check(lab.CheckDNSPerf())
	}
	f := &farm{r: r, bin: must(lab.Build())}
	f.l = must(lab.Open(r.log))
	r.cleanup(func() {
		if r.hasFailed() {
			r.logf("%s", f.l.ProcessTails(30))
		}
		if err := f.l.Close(); err != nil {
			r.logf("lab cleanup: %v", err)
		}
	})
	r.logf("lab %s (%d servers)", f.l.Name(), o.servers)
	if keepLogs != "" {
		// Registered after the lab's own cleanup, so it runs first.
		r.cleanup(func() { copyLogs(f.l.Dir(), filepath.Join(keepLogs, r.name+"-"+f.l.Name())) })
	}
	f.lan = must(f.l.TryAddLink("lan"))
	f.router = must(f.l.TryAddHost("r1"))
	r.check(f.router.TrySysctl("net.ipv6.conf.all.forwarding", "1"))
	r.check(f.router.TrySysctl("net.ipv6.fib_multipath_hash_policy", "1"))
	rifc := must(f.router.TryAttach(f.lan, "eth0", netip.MustParsePrefix("2001:db8:1::1/64")))
	if o.dns {
		wan := must(f.l.TryAddLink("wan"))
		must(f.router.TryAttach(wan, "eth1", netip.MustParsePrefix("2001:db8:2::1/64")))
		f.client = must(f.l.TryAddHost("client"))
		must(f.client.TryAttach(wan, "eth0", netip.MustParsePrefix("2001:db8:2::100/64")))
		f.run(f.client, "ip", "-6", "route", "add", "default", "via", "2001:db8:2::1")
	}
	for i := range o.servers {
		f.addServer(i, o)
	}
	f.mon = must(startRouteMonitor(f.router.Namespace(), lab.Anycast))
	r.cleanup(f.mon.stop)
	conf := lab.RouterConfig(routerID, "eth0")
	if o.agent {
		f.agent = must(lab.TryAddRouterAgent(f.l, f.router, rifc.Index, f.bin))
		if !debugDaemons {
			f.agent.LogLevel = "info"
		}
		// The agent's interface in the startup configuration: it comes up
		// with the lab's dead interval (docs/router-agent.md).
		conf = lab.RouterConfig(routerID, "eth0", lab.AgentRouterIf)
	}
	if o.bgp {
		conf += routerBGPConfig
	}
	if debugDaemons {
		conf = routerDebugConfig + conf
	}
	f.rfrr = must(f.router.TryStartFRR(conf + o.extraCfg))
	return f
}

func (f *farm) addServer(i int, o farmOptions) *server {
	r := f.r
	h := must(f.l.TryAddHost(fmt.Sprintf("s%d", i+1)))
	if o.noDAD {
		r.check(h.TrySysctl("net.ipv6.conf.all.accept_dad", "0"))
		r.check(h.TrySysctl("net.ipv6.conf.default.accept_dad", "0"))
	}
	s := &server{
		f: f, h: h, idx: i,
		rid:    fmt.Sprintf("192.0.2.%d", 11+i),
		global: netip.MustParseAddr(fmt.Sprintf("2001:db8:1::%x", 0x100+i)),
		conf:   filepath.Join(f.l.Dir(), h.Name()+".toml"),
		ctl:    filepath.Join(f.l.Dir(), h.Name()+".sock"),
	}
	ifc := must(h.TryAttach(f.lan, "eth0", netip.PrefixFrom(s.global, 64)))
	s.ll = ifc.LinkLocal
	if o.dns {
		f.run(h, "ip", "-6", "route", "add", "default", "via", routerAddr.String())
		s.ensureAnycast()
		s.nsd = must(h.TryStartNSD(lab.NSDOptions{}))
	}
	f.servers = append(f.servers, s)
	return s
}

// run runs a command in a host and fails the row when it fails.
func (f *farm) run(h *lab.Host, argv ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return string(must(h.Run(ctx, argv...)))
}

// debugDaemons raises anycostd's and the router's ospf6d's logging.
var debugDaemons bool

// routerDebugConfig is the router's ospf6d debugging with -debug.
const routerDebugConfig = `debug ospf6 spf process
debug ospf6 flooding
debug ospf6 zebra send
debug ospf6 message lsupdate recv
`

// keepLogs is the folder that receives every lab's process logs and
// configs before the lab is removed ("" keeps nothing).
var keepLogs string

// copyLogs copies the .log, .toml, .conf, .sh and .pcap files of a lab
// folder.
func copyLogs(from, to string) {
	_ = filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if ext := filepath.Ext(path); ext != ".log" && ext != ".toml" && ext != ".conf" && ext != ".sh" && ext != ".pcap" {
			return nil
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		dst := filepath.Join(to, rel)
		if os.MkdirAll(filepath.Dir(dst), 0o755) == nil {
			_ = os.WriteFile(dst, b, 0o644)
		}
		return nil
	})
}

// ensureAnycast puts the anycast /128 on lo (anycostd and ExaBGP remove it
// when they stop; the FRR alternative needs it there).
func (s *server) ensureAnycast() {
	s.f.run(s.h, "ip", "-6", "addr", "replace", lab.Anycast.String(), "dev", "lo", "nodad")
}

// has reports whether hop is one of the server's addresses.
func (s *server) has(hop netip.Addr) bool { return hop == s.ll || hop == s.global }

// inHops reports whether any of hops is the server's.
func (s *server) inHops(hops []netip.Addr) bool {
	return slices.ContainsFunc(hops, s.has)
}

// fibHops reads the router's FIB next hops for the anycast prefix.
func (f *farm) fibHops() ([]netip.Addr, error) { return f.router.FIBNextHops(lab.Anycast) }

// waitFIB polls the router's FIB (every 50 ms) until want holds. It is
// for set-up; measured times come from the route monitor.
func (f *farm) waitFIB(timeout time.Duration, what string, want func([]netip.Addr) bool) time.Duration {
	return must(lab.Wait(timeout, what, func() (bool, error) {
		hops, err := f.fibHops()
		if err != nil {
			return false, err
		}
		if want(hops) {
			return true, nil
		}
		return false, fmt.Errorf("next hops now %v", hops)
	}))
}

// fibWithin polls the router's FIB (every 50 ms) until want holds, and
// says what it held instead after timeout.
func (f *farm) fibWithin(timeout time.Duration, want func([]netip.Addr) bool) error {
	deadline := time.Now().Add(timeout)
	for {
		hops, err := f.fibHops()
		if err == nil && want(hops) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v the next hops are %v (%v)", timeout, hops, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exactly returns a FIB condition: precisely these servers are next hops.
func exactly(servers ...*server) func([]netip.Addr) bool {
	return func(hops []netip.Addr) bool {
		if len(hops) != len(servers) {
			return false
		}
		for _, s := range servers {
			if !s.inHops(hops) {
				return false
			}
		}
		return true
	}
}

// ---- anycostd ----

// anycostdTOML is a server's anycostd config with the given [[service]]
// blocks and the lab's OSPF timers (hello 1 s, dead 4 s).
func (s *server) anycostdTOML(services ...string) string {
	level := "info"
	if debugDaemons {
		level = "debug"
	}
	return fmt.Sprintf(`router_id = %q
control_socket = %q
state_dir = %q
log_level = %q

[ospf]
interface = "eth0"
hello_interval = "1s"
dead_interval = "4s"
retransmit_interval = "5s"
flush_timeout = "5s"
%s
%s`, s.rid, s.ctl, strings.TrimSuffix(s.ctl, ".sock")+"-state", level, s.f.ospfExtra, strings.Join(services, "\n"))
}

// staticServiceTOML is a service with a fixed metric and no monitor.
func staticServiceTOML(metric int) string {
	return fmt.Sprintf("[[service]]\nname = \"dns\"\nprefix = %q\nmetric = %d\n", lab.Anycast, metric)
}

// dnsServiceTOML is the DNS service watched by the socket monitor and a
// DNS probe (lab.DNSServiceTOML's settings) with the given static metric.
func dnsServiceTOML(metric int, drain time.Duration, extra ...string) string {
	return strings.Replace(lab.DNSServiceTOML(drain, extra...), "metric = 10\n", fmt.Sprintf("metric = %d\n", metric), 1)
}

func (s *server) writeConfig(toml string) {
	s.f.r.check(os.WriteFile(s.conf, []byte(toml), 0o644))
}

// startAnycostd starts the daemon with the config file as it is.
func (s *server) startAnycostd() *lab.Proc {
	s.acdRuns++
	s.acd = must(s.h.TryStart(fmt.Sprintf("anycostd-%d", s.acdRuns), s.f.bin, "run", "--config", s.conf))
	return s.acd
}

// stopAnycostd sends SIGTERM (drain, flush, exit) and waits up to 20 s.
func (s *server) stopAnycostd() {
	if s.acd == nil {
		return
	}
	_ = s.acd.Signal(syscall.SIGTERM)
	if err := s.acd.WaitTimeout(20 * time.Second); err == lab.ErrTimeout {
		s.f.r.logf("%s: anycostd did not exit within 20 s of SIGTERM; killed", s.h.Name())
		s.acd.Kill()
	}
	s.acd = nil
}

// cli runs an anycostd client command against the server's daemon.
func (s *server) cli(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	argv := append([]string{s.f.bin, args[0], "--control", s.ctl}, args[1:]...)
	return s.h.Run(ctx, argv...)
}

// ---- FRR on the server ----

// startFRR starts zebra, staticd and ospf6d on the server with
// lab.ServerConfig (the /128 on lo, lo passive in the area).
func (s *server) startFRR() {
	s.ensureAnycast()
	if s.frr == nil {
		s.frr = must(s.h.TryStartFRR(lab.ServerConfig(s.rid, "eth0")))
		return
	}
	s.f.r.check(s.frr.TryRestart())
}

// stopFRR sends SIGTERM to ospf6d, staticd and zebra (in that order).
func (s *server) stopFRR() {
	if s.frr != nil {
		s.frr.Stop()
	}
}
