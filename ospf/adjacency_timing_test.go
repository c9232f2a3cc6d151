package ospf

import (
	"net/netip"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// How fast an adjacency comes up when nothing is lost, and how fast it
// recovers when an answer is lost: the timers of RFC 2328 10.8 (DBD) and
// 10.9 (LS Request) as anycostd runs them against a router holding a large
// database (bench row 5: FRR with 20,000 AS-external LSAs).

// lsrTap follows, on the wire of a sim, the LS Requests one node sends to
// another and the LSAs the requester receives.
type lsrTap struct {
	t         *testing.T
	s         *sim
	from, to  *simNode // requester, answerer
	requests  [][]lsa.Key
	sentAt    []time.Time
	received  map[lsa.Key]bool
	violation int // LSRs sent while the previous one was not fully answered
}

func newLSRTap(t *testing.T, s *sim, from, to *simNode) *lsrTap {
	tap := &lsrTap{t: t, s: s, from: from, to: to, received: make(map[lsa.Key]bool)}
	prev := s.observe
	s.observe = func(src, dst *simNode, d Datagram) {
		if prev != nil {
			prev(src, dst, d)
		}
		tap.see(src, dst, d)
	}
	return tap
}

func (tap *lsrTap) see(src, dst *simNode, d Datagram) {
	p, err := packet.ParsePacket(d.Data)
	if err != nil {
		return
	}
	switch p := p.(type) {
	case *packet.LinkStateRequest:
		if src != tap.from || dst != tap.to {
			return
		}
		seen := make(map[lsa.Key]bool, len(p.Requests))
		for _, k := range p.Requests {
			if seen[k] {
				tap.t.Errorf("LSR %d asks for %s twice", len(tap.requests)+1, k)
			}
			seen[k] = true
		}
		if n := len(tap.requests); n > 0 {
			missing := 0
			for _, k := range tap.requests[n-1] {
				if !tap.received[k] {
					missing++
				}
			}
			// A retransmission asks again for what is missing; anything
			// else while the last request is unanswered is a second LSR
			// in flight (RFC 2328 10.9).
			if missing > 0 && !sameKeys(p.Requests, tap.requests[n-1], tap.received) {
				tap.violation++
			}
		}
		tap.requests = append(tap.requests, p.Requests)
		tap.sentAt = append(tap.sentAt, tap.s.now)
	case *packet.LinkStateUpdate:
		if dst != tap.from {
			return
		}
		for _, raw := range p.LSAs {
			if h, err := lsa.ParseHeader(raw); err == nil {
				tap.received[h.Key()] = true
			}
		}
	}
}

// sameKeys reports whether req asks for the keys of prev still missing
// (and possibly more after them).
func sameKeys(req, prev []lsa.Key, received map[lsa.Key]bool) bool {
	i := 0
	for _, k := range prev {
		if received[k] {
			continue
		}
		if i >= len(req) || req[i] != k {
			return false
		}
		i++
	}
	return true
}

// dropAnswer makes node r lose, on its way out, the LSUs it sends while
// answering the LS Request number which (counted from 1) of tap; pick
// chooses which of those LSUs (counted from 1) are lost. It reports the
// keys lost.
func dropAnswer(tap *lsrTap, r *simNode, which int, pick func(i int) bool) map[lsa.Key]bool {
	lost := make(map[lsa.Key]bool)
	answering, count := false, 0
	prev := tap.s.observe
	tap.s.observe = func(src, dst *simNode, d Datagram) {
		prev(src, dst, d)
		// Deliveries are handled one at a time: r answers the LSR while
		// handling it, before the next delivery is observed.
		answering = dst == r && src == tap.from && len(tap.requests) == which && isType(d, packet.TypeLinkStateRequest)
		count = 0
	}
	out := r.e.out
	r.e.out = func(dst netip.Addr, data []byte) error {
		if answering && isType(Datagram{Data: data}, packet.TypeLinkStateUpdate) {
			count++
			if pick(count) {
				p, _ := packet.ParsePacket(data)
				for _, raw := range p.(*packet.LinkStateUpdate).LSAs {
					h, _ := lsa.ParseHeader(raw)
					lost[h.Key()] = true
				}
				return nil
			}
		}
		return out(dst, data)
	}
	return lost
}

func isType(d Datagram, t packet.Type) bool {
	return len(d.Data) > 1 && packet.Type(d.Data[1]) == t
}

// loadingFarm is one router holding externals AS-external LSAs and one
// server, with a tap on the server's LS Requests.
func loadingFarm(t *testing.T, seed uint64, externals int) (*sim, *simNode, *simNode, *lsrTap) {
	s, r, ss := farm(t, seed, 1)
	injectExternals(t, r, s.now, externals)
	return s, r, ss[0], newLSRTap(t, s, ss[0], r)
}

// Without loss the whole exchange and loading happen in the instant the
// router first answers: every LS Request follows, at once, the update that
// answered the last of its predecessor (RFC 2328 10.9), and never while
// part of that one is unanswered (the duplicate LSR sent on ExchangeDone
// made FRR answer twice, each answer followed by its whole retransmission
// list).
func TestLoadingOneRequestInFlight(t *testing.T) {
	s, r, srv, tap := loadingFarm(t, 31, 3000)
	s.runUntilStep(30*time.Second, time.Millisecond, "server Full", allFull(r, []*simNode{srv}))
	if len(tap.requests) < 3000/packet.MaxRequestsPerLSR(1500) {
		t.Fatalf("set-up: %d LS Requests for 3000 LSAs", len(tap.requests))
	}
	if tap.violation != 0 {
		t.Errorf("%d of %d LS Requests went out while the previous one was not fully answered", tap.violation, len(tap.requests))
	}
	first, last := tap.sentAt[0], tap.sentAt[len(tap.sentAt)-1]
	if last.Sub(first) > time.Millisecond {
		t.Errorf("LS Requests spread over %v without any loss: a timer, not an answer, sent one", last.Sub(first))
	}
	asked := make(map[lsa.Key]int)
	for i, req := range tap.requests {
		for _, k := range req {
			if j, ok := asked[k]; ok {
				t.Fatalf("LSR %d asks again for %s, asked by LSR %d, without any loss", i+1, k, j+1)
			}
			asked[k] = i
		}
	}
	t.Logf("%d LS Requests, Full at %v", len(tap.requests), s.now.Sub(first))
}

// A lost answer (every update answering one LS Request) is asked for again
// after lsrRetransmit, a HelloInterval here, not after RxmtInterval (5 s,
// bench row 5's stall); the following requests go on at once.
func TestLoadingLostAnswer(t *testing.T) {
	s, r, srv, tap := loadingFarm(t, 32, 3000)
	lost := dropAnswer(tap, r, 3, func(int) bool { return true })
	s.runUntilStep(30*time.Second, time.Millisecond, "server Full", allFull(r, []*simNode{srv}))
	if len(lost) == 0 {
		t.Fatal("set-up: no answer was lost")
	}
	// The request after the lost answer repeats it, lsrRetransmit later.
	if len(tap.requests) < 4 {
		t.Fatalf("only %d LS Requests", len(tap.requests))
	}
	for k := range lost {
		if !contains(tap.requests[3], k) {
			t.Fatalf("LSR 4 does not ask again for %s, lost with the answer to LSR 3", k)
		}
	}
	want := srv.e.lsrRetransmit()
	if want != srv.cfg.HelloInterval || want >= srv.cfg.RetransmitInterval {
		t.Fatalf("lsrRetransmit %v, want the HelloInterval %v (below RxmtInterval %v)", want, srv.cfg.HelloInterval, srv.cfg.RetransmitInterval)
	}
	if got := tap.sentAt[3].Sub(tap.sentAt[2]); got != want {
		t.Errorf("lost answer asked for again after %v, want %v", got, want)
	}
	// After the repeat, no timer: the rest follows at once.
	if got := s.now.Sub(tap.sentAt[3]); got > 2*time.Millisecond {
		t.Errorf("Full %v after the repeated request, want at once", got)
	}
	if tap.violation != 0 {
		t.Errorf("%d LS Requests with the previous one unanswered", tap.violation)
	}
	if err := s.sameAreaDB(r, srv); err != nil {
		t.Error(err)
	}
}

// When an answer arrives only in part, the rest is asked for lsrAnswerGap
// after the part, not a whole lsrRetransmit after the request.
func TestLoadingPartialAnswer(t *testing.T) {
	s, r, srv, tap := loadingFarm(t, 33, 3000)
	lost := dropAnswer(tap, r, 5, func(i int) bool { return i == 2 })
	s.runUntilStep(30*time.Second, time.Millisecond, "server Full", allFull(r, []*simNode{srv}))
	if len(lost) == 0 {
		t.Fatal("set-up: the answer to LSR 5 had no second update")
	}
	if len(tap.requests[4]) <= len(lost) {
		t.Fatalf("set-up: LSR 5 asked for %d LSAs, all lost", len(tap.requests[4]))
	}
	// LSR 6 asks for exactly what was lost, first.
	for i, k := range tap.requests[5][:len(lost)] {
		if !lost[k] {
			t.Fatalf("LSR 6 request %d is %s, not one of the %d lost", i, k, len(lost))
		}
	}
	if got := tap.sentAt[5].Sub(tap.sentAt[4]); got != lsrAnswerGap {
		t.Errorf("rest of a partial answer asked for after %v, want %v", got, lsrAnswerGap)
	}
	if tap.violation != 0 {
		t.Errorf("%d LS Requests with the previous one unanswered", tap.violation)
	}
	if err := s.sameAreaDB(r, srv); err != nil {
		t.Error(err)
	}
}

func contains(ks []lsa.Key, k lsa.Key) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// A DR that is still Waiting (RFC 2328 9.4: RouterDeadInterval after its
// interface came up) keeps a neighbor in 2-Way and drops its DBDs. The
// server, master by its higher router ID, learns the router entered
// ExStart from the router's own initial DBD and resends its initial DBD at
// once, instead of at its next retransmission (up to 2 s later).
func TestExStartWhenDRLeavesWaiting(t *testing.T) {
	s := newSim(t, 34)
	r := s.add("router", simConfig("192.0.2.1", 1, 10))
	waitEnd := s.now.Add(r.cfg.DeadInterval)
	s.run(500 * time.Millisecond)
	srv := s.add("s1", simConfig("192.0.2.11", 11, 0))
	srv.e.setServices(s.now, []Service{dnsService(10)})
	s.runUntilStep(3*time.Second, time.Millisecond, "server in ExStart with the router", func() bool {
		return srv.nbrState("192.0.2.1") == nbrExStart
	})
	if !s.now.Before(waitEnd) {
		t.Fatalf("set-up: server reached ExStart at %v, after the router left Waiting", s.now.Sub(waitEnd))
	}
	s.runUntilStep(10*time.Second, time.Millisecond, "server Full", allFull(r, []*simNode{srv}))
	if late := s.now.Sub(waitEnd); late > 5*time.Millisecond {
		t.Errorf("server Full %v after the router left Waiting, want at once", late)
	}
}

// A neighbor whose Hello does not list us (it restarted) gets a Hello that
// lists it at once, not at our next HelloInterval: here the restarted
// server is back in ExStart with the router in the instant it starts.
func TestHelloAnsweredWhenNotListed(t *testing.T) {
	s, r, ss := farm(t, 35, 1)
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(1234 * time.Millisecond)
	s.kill(ss[0])
	s.run(100 * time.Millisecond)
	start := s.now
	srv := s.add("s1-again", ss[0].cfg)
	took := s.runUntilStep(5*time.Second, time.Millisecond, "restarted server in ExStart", func() bool {
		return srv.nbrState("192.0.2.1") >= nbrExStart
	})
	if took > helloAnswerGap {
		t.Errorf("restarted server in ExStart %v after its start, want within %v", took, helloAnswerGap)
	}
	s.runUntil(10*time.Second, "Full again", allFull(r, []*simNode{srv}))
	t.Logf("restarted server Full %v after its start", s.now.Sub(start))
}
