package lab

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/netif"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/rawsock"
)

// In-process OSPF speakers (the engine anycostd runs) in lab namespaces,
// for the router agent's questions: do FRR routers flood the server load
// LSA, and can the agent speak OSPF on the router's own interface beside
// ospf6d.

// speaker runs an ospf.Instance on ifname in h's namespace from source
// (zero: the interface's link-local) until the test ends.
func speaker(t *testing.T, h *Host, ifc Iface, rid string, source netip.Addr, prio uint8, svcs []ospf.Service) *ospf.Instance {
	t.Helper()
	var tr *rawsock.RawConn
	if err := h.Do(func() (err error) {
		tr, err = rawsock.ListenOSPFOpts(ifc.Name, rawsock.OSPFOptions{Source: source})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ll := ifc.LinkLocal
	if source.IsValid() {
		ll = source
	}
	a := netip.MustParseAddr(rid).As4()
	cfg := ospf.Config{
		RouterID: uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]),
		Priority: prio,
		Link:     netif.Link{Name: ifc.Name, Index: ifc.Index, MTU: 1500, LinkLocal: ll},
		// The lab router's timers (RouterConfig).
		HelloInterval: time.Second, DeadInterval: 4 * time.Second,
	}
	var log *slog.Logger
	if os.Getenv("ANYCOSTD_LAB_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("speaker", h.hostName)
	} else {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	in, err := ospf.New(cfg, tr, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.SetServices(svcs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return in
}

// neighborState is the state in which in sees rid ("" when not listed).
func neighborState(in *ospf.Instance, rid string) string {
	st, err := in.Status(context.Background())
	if err != nil {
		return ""
	}
	for _, n := range st.Neighbors {
		if n.RouterID == rid {
			return n.State
		}
	}
	return ""
}

// serverLoads returns the advertising routers of the live server load
// LSAs in in's database.
func serverLoads(in *ospf.Instance) (map[string]*lsa.ServerLoad, error) {
	raws, err := in.RawLSDB(context.Background())
	if err != nil {
		return nil, err
	}
	out := map[string]*lsa.ServerLoad{}
	for _, raw := range raws {
		l, err := lsa.Parse(raw)
		if err != nil || l.Header.Type != lsa.TypeServerLoad || l.Header.Age >= lsa.MaxAge {
			continue
		}
		out[lsa.IDString(l.Header.AdvRouter)] = l.Body.(*lsa.ServerLoad)
	}
	return out, nil
}

// FRR 8.4.4 as the link router stores and floods the server load LSA
// (unknown to it; U bit, area scope): the router's database and every
// server hold every server's load LSA.
func TestServerLoadLSAFloodedByFRR(t *testing.T) {
	RequireRoot(t)
	l := New(t)
	link := l.AddLink("srv")
	r := l.AddHost("r")
	r.Attach(link, "eth0", netip.MustParsePrefix("2001:db8:1::1/64"))
	f := r.StartFRR(RouterConfig("192.0.2.1", "eth0"))
	prefix := netip.MustParsePrefix("2001:db8:53::53/128")
	servers := map[string]*ospf.Instance{}
	for i, capacity := range []float64{1, 2} {
		rid := fmt.Sprintf("192.0.2.%d", 11+i)
		h := l.AddHost(fmt.Sprintf("s%d", i+1))
		ifc := h.Attach(link, "eth0")
		servers[rid] = speaker(t, h, ifc, rid, netip.Addr{}, 0, []ospf.Service{{
			Name: "dns", Prefix: prefix, Metric: 10, Capacity: capacity, Load: 0.1 * float64(i+1),
		}})
	}
	WaitFor(t, 60*time.Second, "every server's load LSA in FRR's database", func() (bool, error) {
		db, err := f.Database()
		if err != nil {
			return false, err
		}
		n := 0
		for _, e := range db {
			if e.Scope == "area" && e.LSID == "0.0.0.1" && (e.AdvRouter == "192.0.2.11" || e.AdvRouter == "192.0.2.12") &&
				e.Type != "Rtr" && e.Type != "Net" && e.Type != "INP" && e.Type != "IAP" && e.Type != "IAR" && e.Type != "Lnk" {
				n++
			}
		}
		return n == 2, nil
	})
	out, _ := f.Vtysh("show ipv6 ospf6 database")
	t.Logf("FRR's database:\n%s", out)
	for rid, in := range servers {
		WaitFor(t, 30*time.Second, rid+" holds both load LSAs", func() (bool, error) {
			m, err := serverLoads(in)
			return len(m) == 2, err
		})
		m, _ := serverLoads(in)
		for adv, b := range m {
			if b.Prefix.Prefix != prefix || b.State != lsa.ServerAdvertised {
				t.Errorf("%s holds %s's load LSA %s", rid, adv, b)
			}
		}
		if got := m["192.0.2.12"].CapacityFigure(); got != 2 {
			t.Errorf("%s sees capacity %v for 192.0.2.12, want 2", rid, got)
		}
	}
}

// Can the agent run OSPF on the router's own interface beside ospf6d, from
// a second link-local address? FRR 8.4's ospf6d turns IPV6_MULTICAST_LOOP
// off on its socket (ospf6_network.c), so its Hellos to ff02::5 never reach
// another socket of the same host: the agent never hears the DR, and no
// adjacency forms. This test records that on FRR 8.4.4.
func TestAgentSharedInterfaceFRR(t *testing.T) {
	RequireRoot(t)
	l := New(t)
	link := l.AddLink("srv")
	r := l.AddHost("r")
	rifc := r.Attach(link, "eth0", netip.MustParsePrefix("2001:db8:1::1/64"))
	f := r.StartFRR(RouterConfig("192.0.2.1", "eth0"))
	s := l.AddHost("s1")
	sifc := s.Attach(link, "eth0")
	srv := speaker(t, s, sifc, "192.0.2.11", netip.Addr{}, 0, []ospf.Service{{
		Name: "dns", Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Metric: 10, Capacity: 1, Load: 0.1,
	}})
	WaitFor(t, 60*time.Second, "server Full with ospf6d", func() (bool, error) {
		return neighborState(srv, "192.0.2.1") == "Full", nil
	})
	agentLL := netip.MustParseAddr("fe80::a")
	r.AddAddr("eth0", netip.PrefixFrom(agentLL, 64))
	agent := speaker(t, r, rifc, "192.0.2.2", agentLL, 0, nil)
	// Hello 1 s, dead 4 s: 15 s is many Hellos.
	time.Sleep(15 * time.Second)
	agentSeesDR := neighborState(agent, "192.0.2.1")
	agentSeesServer := neighborState(agent, "192.0.2.11")
	frrSeesAgent, _ := f.NeighborState("192.0.2.2")
	serverSeesAgent := neighborState(srv, "192.0.2.2")
	t.Logf("after 15 s: agent sees ospf6d %q and the server %q; ospf6d sees the agent %q; the server sees the agent %q",
		agentSeesDR, agentSeesServer, frrSeesAgent, serverSeesAgent)
	out, _ := f.Vtysh("show ipv6 ospf6 neighbor")
	t.Logf("ospf6d's neighbors:\n%s", out)
	if agentSeesDR == "Full" {
		t.Fatalf("the agent reached Full with ospf6d on the shared interface: docs/router-agent.md says it cannot; update it")
	}
	if agentSeesDR != "" {
		t.Errorf("the agent sees ospf6d in %q: it should not hear its Hellos at all", agentSeesDR)
	}
	if !strings.HasPrefix(serverSeesAgent, "2-Way") && serverSeesAgent != "TwoWay" && serverSeesAgent != "2Way" {
		t.Logf("the server sees the agent in %q", serverSeesAgent)
	}
}
