package lab

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Sites is the two-site topology of docs/sites.md: farm A (area 0.0.0.1)
// and farm B (area 0.0.0.2), each an FRR link router that is an area
// border router and servers with NSD and anycostd advertising the same
// anycast /128, both ABRs joined to a core FRR router in area 0 by a
// point-to-point link of their own, and a dnsperf client behind the core
// on a link "wan" (2001:db8:2::/64).
//
//	client --wan-- core --upa-- ra (ABR A) --lana-- a1 a2 a3
//	                    --upb-- rb (ABR B) --lanb-- b1 b2 b3
type Sites struct {
	Lab     *Lab
	Core    *Host
	CoreFRR *FRR
	WAN     *Link
	Client  *Host
	A, B    *Site
}

// Site is one farm of a Sites lab. Its Farm's RouterHost and Router are
// the ABR.
type Site struct {
	*Farm
	Name string // "a" or "b"
	Area string // "0.0.0.1" or "0.0.0.2"
	NSD  []*NSD
	// Uplink is the backbone link to the core; UplinkIf the ABR's
	// interface on it (its link-local address is the core's next hop
	// toward this site), CoreIf the core's.
	Uplink   *Link
	UplinkIf Iface
	CoreIf   Iface
	// Config is the ABR's FRR config as started.
	Config SiteRouter
}

// SitesOptions shape a Sites lab.
type SitesOptions struct {
	// Servers per site (default 3).
	Servers int
	// CoreCostA and CoreCostB are the core's interface costs toward ABR A
	// and ABR B (default 10 each).
	CoreCostA, CoreCostB int
	// Tune, when set, may change each router's config before it starts:
	// name is "core", "a" or "b".
	Tune func(name string, r *SiteRouter)
}

// Site router IDs and addresses.
const (
	coreRouterID = "192.0.2.1"
	coreWANAddr  = "2001:db8:2::1"
)

// The prefixes of the two-site design (docs/sites.md), around the service
// address 2001:db8:53::53:
var (
	// SiteSpare is each ABR's `area range` with a fixed cost over the
	// service /128: the site has a server below its dearest tier.
	SiteSpare = netip.MustParsePrefix("2001:db8:53::52/127")
	// SiteOverflow is what a server in its dearest tier advertises
	// instead of the /128 (the tier's prefix key).
	SiteOverflow = netip.MustParsePrefix("2001:db8:53::50/126")
	// SiteAlive is each ABR's fixed-cost range over both: the site has a
	// server that answers.
	SiteAlive = netip.MustParsePrefix("2001:db8:53::50/125")
)

// siteRangeCost is the fixed cost of both ranges.
const siteRangeCost = 10

// NewSites builds the two sites, the core and the client, starts FRR on
// the three routers and NSD on every server; no anycostd runs yet (see
// StartServers). Each server's config is a static service "dns" with
// metric 10 in its site's area.
func NewSites(t testing.TB, o SitesOptions) *Sites {
	t.Helper()
	RequireRoot(t)
	RequireFRR(t)
	RequireNSD(t)
	RequireDNSPerf(t)
	bin := BuildAnycostd(t)
	s := &Sites{Lab: New(t)}
	s.Lab.must(s.build(bin, o))
	return s
}

// OpenSites is NewSites outside a test: the sites on a lab of Open (log
// as Open takes it), which s.Lab.Close removes. On an error nothing is
// left.
func OpenSites(log io.Writer, o SitesOptions) (*Sites, error) {
	l, bin, err := openBuilt(log, CheckFRR, CheckNSD, CheckDNSPerf)
	if err != nil {
		return nil, err
	}
	s := &Sites{Lab: l}
	if err := s.build(bin, o); err != nil {
		l.Close()
		return nil, err
	}
	return s, nil
}

// build puts the core, the client and both sites on the lab and starts
// FRR on the routers and NSD on the servers.
func (s *Sites) build(bin string, o SitesOptions) error {
	if o.Servers == 0 {
		o.Servers = 3
	}
	if o.CoreCostA == 0 {
		o.CoreCostA = 10
	}
	if o.CoreCostB == 0 {
		o.CoreCostB = 10
	}
	l := s.Lab
	var err error
	if s.WAN, err = l.TryAddLink("wan"); err != nil {
		return err
	}
	if s.Core, err = s.addHost("core"); err != nil {
		return err
	}
	if err := routerSysctls(s.Core); err != nil {
		return err
	}
	if _, err := s.Core.TryAttach(s.WAN, "eth0", netip.MustParsePrefix(coreWANAddr+"/64")); err != nil {
		return err
	}
	if s.Client, err = s.addHost("client"); err != nil {
		return err
	}
	if _, err := s.Client.TryAttach(s.WAN, "eth0", netip.MustParsePrefix("2001:db8:2::100/64")); err != nil {
		return err
	}
	if err := s.Client.TryRoute("default", "via", coreWANAddr); err != nil {
		return err
	}
	core := CoreRouter(coreRouterID, o.CoreCostA, o.CoreCostB)
	if s.A, err = s.addSite(bin, "a", 1, o.Servers); err != nil {
		return err
	}
	if s.B, err = s.addSite(bin, "b", 2, o.Servers); err != nil {
		return err
	}
	if o.Tune != nil {
		o.Tune("core", &core)
	}
	for _, site := range s.Sites() {
		if o.Tune != nil {
			o.Tune(site.Name, &site.Config)
		}
		if site.Router, err = site.RouterHost.TryStartFRR(site.Config.String()); err != nil {
			return err
		}
	}
	s.CoreFRR, err = s.Core.TryStartFRR(core.String())
	return err
}

// addHost adds a host without duplicate address detection (noDAD).
func (s *Sites) addHost(name string) (*Host, error) {
	h, err := s.Lab.TryAddHost(name)
	if err != nil {
		return nil, err
	}
	return h, noDAD(h)
}

// noDAD turns duplicate address detection off in h's namespace. Every
// address of a lab is unique by construction, and each TryAttach waits
// for DAD to end: 1 to 2 s per interface, 14 interfaces in a Sites lab
// of 3 servers per site, one after the other. Nothing the Sites tests
// check happens before the addresses are usable.
func noDAD(h *Host) error {
	for _, k := range []string{"net.ipv6.conf.all.accept_dad", "net.ipv6.conf.default.accept_dad"} {
		if err := h.TrySysctl(k, "0"); err != nil {
			return err
		}
	}
	return nil
}

// routerSysctls makes h a router that hashes multipath routes on the
// 5-tuple (dnsperf's many client ports spread over equal paths).
func routerSysctls(h *Host) error {
	if err := h.TrySysctl("net.ipv6.conf.all.forwarding", "1"); err != nil {
		return err
	}
	return h.TrySysctl("net.ipv6.fib_multipath_hash_policy", "1")
}

// addSite builds site n (1: a, 2: b): its farm link 2001:db8:1n::/64,
// its ABR, the ABR's uplink to the core (2001:db8:fn::/64, the core's
// eth<n>) and servers with NSD. The ABR's FRR is not started.
func (s *Sites) addSite(bin, name string, n, servers int) (*Site, error) {
	l := s.Lab
	site := &Site{Farm: &Farm{Lab: l, bin: bin, noDAD: true}, Name: name, Area: fmt.Sprintf("0.0.0.%d", n)}
	f := site.Farm
	f.OSPFExtra = fmt.Sprintf("area = %q\n", site.Area)
	var err error
	if f.LAN, err = l.TryAddLink("lan" + name); err != nil {
		return nil, err
	}
	if f.RouterHost, err = s.addHost("r" + name); err != nil {
		return nil, err
	}
	if err := routerSysctls(f.RouterHost); err != nil {
		return nil, err
	}
	lanGW := fmt.Sprintf("2001:db8:1%d::1", n)
	if f.RouterIf, err = f.RouterHost.TryAttach(f.LAN, "eth0", netip.MustParsePrefix(lanGW+"/64")); err != nil {
		return nil, err
	}
	if site.Uplink, err = l.TryAddLink("up" + name); err != nil {
		return nil, err
	}
	if site.CoreIf, err = s.Core.TryAttach(site.Uplink, fmt.Sprintf("eth%d", n), netip.MustParsePrefix(fmt.Sprintf("2001:db8:f%d::1/64", n))); err != nil {
		return nil, err
	}
	if site.UplinkIf, err = f.RouterHost.TryAttach(site.Uplink, "eth1", netip.MustParsePrefix(fmt.Sprintf("2001:db8:f%d::2/64", n))); err != nil {
		return nil, err
	}
	site.Config = ABRRouter(fmt.Sprintf("192.0.2.%d", 1+n), site.Area)
	for i := range servers {
		srv, err := f.tryAddServer(fmt.Sprintf("%s%d", name, i+1), fmt.Sprintf("192.0.2.%d", 10*n+1+i),
			netip.MustParsePrefix(fmt.Sprintf("2001:db8:1%d::%x/64", n, 0x100+i)))
		if err != nil {
			return nil, err
		}
		if err := srv.TryRoute("default", "via", lanGW); err != nil {
			return nil, err
		}
		if err := srv.TryAddAddr("lo", Anycast); err != nil {
			return nil, err
		}
		// Bound to the service address, NSD answers from it (see
		// NSDOptions.Addresses): the client's whoami needs that.
		nsd, err := srv.TryStartNSD(NSDOptions{Addresses: []netip.Addr{Anycast.Addr()}, FreeBind: true})
		if err != nil {
			return nil, err
		}
		site.NSD = append(site.NSD, nsd)
	}
	return site, nil
}

// ABRRouter is the recommended config of a farm's link router as an ABR
// (docs/sites.md): eth0 on the farm link in area (priority 10: the DR;
// servers have 0), eth1 the point-to-point uplink in area 0 with cost
// 10, the two fixed-cost ranges SiteSpare and SiteAlive over the farm's
// service prefixes, `timers lsa min-arrival 50` so that a server's or
// the peer's next instance is not dropped for arriving within FRR's
// default 1 s, and SiteSpare kept out of its kernel (sitefib.go): the
// ABR forwards the service into its farm while any server answers.
func ABRRouter(routerID, area string) SiteRouter {
	ranges := []SiteRange{
		{Prefix: SiteSpare, Cost: siteRangeCost},
		{Prefix: SiteAlive, Cost: siteRangeCost},
	}
	return SiteRouter{
		RouterID: routerID,
		Ifaces: []SiteIface{
			{Name: "eth0", Area: area, Priority: 10},
			{Name: "eth1", Area: "0.0.0.0", Cost: 10, PointToPoint: true},
		},
		Ranges:     map[string][]SiteRange{area: ranges},
		MinArrival: 50 * time.Millisecond,
		FIBDeny:    signalRanges(ranges, SiteOverflow, Anycast),
	}
}

// CoreRouter is the recommended config of the core (docs/sites.md): eth0,
// the client link, passive in area 0 (its prefix is advertised so that
// answers find their way back), and one point-to-point uplink per ABR,
// eth1 to A with cost costA and eth2 to B with cost costB: the core
// prefers the cheaper site among those with spare capacity. `timers lsa
// min-arrival 50` as on the ABRs: an ABR may flush and re-originate a
// summary within 1 s.
func CoreRouter(routerID string, costA, costB int) SiteRouter {
	return SiteRouter{
		RouterID: routerID,
		Ifaces: []SiteIface{
			{Name: "eth0", Area: "0.0.0.0", Passive: true},
			{Name: "eth1", Area: "0.0.0.0", Cost: costA, PointToPoint: true},
			{Name: "eth2", Area: "0.0.0.0", Cost: costB, PointToPoint: true},
		},
		MinArrival: 50 * time.Millisecond,
	}
}

// Sites returns both sites, A first.
func (s *Sites) Sites() []*Site { return []*Site{s.A, s.B} }

// Servers returns every server of both sites, A's first.
func (s *Sites) Servers() []*Server {
	return append(append([]*Server(nil), s.A.Servers...), s.B.Servers...)
}

// TryStartServers starts anycostd on every server of both sites with
// the config each has (Server.WriteConfig).
func (s *Sites) TryStartServers() error {
	for _, srv := range s.Servers() {
		if _, err := srv.TryStart(); err != nil {
			return err
		}
	}
	return nil
}

// StartServers is TryStartServers for tests.
func (s *Sites) StartServers() { s.Lab.must(s.TryStartServers()) }

// Hop is the core's next hop toward the site: its ABR's link-local
// address on the uplink.
func (site *Site) Hop() netip.Addr { return site.UplinkIf.LinkLocal }

// CoreHops returns the next hops (sorted) of the core's kernel route for
// p: a subset of the sites' Hop addresses.
func (s *Sites) CoreHops(p netip.Prefix) ([]netip.Addr, error) { return s.Core.FIBNextHops(p) }

// SiteOf names the site whose ABR is hop ("" for none).
func (s *Sites) SiteOf(hop netip.Addr) string {
	for _, site := range s.Sites() {
		if site.Hop() == hop {
			return site.Name
		}
	}
	return ""
}

// SetMetric writes a static metric into the config of each of servers
// and sends SIGHUP to the running daemons.
func SetMetric(servers []*Server, metric int) {
	for _, srv := range servers {
		srv.WriteConfig(srv.TOML(ServiceTOML("dns", Anycast, metric)))
		srv.Signal(syscall.SIGHUP)
	}
}

// SiteServiceTOML is the DNS service of a site's server (docs/sites.md):
// the lab's socket monitor and DNS probe, an external load read from
// loadFile every 200 ms (the lab's way to put a site under load), the
// three tiers of TiersTOML whose dearest advertises SiteOverflow, and
// drain_action "max-tier": a drained server advertises SiteOverflow
// until it exits, so that its ABR still has a route to it while the core
// moves away (docs/sites.md, "Draining a whole site").
func SiteServiceTOML(loadFile string, drainTime time.Duration) string {
	svc := DNSServiceTOML(drainTime, fmt.Sprintf(`
[service.external]
file = %q
interval = "200ms"
`, loadFile), siteTiersTOML)
	// drain_action belongs to the [[service]] table, before its
	// sub-tables: beside drain_time.
	return strings.Replace(svc, "\ndrain_time = ", "\ndrain_action = \"max-tier\"\ndrain_time = ", 1)
}

// siteTiersTOML are TiersTOML with the dearest tier's prefix.
var siteTiersTOML = TiersTOML + fmt.Sprintf("prefix = %q\n", SiteOverflow)

// LoadFile is the server's external load file (SiteServiceTOML).
func (srv *Server) LoadFile() string { return srv.Config + ".load" }

// TryUseSiteService writes the load 0 and a config with SiteServiceTOML
// for every server of both sites.
func (s *Sites) TryUseSiteService(drainTime time.Duration) error {
	for _, srv := range s.Servers() {
		if err := srv.TrySetLoad(0); err != nil {
			return err
		}
		if err := srv.TryWriteConfig(srv.TOML(SiteServiceTOML(srv.LoadFile(), drainTime))); err != nil {
			return err
		}
	}
	return nil
}

// UseSiteService is TryUseSiteService for tests.
func (s *Sites) UseSiteService(drainTime time.Duration) { s.Lab.must(s.TryUseSiteService(drainTime)) }

// TrySetLoad writes load (0..1) into the server's load file.
func (srv *Server) TrySetLoad(load float64) error {
	// Written aside and renamed: the monitor never reads half a file.
	tmp := srv.LoadFile() + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatFloat(load, 'f', 3, 64)+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, srv.LoadFile())
}

// SetLoad is TrySetLoad for tests.
func (srv *Server) SetLoad(load float64) { srv.Farm.Lab.must(srv.TrySetLoad(load)) }

// TrySetLoad writes load into the load file of every server of the site.
func (site *Site) TrySetLoad(load float64) error {
	for _, srv := range site.Servers {
		if err := srv.TrySetLoad(load); err != nil {
			return err
		}
	}
	return nil
}

// SetLoad is TrySetLoad for tests.
func (site *Site) SetLoad(load float64) { site.Lab.must(site.TrySetLoad(load)) }

// CoreChoice is where the core sends the service address: the most
// specific of SiteSpare and SiteAlive the core's kernel has a route for
// (the ABRs advertise nothing more specific) and the sites of its next
// hops, sorted ("" for a next hop that is no ABR's).
type CoreChoice struct {
	Prefix netip.Prefix // invalid: no route
	Sites  []string
}

func (c CoreChoice) String() string {
	if !c.Prefix.IsValid() {
		return "no route"
	}
	return fmt.Sprintf("%s via %s", c.Prefix, strings.Join(c.Sites, "+"))
}

// CoreChoice reads the core's kernel FIB.
func (s *Sites) CoreChoice() (CoreChoice, error) {
	for _, p := range []netip.Prefix{Anycast, SiteSpare, SiteAlive} {
		hops, err := s.CoreHops(p)
		if err != nil {
			return CoreChoice{}, err
		}
		if len(hops) == 0 {
			continue
		}
		c := CoreChoice{Prefix: p}
		for _, h := range hops {
			c.Sites = append(c.Sites, s.SiteOf(h))
		}
		slices.Sort(c.Sites)
		return c, nil
	}
	return CoreChoice{}, nil
}

// TryWaitCore waits until the core sends the service address over
// prefix p to exactly the given sites, and returns how long that took.
func (s *Sites) TryWaitCore(timeout time.Duration, what string, p netip.Prefix, sites ...string) (time.Duration, error) {
	want := CoreChoice{Prefix: p, Sites: slices.Sorted(slices.Values(sites))}
	return Wait(timeout, what, func() (bool, error) {
		c, err := s.CoreChoice()
		if err != nil {
			return false, err
		}
		if c.String() != want.String() {
			return false, fmt.Errorf("the core sends %s to %s, want %s", Anycast.Addr(), c, want)
		}
		return true, nil
	})
}

// WaitCore is TryWaitCore for tests.
func (s *Sites) WaitCore(timeout time.Duration, what string, p netip.Prefix, sites ...string) time.Duration {
	d, err := s.TryWaitCore(timeout, what, p, sites...)
	s.Lab.must(err)
	return d
}

// WhoamiSite asks the service address from the client which server
// answers and returns its site ("a" or "b").
func (s *Sites) WhoamiSite() (string, error) {
	id, err := s.Client.Whoami(netip.AddrPortFrom(Anycast.Addr(), 53))
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", fmt.Errorf("empty whoami answer")
	}
	return id[:1], nil
}

// WaitBothSummaries waits until the core holds a summary of p from each
// ABR that is not being flushed (for tests).
func (s *Sites) WaitBothSummaries(timeout time.Duration, p netip.Prefix) {
	_, err := Wait(timeout, "both ABRs' summaries of "+p.String()+" at the core", func() (bool, error) {
		ss, err := s.CoreFRR.Summaries(p)
		live := map[string]bool{}
		for _, x := range ss {
			if !x.MaxAged() {
				live[x.AdvRouter] = true
			}
		}
		return len(live) == 2, err
	})
	s.Lab.must(err)
}
