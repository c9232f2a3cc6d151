package lab

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/ospf"
)

// TestAgentRouterCommand runs the real `anycostd router` against FRR
// 8.4.4 in the arrangement of docs/router-agent.md: the agent in its own
// namespace on a veth link to ospf6d, zebra's socket reached through the
// file system. Three servers of capacity 1, 2 and 0.5 (in-process engines
// originating their load LSAs): zebra selects the agent's route with
// weights 128, 255 and 64 over OSPF's ECMP route; `anycostd router status
// --json` explains them; a reload (SIGHUP) moves the route to distance
// 50, replaced in zebra; SIGTERM brings OSPF's route back, and gobgp's
// client has logged no warning or error.
func TestAgentRouterCommand(t *testing.T) {
	RequireRoot(t)
	bin := BuildAnycostd(t)
	al := newAgentLab(t)
	l, srvLink, r, rifc, f := al.l, al.srv, al.r, al.rifc, al.f

	prefix := netip.MustParsePrefix("2001:db8:53::53/128")
	capacities := []float64{1, 2, 0.5}
	var want []WeightedHop
	for i, c := range capacities {
		h := l.AddHost(fmt.Sprintf("s%d", i+1))
		ifc := h.Attach(srvLink, "eth0")
		speaker(t, h, ifc, fmt.Sprintf("192.0.2.1%d", i+1), netip.Addr{}, 0,
			[]ospf.Service{{Name: "dns", Prefix: prefix, Metric: 10, Capacity: c, Load: 0.1}})
		want = append(want, WeightedHop{ifc.LinkLocal.String(), []int{128, 255, 64}[i]})
	}
	slices.SortFunc(want, func(a, b WeightedHop) int { return strings.Compare(a.Addr, b.Addr) })

	a := l.AddHost("a")
	a.Attach(al.agt, "eth0")
	sock := filepath.Join(l.Dir(), "router.sock")
	cfgPath := filepath.Join(l.Dir(), "router.toml")
	cfg := routerAgentTOML(sock, zebraSocket(r), rifc.Index, []netip.Prefix{prefix}, "debug")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, 30*time.Second, "OSPF's ECMP route over the three servers", func() (bool, error) {
		hops, proto, _, err := ZebraWeights(f, prefix)
		return proto == "ospf6" && len(hops) == 3, err
	})
	p := a.Start("anycostd-router", bin, "router", "--config", cfgPath)
	took := WaitFor(t, 30*time.Second, "the agent's weighted route selected by zebra", func() (bool, error) {
		hops, proto, _, err := ZebraWeights(f, prefix)
		return proto == "sharp" && slices.Equal(hops, want), err
	})
	t.Logf("anycostd router: weights %v in zebra %s after its start", want, took.Round(time.Millisecond))
	waitKernelPrefix(t, r, prefix, want, "the weights in the kernel")

	out, err := runCmd(bin, "router", "status", "--json", "--control", sock)
	if err != nil {
		t.Fatalf("anycostd router status: %v\n%s", err, out)
	}
	var st control.RouterStatus
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("router status --json: %v\n%s", err, out)
	}
	if len(st.Agent.Prefixes) != 1 || len(st.Agent.Prefixes[0].Nexthops) != 3 {
		t.Fatalf("router status: %s", out)
	}
	for _, h := range st.Agent.Prefixes[0].Nexthops {
		if !h.HasLoad || h.Why == "" {
			t.Errorf("next hop %s (%s): load LSA read %v, why %q", h.NextHop, h.Server, h.HasLoad, h.Why)
		}
	}
	text, err := runCmd(bin, "router", "status", "--control", sock)
	if err != nil {
		t.Fatalf("anycostd router status: %v\n%s", err, text)
	}
	t.Logf("anycostd router status:\n%s", text)

	// A reload (SIGHUP) with a new distance: zebra replaces the agent's
	// route, one sharp route at distance 50 with the same weights.
	if err := os.WriteFile(cfgPath, []byte(cfg+"distance = 50\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitAgentRouteAt(t, f, prefix, 50, want)

	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitTimeout(10 * time.Second); err != nil {
		t.Fatalf("anycostd router after SIGTERM: %v\n%s", err, tail(p.LogPath(), 20))
	}
	WaitFor(t, 10*time.Second, "OSPF's route back after the agent stopped", func() (bool, error) {
		hops, proto, _, err := ZebraWeights(f, prefix)
		return proto == "ospf6" && len(hops) == 3, err
	})
	// gobgp's ZAPI client logged nothing at WARN or ERROR: what it logs
	// of the agent's own stop is expected (agent/zapilog.go).
	logged, err := os.ReadFile(p.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(logged), "\n") {
		if strings.Contains(line, "Topic=Zebra") && (strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN")) {
			t.Errorf("gobgp's ZAPI client: %s", line)
		}
	}
}
