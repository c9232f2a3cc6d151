package config

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/ospf"
)

// maxSocketPath is the longest path a unix socket address holds (sun_path
// less its terminating NUL).
const maxSocketPath = 107

func (v *validator) config(raw *rawConfig) *Config {
	c := &Config{
		ControlSocket: DefaultControlSocket,
		StateDir:      DefaultStateDir,
		LogLevel:      0, // info
		LogFormat:     LogText,
	}
	if raw.Router != nil {
		// The router agent: its OSPF instance reads the servers' LSAs and
		// advertises nothing.
		c.Router = v.router(raw.Router)
		if len(raw.Service) > 0 {
			v.errorf("service", "a [router] configuration (anycostd router) has no [[service]]: the agent advertises nothing")
		}
	} else {
		c.Services = v.services(raw.Service)
	}
	needOSPF, needND := needs(c.Services)
	needOSPF = needOSPF || present(&raw.OSPF) || c.Router != nil
	if raw.RouterID == nil {
		if needOSPF {
			v.missing("router_id", `router_id = "192.0.2.11"`)
		}
	} else if s, ok := v.str("router_id", raw.RouterID); ok {
		id, ok := parseDottedQuad(s)
		switch {
		case !ok:
			v.errorf("router_id", "%q is not a dotted-quad router ID", s)
		case id == 0:
			v.errorf("router_id", "0.0.0.0 is not a valid router ID")
		}
		c.RouterID = id
	}
	if s, ok := v.str("control_socket", raw.ControlSocket); ok {
		switch {
		case s == "" || !filepath.IsAbs(s):
			v.absPath("control_socket", s)
		case len(s) > maxSocketPath:
			v.errorf("control_socket", "path is %d bytes long; a unix socket path holds at most %d", len(s), maxSocketPath)
		default:
			c.ControlSocket = s
		}
	}
	if s, ok := v.str("state_dir", raw.StateDir); ok {
		if p, ok := v.absPath("state_dir", s); ok {
			c.StateDir = filepath.Clean(p)
		}
	}
	if s, ok := v.str("log_level", raw.LogLevel); ok {
		if l, ok := ParseLogLevel(s); ok {
			c.LogLevel = l
		} else {
			v.errorf("log_level", "%q is not a log level (debug, info, warn or error)", s)
		}
	}
	if s, ok := v.str("log_format", raw.LogFormat); ok {
		if f, ok := ParseLogFormat(s); ok {
			c.LogFormat = f
		} else {
			v.errorf("log_format", "%q is not a log format (text or json)", s)
		}
	}
	if s, ok := v.str("metrics_listen", raw.MetricsListen); ok && s != "" {
		c.MetricsListen = v.listenAddr("metrics_listen", s)
	}
	c.StopTimeout, _ = v.durationIn("stop_timeout", raw.StopTimeout, DefaultStopTimeout, stopTimeoutBound)
	c.OSPF = v.ospf(&raw.OSPF, needOSPF)
	c.ND = v.nd(raw.ND, needND)
	if len(v.errs) == 0 {
		v.stopTime(c)
	}
	return c
}

// listenAddr checks host:port; a missing host means loopback.
func (v *validator) listenAddr(key, s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		v.errorf(key, "%q is not host:port (e.g. \"127.0.0.1:9153\" or \"[::]:9153\")", s)
		return ""
	}
	if p := v.portString(port); p == 0 {
		v.errorf(key, "%q: port %q is not a number in 1..65535", s, port)
		return ""
	}
	switch {
	case host == "":
		host = "127.0.0.1"
	case host == "localhost":
	default:
		if _, err := netip.ParseAddr(host); err != nil {
			v.errorf(key, "%q: host %q is not an IP address", s, host)
			return ""
		}
	}
	return net.JoinHostPort(host, port)
}

func (v *validator) portString(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' || n > 65535 {
			return 0
		}
		n = n*10 + int(s[i]-'0')
	}
	if n < 1 || n > 65535 {
		return 0
	}
	return n
}

// ospf checks the [ospf] table; required says a service is in OSPF mode
// (or the table is there). Without it the defaults stand and Interface
// stays empty: no OSPF speaker.
func (v *validator) ospf(r *rawOSPF, required bool) OSPF {
	o := OSPF{
		Area:             DefaultArea,
		AddressInterface: DefaultAddressInterface,
	}
	if r.Interface == nil {
		if required {
			v.missing("ospf.interface", `interface = "eth0" in [ospf]`)
		}
	} else if s, ok := v.str("ospf.interface", r.Interface); ok {
		if validIfName(s) {
			o.Interface = s
		} else {
			v.errorf("ospf.interface", "%q is not an interface name", s)
		}
	}
	switch x := r.Area.(type) {
	case nil:
	case string:
		if id, ok := parseDottedQuad(x); ok {
			o.Area = id
		} else {
			v.errorf("ospf.area", "%q is not a dotted-quad area ID", x)
		}
	case int64:
		o.Area = uint32(v.integer("ospf.area", x, 0, math.MaxUint32, 0))
	default:
		v.errorf("ospf.area", "want a dotted-quad string or an integer, got %s", describe(x))
	}
	o.InstanceID = uint8(v.integer("ospf.instance_id", r.InstanceID, 0, 255, 0))
	o.InterfaceCost = uint16(v.integer("ospf.interface_cost", r.InterfaceCost, 1, 65535, ospf.DefaultCost))

	hello, helloOK := v.durationIn("ospf.hello_interval", r.HelloInterval, ospf.DefaultHelloInterval, helloBound)
	o.HelloInterval = hello
	dead, deadOK := v.durationIn("ospf.dead_interval", r.DeadInterval, min(ospf.DeadHellos*hello, deadBound.hi), deadBound)
	o.DeadInterval = dead
	if r.DeadInterval != nil && helloOK && deadOK && dead <= hello {
		v.errorf("ospf.dead_interval", "%s must be longer than hello_interval %s", dead, hello)
	}
	rxmt, rxmtOK := v.durationIn("ospf.retransmit_interval", r.RetransmitInterval, ospf.DefaultRetransmitInterval, retransmitBound)
	o.RetransmitInterval = rxmt
	o.TransmitDelay, _ = v.durationIn("ospf.transmit_delay", r.TransmitDelay, ospf.DefaultTransmitDelay, transmitDelayBound)
	minLS, minLSOK := v.durationIn("ospf.min_ls_interval", r.MinLSInterval, ospf.DefaultMinLSInterval, minLSBound)
	o.MinLSInterval = minLS
	if rxmtOK && minLSOK && minLS >= rxmt {
		// Pacing counts from an instance's last time on the wire, which
		// every retransmission moves: a change could then wait as long as
		// a neighbor does not acknowledge.
		v.errorf("ospf.min_ls_interval", "%s must be shorter than retransmit_interval %s", minLS, rxmt)
	}
	o.FlushTimeout, _ = v.durationIn("ospf.flush_timeout", r.FlushTimeout, ospf.DefaultFlushTimeout, flushBound)
	o.StubArea = v.boolean("ospf.stub_area", r.StubArea, false)
	if s, ok := v.str("ospf.address_interface", r.AddressInterface); ok {
		if validIfName(s) {
			o.AddressInterface = s
		} else {
			v.errorf("ospf.address_interface", "%q is not an interface name", s)
		}
	}
	if o.Interface != "" && o.AddressInterface == o.Interface {
		// Refused rather than made safe: on the shared link the address
		// is in the Link-LSA the DR re-advertises at cost 0 (the engine
		// leaves service prefixes out, but only those it knows), and
		// every server holding it (no DAD) answers Neighbor
		// Solicitations for it, with or without anycostd running
		// (keep_addresses).
		v.errorf("ospf.address_interface", "%q is the OSPF interface: service addresses on the shared link are "+
			"answered by every server's neighbor discovery and routed around their metric; use lo (the default) or a dummy interface", o.AddressInterface)
	}
	o.KeepAddresses = v.boolean("ospf.keep_addresses", r.KeepAddresses, false)
	o.SPFNudge = v.boolean("ospf.spf_nudge", r.SPFNudge, true)
	o.LoadStep = v.loadStep(r.LoadStep)
	o.TTLSecurity = v.boolean("ospf.ttl_security", r.TTLSecurity, false)
	if r.Auth != nil {
		o.Auth = v.auth(r.Auth)
	}
	if r.BFD != nil {
		o.BFD = v.bfd(r.BFD)
	}
	return o
}

var serviceName = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

func (v *validator) services(raws []rawService) []Service {
	var out []Service
	names := make(map[string]string) // name -> key of the service that has it
	prefixes := make(map[netip.Prefix]string)
	switch {
	case len(raws) == 0:
		// A configuration pushed with its services left out would take
		// this server out of every service: refused, so that a reload
		// keeps what runs.
		v.errorf("service", "no [[service]] table: anycostd would advertise nothing (see testdata/reference.toml)")
	case len(raws) > MaxServices:
		v.errorf(fmt.Sprintf("service[%d]", MaxServices), "%d services: at most %d", len(raws), MaxServices)
		raws = raws[:MaxServices]
	}
	for i := range raws {
		base := fmt.Sprintf("service[%d]", i)
		s := v.service(base, &raws[i])
		if s.Name != "" {
			if other, dup := names[s.Name]; dup {
				v.errorf(base+".name", "%q is already the name of %s (line %d)", s.Name, other, v.ix.lookup(other+".name"))
			}
			names[s.Name] = base
		}
		if s.Prefix.IsValid() {
			if other, dup := prefixes[s.Prefix]; dup {
				v.errorf(base+".prefix", "%s is already the prefix of %s (line %d)", s.Prefix, other, v.ix.lookup(other+".prefix"))
			}
			prefixes[s.Prefix] = base
		}
		out = append(out, s)
	}
	return out
}

func (v *validator) service(base string, r *rawService) Service {
	s := Service{DrainTime: DefaultDrainTime, DrainAction: costmodel.DrainWithdraw}
	if r.Name == nil {
		v.missing(base+".name", `name = "dns"`)
	} else if n, ok := v.str(base+".name", r.Name); ok {
		if serviceName.MatchString(n) {
			s.Name = n
		} else {
			v.errorf(base+".name", "%q is not a service name (1 to 64 of a-z 0-9 _ -)", n)
		}
	}
	if r.Prefix == nil {
		v.missing(base+".prefix", `prefix = "2001:db8:53::53/128"`)
	} else if p, ok := v.str(base+".prefix", r.Prefix); ok {
		s.Prefix = v.servicePrefix(base+".prefix", p)
	}
	s.Tiers = v.tiers(base, r.Tier)
	s.TierPrefixes = v.tierPrefixes(base, r.Tier, s.Prefix)
	def := int64(costmodel.DefaultStaticMetric)
	if len(s.Tiers) > 0 {
		def = int64(s.Tiers[0].Metric)
	}
	s.Metric = uint16(v.integer(base+".metric", r.Metric, 1, 65535, def))
	s.DrainTime, _ = v.durationIn(base+".drain_time", r.DrainTime, DefaultDrainTime, drainBound)
	if f, ok := v.str(base+".drain_file", r.DrainFile); ok {
		if f == "" {
			v.errorf(base+".drain_file", "must not be empty (leave the key out for no drain file)")
		} else {
			s.DrainFile, _ = v.absPath(base+".drain_file", f)
		}
	}
	if a, ok := v.str(base+".drain_action", r.DrainAction); ok {
		switch a {
		case costmodel.DrainWithdraw.String():
			s.DrainAction = costmodel.DrainWithdraw
		case costmodel.DrainMaxTier.String():
			s.DrainAction = costmodel.DrainMaxTier
			if len(r.Tier) == 0 {
				v.errorf(base+".drain_action", "max-tier needs [[service.tier]] tables")
			}
		default:
			v.errorf(base+".drain_action", "%q is not a drain action (withdraw or max-tier)", a)
		}
	}
	if r.Socket != nil {
		s.Socket = v.socket(base+".socket", r.Socket, s.Prefix.Addr())
	}
	if r.Probe != nil {
		s.Probe = v.probe(base+".probe", r.Probe)
	}
	if r.External != nil {
		s.External = v.external(base+".external", r.External)
	}
	if r.CPU != nil {
		s.CPU = v.cpu(base+".cpu", r.CPU)
	}
	if r.Load != nil {
		s.LoadWeights = v.loadWeights(base+".load", r.Load)
	}
	s.Mode = v.mode(base+".mode", r.Mode)
	if s.Mode == ModeND {
		for j, p := range s.TierPrefixes {
			if p.IsValid() {
				v.errorf(fmt.Sprintf("%s.tier[%d].prefix", base, j), "is only for services in OSPF mode (ND announces the address itself)")
			}
		}
	}
	s.Capacity = v.capacity(base+".capacity", r.Capacity)
	s.FarmRules = v.boolean(base+".farm_rules", r.FarmRules, false)
	return s
}

// capacity checks a service's capacity: a number in (0, MaxCapacity].
func (v *validator) capacity(key string, x any) float64 {
	c, ok := v.anyNumber(key, x)
	if !ok {
		return DefaultCapacity
	}
	if !(c > 0 && c <= costmodel.MaxCapacity) {
		v.errorf(key, "%s is outside (0, %g]: a capacity is a positive number in the farm's unit", describe(x), float64(costmodel.MaxCapacity))
		return DefaultCapacity
	}
	return c
}

// servicePrefix checks an anycast service prefix: a global IPv6 /128.
func (v *validator) servicePrefix(key, s string) netip.Prefix {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		if a, aerr := netip.ParseAddr(s); aerr == nil && a.Is6() && !a.Is4In6() {
			v.errorf(key, "%q has no prefix length: write %q", s, a.String()+"/128")
		} else {
			v.errorf(key, "%q is not an IPv6 /128 prefix", s)
		}
		return netip.Prefix{}
	}
	a := p.Addr()
	switch {
	case !a.Is6() || a.Is4In6():
		v.errorf(key, "%q is not IPv6: a service prefix is an IPv6 /128", s)
	case p.Bits() != 128:
		v.errorf(key, "%q is a /%d: a service prefix is an IPv6 /128", s, p.Bits())
	case a.Zone() != "":
		v.errorf(key, "%q has a zone: a service prefix is a global IPv6 /128", s)
	case a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() || a.IsLinkLocalUnicast():
		v.errorf(key, "%q is not a unicast global address", s)
	default:
		return p
	}
	return netip.Prefix{}
}

func (v *validator) socket(base string, r *rawSocket, prefixAddr netip.Addr) *SocketMonitor {
	m := &SocketMonitor{Address: prefixAddr}
	if r.Port == nil {
		v.missing(base+".port", "port = 53")
	}
	m.Port = uint16(v.integer(base+".port", r.Port, 1, 65535, 0))
	if s, ok := v.str(base+".address", r.Address); ok {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" {
			v.errorf(base+".address", "%q is not an IPv6 address", s)
		} else {
			m.Address = a
		}
	}
	m.Interval, _ = v.durationIn(base+".interval", r.Interval, costmodel.DefaultSocketInterval, socketIntervalBound)
	return m
}

func (v *validator) probe(base string, r *rawProbe) *Probe {
	p := &Probe{}
	if r.Kind == nil {
		v.missing(base+".kind", `kind = "dns"`)
	} else if k, ok := v.str(base+".kind", r.Kind); ok {
		switch k {
		case "dns":
			p.Kind = ProbeDNS
		case "udp":
			p.Kind = ProbeUDP
		default:
			v.errorf(base+".kind", "%q is not a probe kind (dns or udp)", k)
		}
	}
	onlyFor := func(key string, x any, kind ProbeKind) bool {
		if x != nil && p.Kind != 0 && p.Kind != kind {
			v.errorf(base+"."+key, "is only for kind %s probes", kind)
			return false
		}
		return x != nil
	}
	if onlyFor("qname", r.QName, ProbeDNS) {
		if q, ok := v.str(base+".qname", r.QName); ok {
			if name, ok := fqdn(q); ok {
				p.QName = name
			} else {
				v.errorf(base+".qname", "%q is not a domain name", q)
			}
		}
	} else if p.Kind == ProbeDNS {
		v.missing(base+".qname", `qname = "example.org."`)
	}
	if p.Kind == ProbeDNS {
		p.QType = DefaultQType
	}
	if onlyFor("qtype", r.QType, ProbeDNS) {
		switch x := r.QType.(type) {
		case string:
			if t, ok := ParseQType(x); ok {
				p.QType = t
			} else {
				v.errorf(base+".qtype", "%q is not a DNS type (e.g. SOA, A, AAAA or TYPE65)", x)
			}
		case int64:
			p.QType = uint16(v.integer(base+".qtype", x, 1, 65535, DefaultQType))
		default:
			v.errorf(base+".qtype", "want a type name such as \"SOA\", got %s", describe(x))
		}
	}
	if onlyFor("payload", r.Payload, ProbeUDP) {
		p.Payload = v.bytes(base+".payload", r.Payload)
		if len(p.Payload) == 0 {
			v.errorf(base+".payload", "must not be empty")
		}
	} else if p.Kind == ProbeUDP {
		v.missing(base+".payload", `payload = "hex:0001"`)
	}
	if onlyFor("expect", r.Expect, ProbeUDP) {
		p.Expect = v.bytes(base+".expect", r.Expect)
	}
	p.Port = uint16(v.integer(base+".port", r.Port, 1, 65535, DefaultProbePort))
	var intervalOK, timeoutOK bool
	p.Interval, intervalOK = v.durationIn(base+".interval", r.Interval, costmodel.DefaultProbeInterval, probeIntervalBound)
	p.Timeout, timeoutOK = v.durationIn(base+".timeout", r.Timeout, DefaultProbeTimeout, timeoutBound)
	if intervalOK && timeoutOK && p.Timeout > p.Interval {
		v.errorf(base+".timeout", "%s is longer than the probe interval %s", p.Timeout, p.Interval)
	}
	p.Rise = int(v.integer(base+".rise", r.Rise, 1, 1000, costmodel.DefaultRise))
	p.Fall = int(v.integer(base+".fall", r.Fall, 1, 1000, costmodel.DefaultFall))
	p.HungAfter, _ = v.durationIn(base+".hung_after", r.HungAfter, costmodel.DefaultHungAfter, hungAfterBound)
	return p
}

// bytes decodes a payload: "hex:0a0b..." or the string's own bytes.
func (v *validator) bytes(key string, x any) []byte {
	s, ok := v.str(key, x)
	if !ok {
		return nil
	}
	b, err := decodePayload(s)
	if err != nil {
		v.errorf(key, "%v", err)
	}
	return b
}

func (v *validator) external(base string, r *rawExternal) *External {
	e := &External{}
	switch {
	case r.File != nil && r.Command != nil:
		v.errorf(base+".command", "give either file or command, not both")
	case r.File == nil && r.Command == nil:
		v.missing(base+".file", `file = "/run/dns/load" (or command = [...])`)
	case r.File != nil:
		if f, ok := v.str(base+".file", r.File); ok {
			e.File, _ = v.absPath(base+".file", f)
		}
	default:
		e.Command = v.command(base+".command", r.Command)
	}
	if f, ok := v.anyNumber(base+".full_rate", r.FullRate); ok {
		if !(f > 0 && f <= MaxFullRate) {
			v.errorf(base+".full_rate", "%s is outside (0, %g]: the counter's growth per second that is load 1.0", describe(r.FullRate), float64(MaxFullRate))
		} else {
			e.FullRate = f
		}
	}
	var intervalOK, timeoutOK bool
	e.Interval, intervalOK = v.durationIn(base+".interval", r.Interval, costmodel.DefaultExternalInterval, externalIntervalBound)
	e.Timeout, timeoutOK = v.durationIn(base+".timeout", r.Timeout, e.Interval, timeoutBound)
	if intervalOK && timeoutOK && e.Timeout > e.Interval {
		v.errorf(base+".timeout", "%s is longer than the interval %s", e.Timeout, e.Interval)
	}
	return e
}

// loadWeights checks [service.load]: each term's weight in
// [0, costmodel.MaxWeight], 1 where not given.
func (v *validator) loadWeights(base string, r *rawLoad) *costmodel.Weights {
	w := costmodel.DefaultParams().Weights
	for _, t := range []struct {
		key string
		raw any
		to  *float64
	}{
		{"rqueue", r.RQueue, &w.RQueue},
		{"drops", r.Drops, &w.Drops},
		{"latency", r.Latency, &w.Latency},
		{"external", r.External, &w.External},
		{"cpu", r.CPU, &w.CPU},
	} {
		f, ok := v.anyNumber(base+"."+t.key, t.raw)
		switch {
		case !ok:
		case !(f >= 0 && f <= costmodel.MaxWeight):
			v.errorf(base+"."+t.key, "%s is outside [0, %d]: the term's weight in the load figure", describe(t.raw), costmodel.MaxWeight)
		default:
			*t.to = f
		}
	}
	return &w
}

// cpu checks [service.cpu]: a cgroup path (absolute, under
// DefaultCgroupRoot or as /proc/PID/cgroup writes it, or relative to the
// root), optional cores, the interval.
func (v *validator) cpu(base string, r *rawCPU) *CPU {
	c := &CPU{CgroupRoot: DefaultCgroupRoot}
	if p, ok := v.str(base+".cgroup_root", r.CgroupRoot); ok {
		if p, ok = v.absPath(base+".cgroup_root", p); ok {
			c.CgroupRoot = filepath.Clean(p)
		}
	}
	if r.Cgroup == nil {
		v.missing(base+".cgroup", `cgroup = "system.slice/nsd.service"`)
	} else if p, ok := v.str(base+".cgroup", r.Cgroup); ok {
		c.Cgroup = v.cgroupPath(base+".cgroup", p, c.CgroupRoot)
	}
	if r.Cores != nil {
		if n, ok := v.anyNumber(base+".cores", r.Cores); ok {
			if n > 0 && n <= MaxCores {
				c.Cores = n
			} else {
				v.errorf(base+".cores", "%s is outside (0, %d]: the CPUs the service may use", describe(r.Cores), MaxCores)
			}
		}
	}
	c.Interval, _ = v.durationIn(base+".interval", r.Interval, costmodel.DefaultCPUInterval, cpuIntervalBound)
	return c
}

// cgroupPath returns a cgroup's path relative to the cgroup root:
// "/sys/fs/cgroup/system.slice/nsd.service" (under root, or under
// DefaultCgroupRoot), "/system.slice/nsd.service" (as /proc/PID/cgroup
// writes it) and "system.slice/nsd.service" all give
// "system.slice/nsd.service".
func (v *validator) cgroupPath(key, p, root string) string {
	if p == "" {
		v.errorf(key, "must not be empty (\"/\" is the root cgroup)")
		return ""
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			v.errorf(key, "%q climbs out with \"..\": write the cgroup's path from the root", p)
			return ""
		}
	}
	rel := p
	for _, r := range []string{root, DefaultCgroupRoot} {
		if p == r {
			rel = "/"
		} else if s, ok := strings.CutPrefix(p, r+"/"); ok {
			rel = s
		}
	}
	rel = strings.TrimLeft(filepath.Clean("/"+rel), "/")
	if rel == "" {
		return "."
	}
	return rel
}

// command takes an argv array, or a string run by /bin/sh -c.
func (v *validator) command(key string, x any) []string {
	switch x := x.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			v.errorf(key, "must not be empty")
			return nil
		}
		return []string{"/bin/sh", "-c", x}
	case []any:
		argv := make([]string, 0, len(x))
		for _, a := range x {
			s, ok := a.(string)
			if !ok {
				v.errorf(key, "want an array of strings, found %s in it", describe(a))
				return nil
			}
			argv = append(argv, s)
		}
		if len(argv) == 0 || argv[0] == "" {
			v.errorf(key, "the program (first element) is missing")
			return nil
		}
		if strings.Contains(argv[0], "/") && !filepath.IsAbs(argv[0]) {
			// A bare name is looked up in PATH; a relative path would
			// depend on the directory anycostd was started in.
			v.errorf(key, "program %q is a relative path: write it absolute, or a bare name looked up in PATH", argv[0])
			return nil
		}
		return argv
	}
	v.errorf(key, "want an array of strings (argv) or a shell command string, got %s", describe(x))
	return nil
}

// tiers checks [[service.tier]]: metrics rising, and thresholds rising
// from tier to tier with down under up within each.
func (v *validator) tiers(base string, raws []rawTier) []costmodel.Tier {
	var out []costmodel.Tier
	ok := true
	for j := range raws {
		r := &raws[j]
		key := fmt.Sprintf("%s.tier[%d]", base, j)
		t := costmodel.Tier{}
		if r.Metric == nil {
			v.missing(key+".metric", "metric = 10")
			ok = false
		} else if m := v.integer(key+".metric", r.Metric, 1, 65535, 0); m == 0 {
			ok = false
		} else {
			t.Metric = uint16(m)
		}
		up, hasUp := v.number(key+".up", r.Up)
		down, hasDown := v.number(key+".down", r.Down)
		last := j == len(raws)-1
		switch {
		case last && r.Up == nil && r.Down == nil:
		case last:
			// Load never withdraws a service: a farm whose servers are
			// all busy must still answer. The last tier is the ceiling.
			k := ".up"
			if r.Up == nil {
				k = ".down"
			}
			v.errorf(key+k, "the last tier has no next tier: leave up and down out (overload raises the metric, it never withdraws the service)")
			ok = false
		case r.Up == nil:
			v.missing(key+".up", "up = 0.6 (the load that moves to the next tier)")
			ok = false
		case r.Down == nil:
			v.missing(key+".down", "down = 0.4 (the load under which the service comes back to this tier)")
			ok = false
		case !hasUp || !hasDown:
			ok = false
		case up > MaxLoad:
			v.errorf(key+".up", "%g can never be reached: the load figure tops out at %g", up, float64(MaxLoad))
			ok = false
		case down == 0:
			v.errorf(key+".down", "0 can never be reached from above (the load figure is never below 0): the service would stay in the next tier")
			ok = false
		case down >= up:
			v.errorf(key+".down", "%g must be below up %g (the hysteresis band)", down, up)
			ok = false
		default:
			t.Up, t.Down = up, down
		}
		if ok && j > 0 {
			prev := out[j-1]
			switch {
			case t.Metric <= prev.Metric:
				v.errorf(key+".metric", "%d is not above the previous tier's metric %d: tiers go from cheapest to dearest", t.Metric, prev.Metric)
				ok = false
			case !last && t.Up <= prev.Up:
				v.errorf(key+".up", "%g is not above the previous tier's up %g: thresholds must increase", t.Up, prev.Up)
				ok = false
			case !last && t.Down <= prev.Down:
				v.errorf(key+".down", "%g is not above the previous tier's down %g: thresholds must increase", t.Down, prev.Down)
				ok = false
			}
		}
		out = append(out, t)
	}
	return slices.Clip(out)
}

// fqdn checks a domain name and makes it fully qualified.
func fqdn(s string) (string, bool) {
	if s == "." {
		return s, true
	}
	name := strings.TrimSuffix(s, ".")
	if name == "" || len(name) > 253 {
		return "", false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; c <= ' ' || c >= 0x7f {
				return "", false
			}
		}
	}
	return name + ".", true
}

// Bounds of [ospf] load_step.
const (
	minLoadStep = 0.01
	maxLoadStep = 0.5
)

// loadStep checks [ospf] load_step.
func (v *validator) loadStep(x any) float64 {
	f, ok := v.number("ospf.load_step", x)
	if !ok {
		return ospf.DefaultServerLoadStep
	}
	if f < minLoadStep || f > maxLoadStep {
		v.errorf("ospf.load_step", "%s is outside [%g, %g]", describe(x), minLoadStep, maxLoadStep)
		return ospf.DefaultServerLoadStep
	}
	return f
}
