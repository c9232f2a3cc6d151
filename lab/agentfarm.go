package lab

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// AgentFarm is a DNSFarm with a host for the router agent ("agent") on
// the servers' link, where `anycostd router` runs and reaches the
// router's zebra through the file system (its socket is a file).
//
// The agent is on the servers' link, not on a link of its own to ospf6d
// as docs/router-agent.md describes for a router box: there the servers'
// Link-LSAs (link-scoped) do not reach the agent, which then takes each
// server's next hop from its server load LSA, and anycostd servers
// originate none until the per-service capacity reaches their
// configuration. On the servers' link the agent reads the next hops from
// the Link-LSAs, as OSPF itself does.
type AgentFarm struct {
	*DNSFarm
	Agent *Host
	// Sock is the agent's control socket.
	Sock string
	// Proc is the running agent, nil before StartAgent.
	Proc *Proc
}

// NewAgentFarm builds the DNS farm of NewDNSFarm (n servers with NSD, no
// anycostd running yet) and the agent's host; no agent runs yet.
func NewAgentFarm(t testing.TB, n int) *AgentFarm {
	t.Helper()
	a := &AgentFarm{DNSFarm: NewDNSFarm(t, n, nil)}
	a.Lab.must(a.build())
	return a
}

// build adds the agent's host on the servers' link.
func (a *AgentFarm) build() error {
	var err error
	if a.Agent, err = a.Lab.TryAddHost("agent"); err != nil {
		return err
	}
	_, err = a.Agent.TryAttach(a.LAN, "eth0")
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
	p, err := a.Agent.TryStart("anycostd-router", a.bin, "router", "--config", path)
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
