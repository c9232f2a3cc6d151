package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anycostd/anycostd/agent"
	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/control/controltest"
	"github.com/anycostd/anycostd/internal/testlog"
	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf"
)

// fakeBackend records the routes the agent programs; like zebra's, its
// routes have a preference (agent.Preferrer).
type fakeBackend struct {
	rec  *recorder
	mu   sync.Mutex
	set  map[netip.Prefix]agent.Route
	pref int
	lost chan struct{} // closed: zebra closed the connection
}

func (b *fakeBackend) Lost() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lost
}

// hangUp is zebra closing the connection.
func (b *fakeBackend) hangUp() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.lost)
}

func (b *fakeBackend) Preference() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pref
}

func (b *fakeBackend) SetPreference(p int) error {
	b.mu.Lock()
	from := b.pref
	b.pref = p
	b.mu.Unlock()
	b.rec.add("preference %d -> %d", from, p)
	return nil
}

func (b *fakeBackend) Set(r agent.Route) error {
	b.mu.Lock()
	b.set[r.Prefix] = r
	b.mu.Unlock()
	b.rec.add("route %s", r)
	return nil
}

func (b *fakeBackend) Remove(p netip.Prefix) error {
	b.mu.Lock()
	delete(b.set, p)
	b.mu.Unlock()
	b.rec.add("route removed %s", p)
	return nil
}

func (b *fakeBackend) Close() error {
	b.rec.add("backend closed")
	return nil
}

// routerFarm is the server link as the agent's instance reads it over
// its veth link to the router: the router's Network-LSA of the server link
// (its interface 7) and its Router-LSA naming it, and, per server, a
// Router-LSA naming it back, an Intra-Area-Prefix-LSA and a load LSA with
// its capacity.
func routerFarm(t *testing.T, capacities map[int]float64, withdrawn int) [][]byte {
	t.Helper()
	mk := func(adv, id uint32, body lsa.Body) []byte {
		raw, err := lsa.Marshal(lsa.LSA{Header: lsa.Header{Age: 1, Type: body.Type(), ID: id, AdvRouter: adv, Seq: lsa.InitialSequenceNumber}, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	prefix := netip.MustParsePrefix("2001:db8:53::53/128")
	attached := []uint32{0xc0000201}
	var out [][]byte
	for i, c := range capacities {
		rid := 0xc0000200 | uint32(i)
		attached = append(attached, rid)
		if i != withdrawn {
			out = append(out, mk(rid, 1, &lsa.IntraAreaPrefix{RefType: lsa.TypeRouter, RefAdvRouter: rid,
				Prefixes: []lsa.Prefix{{Prefix: prefix, Metric: 10}}}))
		}
		out = append(out, mk(rid, 1, &lsa.ServerLoad{State: lsa.ServerAdvertised, Load: lsa.EncodeLoad(0.1),
			Capacity: lsa.EncodeCapacity(c), NextHop: netip.MustParseAddr(fmt.Sprintf("fe80::%x", i)),
			Prefix: lsa.Prefix{Prefix: prefix, Metric: 10}}))
	}
	slices.Sort(attached)
	for _, rid := range attached {
		out = append(out, mk(rid, 0, &lsa.Router{Options: lsa.OptV6 | lsa.OptE | lsa.OptR, Links: []lsa.RouterLink{
			{Type: lsa.LinkTransit, Metric: 1, InterfaceID: 7, NeighborInterfaceID: 7, NeighborRouterID: 0xc0000201}}}))
	}
	return append(out, mk(0xc0000201, 7, &lsa.Network{Options: lsa.OptV6 | lsa.OptE | lsa.OptR, AttachedRouters: attached}))
}

// TestRouterAgentWiring runs `anycostd router` on fakes: the [router]
// table reaches the agent (the server link named by the router's
// Network-LSA, its interface 7 for the next hops), routes follow the
// capacities, a withdrawn server leaves the route, `router status`
// answers on the control socket, and SIGTERM removes the routes before the
// instance leaves.
func TestRouterAgentWiring(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "router.sock")
	path := filepath.Join(dir, "router.toml")
	// A free port for the metrics.
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := pl.Addr().String()
	pl.Close()
	h := startRouter(t, path, `router_id = "192.0.2.2"
control_socket = "`+sock+`"
metrics_listen = "`+metricsAddr+`"
[ospf]
interface = "eth0"
[router]
server_ifindex = 7
server_dr = "192.0.2.1"
`)
	rec, src, be := h.rec, h.src, h.be
	rec.waitFor(t, "backend zebra distance 100")
	rec.waitFor(t, "route 2001:db8:53::53/128 via fe80::11 weight 128, fe80::12 weight 255, fe80::13 weight 64")
	if src.cfg.Priority != 0 || src.cfg.RouterID != 0xc0000202 {
		t.Errorf("instance: priority %d, router ID %08x", src.cfg.Priority, src.cfg.RouterID)
	}
	be.mu.Lock()
	for _, nh := range be.set[netip.MustParsePrefix("2001:db8:53::53/128")].Nexthops {
		if nh.Ifindex != 7 {
			t.Errorf("next hop %s on interface %d, want 7 (server_ifindex)", nh.Addr, nh.Ifindex)
		}
	}
	be.mu.Unlock()

	// Server 0x13's prefix is flushed: it leaves the route.
	src.setRaws(routerFarm(t, map[int]float64{0x11: 1, 0x12: 2, 0x13: 0.5}, 0x13))
	rec.waitFor(t, "route 2001:db8:53::53/128 via fe80::11 weight 128, fe80::12 weight 255")

	st, err := control.Client{Path: sock}.RouterStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Backend != "zebra" || st.Agent.RouterID != "192.0.2.2" || len(st.Agent.Prefixes) != 1 ||
		len(st.Agent.Prefixes[0].Nexthops) != 2 || len(st.Agent.Prefixes[0].Excluded) != 1 {
		t.Errorf("router status: %+v", st)
	}

	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`anycostd_router_nexthop_weight{next_hop="fe80::12",prefix="2001:db8:53::53/128",server="192.0.2.18"} 255`,
		`anycostd_router_server_excluded{prefix="2001:db8:53::53/128",server="192.0.2.19"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	h.stop(t)
	closed, shut := rec.index("backend closed"), rec.index("shutdown")
	if closed < 0 || shut < 0 || closed > shut {
		t.Errorf("the routes must go (backend closed at %d) before the instance leaves (shutdown at %d)", closed, shut)
	}
}

// routerHarness is `anycostd router` on fakes (startRouter).
type routerHarness struct {
	rec  *recorder
	src  *fakeSpeaker
	be   *fakeBackend
	sigs chan os.Signal
	errc chan error
	log  *testlog.Buffer
}

// startRouter writes body to path and runs `anycostd router` on it: the
// agent's OSPF instance a fakeSpeaker whose database is routerFarm's
// three servers of capacity 1, 2 and 0.5, the backend a fakeBackend.
func startRouter(t *testing.T, path, body string) *routerHarness {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := &routerHarness{rec: newRecorder(), sigs: make(chan os.Signal, 1), errc: make(chan error, 1), log: &testlog.Buffer{}}
	host := newFakeHost(h.rec)
	h.src = &fakeSpeaker{rec: h.rec, status: controltest.OSPFStatus(), changed: make(chan struct{}, 1)}
	h.src.setRaws(routerFarm(t, map[int]float64{0x11: 1, 0x12: 2, 0x13: 0.5}, 0))
	h.be = &fakeBackend{rec: h.rec, set: map[netip.Prefix]agent.Route{}}
	d := New(cfg, host, Options{ConfigPath: path, Signals: h.sigs, LogTo: h.log, LogLevel: "info"})
	d.newOSPF = func(c ospf.Config, tr ospf.Transport, log *slog.Logger) (speaker, error) {
		if _, err := h.src.factory()(c, tr, log); err != nil {
			return nil, err
		}
		return h.src, nil
	}
	d.newBackend = func(r *config.Router, _ *slog.Logger) (agent.Backend, error) {
		h.rec.add("backend %s distance %d", r.Backend, r.Distance)
		h.be.mu.Lock()
		h.be.pref, h.be.lost = int(r.Distance), make(chan struct{})
		h.be.mu.Unlock()
		return h.be, nil
	}
	go func() { h.errc <- d.RunRouter(context.Background()) }()
	return h
}

// stop sends SIGTERM and waits for the agent to stop.
func (h *routerHarness) stop(t *testing.T) {
	t.Helper()
	h.sigs <- syscall.SIGTERM
	select {
	case err := <-h.errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the router agent did not stop")
	}
}

// TestRouterNeedsRouterTable: a server's configuration is refused.
func TestRouterNeedsRouterTable(t *testing.T) {
	cfg, err := config.Parse("s.toml", []byte(`router_id = "192.0.2.11"
[ospf]
interface = "eth0"
[[service]]
name = "dns"
prefix = "2001:db8:53::53/128"
`))
	if err != nil {
		t.Fatal(err)
	}
	d := New(cfg, newFakeHost(newRecorder()), Options{Signals: make(chan os.Signal), LogTo: &discard{}})
	if err := d.RunRouter(context.Background()); err == nil {
		t.Fatal("RunRouter ran a server's configuration")
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
