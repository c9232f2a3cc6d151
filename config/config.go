// Package config loads and validates anycostd's TOML configuration.
//
// A file is decoded strictly into a raw form (every key must be known, keys
// are case-sensitive), then checked and turned into the typed Config below,
// with every default filled in. Errors name the file, the line of the
// offending key where it is known, and the key:
//
//	anycostd.toml:12: ospf.area: "0.0.0.x" is not a dotted-quad area ID
//
// testdata/reference.toml documents every key.
package config

import (
	"log/slog"
	"net/netip"
	"strconv"
	"time"

	"github.com/anycostd/anycostd/costmodel"
)

// Config is a validated configuration with every default filled in.
type Config struct {
	// RouterID is the OSPF router ID (RFC 5340 2.11), never 0.
	RouterID uint32
	// ControlSocket is the path of the control socket (unix, mode 0600).
	ControlSocket string
	// StateDir holds what must survive a restart: the manual drains
	// (services.DrainState). An absolute path.
	StateDir  string
	LogLevel  slog.Level
	LogFormat LogFormat
	// MetricsListen is the host:port of the Prometheus listener; empty
	// means no listener. A missing host means loopback (127.0.0.1).
	MetricsListen string
	// StopTimeout is the time the service manager allows a stop
	// (systemd's TimeoutStopSec): a configuration whose stop may take
	// longer (StopTime) is refused.
	StopTimeout time.Duration
	// OSPF is the [ospf] table; Interface is empty without one (every
	// service in ND mode).
	OSPF OSPF
	// ND is the [nd] table; Interface is empty without one.
	ND ND
	// Services holds one entry per [[service]] table, in file order.
	Services []Service
	// Router is the [router] table of the router agent's configuration
	// (`anycostd router`), which has no [[service]]; nil on a server.
	Router *Router
}

// OSPF holds the [ospf] table: the one interface and its area.
type OSPF struct {
	Interface  string
	Area       uint32
	InstanceID uint8
	// InterfaceCost is the interface output cost in the Router-LSA
	// (RFC 5340 A.4.3).
	InterfaceCost      uint16
	HelloInterval      time.Duration
	DeadInterval       time.Duration
	RetransmitInterval time.Duration
	TransmitDelay      time.Duration
	// MinLSInterval paces the instances of each self-originated LSA.
	MinLSInterval time.Duration
	// FlushTimeout bounds the wait for the flushed LSAs' acknowledgements
	// at shutdown.
	FlushTimeout time.Duration
	// StubArea clears the E option (RFC 5340 A.2).
	StubArea bool
	// AddressInterface is where each service's /128 is put while it is
	// advertised.
	AddressInterface string
	// KeepAddresses leaves the service addresses in place on exit.
	KeepAddresses bool
	// SPFNudge flips a spare bit of the Router-LSA's flags with every
	// withdrawal or metric rise, so routers run a full SPF (works around
	// FRR 8.4 keeping a withdrawn ECMP next hop; see ospf/nudge.go).
	SPFNudge bool
	// TTLSecurity sends every OSPF packet with hop limit 255 and drops
	// those received with less (GTSM, RFC 5082), for routers that require
	// it (BIRD `ttl security yes`).
	TTLSecurity bool
	// LoadStep is how far a service's load figure moves before its
	// server load LSA is re-originated (ospf.Config.ServerLoadStep).
	LoadStep float64
	// Auth is [ospf.auth], the RFC 7166 authentication trailer; nil
	// without the table: packets are sent and accepted unauthenticated.
	Auth *Auth
	// BFD is [ospf.bfd] (bfd.go); nil without the table: no BFD.
	BFD *BFD
}

// Service is one [[service]] table: an anycast /128 and how its metric is
// found.
type Service struct {
	Name   string
	Prefix netip.Prefix // always an IPv6 /128
	// Metric is the static metric, used while no cost model overrides it.
	// It defaults to the first tier's metric, or 10 without tiers.
	Metric      uint16
	DrainTime   time.Duration
	DrainFile   string // empty: no drain file
	DrainAction costmodel.DrainAction
	Socket      *SocketMonitor // nil: no socket monitor
	Probe       *Probe         // nil: no active probe
	External    *External      // nil: no external load
	CPU         *CPU           // nil: no CPU utilisation input
	// LoadWeights is [service.load]: how the load terms combine into the
	// load figure (costmodel.Weights); nil: every term at 1.
	LoadWeights *costmodel.Weights
	// Tiers are [[service.tier]], ordered from the cheapest; empty keeps
	// the static metric. A service in a tier moves to the next one when its
	// load reaches Up, and comes back when the load falls under Down; the
	// last tier has neither: it is the ceiling.
	Tiers []costmodel.Tier
	// TierPrefixes holds, for each tier that has one, the prefix
	// advertised instead of the service's /128 while the service is in
	// that tier: a shorter prefix holding the service address
	// (config/tierprefix.go). It is nil when no tier has a prefix, or as
	// long as Tiers with the zero Prefix for a tier without one.
	TierPrefixes []netip.Prefix
	// Mode says how the service is announced: OSPFv3 (default) or ND.
	Mode Mode
	// Capacity is what this server can take of the service relative to
	// the farm's other servers, in a unit they all share (cores, measured
	// queries/s); default 1. An OSPF-mode service publishes it in its
	// server load LSA, and the farm view weighs the servers by it.
	Capacity float64
	// FarmRules lets the farm view shape the tier moves for load
	// (costmodel.Params.FarmRules); default false.
	FarmRules bool
}

// SocketMonitor is [service.socket]: the UDP sockets bound to Port on
// Address, or on the wildcard ::, watched through NETLINK_SOCK_DIAG.
type SocketMonitor struct {
	Port     uint16
	Address  netip.Addr // defaults to the service prefix's address
	Interval time.Duration
}

// Probe is [service.probe]: an active check sent to the service's anycast
// address from the server itself.
type Probe struct {
	Kind ProbeKind
	// QName (fully qualified) and QType are the DNS question (kind dns).
	QName string
	QType uint16
	// Payload is sent and Expect must prefix the reply (kind udp; an
	// empty Expect accepts any reply).
	Payload  []byte
	Expect   []byte
	Port     uint16
	Interval time.Duration
	Timeout  time.Duration
	Rise     int // consecutive successes to become healthy
	Fall     int // consecutive failures to become unhealthy
	// HungAfter: failures behind a congested receive queue, or a
	// non-empty one the service is seen reading, count as load until no
	// check has passed for this long (0: they count towards Fall at once,
	// the rule before issue 14).
	HungAfter time.Duration
}

// External is [service.external]: a load figure the service publishes,
// read from File or printed by Command (exactly one is set).
type External struct {
	File string
	// Command is an argv; a TOML string becomes ["/bin/sh", "-c", s].
	Command []string
	// FullRate, above 0, says the text is a counter (queries so far,
	// optionally followed by the counter's clock in seconds): the load is
	// its growth per second over FullRate (monitor.ExternalConfig).
	FullRate float64
	Interval time.Duration
	Timeout  time.Duration
}

// CPU is [service.cpu]: the service's CPU utilisation, read from its
// cgroup (monitor.RunCPU).
type CPU struct {
	// Cgroup is the cgroup's path relative to the cgroup root
	// (CgroupRoot), cleaned, without a leading slash:
	// "system.slice/nsd.service"; "." is the root itself.
	Cgroup string
	// CgroupRoot is where the cgroup file system is seen: an absolute
	// path, DefaultCgroupRoot unless anycostd runs where /sys is not the
	// host's (in a container, or under `ip netns exec`, which mounts a
	// /sys of its own: then e.g. /proc/PID/root/sys/fs/cgroup of a process
	// outside).
	CgroupRoot string
	// Cores is the CPU the service may use when no CPU quota (cpu.max)
	// limits its cgroup; 0: the cgroup's cpuset or the online CPUs.
	Cores    float64
	Interval time.Duration
}

// LogFormat is the log output format.
type LogFormat uint8

// Log formats.
const (
	LogText LogFormat = iota
	LogJSON
)

func (f LogFormat) String() string {
	switch f {
	case LogText:
		return "text"
	case LogJSON:
		return "json"
	}
	return "LogFormat(" + strconv.Itoa(int(f)) + ")"
}

// ParseLogFormat parses "text" or "json".
func ParseLogFormat(s string) (LogFormat, bool) {
	switch s {
	case "text":
		return LogText, true
	case "json":
		return LogJSON, true
	}
	return 0, false
}

// ParseLogLevel parses debug, info, warn or error.
func ParseLogLevel(s string) (slog.Level, bool) {
	switch s {
	case "debug":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warn":
		return slog.LevelWarn, true
	case "error":
		return slog.LevelError, true
	}
	return 0, false
}

// levelName is the config spelling of a level (slog's String is upper case).
func levelName(l slog.Level) string {
	switch l {
	case slog.LevelDebug:
		return "debug"
	case slog.LevelInfo:
		return "info"
	case slog.LevelWarn:
		return "warn"
	case slog.LevelError:
		return "error"
	}
	return l.String()
}

// ProbeKind is the kind of active probe.
type ProbeKind uint8

// Probe kinds.
const (
	ProbeDNS ProbeKind = iota + 1
	ProbeUDP
)

func (k ProbeKind) String() string {
	switch k {
	case ProbeDNS:
		return "dns"
	case ProbeUDP:
		return "udp"
	}
	return "ProbeKind(" + strconv.Itoa(int(k)) + ")"
}

// Defaults of the keys that only the configuration knows. The others are
// the engines' own: the [ospf] timers and cost are ospf.Default*, the
// [nd] ones ndproxy.Default*, the metric, probe counts and monitor
// intervals costmodel.Default*.
const (
	DefaultControlSocket    = "/run/anycostd/anycostd.sock"
	DefaultStateDir         = "/var/lib/anycostd"
	DefaultArea             = 0
	DefaultAddressInterface = "lo"
	DefaultDrainTime        = 3 * time.Second
	DefaultCapacity         = 1.0
	DefaultProbePort        = 53
	DefaultProbeTimeout     = 100 * time.Millisecond
	DefaultQType            = 6 // SOA
	// DefaultCgroupRoot is where the cgroup file system is mounted
	// ([service.cpu] cgroup_root).
	DefaultCgroupRoot = "/sys/fs/cgroup"
	// MaxCores bounds [service.cpu] cores.
	MaxCores = 4096
	// MaxFullRate bounds [service.external] full_rate: a billion queries
	// a second is beyond any one server.
	MaxFullRate = 1e9
)
