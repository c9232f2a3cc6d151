package lab

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anycostd/anycostd/agent"
)

// The router agent's backends alone against the real things: FRR 8.4's
// zebra (ZAPI) and the Linux kernel (netlink) in a lab namespace.

var agentPrefix = netip.MustParsePrefix("2001:db8:53::53/128")

// waitAgentRouteAt waits until zebra holds exactly one route of the
// agent's (protocol sharp) for prefix, selected, at distance with the
// weights want.
func waitAgentRouteAt(t *testing.T, f *FRR, prefix netip.Prefix, distance int, want []WeightedHop) {
	t.Helper()
	WaitFor(t, 10*time.Second, fmt.Sprintf("zebra's one sharp route at distance %d", distance), func() (bool, error) {
		rib, err := ZebraRIB(f, prefix)
		sharp := slices.DeleteFunc(rib, func(r ZebraRoute) bool { return r.Protocol != "sharp" })
		return len(sharp) == 1 && sharp[0].Selected && sharp[0].Distance == distance && slices.Equal(sharp[0].Hops, want), err
	})
}

// kernelWeights returns the kernel's next hops for prefix with their
// weights, of every route for it (kernelRoutes), and the routes' metrics.
func kernelWeights(h *Host, prefix netip.Prefix) (hops []WeightedHop, metrics []int, err error) {
	rs, err := kernelRoutes(h, prefix)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rs {
		metrics = append(metrics, r.Metric)
		hops = append(hops, r.Hops...)
	}
	slices.SortFunc(hops, func(a, b WeightedHop) int { return strings.Compare(a.Addr, b.Addr) })
	return hops, metrics, nil
}

// agentRoute is the test route: two servers' link-local addresses on
// the router's eth0, weights 3 and 1.
func agentRoute(ifindex int) agent.Route {
	return agent.Route{Prefix: agentPrefix, Nexthops: []agent.Nexthop{
		{Addr: netip.MustParseAddr("fe80::11"), Ifindex: ifindex, Weight: 3},
		{Addr: netip.MustParseAddr("fe80::12"), Ifindex: ifindex, Weight: 1},
	}}
}

var wantHops = []WeightedHop{{"fe80::11", 3}, {"fe80::12", 1}}

// routerWithZebra is a router namespace with one link and FRR's daemons.
func routerWithZebra(t *testing.T) (*Host, *FRR, Iface) {
	l := New(t)
	link := l.AddLink("srv")
	r := l.AddHost("r")
	ifc := r.Attach(link, "eth0", netip.MustParsePrefix("2001:db8:1::1/64"))
	f := r.StartFRR(RouterConfig("192.0.2.1", "eth0"))
	return r, f, ifc
}

// waitZebra waits until zebra's route for agentPrefix is want (nil: none).
func waitZebra(t *testing.T, f *FRR, want []WeightedHop, what string) {
	t.Helper()
	WaitFor(t, 10*time.Second, what, func() (bool, error) {
		hops, _, _, err := ZebraWeights(f, agentPrefix)
		return slices.Equal(hops, want), err
	})
}

func waitKernel(t *testing.T, h *Host, want []WeightedHop, what string) {
	t.Helper()
	waitKernelPrefix(t, h, agentPrefix, want, what)
}

// The zebra backend's route: zebra selects it at distance 100 with the
// weights, the kernel holds them, and the route goes on Close.
func TestAgentZebraBackend(t *testing.T) {
	r, f, ifc := routerWithZebra(t)
	b, err := agent.NewZebra(agent.ZebraConfig{Socket: zebraSocket(r)})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Set(agentRoute(ifc.Index)); err != nil {
		t.Fatal(err)
	}
	waitZebra(t, f, wantHops, "zebra's weighted route")
	_, proto, dist, _ := ZebraWeights(f, agentPrefix)
	if proto != "sharp" || dist != 100 {
		t.Errorf("zebra route protocol %q distance %d, want sharp 100", proto, dist)
	}
	waitKernel(t, r, wantHops, "the weighted route in the kernel")

	// New weights replace the route; 255 is zebra's largest (it keeps
	// weights in 8 bits), 256 is refused.
	rt := agentRoute(ifc.Index)
	rt.Nexthops[1].Weight = 255
	if err := b.Set(rt); err != nil {
		t.Fatal(err)
	}
	waitZebra(t, f, []WeightedHop{{"fe80::11", 3}, {"fe80::12", 255}}, "zebra's route with weight 255")
	waitKernel(t, r, []WeightedHop{{"fe80::11", 3}, {"fe80::12", 255}}, "the kernel's route with weight 255")
	rt.Nexthops[1].Weight = 256
	if err := b.Set(rt); !errors.Is(err, agent.ErrBadWeight) {
		t.Errorf("weight 256 to zebra: %v, want ErrBadWeight", err)
	}

	// A new distance (a reload of the agent's configuration): zebra
	// replaces the route, never a second sharp route beside it.
	if err := b.(agent.Preferrer).SetPreference(50); err != nil {
		t.Fatal(err)
	}
	waitAgentRouteAt(t, f, agentPrefix, 50, []WeightedHop{{"fe80::11", 3}, {"fe80::12", 255}})
	waitKernel(t, r, []WeightedHop{{"fe80::11", 3}, {"fe80::12", 255}}, "the kernel's route after the new distance")

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	waitZebra(t, f, nil, "zebra's route gone after Close")
	waitKernel(t, r, nil, "the kernel's route gone after Close")
}

// A client killed with SIGKILL: zebra drops its route by itself.
func TestAgentZebraBackendKilled(t *testing.T) {
	r, f, ifc := routerWithZebra(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestAgentZebraHelper$")
	cmd.Env = append(os.Environ(), "ANYCOSTD_ZAPI_HELPER="+zebraSocket(r)+","+strconv.Itoa(ifc.Index))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper: %q, %v", line, err)
	}
	waitZebra(t, f, wantHops, "the helper's weighted route in zebra")
	waitKernel(t, r, wantHops, "the helper's weighted route in the kernel")
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	took := time.Now()
	waitZebra(t, f, nil, "zebra's route gone after SIGKILL")
	waitKernel(t, r, nil, "the kernel's route gone after SIGKILL")
	t.Logf("route gone %s after the kill", time.Since(took).Round(time.Millisecond))
}

// TestAgentZebraHelper is the helper process of
// TestAgentZebraBackendKilled: it sets the route, says "ready" and waits
// to be killed.
func TestAgentZebraHelper(t *testing.T) {
	arg := os.Getenv("ANYCOSTD_ZAPI_HELPER")
	if arg == "" {
		t.Skip("helper process only")
	}
	sock, idx, _ := strings.Cut(arg, ",")
	ifindex, _ := strconv.Atoi(idx)
	b, err := agent.NewZebra(agent.ZebraConfig{Socket: sock})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Set(agentRoute(ifindex)); err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	time.Sleep(time.Minute)
}

// The kernel backend in a plain Linux router namespace: the weighted
// multipath route at metric 10, replaced with new weights, removed on
// Close; a new backend removes the route a killed one left.
func TestAgentKernelBackend(t *testing.T) {
	RequireRoot(t)
	l := New(t)
	link := l.AddLink("srv")
	r := l.AddHost("r")
	ifc := r.Attach(link, "eth0", netip.MustParsePrefix("2001:db8:1::1/64"))
	open := func() agent.Backend {
		var b agent.Backend
		if err := r.Do(func() (err error) { b, err = agent.NewKernel(agent.KernelConfig{}); return err }); err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := open()
	if err := b.Set(agentRoute(ifc.Index)); err != nil {
		t.Fatal(err)
	}
	waitKernel(t, r, wantHops, "the weighted route")
	if _, metrics, _ := kernelWeights(r, agentPrefix); !slices.Equal(metrics, []int{10}) {
		t.Errorf("route metrics %v, want [10]", metrics)
	}
	rt := agentRoute(ifc.Index)
	rt.Nexthops[0].Weight = 7
	if err := b.Set(rt); err != nil {
		t.Fatal(err)
	}
	waitKernel(t, r, []WeightedHop{{"fe80::11", 7}, {"fe80::12", 1}}, "the route with new weights")
	// A new metric (a reload): the route moves, one route at metric 20,
	// and Close removes it there.
	if err := b.(agent.Preferrer).SetPreference(20); err != nil {
		t.Fatal(err)
	}
	if hops, metrics, err := kernelWeights(r, agentPrefix); err != nil || !slices.Equal(metrics, []int{20}) ||
		!slices.Equal(hops, []WeightedHop{{"fe80::11", 7}, {"fe80::12", 1}}) {
		t.Errorf("after SetPreference(20): hops %v metrics %v (%v), want the same hops at metric 20 only", hops, metrics, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	waitKernel(t, r, nil, "the route gone after Close")

	// A killed agent's route (the backend never closed) is removed by the
	// next one.
	left := open()
	if err := left.Set(agentRoute(ifc.Index)); err != nil {
		t.Fatal(err)
	}
	waitKernel(t, r, wantHops, "the route of the agent about to be abandoned")
	next := open()
	waitKernel(t, r, nil, "the abandoned route removed by the next agent")
	next.Close()
}
