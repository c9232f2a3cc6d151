package ospf

import (
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// farm builds the lab's topology in memory: one router (priority 10,
// becomes DR) and n anycostd servers (priority 0) each advertising the
// DNS service with metric 10.
func farm(t *testing.T, seed uint64, servers int) (*sim, *simNode, []*simNode) {
	s := newSim(t, seed)
	r := s.add("router", simConfig("192.0.2.1", 1, 10))
	var ss []*simNode
	for i := range servers {
		n := s.add("s"+string(rune('1'+i)), simConfig(ipOf(11+i), 11+i, 0))
		n.e.setServices(s.now, []Service{dnsService(10)})
		ss = append(ss, n)
	}
	return s, r, ss
}

func ipOf(last int) string { return "192.0.2." + itoa(last) }

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func allFull(r *simNode, ss []*simNode) func() bool {
	return func() bool {
		for _, n := range ss {
			if n.nbrState("192.0.2.1") != nbrFull || r.nbrState(lsa.IDString(n.cfg.RouterID)) != nbrFull {
				return false
			}
		}
		return true
	}
}

func TestFarmAdjacencies(t *testing.T) {
	s, r, ss := farm(t, 1, 3)
	took := s.runUntil(30*time.Second, "all servers Full with the router", allFull(r, ss))
	t.Logf("Full after %s simulated", took)
	s.run(3 * time.Second)
	if r.e.ifState != ifDR {
		t.Errorf("router interface %s, want DR", r.e.ifState)
	}
	for _, n := range ss {
		if n.e.ifState != ifDROther {
			t.Errorf("%s interface %s, want DROther", n.name, n.e.ifState)
		}
		if n.e.dr != r.cfg.RouterID || n.e.bdr != 0 {
			t.Errorf("%s sees DR %s BDR %s", n.name, lsa.IDString(n.e.dr), lsa.IDString(n.e.bdr))
		}
		// DROthers stay 2-Way among themselves.
		for _, m := range ss {
			if m != n {
				if got := n.nbrState(lsa.IDString(m.cfg.RouterID)); got != nbr2Way {
					t.Errorf("%s sees %s in %s, want 2-Way", n.name, m.name, got)
				}
			}
		}
		if err := s.sameAreaDB(r, n); err != nil {
			t.Error(err)
		}
		rid := lsa.IDString(n.cfg.RouterID)
		if m := s.advertisedMetric(r, rid, 1); m != 10 {
			t.Errorf("router holds metric %d for %s, want 10", m, n.name)
		}
		// The Router-LSA: V6 set, R clear, one transit link to the DR's network.
		_, rl := r.lsa(lsa.Key{Type: lsa.TypeRouter, AdvRouter: n.cfg.RouterID})
		body := rl.Body.(*lsa.Router)
		if body.Options&lsa.OptV6 == 0 || body.Options&lsa.OptR != 0 || body.Flags != 0 {
			t.Errorf("%s Router-LSA options %s flags %s", n.name, body.Options, body.Flags)
		}
		if len(body.Links) != 1 || body.Links[0].Type != lsa.LinkTransit ||
			body.Links[0].NeighborRouterID != r.cfg.RouterID || body.Links[0].NeighborInterfaceID != 1 ||
			body.Links[0].Metric != 10 {
			t.Errorf("%s Router-LSA links %+v", n.name, body.Links)
		}
		// The Link-LSA carries the next hop.
		_, ll := r.lsa(lsa.Key{Type: lsa.TypeLink, ID: uint32(n.cfg.Link.Index), AdvRouter: n.cfg.RouterID})
		if got := ll.Body.(*lsa.Link).LinkLocal; got != n.cfg.Link.LinkLocal {
			t.Errorf("%s Link-LSA next hop %s", n.name, got)
		}
	}
	// The router's Network-LSA lists itself and every server.
	_, nl := r.lsa(lsa.Key{Type: lsa.TypeNetwork, ID: 1, AdvRouter: r.cfg.RouterID})
	if got := len(nl.Body.(*lsa.Network).AttachedRouters); got != 4 {
		t.Errorf("Network-LSA lists %d routers, want 4", got)
	}
	for _, n := range append(ss, r) {
		if d := n.e.cnt.dropped["min-ls-arrival"]; d != 0 {
			t.Errorf("%s dropped %d LSAs for MinLSArrival", n.name, d)
		}
	}
}

// A router holding a large database (AS-external LSAs of a big AS) brings
// a server to Full through many DBD and LS Request rounds.
func TestLargeDatabaseExchange(t *testing.T) {
	s, r, ss := farm(t, 2, 1)
	const externals = 20000
	injectExternals(t, r, s.now, externals)
	took := s.runUntil(120*time.Second, "server Full with a 20k-LSA router", allFull(r, ss))
	t.Logf("Full after %s simulated; %d DBD, %d LSR, %d LSU packets", took,
		s.sent[packet.TypeDatabaseDescription], s.sent[packet.TypeLinkStateRequest], s.sent[packet.TypeLinkStateUpdate])
	s.run(2 * time.Second)
	if err := s.sameAreaDB(r, ss[0]); err != nil {
		t.Fatal(err)
	}
	if got := ss[0].e.db.len(); got < externals {
		t.Fatalf("server holds %d LSAs, want at least %d", got, externals)
	}
}

// injectExternals installs n AS-External-LSAs of a far ASBR into node's
// database as if flooded long ago.
func injectExternals(t testing.TB, node *simNode, now time.Time, n int) {
	for i := range n {
		raw, err := lsa.Marshal(lsa.LSA{
			Header: lsa.Header{Age: 10, Type: lsa.TypeASExternal, ID: uint32(i), AdvRouter: ridOf("192.0.2.200"), Seq: lsa.InitialSequenceNumber},
			Body: &lsa.ASExternal{Flags: lsa.ExternalE, Metric: 20, Prefix: lsa.Prefix{
				Prefix: prefixN(i)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		h, _ := lsa.ParseHeader(raw)
		node.e.db.install(raw, h, now.Add(-time.Minute), true)
	}
}

func TestLossAndDuplication(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(itoa(int(seed)), func(t *testing.T) {
			s, r, ss := farm(t, seed, 3)
			s.loss, s.dup = 0.2, 0.1
			took := s.runUntil(120*time.Second, "Full under 20% loss", allFull(r, ss))
			t.Logf("Full after %s simulated under 20%% loss and 10%% duplication", took)
			ss[1].e.setServices(s.now, []Service{dnsService(40)})
			rid := lsa.IDString(ss[1].cfg.RouterID)
			took = s.runUntil(60*time.Second, "metric change through loss", func() bool { return s.advertisedMetric(r, rid, 1) == 40 })
			t.Logf("metric change reached the router after %s under loss", took)
			s.loss, s.dup = 0, 0
			s.run(20 * time.Second)
			for _, n := range ss {
				if err := s.sameAreaDB(r, n); err != nil {
					t.Error(err)
				}
				if len(n.e.nbrs[r.cfg.RouterID].rxmt) != 0 {
					t.Errorf("%s retransmission list not empty after loss stopped", n.name)
				}
			}
		})
	}
}

// kill -9 and restart: the router still holds the old instances; the new
// process must re-originate above them (RFC 2328 13.4) and flush what it
// no longer advertises.
func TestRestartBumpsSequence(t *testing.T) {
	s, r, ss := farm(t, 4, 2)
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	old := ss[0]
	rid := lsa.IDString(old.cfg.RouterID)
	extra := Service{Name: "ntp", Prefix: mustPrefix("2001:db8:123::123/128"), Metric: 10}
	old.e.setServices(s.now, []Service{dnsService(10), extra})
	// Several changes so the sequence numbers are well above the initial one.
	for _, m := range []uint16{20, 30, 20} {
		s.run(2 * time.Second)
		old.e.setServices(s.now, []Service{dnsService(m), extra})
	}
	s.run(3 * time.Second)
	before, _ := r.lsa(iapKey(rid, 1))
	if before == nil || s.advertisedMetric(r, rid, 2) != 10 {
		t.Fatal("router lacks the server's LSAs before the kill")
	}
	s.kill(old)
	s.run(time.Second)
	restarted := s.add("s1-again", old.cfg)
	restarted.e.setServices(s.now, []Service{dnsService(10)}) // ntp is gone
	ss[0] = restarted
	s.runUntil(30*time.Second, "Full again", allFull(r, ss))
	s.runUntil(10*time.Second, "metric 10 from the new process", func() bool { return s.advertisedMetric(r, rid, 1) == 10 })
	after, _ := r.lsa(iapKey(rid, 1))
	if after.hdr.Seq <= before.hdr.Seq {
		t.Errorf("sequence after restart %x, want above %x", uint32(after.hdr.Seq), uint32(before.hdr.Seq))
	}
	s.runUntil(10*time.Second, "stale ntp LSA flushed", func() bool { return s.advertisedMetric(r, rid, 2) == -1 })
}

// Shutdown flushes every own LSA, waits for the acks and says goodbye.
func TestShutdownFlushes(t *testing.T) {
	s, r, ss := farm(t, 5, 2)
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(3 * time.Second)
	n := ss[0]
	rid := lsa.IDString(n.cfg.RouterID)
	n.e.beginShutdown(s.now)
	n.e.tick(s.now)
	took := s.runUntil(10*time.Second, "shutdown done", n.e.finished)
	t.Logf("shutdown took %s simulated", took)
	if m := s.advertisedMetric(r, rid, 1); m != -1 {
		t.Errorf("router still holds metric %d after the flush", m)
	}
	if ent := r.e.db.get(lsa.Key{Type: lsa.TypeRouter, AdvRouter: n.cfg.RouterID}); ent != nil && !ent.maxAged(s.now) {
		t.Error("router still holds a live Router-LSA of the stopped server")
	}
	if got := r.nbrState(rid); got > nbrInit {
		t.Errorf("router sees the stopped server in %s after its goodbye", got)
	}
}

// Every metric change reaches the router: paced MinLSInterval apart, none
// dropped by the router's MinLSArrival, and a second change right after a
// first is held, then sent. (A withdrawal is not held: early_test.go.)
func TestPacingNeverDropsLatest(t *testing.T) {
	s, r, ss := farm(t, 6, 1)
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(3 * time.Second)
	n := ss[0]
	rid := lsa.IDString(n.cfg.RouterID)
	var arrivals []time.Time
	s.observe = func(from, to *simNode, d Datagram) {
		if from != n || to != r {
			return
		}
		p, _ := packet.ParsePacket(d.Data)
		if u, ok := p.(*packet.LinkStateUpdate); ok {
			for _, raw := range u.LSAs {
				h, _ := lsa.ParseHeader(raw)
				if h.Type == lsa.TypeIntraAreaPrefix {
					arrivals = append(arrivals, s.now)
				}
			}
		}
	}
	n.e.setServices(s.now, []Service{dnsService(20)})
	s.run(200 * time.Millisecond)
	n.e.setServices(s.now, []Service{dnsService(30)})
	s.run(200 * time.Millisecond)
	if m := s.advertisedMetric(r, rid, 1); m != 20 {
		t.Fatalf("router holds %d, want the cost change (20) first", m)
	}
	s.runUntil(2*time.Second, "second change at the router", func() bool { return s.advertisedMetric(r, rid, 1) == 30 })
	if d := r.e.cnt.dropped["min-ls-arrival"]; d != 0 {
		t.Errorf("router dropped %d instances for MinLSArrival", d)
	}
	for i := 1; i < len(arrivals); i++ {
		if gap := arrivals[i].Sub(arrivals[i-1]); gap > 0 && gap < n.cfg.MinLSInterval {
			t.Errorf("instances %d and %d arrived %s apart", i-1, i, gap)
		}
	}
}

// The DR dies: the BDR takes over and the servers form adjacencies with it.
func TestDRFailover(t *testing.T) {
	s := newSim(t, 7)
	r1 := s.add("r1", simConfig("192.0.2.1", 1, 10))
	s.run(5 * time.Second) // r1 becomes DR alone
	r2 := s.add("r2", simConfig("192.0.2.2", 2, 5))
	srv := s.add("s1", simConfig("192.0.2.11", 11, 0))
	srv.e.setServices(s.now, []Service{dnsService(10)})
	s.runUntil(30*time.Second, "server Full with DR and BDR", func() bool {
		return srv.nbrState("192.0.2.1") == nbrFull && srv.nbrState("192.0.2.2") == nbrFull
	})
	if srv.e.dr != r1.cfg.RouterID || srv.e.bdr != r2.cfg.RouterID {
		t.Fatalf("server sees DR %s BDR %s", lsa.IDString(srv.e.dr), lsa.IDString(srv.e.bdr))
	}
	s.kill(r1)
	took := s.runUntil(30*time.Second, "r2 DR and Full with the server", func() bool {
		return r2.e.ifState == ifDR && srv.e.dr == r2.cfg.RouterID && r2.nbrState("192.0.2.11") == nbrFull &&
			s.advertisedMetric(r2, "192.0.2.11", 1) == 10
	})
	t.Logf("failover took %s simulated (dead interval 4s)", took)
	_, rl := r2.lsa(lsa.Key{Type: lsa.TypeRouter, AdvRouter: srv.cfg.RouterID})
	s.runUntil(10*time.Second, "server Router-LSA points at the new DR", func() bool {
		_, rl = r2.lsa(lsa.Key{Type: lsa.TypeRouter, AdvRouter: srv.cfg.RouterID})
		links := rl.Body.(*lsa.Router).Links
		return len(links) == 1 && links[0].NeighborRouterID == r2.cfg.RouterID
	})
}

// A withdrawal or a metric rise goes out in the same update as a new
// Router-LSA with the x bit flipped (the SPF nudge); a metric fall does not.
func TestSPFNudge(t *testing.T) {
	s, r, ss := farm(t, 10, 1)
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(3 * time.Second)
	n := ss[0]
	rtr := lsa.Key{Type: lsa.TypeRouter, AdvRouter: n.cfg.RouterID}
	var together []bool // per update carrying the service's LSA: did the Router-LSA ride along?
	s.observe = func(from, to *simNode, d Datagram) {
		if from != n || to != r {
			return
		}
		p, _ := packet.ParsePacket(d.Data)
		u, ok := p.(*packet.LinkStateUpdate)
		if !ok {
			return
		}
		iap, rl := false, false
		for _, raw := range u.LSAs {
			h, _ := lsa.ParseHeader(raw)
			iap = iap || h.Type == lsa.TypeIntraAreaPrefix
			rl = rl || h.Key() == rtr
		}
		if iap {
			together = append(together, rl)
		}
	}
	xbit := func() bool {
		_, l := r.lsa(rtr)
		return l.Body.(*lsa.Router).Flags&lsa.RouterW != 0
	}
	steps := []struct {
		svc   Service
		nudge bool
		bit   bool
	}{
		{dnsService(20), true, true},  // rise: nudge
		{dnsService(10), false, true}, // fall: no nudge
		{Service{Name: "dns", Prefix: dnsService(0).Prefix, Metric: 10, Withdraw: true}, true, false}, // withdraw: nudge
		{dnsService(10), false, false}, // back: no nudge
	}
	for i, st := range steps {
		together = nil
		n.e.setServices(s.now, []Service{st.svc})
		n.e.tick(s.now)
		s.run(2 * time.Second)
		if len(together) == 0 {
			t.Fatalf("step %d: no update carried the service's LSA", i)
		}
		if together[0] != st.nudge {
			t.Errorf("step %d: Router-LSA in the same update = %v, want %v", i, together[0], st.nudge)
		}
		if xbit() != st.bit {
			t.Errorf("step %d: router's copy has the x bit %v, want %v", i, xbit(), st.bit)
		}
	}
	// The link the router computes with is unchanged throughout.
	_, l := r.lsa(rtr)
	if links := l.Body.(*lsa.Router).Links; len(links) != 1 || links[0].NeighborRouterID != r.cfg.RouterID {
		t.Errorf("Router-LSA links after the nudges: %+v", links)
	}
}

// After a flushed LSA left the database, the next instance starts above
// the flushed one: routers may still hold it at MaxAge.
func TestReadvertiseAfterFlushKeepsSequence(t *testing.T) {
	s, r, ss := farm(t, 11, 1)
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(3 * time.Second)
	n := ss[0]
	k := iapKey(lsa.IDString(n.cfg.RouterID), 1)
	before := r.e.db.get(k).hdr.Seq
	n.e.setServices(s.now, []Service{{Name: "dns", Prefix: dnsService(0).Prefix, Metric: 10, Withdraw: true}})
	s.runUntil(20*time.Second, "flushed LSA gone from the server's database", func() bool { return n.e.db.get(k) == nil })
	n.e.setServices(s.now, []Service{dnsService(10)})
	s.runUntil(5*time.Second, "re-advertised", func() bool { return s.advertisedMetric(r, lsa.IDString(n.cfg.RouterID), 1) == 10 })
	if got := r.e.db.get(k).hdr.Seq; got <= before {
		t.Errorf("re-advertised with sequence %x, not above the flushed %x", uint32(got), uint32(before))
	}
	if d := r.e.cnt.dropped["min-ls-arrival"]; d != 0 {
		t.Errorf("router dropped %d instances for MinLSArrival", d)
	}
}
