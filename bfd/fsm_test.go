package bfd

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// TestFSMTable runs every (state, event) pair of RFC 5880 6.2 and 6.8.16
// through the state machine and checks the state and diagnostic after it.
// The test logger fails the test if the catch-all fires.
func TestFSMTable(t *testing.T) {
	type want struct {
		state State
		diag  Diag // diag after, when the state changed
	}
	stay := want{state: 255}
	table := map[State]map[fsmEvent]want{
		StateAdminDown: {
			evRecvAdminDown: stay, evRecvDown: stay, evRecvInit: stay, evRecvUp: stay,
			evTimerExpired: stay, evAdminDown: stay, evAdminUp: {StateDown, DiagNone},
		},
		StateDown: {
			evRecvAdminDown: stay, evRecvDown: {StateInit, DiagNeighborDown}, evRecvInit: {StateUp, DiagNone}, evRecvUp: stay,
			evTimerExpired: stay, evAdminDown: {StateAdminDown, DiagAdminDown}, evAdminUp: stay,
		},
		StateInit: {
			evRecvAdminDown: {StateDown, DiagNeighborDown}, evRecvDown: stay, evRecvInit: {StateUp, DiagNone}, evRecvUp: {StateUp, DiagNone},
			evTimerExpired: {StateDown, DiagTimeExpired}, evAdminDown: {StateAdminDown, DiagAdminDown}, evAdminUp: stay,
		},
		StateUp: {
			evRecvAdminDown: {StateDown, DiagNeighborDown}, evRecvDown: {StateDown, DiagNeighborDown}, evRecvInit: stay, evRecvUp: stay,
			evTimerExpired: {StateDown, DiagTimeExpired}, evAdminDown: {StateAdminDown, DiagAdminDown}, evAdminUp: stay,
		},
	}
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	for from, evs := range table {
		if len(evs) != int(evAdminUp)+1 {
			t.Fatalf("table row %v lists %d events", from, len(evs))
		}
		for ev, w := range evs {
			t.Run(fmt.Sprintf("%v/%v", from, ev), func(t *testing.T) {
				e := newEngine(Config{Interface: simIface, DesiredMinTx: 50 * ms, RequiredMinRx: 50 * ms, Multiplier: 3}, nil, testLog(t, "fsm"), 1)
				s := newSession(now, addrB.WithZone(simIface), 7, &e.cfg)
				// A session that was Up with a peer at 50 ms, diag 3 from
				// an earlier Down (Down -> Init keeps it, as FRR does).
				s.state, s.localDiag = from, DiagNeighborDown
				s.remoteMinRx, s.remoteDesiredTx, s.remoteMult = 50*ms, 50*ms, 3
				e.fsm(now, s, ev)
				evts := e.takeEvents()
				if w == stay {
					if s.state != from || len(evts) != 0 {
						t.Errorf("%v on %v: now %v with events %v, want no change", from, ev, s.state, evts)
					}
					return
				}
				if s.state != w.state || s.localDiag != w.diag {
					t.Errorf("%v on %v: %v diag %v, want %v diag %v", from, ev, s.state, s.localDiag, w.state, w.diag)
				}
				if len(evts) != 1 || evts[0].From != from || evts[0].To != w.state || !s.sendNow {
					t.Errorf("events %v, sendNow %v", evts, s.sendNow)
				}
				// Timers advertised (RFC 5880 6.8.3).
				wantTx := time.Second
				if w.state == StateUp {
					wantTx = 50 * ms
				}
				if s.desiredMinTx != wantTx {
					t.Errorf("desired min TX %v in %v, want %v", s.desiredMinTx, w.state, wantTx)
				}
			})
		}
	}
}

// peer plays a scripted BFD peer at addrB towards the engine at addrA,
// building its packets from the session's discriminators.
type peer struct {
	s     *sim
	discr uint32
}

func (p *peer) send(cp ControlPacket) {
	cp.MyDiscriminator = p.discr
	if cp.DetectMult == 0 {
		cp.DetectMult = 3
	}
	if cp.State != StateDown && cp.State != StateAdminDown {
		cp.YourDiscriminator = p.s.session(addrA, addrB).localDiscr
	}
	b, err := cp.Marshal()
	if err != nil {
		p.s.t.Fatal(err)
	}
	p.s.inject(addrA, Datagram{Src: addrB, HopLimit: 255, Data: b})
}

// keep runs the link for d while the peer sends cp every 40 ms, so that
// A's detection time (3 x 50 ms at least) never expires.
func (p *peer) keep(d time.Duration, cp ControlPacket) {
	for end := p.s.now.Add(d); p.s.now.Before(end); {
		p.send(cp)
		p.s.run(min(40*ms, end.Sub(p.s.now)))
	}
}

// upWithPeer brings A's session with a scripted peer at 50 ms x 3 Up and
// through A's Poll Sequence.
func upWithPeer(t testing.TB, cfg Config) (*sim, *peer) {
	s := newSim(t)
	s.add(addrA, cfg, 1).setPeers(s.now, []netip.Addr{addrB})
	p := &peer{s: s, discr: 0xfa981ad5}
	fast := ControlPacket{DesiredMinTx: 50 * ms, RequiredMinRx: 50 * ms}
	init := fast
	init.State = StateInit
	p.send(init) // A: Down -> Up
	up := fast
	up.State, up.Final = StateUp, true
	p.send(up) // ends A's Poll
	ss := s.session(addrA, addrB)
	if ss.state != StateUp || ss.polling {
		t.Fatalf("A: %v, polling %v", ss.state, ss.polling)
	}
	return s, p
}

// TestPollFromPeer: the peer's Poll with new timers (as FRR sends when its
// profile changes) is answered at once with a Final (RFC 5880 6.8.6,
// 6.8.7), and the intervals follow its values.
func TestPollFromPeer(t *testing.T) {
	s, p := upWithPeer(t, Config{})
	ss := s.session(addrA, addrB)
	if ss.txInterval() != 100*ms || ss.detectTime() != 300*ms {
		t.Fatalf("tx %v detect %v, want 100ms 300ms", ss.txInterval(), ss.detectTime())
	}
	fast := ControlPacket{State: StateUp, DesiredMinTx: 50 * ms, RequiredMinRx: 50 * ms}
	p.keep(time.Second, fast)
	at := s.now
	n := len(s.sent)
	p.send(ControlPacket{State: StateUp, Poll: true, DesiredMinTx: 200 * ms, RequiredMinRx: 200 * ms})
	pk := s.sentAfter(n, addrA, addrB)
	if len(pk) != 1 || !pk[0].p.Final || pk[0].p.Poll || !pk[0].at.Equal(at) {
		t.Fatalf("answer to the Poll: %+v", pk)
	}
	if ss.txInterval() != 200*ms || ss.detectTime() != 600*ms {
		t.Errorf("after the Poll: tx %v detect %v, want 200ms 600ms", ss.txInterval(), ss.detectTime())
	}
	// The pending transmission was at most 100 ms away; after it, 150-200 ms.
	p.keep(time.Second, ControlPacket{State: StateUp, DesiredMinTx: 200 * ms, RequiredMinRx: 200 * ms})
	pk = s.packets(addrA, addrB, at.Add(110*ms))
	for i := 1; i < len(pk); i++ {
		if gap := pk[i].at.Sub(pk[i-1].at); gap < 150*ms || gap > 200*ms {
			t.Errorf("gap %v at 200 ms", gap)
		}
	}
}

// TestDeferredTimers: RFC 5880 6.8.3 while Up: an increased Desired Min TX
// and a reduced Required Min RX wait for the Final; the opposite changes
// apply at once; a change during the Poll makes a second Poll.
func TestDeferredTimers(t *testing.T) {
	s, p := upWithPeer(t, Config{DesiredMinTx: 100 * ms, RequiredMinRx: 100 * ms})
	ss := s.session(addrA, addrB)
	ss.setTimers(300*ms, 20*ms)
	if !ss.polling || ss.txInUse != 100*ms || ss.rxInUse != 100*ms {
		t.Fatalf("during the Poll: polling %v, tx in use %v, rx in use %v", ss.polling, ss.txInUse, ss.rxInUse)
	}
	ss.setTimers(250*ms, 200*ms) // during the Poll: RX up applies at once
	if ss.rxInUse != 200*ms || ss.txInUse != 100*ms {
		t.Errorf("second change: tx in use %v, rx in use %v", ss.txInUse, ss.rxInUse)
	}
	p.send(ControlPacket{State: StateUp, Final: true, DesiredMinTx: 50 * ms, RequiredMinRx: 50 * ms})
	// The Final answered the Poll carrying 300/20: those apply, and a new
	// Poll carries 250/200.
	if !ss.polling || ss.pollTx != 250*ms || ss.pollRx != 200*ms || ss.txInUse != 250*ms || ss.rxInUse != 200*ms {
		t.Errorf("after the first Final: polling %v (%v/%v), in use %v/%v", ss.polling, ss.pollTx, ss.pollRx, ss.txInUse, ss.rxInUse)
	}
	p.send(ControlPacket{State: StateUp, Final: true, DesiredMinTx: 50 * ms, RequiredMinRx: 50 * ms})
	if ss.polling || ss.txInterval() != 250*ms || ss.rxInterval() != 200*ms {
		t.Errorf("after the second Final: polling %v, tx %v, rx %v", ss.polling, ss.txInterval(), ss.rxInterval())
	}
	checkWire(t, s)
}

// TestPeerDemand: a peer in Demand mode (D bit, both Up) gets no periodic
// packets (RFC 5880 6.8.7); a Poll of ours still goes out; when it clears
// D, periodic transmission resumes.
func TestPeerDemand(t *testing.T) {
	s, p := upWithPeer(t, Config{})
	demand := ControlPacket{State: StateUp, Demand: true, DesiredMinTx: 50 * ms, RequiredMinRx: 50 * ms}
	p.send(demand)
	at := s.now
	// The detection time still runs on the peer's packets: keep it fed.
	p.keep(time.Second, demand)
	if pk := s.packets(addrA, addrB, at.Add(time.Nanosecond)); len(pk) != 0 {
		t.Fatalf("%d packets to a peer in Demand mode", len(pk))
	}
	ss := s.session(addrA, addrB)
	ss.setTimers(200*ms, 100*ms)
	at = s.now
	p.keep(250*ms, demand)
	if pk := s.packets(addrA, addrB, at); len(pk) < 2 || !pk[0].p.Poll {
		t.Errorf("Poll Sequence in Demand mode: %+v", pk)
	}
	p.send(ControlPacket{State: StateUp, Final: true, DesiredMinTx: 50 * ms, RequiredMinRx: 50 * ms})
	at = s.now
	p.keep(time.Second, ControlPacket{State: StateUp, DesiredMinTx: 50 * ms, RequiredMinRx: 50 * ms})
	if pk := s.packets(addrA, addrB, at.Add(time.Nanosecond)); len(pk) < 4 {
		t.Errorf("%d packets in the second after Demand mode ended", len(pk))
	}
}

// TestPeerNoPeriodic: a peer with Required Min RX 0 gets no periodic
// packets (RFC 5880 6.8.7), only answers.
func TestPeerNoPeriodic(t *testing.T) {
	s, p := upWithPeer(t, Config{})
	quiet := ControlPacket{State: StateUp, DesiredMinTx: 50 * ms, RequiredMinRx: 0}
	p.send(quiet)
	at := s.now
	p.keep(500*ms, quiet)
	p.send(ControlPacket{State: StateUp, Poll: true, DesiredMinTx: 50 * ms, RequiredMinRx: 0})
	p.keep(100*ms, quiet)
	pk := s.packets(addrA, addrB, at.Add(time.Nanosecond))
	if len(pk) != 1 || !pk[0].p.Final {
		t.Errorf("packets to a peer with Required Min RX 0: %+v, want one Final", pk)
	}
}

// TestReceiveDrops: packets that RFC 5880 6.8.6 or RFC 5881 5 discard are
// counted by reason, against the session when the source is a peer, and
// change nothing.
func TestReceiveDrops(t *testing.T) {
	s, p := upWithPeer(t, Config{})
	ss := s.session(addrA, addrB)
	e := s.nodes[addrA]
	good := func() []byte {
		b, _ := ControlPacket{State: StateUp, DetectMult: 3, MyDiscriminator: p.discr, YourDiscriminator: ss.localDiscr,
			DesiredMinTx: 50 * ms, RequiredMinRx: 50 * ms}.Marshal()
		return b
	}
	stranger := netip.MustParseAddr("fe80::c")
	auth := ControlPacket{State: StateUp, DetectMult: 3, MyDiscriminator: p.discr, YourDiscriminator: ss.localDiscr,
		Auth: &Auth{Type: AuthSimplePassword, Data: []byte("\x01pw")}}
	authB, _ := auth.Marshal()
	unknown, _ := ControlPacket{State: StateUp, DetectMult: 3, MyDiscriminator: 9, YourDiscriminator: ss.localDiscr + 1}.Marshal()
	strangerDown, _ := ControlPacket{State: StateDown, DetectMult: 3, MyDiscriminator: 9}.Marshal()
	cases := []struct {
		name    string
		d       Datagram
		reason  string
		session bool
	}{
		{"hop limit 254", Datagram{Src: addrB, HopLimit: 254, Data: good()}, dropHopLimit, true},
		{"hop limit unknown", Datagram{Src: addrB, HopLimit: -1, Data: good()}, dropHopLimit, true},
		{"truncated", Datagram{Src: addrB, HopLimit: 255, Data: good()[:20]}, dropTruncated, true},
		{"version 0", Datagram{Src: addrB, HopLimit: 255, Data: append([]byte{0x00}, good()[1:]...)}, dropVersion, true},
		{"authenticated", Datagram{Src: addrB, HopLimit: 255, Data: authB}, dropAuthentication, true},
		{"unknown discriminator", Datagram{Src: addrB, HopLimit: 255, Data: unknown}, dropUnknownDiscr, true},
		{"our session's discriminator from a stranger", Datagram{Src: stranger, HopLimit: 255, Data: good()}, dropWrongSource, false},
		{"unknown peer", Datagram{Src: stranger, HopLimit: 255, Data: strangerDown}, dropUnknownPeer, false},
		{"stranger's junk", Datagram{Src: stranger, HopLimit: 255, Data: []byte{1, 2, 3}}, dropTruncated, false},
	}
	for _, c := range cases {
		in := ss.cnt.packetsIn
		sessBefore, engBefore := ss.cnt.dropped[c.reason], e.cnt.dropped[c.reason]
		s.inject(addrA, c.d)
		sessAfter, engAfter := ss.cnt.dropped[c.reason], e.cnt.dropped[c.reason]
		if c.session && sessAfter != sessBefore+1 || !c.session && engAfter != engBefore+1 {
			t.Errorf("%s: %s session %d->%d, engine %d->%d", c.name, c.reason, sessBefore, sessAfter, engBefore, engAfter)
		}
		if ss.cnt.packetsIn != in || ss.state != StateUp {
			t.Errorf("%s: packets in %d->%d, state %v", c.name, in, ss.cnt.packetsIn, ss.state)
		}
	}
	st := e.status()
	if st.Dropped[dropUnknownPeer] != 1 || st.Sessions[0].Counters.Dropped[dropHopLimit] != 2 {
		t.Errorf("status counters: %+v %+v", st.Dropped, st.Sessions[0].Counters.Dropped)
	}
}

// TestAdminDownIgnores: a session saying AdminDown discards what arrives
// (RFC 5880 6.8.6 step 21) and answers no Poll.
func TestAdminDownIgnores(t *testing.T) {
	s, p := upWithPeer(t, Config{})
	ss := s.session(addrA, addrB)
	n := len(s.sent)
	s.nodes[addrA].beginShutdown(s.now)
	s.nodes[addrA].tick(s.now)
	p.send(ControlPacket{State: StateUp, Poll: true, DesiredMinTx: 50 * ms, RequiredMinRx: 50 * ms})
	s.run(time.Second)
	if ss.state != StateAdminDown || ss.cnt.dropped[dropAdminDown] != 1 {
		t.Errorf("state %v, admin-down drops %d", ss.state, ss.cnt.dropped[dropAdminDown])
	}
	for _, w := range s.sent[n:] {
		if cp, _ := Parse(w.data); cp.Final || cp.State != StateAdminDown {
			t.Errorf("sent %+v while AdminDown", cp)
		}
	}
}

// TestStateChangesCounted: Status counts every session's state changes
// by the state entered, and keeps them after the session ends.
func TestStateChangesCounted(t *testing.T) {
	s, _ := upWithPeer(t, Config{})
	e := s.nodes[addrA]
	if got := e.status().StateChanges[StateUp.String()]; got != 1 {
		t.Fatalf("Up changes %d, want 1: %v", got, e.status().StateChanges)
	}
	e.beginShutdown(s.now)
	e.tick(s.now)
	s.run(5 * time.Second)
	st := e.status()
	if len(st.Sessions) != 0 {
		t.Fatalf("%d sessions after the shutdown, want 0", len(st.Sessions))
	}
	if st.StateChanges[StateUp.String()] != 1 || st.StateChanges[StateAdminDown.String()] != 1 {
		t.Errorf("state changes after the session ended: %v, want Up 1 and AdminDown 1", st.StateChanges)
	}
}
