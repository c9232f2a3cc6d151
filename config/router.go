package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/anycostd/anycostd/agent/weights"
)

// RouterBackend says how the router agent programs its routes.
type RouterBackend uint8

// Router agent backends.
const (
	// BackendZebra programs FRR's zebra over ZAPI (the default).
	BackendZebra RouterBackend = iota
	// BackendKernel programs the Linux FIB over netlink (BIRD, or no
	// routing daemon).
	BackendKernel
)

func (b RouterBackend) String() string {
	if b == BackendKernel {
		return "kernel"
	}
	return "zebra"
}

// Defaults of the [router] table.
const (
	DefaultZebraSocket  = "/var/run/frr/zserv.api"
	DefaultDistance     = 100
	DefaultKernelMetric = 10
	// DefaultKernelLease is how long a kernel route of the agent lives
	// unless the agent refreshes it (docs/router-agent.md, "The kernel
	// route's lease").
	DefaultKernelLease = 5 * time.Second
)

// maxDeadBand bounds dead_band: a band of half the farm's load would
// leave a server at 1.5 times its peers' utilisation alone.
const maxDeadBand = 0.5

// kernelLeaseBound is kernel_lease's range: the kernel counts a route's
// expiry (RTA_EXPIRES) in whole seconds; the agent refreshes it every
// third of the lease, so 2 s is a refresh every 667 ms.
var kernelLeaseBound = bound{2 * time.Second, time.Hour, true}

// Router is the [router] table: the router agent (`anycostd router`, see
// docs/router-agent.md). Its OSPF instance is [ospf] (the link to the
// routing daemon); it originates no prefix.
type Router struct {
	Backend     RouterBackend
	ZebraSocket string
	// Distance is the administrative distance of the zebra routes: below
	// OSPF's 110.
	Distance uint8
	// KernelMetric is the route metric of the kernel routes: below the
	// routing daemon's.
	KernelMetric int
	// KernelLease is the lifetime of the kernel routes: the kernel
	// removes a route the agent has not refreshed for that long (a
	// killed agent's), and the routing daemon's route forwards again.
	KernelLease time.Duration
	// KernelNetns is the network namespace file (e.g. /proc/1/ns/net)
	// whose FIB the kernel backend programs; "": the agent's own.
	KernelNetns string
	// Prefixes are the anycast prefixes to program; empty: every prefix
	// that has server load LSAs.
	Prefixes []netip.Prefix
	// MaxWeight is the weight of the largest share; MinFactor and
	// MaxFactor bound a server's share to that many times its capacity
	// share.
	MaxWeight            int
	MinFactor, MaxFactor float64
	// DeadBand and Confirm are the weight loop's noise rules
	// (weights.Params): load ratios within 1±DeadBand of the farm's are
	// left alone, and a share moves after Confirm corrections in a row
	// found the same imbalance.
	DeadBand float64
	Confirm  int
	// ServerIfindex is the router's interface on the server link (the
	// next hops' interface); 0: the [ospf] interface (the agent is on the
	// server link itself).
	ServerIfindex int
	// ServerDR and ServerInterfaceID name the server link when the agent
	// is not on it (a veth link to ospf6d): the router's router ID and
	// its interface ID there (ospf6d uses the ifindex: the default is
	// ServerIfindex), from which the router's Router-LSA names the link's
	// DR, the router or another (agent.LinkID). ServerDR 0: the link the
	// agent's own Router-LSA names.
	ServerDR          uint32
	ServerInterfaceID uint32
}

type rawRouter struct {
	Backend           any `toml:"backend"`
	ZebraSocket       any `toml:"zebra_socket"`
	Distance          any `toml:"distance"`
	KernelMetric      any `toml:"kernel_metric"`
	KernelLease       any `toml:"kernel_lease"`
	KernelNetns       any `toml:"kernel_netns"`
	Prefixes          any `toml:"prefixes"`
	MaxWeight         any `toml:"max_weight"`
	MinFactor         any `toml:"min_factor"`
	MaxFactor         any `toml:"max_factor"`
	DeadBand          any `toml:"dead_band"`
	Confirm           any `toml:"confirm"`
	ServerIfindex     any `toml:"server_ifindex"`
	ServerDR          any `toml:"server_dr"`
	ServerInterfaceID any `toml:"server_interface_id"`
}

// router checks the [router] table.
func (v *validator) router(r *rawRouter) *Router {
	d := weights.DefaultParams()
	rt := &Router{
		ZebraSocket: DefaultZebraSocket, Distance: DefaultDistance, KernelMetric: DefaultKernelMetric,
		KernelLease: DefaultKernelLease, MaxWeight: d.MaxWeight, MinFactor: d.MinFactor, MaxFactor: d.MaxFactor,
		DeadBand: d.DeadBand, Confirm: d.Confirm,
	}
	if s, ok := v.str("router.backend", r.Backend); ok {
		switch s {
		case "zebra":
		case "kernel":
			rt.Backend = BackendKernel
		default:
			v.errorf("router.backend", "%q is not a backend (zebra or kernel)", s)
		}
	}
	if s, ok := v.str("router.zebra_socket", r.ZebraSocket); ok {
		if len(s) == 0 || s[0] != '/' || len(s) > maxSocketPath {
			v.errorf("router.zebra_socket", "%q is not an absolute unix socket path of at most %d bytes", s, maxSocketPath)
		} else {
			rt.ZebraSocket = s
		}
	}
	// Below OSPF's 110, or zebra prefers OSPF's route and the agent
	// does nothing.
	rt.Distance = uint8(v.integer("router.distance", r.Distance, 1, 109, DefaultDistance))
	rt.KernelMetric = int(v.integer("router.kernel_metric", r.KernelMetric, 1, 1<<31-1, DefaultKernelMetric))
	rt.KernelLease, _ = v.durationIn("router.kernel_lease", r.KernelLease, DefaultKernelLease, kernelLeaseBound)
	if s, ok := v.str("router.kernel_netns", r.KernelNetns); ok {
		if p, ok := v.absPath("router.kernel_netns", s); ok {
			rt.KernelNetns = p
		}
	}
	maxW := int64(weights.MaxZebraWeight)
	if rt.Backend == BackendKernel {
		maxW = weights.MaxKernelWeight
	}
	rt.MaxWeight = int(v.integer("router.max_weight", r.MaxWeight, 1, maxW, int64(d.MaxWeight)))
	if f, ok := v.number("router.min_factor", r.MinFactor); ok {
		if f > 0 && f <= 1 {
			rt.MinFactor = f
		} else {
			v.errorf("router.min_factor", "%s is outside (0, 1]", describe(r.MinFactor))
		}
	}
	if f, ok := v.number("router.max_factor", r.MaxFactor); ok {
		if f >= 1 && f <= 100 {
			rt.MaxFactor = f
		} else {
			v.errorf("router.max_factor", "%s is outside [1, 100]", describe(r.MaxFactor))
		}
	}
	if f, ok := v.number("router.dead_band", r.DeadBand); ok {
		if f <= maxDeadBand {
			rt.DeadBand = f
		} else {
			v.errorf("router.dead_band", "%s is outside [0, %g]", describe(r.DeadBand), maxDeadBand)
		}
	}
	rt.Confirm = int(v.integer("router.confirm", r.Confirm, 1, weights.MaxConfirm, int64(d.Confirm)))
	rt.Prefixes = v.prefixList("router.prefixes", r.Prefixes)
	rt.ServerIfindex = int(v.integer("router.server_ifindex", r.ServerIfindex, 1, 1<<31-1, 0))
	if s, ok := v.str("router.server_dr", r.ServerDR); ok {
		if id, ok := parseDottedQuad(s); ok && id != 0 {
			rt.ServerDR = id
		} else {
			v.errorf("router.server_dr", "%q is not a dotted-quad router ID", s)
		}
	}
	rt.ServerInterfaceID = uint32(v.integer("router.server_interface_id", r.ServerInterfaceID, 1, 1<<32-1, int64(rt.ServerIfindex)))
	if rt.ServerDR != 0 && (rt.ServerIfindex == 0 || rt.ServerInterfaceID == 0) {
		v.errorf("router.server_dr", "with server_dr (the agent off the server link), server_ifindex names the router's interface on the server link")
	}
	return rt
}

// prefixList reads an array of IPv6 prefixes.
func (v *validator) prefixList(key string, x any) []netip.Prefix {
	if x == nil {
		return nil
	}
	list, ok := x.([]any)
	if !ok {
		v.errorf(key, "want an array of prefixes, got %s", describe(x))
		return nil
	}
	var out []netip.Prefix
	for i, e := range list {
		k := fmt.Sprintf("%s[%d]", key, i)
		s, ok := v.str(k, e)
		if !ok {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() {
			v.errorf(k, "%q is not an IPv6 prefix", s)
			continue
		}
		out = append(out, p.Masked())
	}
	return out
}

// Settings returns every key of the [router] table with its effective
// value, dotted ("router.distance"), in the order of testdata/router.toml;
// the server link's keys are listed even when unset (0 or "").
func (r *Router) Settings() []Setting {
	ps := make([]string, len(r.Prefixes))
	for i, p := range r.Prefixes {
		ps[i] = tomlString(p.String())
	}
	dr := ""
	if r.ServerDR != 0 {
		dr = DottedQuad(r.ServerDR)
	}
	return []Setting{
		{"router.backend", tomlString(r.Backend.String())},
		{"router.zebra_socket", tomlString(r.ZebraSocket)},
		{"router.distance", strconv.Itoa(int(r.Distance))},
		{"router.kernel_metric", strconv.Itoa(r.KernelMetric)},
		{"router.kernel_lease", tomlDuration(r.KernelLease)},
		{"router.kernel_netns", tomlString(r.KernelNetns)},
		{"router.prefixes", "[" + strings.Join(ps, ", ") + "]"},
		{"router.max_weight", strconv.Itoa(r.MaxWeight)},
		{"router.min_factor", tomlFloat(r.MinFactor)},
		{"router.max_factor", tomlFloat(r.MaxFactor)},
		{"router.dead_band", tomlFloat(r.DeadBand)},
		{"router.confirm", strconv.Itoa(r.Confirm)},
		{"router.server_ifindex", strconv.Itoa(r.ServerIfindex)},
		{"router.server_dr", tomlString(dr)},
		{"router.server_interface_id", strconv.FormatUint(uint64(r.ServerInterfaceID), 10)},
	}
}

// render writes the [router] table, every default written out (the
// server link's keys only when set).
func (r *Router) render(b *strings.Builder) {
	b.WriteString("\n[router]\n")
	for _, s := range r.Settings() {
		k := strings.TrimPrefix(s.Key, "router.")
		switch {
		case k == "server_ifindex" && r.ServerIfindex == 0, k == "kernel_netns" && r.KernelNetns == "",
			(k == "server_dr" || k == "server_interface_id") && r.ServerDR == 0:
			continue
		}
		fmt.Fprintf(b, "%s = %s\n", k, s.Value)
	}
}
