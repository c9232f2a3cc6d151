package ospf

import (
	"net/netip"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// loadService is the DNS service with a capacity and a load figure, so
// that it has a server load LSA.
func loadService(metric uint16, capacity, load float64) Service {
	s := dnsService(metric)
	s.Capacity, s.Load = capacity, load
	return s
}

func serverLoadKey(rid string, lsid uint32) lsa.Key {
	return lsa.Key{Type: lsa.TypeServerLoad, ID: lsid, AdvRouter: ridOf(rid)}
}

// serverLoad returns n's copy of rid's server load LSA with lsid, nil when
// absent or flushed.
func (s *sim) serverLoad(n *simNode, rid string, lsid uint32) (*lsa.ServerLoad, lsa.Header) {
	ent, l := n.lsa(serverLoadKey(rid, lsid))
	if ent == nil || ent.maxAged(s.now) {
		return nil, lsa.Header{}
	}
	return l.Body.(*lsa.ServerLoad), l.Header
}

// loadServer is a farm of one server whose DNS service has capacity 1
// and the given load, Full with the router and settled.
func loadServer(t *testing.T, seed uint64, load float64) (s *sim, r, n *simNode, rid string) {
	s, r, ss := farm(t, seed, 1)
	n = ss[0]
	n.e.setServices(s.now, []Service{loadService(10, 1, load)})
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(3 * time.Second)
	return s, r, n, lsa.IDString(n.cfg.RouterID)
}

// Every server's load LSA reaches the router and the other servers (the
// router floods it by its U bit and area scope), with what the service
// says and the server's link-local next hop.
func TestServerLoadFlooded(t *testing.T) {
	s, r, ss := farm(t, 21, 3)
	caps := []float64{1, 2, 0.5}
	for i, n := range ss {
		n.e.setServices(s.now, []Service{loadService(10, caps[i], 0.1*float64(i+1))})
	}
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(3 * time.Second)
	for i, n := range ss {
		rid := lsa.IDString(n.cfg.RouterID)
		want := &lsa.ServerLoad{
			State: lsa.ServerAdvertised, Load: lsa.EncodeLoad(0.1 * float64(i+1)), Capacity: lsa.EncodeCapacity(caps[i]),
			NextHop: n.cfg.Link.LinkLocal,
			Prefix:  lsa.Prefix{Prefix: dnsService(0).Prefix, Metric: 10},
		}
		for _, holder := range append([]*simNode{r}, ss...) {
			got, _ := s.serverLoad(holder, rid, 1)
			if got == nil {
				t.Errorf("%s holds no server load LSA of %s", holder.name, n.name)
				continue
			}
			if *got != *want {
				t.Errorf("%s holds %s for %s, want %s", holder.name, got, n.name, want)
			}
		}
	}
	for _, n := range ss {
		if err := s.sameAreaDB(r, n); err != nil {
			t.Error(err)
		}
	}
}

// The load moves the LSA at once only past the step; each instance is paced
// MinLSInterval after the previous one, however fast the load moves, and
// the last value always arrives.
func TestServerLoadStepAndPacing(t *testing.T) {
	s, r, n, rid := loadServer(t, 22, 0.30)
	_, h0 := s.serverLoad(r, rid, 1)

	// Within the step (default 0.05), for less than ServerLoadSettle (a
	// load that stays off longer goes out: TestServerLoadSettles): no new
	// instance.
	for _, l := range []float64{0.32, 0.27, 0.349, 0.251} {
		n.e.setServices(s.now, []Service{loadService(10, 1, l)})
		s.run(n.cfg.ServerLoadSettle / 5)
	}
	body, h := s.serverLoad(r, rid, 1)
	if h.Seq != h0.Seq || body.LoadFigure() != 0.30 {
		t.Fatalf("load within the step re-originated: seq %#x -> %#x, load %v", uint32(h0.Seq), uint32(h.Seq), body.LoadFigure())
	}

	// Past the step, every 100 ms for 5 s: instances at the router at
	// least MinLSInterval apart, and the last load arrives.
	var arrivals []time.Time
	s.observe = func(from, to *simNode, d Datagram) {
		if from != n || to != r {
			return
		}
		p, _ := packet.ParsePacket(d.Data)
		if u, ok := p.(*packet.LinkStateUpdate); ok {
			for _, raw := range u.LSAs {
				if h, _ := lsa.ParseHeader(raw); h.Type == lsa.TypeServerLoad && h.Seq != h0.Seq {
					arrivals = append(arrivals, s.now)
				}
			}
		}
	}
	load := 0.30
	for range 50 {
		load += 0.06
		if load > 1 {
			load = 0.1
		}
		n.e.setServices(s.now, []Service{loadService(10, 1, load)})
		s.run(100 * time.Millisecond)
	}
	s.run(3 * time.Second)
	body, _ = s.serverLoad(r, rid, 1)
	if body.Load != lsa.EncodeLoad(load) {
		t.Errorf("router holds load %v, want the last one %v", body.LoadFigure(), load)
	}
	if len(arrivals) < 3 {
		t.Fatalf("%d new instances reached the router over 5 s of moving load", len(arrivals))
	}
	for i := 1; i < len(arrivals); i++ {
		if gap := arrivals[i].Sub(arrivals[i-1]); gap > 0 && gap < n.cfg.MinLSInterval {
			t.Errorf("instances %d and %d arrived %s apart, below MinLSInterval %s", i-1, i, gap, n.cfg.MinLSInterval)
		}
	}
	if d := r.e.cnt.dropped["min-ls-arrival"]; d != 0 {
		t.Errorf("router dropped %d instances for MinLSArrival", d)
	}
}

// A load that settles within the step of the one on the wire reaches the
// wire once it has stayed off it for ServerLoadSettle (issue 13: an idle
// lab server kept a load LSA of 0.080 that its figure had long left, and
// the router agent cut its weight for it); a move within a tenth of the
// step never does, and handing the same set again with such a load leaves
// nothing pending (the daemon hands every load move to the instance).
func TestServerLoadSettles(t *testing.T) {
	s, r, n, rid := loadServer(t, 25, 0.08)
	load := func() float64 {
		body, _ := s.serverLoad(r, rid, 1)
		if body == nil {
			t.Fatal("no load LSA at the router")
		}
		return body.LoadFigure()
	}
	if l := load(); l != 0.08 {
		t.Fatalf("router holds load %v, want 0.08", l)
	}
	_, h0 := s.serverLoad(r, rid, 1)

	// 0.08 -> 0.04: within the step, so not at once; nothing pending.
	n.e.setServices(s.now, []Service{loadService(10, 1, 0.04)})
	if k := pendingOwn(n); k != nil {
		t.Errorf("a load within the step left %v pending", k)
	}
	s.run(n.cfg.ServerLoadSettle - time.Second)
	if l := load(); l != 0.08 {
		t.Errorf("%s after the move within the step the router holds load %v, want still 0.08", n.cfg.ServerLoadSettle-time.Second, l)
	}
	s.run(time.Second + 2*n.cfg.MinLSInterval)
	if l := load(); l != 0.04 {
		t.Errorf("%s after the move within the step the router holds load %v, want the settled 0.04", n.cfg.ServerLoadSettle+2*n.cfg.MinLSInterval, l)
	}
	_, h1 := s.serverLoad(r, rid, 1)
	if h1.Seq != h0.Seq+1 {
		t.Errorf("seq %#x -> %#x, want one new instance", uint32(h0.Seq), uint32(h1.Seq))
	}

	// Within a tenth of the step of 0.04, handed again and again: never
	// re-originated, never pending.
	for _, l := range []float64{0.043, 0.037, 0.0449, 0.041} {
		n.e.setServices(s.now, []Service{loadService(10, 1, l)})
		if k := pendingOwn(n); k != nil {
			t.Errorf("load %v: %v pending", l, k)
		}
		s.run(n.cfg.ServerLoadSettle)
	}
	if _, h := s.serverLoad(r, rid, 1); h.Seq != h1.Seq || load() != 0.04 {
		t.Errorf("moves within a tenth of the step re-originated: seq %#x -> %#x, load %v", uint32(h1.Seq), uint32(h.Seq), load())
	}

	// Off and back within the settle time: no new instance.
	n.e.setServices(s.now, []Service{loadService(10, 1, 0.07)})
	s.run(n.cfg.ServerLoadSettle / 2)
	n.e.setServices(s.now, []Service{loadService(10, 1, 0.041)})
	s.run(2 * n.cfg.ServerLoadSettle)
	if _, h := s.serverLoad(r, rid, 1); h.Seq != h1.Seq || load() != 0.04 {
		t.Errorf("a move back within the settle time re-originated: seq %#x -> %#x, load %v", uint32(h1.Seq), uint32(h.Seq), load())
	}
}

// pendingOwn returns the keys of n's own LSAs that wait to go out.
func pendingOwn(n *simNode) []lsa.Key {
	var ks []lsa.Key
	for k, o := range n.e.own {
		if o.dirty {
			ks = append(ks, k)
		}
	}
	return ks
}

// A withdrawn or drained service keeps its load LSA with that state (its
// Intra-Area-Prefix-LSA is flushed); a service removed from the set, or
// without capacity, has none.
func TestServerLoadStates(t *testing.T) {
	s, r, ss := farm(t, 23, 1)
	n := ss[0]
	rid := lsa.IDString(n.cfg.RouterID)
	other := Service{Name: "ntp", Prefix: netip.MustParsePrefix("2001:db8:123::123/128"), Metric: 10}
	n.e.setServices(s.now, []Service{loadService(10, 1, 0.2), other})
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(3 * time.Second)
	if got, _ := s.serverLoad(r, rid, 2); got != nil {
		t.Errorf("service without capacity has a load LSA: %s", got)
	}

	state := func(svc Service) (lsa.ServerState, int) {
		n.e.setServices(s.now, []Service{svc, other})
		s.run(3 * time.Second)
		body, _ := s.serverLoad(r, rid, 1)
		if body == nil {
			return 0, s.advertisedMetric(r, rid, 1)
		}
		return body.State, s.advertisedMetric(r, rid, 1)
	}
	withdrawn := loadService(10, 1, 0.2)
	withdrawn.Withdraw = true
	if st, m := state(withdrawn); st != lsa.ServerWithdrawn || m != -1 {
		t.Errorf("withdrawn: state %s, prefix metric %d; want withdrawn, flushed", st, m)
	}
	drained := withdrawn
	drained.Drained = true
	if st, m := state(drained); st != lsa.ServerDrained || m != -1 {
		t.Errorf("drained: state %s, prefix metric %d; want drained, flushed", st, m)
	}
	if st, m := state(loadService(20, 1, 0.2)); st != lsa.ServerAdvertised || m != 20 {
		t.Errorf("back: state %s, prefix metric %d; want advertised, 20", st, m)
	}
	body, _ := s.serverLoad(r, rid, 1)
	if body.Prefix.Metric != 20 {
		t.Errorf("load LSA metric %d, want 20", body.Prefix.Metric)
	}

	// Removed from the set: flushed (MaxAge at the router, then gone).
	n.e.setServices(s.now, []Service{other})
	s.run(3 * time.Second)
	if got, _ := s.serverLoad(r, rid, 1); got != nil {
		t.Errorf("removed service's load LSA still at the router: %s", got)
	}
	if ent := r.e.db.get(serverLoadKey(rid, 1)); ent != nil && !ent.maxAged(s.now) {
		t.Errorf("router holds a live instance after the flush")
	}
}

// Shutdown flushes the load LSAs with everything else. A load off the one
// on the wire, due by the settle rule during the shutdown, changes nothing
// of it.
func TestServerLoadShutdownFlush(t *testing.T) {
	s, r, n, rid := loadServer(t, 24, 0.2)
	if got, _ := s.serverLoad(r, rid, 1); got == nil {
		t.Fatal("no load LSA at the router")
	}
	n.e.setServices(s.now, []Service{loadService(10, 1, 0.22)})
	s.run(n.cfg.ServerLoadSettle - 10*time.Millisecond)
	n.e.beginShutdown(s.now)
	n.e.tick(s.now)
	s.runUntil(10*time.Second, "shutdown done", n.e.finished)
	s.kill(n)
	s.run(time.Second)
	if got, _ := s.serverLoad(r, rid, 1); got != nil {
		t.Errorf("load LSA at the router after shutdown: %s", got)
	}
}
