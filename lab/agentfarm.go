package lab

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// AgentFarm is a DNSFarm with the router agent in the arrangement of
// docs/router-agent.md: the agent's host ("agent") on a link of its own
// ("agt") to the router, whose ospf6d has that link (its eth2) in the
// servers' area, so the agent is adjacent to ospf6d alone and learns the
// servers' area-scoped LSAs from it. `anycostd router` runs there and
// reaches the router's zebra through the file system (its socket is a
// file).
//
// The servers' Link-LSAs are link-scoped and do not reach the agent: it
// takes each server's next hop from the server's load LSA, which every
// OSPF service of an anycostd server originates (its `capacity`, default
// 1).
type AgentFarm struct {
	*DNSFarm
	Agent *Host
	// Sock is the agent's control socket.
	Sock string
	// Proc is the running agent, nil before StartAgent.
	Proc    *Proc
	started int
}

// NewAgentFarm builds the DNS farm of NewDNSFarm (n servers with NSD, no
// anycostd running yet), the agent's host and link, and starts FRR with
// the servers' link (eth0) and the agent's (eth2) in area 0; no agent
// runs yet.
func NewAgentFarm(t testing.TB, n int) *AgentFarm {
	t.Helper()
	RequireFRR(t)
	RequireNSD(t)
	RequireDNSPerf(t)
	// No duplicate address detection: every address of the lab is unique
	// by construction, and each of the farm's 8 interfaces would wait for
	// it in turn.
	a := &AgentFarm{DNSFarm: &DNSFarm{Farm: newFarmDAD(t, n, false)}}
	a.Lab.must(a.DNSFarm.build(nil))
	a.Lab.must(a.build())
	// The agent's interface is in the startup configuration, so it comes
	// up with the lab's dead interval (docs/router-agent.md, "Adding the
	// agent's interface to a running ospf6d").
	a.Router = a.RouterHost.StartFRR(RouterConfig("192.0.2.1", "eth0", "eth2"))
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
		a.Router, err = a.RouterHost.TryStartFRR(RouterConfig("192.0.2.1", "eth0", "eth2"))
	}
	if err != nil {
		f.Lab.Close()
		return nil, err
	}
	return a, nil
}

// build adds the agent's link, the router's eth2 on it and the agent's
// host.
func (a *AgentFarm) build() error {
	link, err := a.Lab.TryAddLink("agt")
	if err != nil {
		return err
	}
	if _, err := a.RouterHost.TryAttach(link, "eth2"); err != nil {
		return err
	}
	if a.Agent, err = a.addHost("agent"); err != nil {
		return err
	}
	_, err = a.Agent.TryAttach(link, "eth0")
	return err
}

// TryStartAgent writes the agent's config (router ID 192.0.2.2, zebra
// backend, the servers' link named by the router's eth0 and its router
// ID) for the given prefixes and runs `anycostd router` on the agent's
// host.
func (a *AgentFarm) TryStartAgent(prefixes ...netip.Prefix) (*Proc, error) {
	a.Sock = filepath.Join(a.Lab.Dir(), "router.sock")
	path := filepath.Join(a.Lab.Dir(), "router.toml")
	cfg := routerAgentTOML(a.Sock, zebraSocket(a.RouterHost), a.RouterIf.Index, prefixes)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	a.started++
	p, err := a.Agent.TryStart(fmt.Sprintf("anycostd-router-%d", a.started), a.bin, "router", "--config", path)
	if err != nil {
		return nil, err
	}
	a.Proc = p
	return p, nil
}

// StartAgent is TryStartAgent for tests.
func (a *AgentFarm) StartAgent(prefixes ...netip.Prefix) *Proc {
	p, err := a.TryStartAgent(prefixes...)
	a.Lab.must(err)
	return p
}

// routerAgentTOML is the lab agent's config: router ID 192.0.2.2 on its
// eth0 with the lab's OSPF timers, the zebra backend on zebraSock, the
// servers' link behind the router's interface serverIfindex (DR
// 192.0.2.1), the given prefixes, its control socket at sock.
func routerAgentTOML(sock, zebraSock string, serverIfindex int, prefixes []netip.Prefix) string {
	var ps []string
	for _, p := range prefixes {
		ps = append(ps, fmt.Sprintf("%q", p.String()))
	}
	return fmt.Sprintf(`router_id = "192.0.2.2"
control_socket = %q
log_level = "debug"
[ospf]
interface = "eth0"
hello_interval = "1s"
dead_interval = "4s"
[router]
backend = "zebra"
zebra_socket = %q
server_ifindex = %d
server_dr = "192.0.2.1"
prefixes = [%s]
`, sock, zebraSock, serverIfindex, strings.Join(ps, ", "))
}

// zebraSocket is the path of zebra's API socket in r's namespace.
func zebraSocket(r *Host) string { return filepath.Join(frrRunDir, r.name, "zserv.api") }
