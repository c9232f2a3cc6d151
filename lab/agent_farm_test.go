package lab

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anycostd/anycostd/agent"
	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf"
)

// The router agent end to end against FRR 8.4.4, in the arrangement
// docs/router-agent.md describes: the agent in its own namespace on a link
// of its own to the router (one more ospf6d interface in the area), reading
// the servers' LSAs over that adjacency, programming zebra. Two servers of
// capacity 1 and 2 (in-process anycostd engines): zebra selects the agent's
// route with weights 128 and 255 over OSPF's ECMP route; a withdrawn
// server leaves it; when the agent stops, OSPF's route is back.
func TestAgentFarmZebra(t *testing.T) {
	RequireRoot(t)
	al := newAgentLab(t)
	l, srvLink, agtLink, r, rifc, f := al.l, al.srv, al.agt, al.r, al.rifc, al.f

	prefix := netip.MustParsePrefix("2001:db8:53::53/128")
	svc := func(capacity float64, withdraw bool) []ospf.Service {
		return []ospf.Service{{Name: "dns", Prefix: prefix, Metric: 10, Capacity: capacity, Load: 0.1, Withdraw: withdraw}}
	}
	var servers []*ospf.Instance
	var lls []string
	for i, c := range []float64{1, 2} {
		h := l.AddHost("s" + string(rune('1'+i)))
		ifc := h.Attach(srvLink, "eth0")
		servers = append(servers, speaker(t, h, ifc, "192.0.2.1"+string(rune('1'+i)), netip.Addr{}, 0, svc(c, false)))
		lls = append(lls, ifc.LinkLocal.String())
	}
	a := l.AddHost("a")
	aifc := a.Attach(agtLink, "eth0")
	src := speaker(t, a, aifc, "192.0.2.2", netip.Addr{}, 0, nil)

	WaitFor(t, 60*time.Second, "OSPF's ECMP route over both servers", func() (bool, error) {
		hops, proto, _, err := ZebraWeights(f, prefix)
		return proto == "ospf6" && len(hops) == 2, err
	})
	be, err := agent.NewZebra(agent.ZebraConfig{Socket: zebraSocket(r)})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := agent.New(agent.Config{
		RouterID: 0xc0000202,
		Ifindex:  rifc.Index,
		// The server link from ospf6d's end: its router ID and its
		// interface ID there (FRR uses the ifindex).
		Link: agent.LinkID{Router: 0xc0000201, InterfaceID: uint32(rifc.Index)},
		Log:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, src, be)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("agent: %v", err)
			}
		}
	}
	t.Cleanup(stop)

	want := []WeightedHop{{lls[0], 128}, {lls[1], 255}}
	slices.SortFunc(want, func(a, b WeightedHop) int { return strings.Compare(a.Addr, b.Addr) })
	WaitFor(t, 60*time.Second, "the agent's weighted route selected by zebra", func() (bool, error) {
		hops, proto, _, err := ZebraWeights(f, prefix)
		return proto == "sharp" && slices.Equal(hops, want), err
	})
	waitKernelPrefix(t, r, prefix, want, "the weights in the kernel")
	st, _ := ag.Status(ctx)
	t.Logf("agent status: %+v", st.Prefixes)

	// Server 1 withdraws: its prefix flush takes it out of the agent's
	// route; server 2 alone remains.
	if path := os.Getenv("ANYCOSTD_AGENT_CAPTURE"); path != "" {
		// A capture of the agent's link, for the withdrawal's timing.
		agtLink.Start("tshark", "tshark", "-q", "-i", agtLink.Bridge(), "-w", path)
		time.Sleep(2 * time.Second)
	}
	before, _ := src.Status(ctx)
	if err := servers[0].SetServices(svc(1, true)); err != nil {
		t.Fatal(err)
	}
	// Where the time goes: the flush in ospf6d's database, in the agent's,
	// and the agent's route without the server.
	start := time.Now()
	var atFRR, atAgent time.Duration
	took := WaitFor(t, 10*time.Second, "server 1 out of the agent's route", func() (bool, error) {
		if atFRR == 0 {
			if db, err := f.Database(); err == nil && !slices.ContainsFunc(db, func(e FRRDBEntry) bool {
				return e.Type == "INP" && e.AdvRouter == "192.0.2.11" && e.LSID == "0.0.0.1" && e.Age < 3600
			}) {
				atFRR = time.Since(start)
			}
		}
		if atAgent == 0 {
			if v, err := src.RawLSDB(ctx); err == nil && !liveIAP(v, 0xc000020b) {
				atAgent = time.Since(start)
			}
		}
		hops, proto, _, err := ZebraWeights(f, prefix)
		return proto == "sharp" && len(hops) == 1 && hops[0].Addr == lls[1], err
	})
	t.Logf("withdrawal: flush in ospf6d's database after %s, in the agent's after %s, the agent's route after %s",
		atFRR.Round(time.Millisecond), atAgent.Round(time.Millisecond), took.Round(time.Millisecond))
	after, _ := src.Status(ctx)
	t.Logf("agent's OSPF drops before %v, after %v; LSAs in %d -> %d", before.Counters.Dropped, after.Counters.Dropped,
		before.Counters.LSAsIn, after.Counters.LSAsIn)
	// The withdrawal comes within a second of the agent's Full: an
	// instance the agent requested in that exchange must not hold the
	// flush back for MinLSArrival (ospf/lsupdate.go), which left it to
	// ospf6d's retransmission 5 s later.
	if d := after.Counters.Dropped["min-ls-arrival"] - before.Counters.Dropped["min-ls-arrival"]; d != 0 {
		t.Errorf("the agent dropped %d instances for MinLSArrival during the withdrawal", d)
	}
	if err := servers[0].SetServices(svc(1, false)); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, 10*time.Second, "server 1 back", func() (bool, error) {
		hops, proto, _, err := ZebraWeights(f, prefix)
		return proto == "sharp" && slices.Equal(hops, want), err
	})

	// The agent stops: OSPF's ECMP route is selected again.
	stop()
	WaitFor(t, 10*time.Second, "OSPF's route back after the agent stopped", func() (bool, error) {
		hops, proto, _, err := ZebraWeights(f, prefix)
		return proto == "ospf6" && len(hops) == 2, err
	})
}

// agentLab is the router agent's arrangement (docs/router-agent.md): the
// server link (srv) to the router r (eth0, rifc), and the agent's own link
// (agt) to r's eth1, FRR's ospf6d on both.
type agentLab struct {
	l        *Lab
	srv, agt *Link
	r        *Host
	rifc     Iface
	f        *FRR
}

func newAgentLab(t *testing.T) agentLab {
	l := New(t)
	al := agentLab{l: l, srv: l.AddLink("srv"), agt: l.AddLink("agt"), r: l.AddHost("r")}
	al.rifc = al.r.Attach(al.srv, "eth0", netip.MustParsePrefix("2001:db8:1::1/64"))
	al.r.Attach(al.agt, "eth1")
	al.f = al.r.StartFRR(RouterConfig("192.0.2.1", "eth0", "eth1"))
	return al
}

// waitKernelPrefix waits until the kernel's route for prefix has want.
func waitKernelPrefix(t *testing.T, h *Host, prefix netip.Prefix, want []WeightedHop, what string) {
	t.Helper()
	WaitFor(t, 10*time.Second, what, func() (bool, error) {
		hops, _, err := kernelWeights(h, prefix)
		return slices.Equal(hops, want), err
	})
}

// liveIAP reports whether raws hold a live Intra-Area-Prefix-LSA of adv.
func liveIAP(raws [][]byte, adv uint32) bool {
	for _, raw := range raws {
		h, err := lsa.ParseHeader(raw)
		if err == nil && h.Type == lsa.TypeIntraAreaPrefix && h.AdvRouter == adv && h.Age < lsa.MaxAge {
			return true
		}
	}
	return false
}
