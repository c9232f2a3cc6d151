package bfd

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// states lists the From->To of events.
func states(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.From.String()+">"+ev.To.String())
	}
	return out
}

// checkWire checks RFC 5880 6.8.7 on every packet sent: never Poll and
// Final together, never the D, C or A bits, Required Min Echo RX 0.
func checkWire(t *testing.T, s *sim) { t.Helper(); checkWireT(t, s) }

func checkWireT(t testing.TB, s *sim) {
	t.Helper()
	for _, w := range s.sent {
		p, err := Parse(w.data)
		if err != nil {
			t.Fatalf("undecodable packet from %v: %v", w.from, err)
		}
		if p.Poll && p.Final || p.Demand || p.ControlPlaneIndependent || p.Auth != nil || p.RequiredMinEchoRx != 0 {
			t.Fatalf("packet from %v at %v: %+v", w.from, w.at, p)
		}
	}
}

// TestHandshake: two speakers at 100 ms x 3 come Up by the three-way
// handshake (RFC 5880 6.2), then each one's Poll Sequence brings the
// transmission interval from 1 s down to 100 ms (6.8.3).
func TestHandshake(t *testing.T) {
	s := newSim(t)
	start := s.now
	s.add(addrA, Config{}, 1).setPeers(s.now, []netip.Addr{addrB})
	s.add(addrB, Config{}, 2)
	s.run(500 * ms)
	// B did not know A yet: its first packet was dropped and counted.
	if n := s.nodes[addrB].cnt.dropped[dropUnknownPeer]; n != 1 {
		t.Errorf("B dropped %d packets from an unknown peer, want 1", n)
	}
	s.nodes[addrB].setPeers(s.now, []netip.Addr{addrA})
	bStart := s.now
	s.run(3 * time.Second)
	for _, at := range []netip.Addr{addrA, addrB} {
		peer := addrB
		if at == addrB {
			peer = addrA
		}
		ss := s.session(at, peer)
		if ss.state != StateUp || ss.remoteState != StateUp || ss.polling {
			t.Fatalf("%v: state %v, remote %v, polling %v", at, ss.state, ss.remoteState, ss.polling)
		}
		if ss.txInterval() != 100*ms || ss.detectTime() != 300*ms || ss.desiredMinTx != 100*ms {
			t.Errorf("%v: tx %v, detect %v, desired %v; want 100ms, 300ms, 100ms", at, ss.txInterval(), ss.detectTime(), ss.desiredMinTx)
		}
		if ss.remoteDiscr != s.session(peer, at).localDiscr {
			t.Errorf("%v: remote discriminator %d, peer's %d", at, ss.remoteDiscr, s.session(peer, at).localDiscr)
		}
		if ss.ups != 1 || ss.downs != 0 {
			t.Errorf("%v: ups %d downs %d", at, ss.ups, ss.downs)
		}
	}
	// B's first packet (Down) takes A to Init; A's Init takes B Up; B's
	// Up takes A Up.
	if d := cmp.Diff([]string{"Down>Init", "Init>Up"}, states(s.events[addrA])); d != "" {
		t.Errorf("A's events (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"Down>Up"}, states(s.events[addrB])); d != "" {
		t.Errorf("B's events (-want +got):\n%s", d)
	}
	if up := s.events[addrA][1].At; up.Sub(bStart) > 10*ms {
		t.Errorf("A Up %v after B started: the handshake should not wait for periodic packets", up.Sub(bStart))
	}
	// Before Up, Desired Min TX is 1 s; the first Up packet polls with 100 ms.
	pk := s.packets(addrA, addrB, start)
	if p := pk[0].p; p.State != StateDown || p.DesiredMinTx != time.Second || p.RequiredMinRx != 100*ms || p.YourDiscriminator != 0 {
		t.Errorf("A's first packet %+v", p)
	}
	// A went Up on B's Up+Poll: it answers with a Final and, at the same
	// instant, starts its own Poll in a separate packet.
	var up []timedPacket
	for _, tp := range pk {
		if tp.p.State == StateUp && tp.at.Equal(s.events[addrA][1].At) {
			up = append(up, tp)
		}
	}
	if len(up) != 2 || !up[0].p.Final || !up[1].p.Poll || up[1].p.DesiredMinTx != 100*ms {
		t.Errorf("A's packets on going Up: %+v; want a Final, then a Poll with 100ms", up)
	}
	// In the last second: periodic every 75-100 ms.
	last := s.packets(addrA, addrB, s.now.Add(-time.Second))
	for i := 1; i < len(last); i++ {
		if gap := last[i].at.Sub(last[i-1].at); gap < 75*ms || gap > 100*ms {
			t.Errorf("gap %v between A's packets %d and %d, want 75-100ms", gap, i-1, i)
		}
	}
	if len(last) < 10 || len(last) > 14 {
		t.Errorf("%d packets from A in the last second at 100 ms with jitter", len(last))
	}
	checkWire(t, s)
}

// TestDetection: with the link cut, both sides declare the session Down
// with diag 1 (RFC 5880 6.8.4) once a detection time has passed without
// a packet, and not before; the event is a Failure. The remote
// discriminator is cleared (6.8.1). When the link returns, the session
// comes Up again.
func TestDetection(t *testing.T) {
	s := pair(t, Config{DesiredMinTx: 50 * ms, RequiredMinRx: 50 * ms})
	s.run(3 * time.Second)
	s.cut = true
	cutAt := s.now
	s.run(time.Second)
	for _, at := range []netip.Addr{addrA, addrB} {
		evs := s.events[at]
		last := evs[len(evs)-1]
		if last.From != StateUp || last.To != StateDown || last.Diag != DiagTimeExpired || !last.Failure() {
			t.Fatalf("%v: last event %+v", at, last)
		}
		// The last packet heard came at most one interval (50 ms) before
		// the cut; Down follows 150 ms after it.
		if took := last.At.Sub(cutAt); took > 150*ms || took < 100*ms {
			t.Errorf("%v: Down %v after the cut, want 100-150ms (3 x 50 ms after the last packet)", at, took)
		}
		ss := s.session(at, other(at))
		if ss.remoteDiscr != 0 || ss.downs != 1 || ss.lastDownDiag != DiagTimeExpired {
			t.Errorf("%v: remote discriminator %d, downs %d, last down diag %v", at, ss.remoteDiscr, ss.downs, ss.lastDownDiag)
		}
		// Back to the slow rate (6.8.3).
		if ss.desiredMinTx != time.Second || ss.txInterval() != time.Second {
			t.Errorf("%v: desired %v, interval %v after Down; want 1s", at, ss.desiredMinTx, ss.txInterval())
		}
	}
	s.cut = false
	s.run(3 * time.Second)
	for _, at := range []netip.Addr{addrA, addrB} {
		if ss := s.session(at, other(at)); ss.state != StateUp || ss.ups != 2 {
			t.Errorf("%v: %v with %d ups after the link came back", at, ss.state, ss.ups)
		}
	}
	checkWire(t, s)
}

func other(a netip.Addr) netip.Addr {
	if a == addrA {
		return addrB
	}
	return addrA
}

// TestShutdown: A's shutdown sends AdminDown with diag 7 for 3 of its
// intervals (RFC 5880 6.8.16), then nothing; B goes Down with diag 3 and
// does not count it as a failure (RFC 5882 3.2).
func TestShutdown(t *testing.T) {
	s := pair(t, Config{})
	s.run(3 * time.Second)
	at := s.now
	a := s.nodes[addrA]
	a.beginShutdown(s.now)
	a.tick(s.now)
	s.collect()
	s.run(2 * time.Second)
	if !a.finished() {
		t.Fatalf("A not finished 2 s after shutdown: %d sessions", len(a.sessions))
	}
	pk := s.packets(addrA, addrB, at)
	if len(pk) < 3 || len(pk) > 5 {
		t.Fatalf("%d packets after shutdown, want about 3 (300 ms at 75-100 ms)", len(pk))
	}
	for _, tp := range pk {
		if tp.p.State != StateAdminDown || tp.p.Diag != DiagAdminDown || tp.at.Sub(at) > 300*ms {
			t.Errorf("packet %v after shutdown: %+v", tp.at.Sub(at), tp.p)
		}
	}
	evA := s.events[addrA]
	if last := evA[len(evA)-1]; last.To != StateAdminDown || last.Failure() {
		t.Errorf("A's last event %+v", last)
	}
	evB := s.events[addrB]
	last := evB[len(evB)-1]
	if last.From != StateUp || last.To != StateDown || last.Diag != DiagNeighborDown || last.RemoteState != StateAdminDown || last.RemoteDiag != DiagAdminDown {
		t.Fatalf("B's last event %+v", last)
	}
	if last.Failure() {
		t.Error("B counts A's AdminDown as a failure")
	}
	checkWire(t, s)
}

// TestRemovePeer: a peer dropped by setPeers is told AdminDown and its
// session goes; listed again while lingering it is enabled again (RFC
// 5880 6.8.16) and comes back Up; listed after removal it gets a new
// session with a new discriminator.
func TestRemovePeer(t *testing.T) {
	s := pair(t, Config{})
	s.run(3 * time.Second)
	a := s.nodes[addrA]
	old := s.session(addrA, addrB).localDiscr
	a.setPeers(s.now, nil)
	s.run(100 * ms)
	a.setPeers(s.now, []netip.Addr{addrB})
	s.run(3 * time.Second)
	if ss := s.session(addrA, addrB); ss.state != StateUp || ss.localDiscr != old {
		t.Fatalf("re-enabled session: %v, discriminator %d (was %d)", ss.state, ss.localDiscr, old)
	}
	a.setPeers(s.now, nil)
	s.run(time.Second)
	if len(a.sessions) != 0 || len(a.byDiscr) != 0 || len(a.order) != 0 {
		t.Fatalf("A keeps %d sessions after removal", len(a.sessions))
	}
	if ss := s.session(addrB, addrA); ss.state != StateDown || ss.remoteState != StateAdminDown {
		t.Errorf("B: %v, remote %v", ss.state, ss.remoteState)
	}
	a.setPeers(s.now, []netip.Addr{addrB})
	s.run(3 * time.Second)
	if ss := s.session(addrA, addrB); ss.state != StateUp || ss.localDiscr == old {
		t.Errorf("new session: %v, discriminator %d (old %d)", ss.state, ss.localDiscr, old)
	}
	if d := cmp.Diff([]string{"Down>Init", "Init>Up", "Up>AdminDown", "AdminDown>Down", "Down>Up", "Up>AdminDown", "Down>Up"}, states(s.events[addrA])); d != "" {
		t.Errorf("A's events (-want +got):\n%s", d)
	}
	checkWire(t, s)
}

// TestSlowUntilUp: towards an absent peer a session stays Down and sends
// one packet every 0.75-1 s (RFC 5880 6.8.3, 6.8.7), Your Discriminator 0.
func TestSlowUntilUp(t *testing.T) {
	s := newSim(t)
	s.add(addrA, Config{DesiredMinTx: 10 * ms, RequiredMinRx: 10 * ms}, 1).setPeers(s.now, []netip.Addr{addrB})
	s.run(20 * time.Second)
	pk := s.packets(addrA, addrB, time.Time{})
	if len(pk) < 20 || len(pk) > 27 {
		t.Errorf("%d packets in 20 s, want 21-27", len(pk))
	}
	for i, tp := range pk {
		if tp.p.State != StateDown || tp.p.YourDiscriminator != 0 || tp.p.DesiredMinTx != time.Second || tp.p.RequiredMinRx != 10*ms {
			t.Errorf("packet %d: %+v", i, tp.p)
		}
		if i > 0 {
			if gap := tp.at.Sub(pk[i-1].at); gap < 750*ms || gap > time.Second {
				t.Errorf("gap %v before packet %d", gap, i)
			}
		}
	}
	if ss := s.session(addrA, addrB); ss.state != StateDown || len(s.events[addrA]) != 0 {
		t.Errorf("state %v, events %v", ss.state, s.events[addrA])
	}
}

// TestJitter: intervals are cut by 0-25%, or to 75-90% with Detect Mult 1
// (RFC 5880 6.8.7), and spread over the range.
func TestJitter(t *testing.T) {
	e := newEngine(Config{}, nil, nil, 7)
	for _, c := range []struct {
		mult   uint8
		lo, hi time.Duration
	}{{3, 75 * ms, 100 * ms}, {1, 75 * ms, 90 * ms}} {
		var least, most time.Duration = time.Hour, 0
		for range 10000 {
			j := jitter(100*ms, c.mult, e.rng.Int64N)
			least, most = min(least, j), max(most, j)
		}
		if least < c.lo || most > c.hi || least > c.lo+ms || most < c.hi-ms {
			t.Errorf("mult %d: jitter spans %v..%v, want %v..%v", c.mult, least, most, c.lo, c.hi)
		}
	}
}
