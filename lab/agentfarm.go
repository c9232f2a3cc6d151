package lab

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anycostd/anycostd/control"
)

// AgentFarm is a DNSFarm with the router agent (RouterAgent) in the
// arrangement of docs/router-agent.md.
//
// The servers' Link-LSAs are link-scoped and do not reach the agent: it
// takes each server's next hop from the server's load LSA, which every
// OSPF service of an anycostd server originates (its `capacity`, default
// 1).
type AgentFarm struct {
	*DNSFarm
	Agent *RouterAgent
}

// NewAgentFarm builds the DNS farm of NewDNSFarm (n servers with NSD, no
// anycostd running yet), the agent's host and link, and starts FRR with
// the servers' link (eth0) and the agent's (eth2) in area 0; no agent
// runs yet.
func NewAgentFarm(t testing.TB, n int) *AgentFarm {
	t.Helper()
	RequireFRR(t)
	a := newAgentFarm(t, n)
	// The agent's interface is in the startup configuration, so it comes
	// up with the lab's dead interval (docs/router-agent.md, "Adding the
	// agent's interface to a running ospf6d").
	a.Router = a.RouterHost.StartFRR(RouterConfig("192.0.2.1", "eth0", AgentRouterIf))
	return a
}

// newAgentFarm builds the DNS farm of NewDNSFarm (n servers with NSD, no
// anycostd running yet) and the agent's host and link; no router daemon.
func newAgentFarm(t testing.TB, n int) *AgentFarm {
	t.Helper()
	RequireNSD(t)
	RequireDNSPerf(t)
	// No duplicate address detection: every address of the lab is unique
	// by construction, and each of the farm's 8 interfaces would wait for
	// it in turn.
	a := &AgentFarm{DNSFarm: &DNSFarm{Farm: newFarmDAD(t, n, false)}}
	a.Lab.must(a.DNSFarm.build(nil))
	a.Lab.must(a.build())
	return a
}

// OpenAgentFarm is NewAgentFarm outside a test: the farm on a lab of Open
// (log as Open takes it), which a.Lab.Close removes. On an error nothing
// is left.
func OpenAgentFarm(log io.Writer, n int) (*AgentFarm, error) {
	f, err := openFarm(log, n, false, CheckFRR, CheckNSD, CheckDNSPerf)
	if err != nil {
		return nil, err
	}
	a := &AgentFarm{DNSFarm: &DNSFarm{Farm: f}}
	err = a.DNSFarm.build(nil)
	if err == nil {
		err = a.build()
	}
	if err == nil {
		a.Router, err = a.RouterHost.TryStartFRR(RouterConfig("192.0.2.1", "eth0", AgentRouterIf))
	}
	if err != nil {
		f.Lab.Close()
		return nil, err
	}
	return a, nil
}

// build adds the agent's link, host and the router's interface on it.
func (a *AgentFarm) build() (err error) {
	a.Agent, err = TryAddRouterAgent(a.Lab, a.RouterHost, a.RouterIf.Index, a.bin)
	return err
}

// StartAgent is RouterAgent.TryStart for tests.
func (a *AgentFarm) StartAgent(prefixes ...netip.Prefix) *Proc {
	p, err := a.Agent.TryStart(prefixes...)
	a.Lab.must(err)
	return p
}

// AgentServiceTOML is the lab's DNS service (metric 10, the socket
// monitor and the DNS probe, as DNSServiceTOML) with the given drain time
// and capacity (its server load LSA's, docs/router-agent.md); tiers are
// appended as given (e.g. TiersTOML: the agent's announcement holds them
// at the base metric), none for a static metric.
func AgentServiceTOML(drainTime time.Duration, capacity float64, extra ...string) string {
	return fmt.Sprintf("[[service]]\nname = \"dns\"\nprefix = %q\nmetric = 10\ndrain_time = %q\ncapacity = %g\n\n%s%s",
		Anycast.String(), drainTime.String(), capacity, dnsMonitorsTOML, strings.Join(extra, "\n"))
}

// AgentRouterIf is the router's interface on the agent's link: the
// router's FRR must have it in the servers' area in its startup
// configuration (RouterConfig(id, serverIf, AgentRouterIf)).
const AgentRouterIf = "eth2"

// RouterAgent is `anycostd router` (zebra backend) in the arrangement of
// docs/router-agent.md: its host ("agent") on a link of its own ("agt")
// to the router, whose ospf6d has that link (AgentRouterIf) in the
// servers' area, so the agent is adjacent to ospf6d alone and learns the
// servers' area-scoped LSAs from it. It reaches the router's zebra
// through the file system (its socket is a file).
type RouterAgent struct {
	Host *Host
	// Sock is the agent's control socket.
	Sock string
	// Proc is the running agent, nil before TryStart.
	Proc *Proc
	// LogLevel is the agent's log_level ("debug" unless changed).
	LogLevel string
	// KernelLease, when above 0, runs the agent with the kernel backend
	// instead of zebra: its routes in the router's FIB (kernel_netns, the
	// router's namespace) with this lease (kernel_lease, whole seconds).
	KernelLease time.Duration
	// Router are extra lines of the agent's [router] table (e.g. its
	// weight bounds min_factor and max_factor), "" for none.
	Router string

	router        *Host
	serverIfindex int
	bin           string
	started       int
}

// TryAddRouterAgent adds the agent's link "agt", the router's interface
// AgentRouterIf on it and the agent's host "agent" (no duplicate address
// detection) on l. serverIfindex is the router's interface index on the
// servers' link (the agent's next hops' interface and its name of that
// link); bin is the anycostd binary. No agent runs yet.
func TryAddRouterAgent(l *Lab, router *Host, serverIfindex int, bin string) (*RouterAgent, error) {
	link, err := l.TryAddLink("agt")
	if err != nil {
		return nil, err
	}
	if _, err := router.TryAttach(link, AgentRouterIf); err != nil {
		return nil, err
	}
	h, err := l.TryAddHost("agent")
	if err != nil {
		return nil, err
	}
	if err := noDAD(h); err != nil {
		return nil, err
	}
	if _, err := h.TryAttach(link, "eth0"); err != nil {
		return nil, err
	}
	return &RouterAgent{Host: h, Sock: filepath.Join(l.Dir(), "router.sock"), LogLevel: "debug",
		router: router, serverIfindex: serverIfindex, bin: bin}, nil
}

// TryStart writes the agent's config (router ID 192.0.2.2, zebra
// backend, the servers' link named by the router's interface and its
// router ID 192.0.2.1) for the given prefixes and runs `anycostd router`
// on the agent's host.
func (a *RouterAgent) TryStart(prefixes ...netip.Prefix) (*Proc, error) {
	path := filepath.Join(filepath.Dir(a.Sock), "router.toml")
	cfg := routerAgentTOML(a.Sock, zebraSocket(a.router), a.serverIfindex, prefixes, a.LogLevel)
	if a.KernelLease > 0 {
		cfg = kernelAgentTOML(a.Sock, filepath.Join(netnsDir, a.router.Namespace()), a.KernelLease, a.serverIfindex, prefixes, a.LogLevel)
	}
	cfg += a.Router
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	a.started++
	p, err := a.Host.TryStart(fmt.Sprintf("anycostd-router-%d", a.started), a.bin, "router", "--config", path)
	if err != nil {
		return nil, err
	}
	a.Proc = p
	return p, nil
}

// Status asks the running agent for its status (`anycostd router
// status --json`) over its control socket.
func (a *RouterAgent) Status(ctx context.Context) (*control.RouterStatus, error) {
	return control.Client{Path: a.Sock}.RouterStatus(ctx)
}

// routerAgentTOML is the lab agent's config: router ID 192.0.2.2 on its
// eth0 with the lab's OSPF timers, the zebra backend on zebraSock, the
// servers' link behind the router's interface serverIfindex (DR
// 192.0.2.1), the given prefixes, its control socket at sock, logging at
// level.
func routerAgentTOML(sock, zebraSock string, serverIfindex int, prefixes []netip.Prefix, level string) string {
	return agentTOML(sock, fmt.Sprintf("backend = \"zebra\"\nzebra_socket = %q\n", zebraSock), serverIfindex, prefixes, level)
}

// kernelAgentTOML is routerAgentTOML with the kernel backend: the routes
// in the FIB of the namespace file netns (the router's), leased for lease.
func kernelAgentTOML(sock, netns string, lease time.Duration, serverIfindex int, prefixes []netip.Prefix, level string) string {
	return agentTOML(sock, fmt.Sprintf("backend = \"kernel\"\nkernel_netns = %q\nkernel_lease = %q\n", netns, lease), serverIfindex, prefixes, level)
}

// agentTOML is the lab agent's config with the given backend lines.
func agentTOML(sock, backend string, serverIfindex int, prefixes []netip.Prefix, level string) string {
	var ps []string
	for _, p := range prefixes {
		ps = append(ps, fmt.Sprintf("%q", p.String()))
	}
	return fmt.Sprintf(`router_id = "192.0.2.2"
control_socket = %q
log_level = %q
[ospf]
interface = "eth0"
hello_interval = "1s"
dead_interval = "4s"
[router]
%sserver_ifindex = %d
server_dr = "192.0.2.1"
prefixes = [%s]
`, sock, level, backend, serverIfindex, strings.Join(ps, ", "))
}

// zebraSocket is the path of zebra's API socket in r's namespace.
func zebraSocket(r *Host) string { return filepath.Join(frrRunDir, r.name, "zserv.api") }
