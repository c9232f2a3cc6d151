package lab

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/ipv6"

	"github.com/anycostd/anycostd/bfd"
)

const bfdMs = time.Millisecond

// bfdLog is the speaker's log in lab tests: to stderr with -v.
func bfdLog(t *testing.T, name string) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("speaker", name)
	}
	return slog.New(slog.DiscardHandler)
}

// waitFound waits until get finds a value that satisfies ok, and returns
// it with the time it took.
func waitFound[T any](t *testing.T, timeout time.Duration, what string, get func() (T, bool, error), ok func(T) bool) (T, time.Duration) {
	t.Helper()
	var v T
	took := WaitFor(t, timeout, what, func() (bool, error) {
		var found bool
		var err error
		v, found, err = get()
		if err != nil || !found {
			return false, fmt.Errorf("not found (%v)", err)
		}
		return ok(v), fmt.Errorf("last seen %+v", v)
	})
	return v, took
}

// waitFRRPeer waits until bfdd's session with peer satisfies ok.
func waitFRRPeer(t *testing.T, f *FRR, peer netip.Addr, timeout time.Duration, what string, ok func(FRRBFDPeer) bool) (FRRBFDPeer, time.Duration) {
	t.Helper()
	return waitFound(t, timeout, what, func() (FRRBFDPeer, bool, error) { return f.BFDPeer(peer) }, ok)
}

// waitSession waits until the speaker's session with peer satisfies ok.
func waitSession(t *testing.T, sp *BFDSpeaker, peer netip.Addr, timeout time.Duration, what string, ok func(bfd.SessionStatus) bool) bfd.SessionStatus {
	t.Helper()
	ss, _ := waitFound(t, timeout, what, func() (bfd.SessionStatus, bool, error) { return sp.Session(peer) }, ok)
	return ss
}

func isUp(ss bfd.SessionStatus) bool { return ss.State == "Up" && ss.RemoteState == "Up" }

// checkOwnPackets checks the speaker's packets in a capture: from its
// link-local address, hop limit 255, one source port in 49152-65535 (RFC
// 5881 4, 5), never Poll and Final together, no Echo.
func checkOwnPackets(t *testing.T, pkts []BFDPacket, src netip.Addr) []BFDPacket {
	t.Helper()
	var own []BFDPacket
	ports := map[int]bool{}
	for _, p := range pkts {
		if p.Src != src {
			continue
		}
		own = append(own, p)
		ports[p.SrcPort] = true
		if p.HopLimit != 255 || p.SrcPort < 49152 || p.Packet.Poll && p.Packet.Final || p.Packet.RequiredMinEchoRx != 0 {
			t.Errorf("packet of the speaker: %+v", p)
		}
	}
	if len(own) == 0 || len(ports) != 1 {
		t.Errorf("%d packets of the speaker from source ports %v", len(own), ports)
	}
	return own
}

// Issue 18, lab 1: FRR 8.4.4 bfdd with a static peer (profile 50 ms x 3)
// and the speaker in the server's namespace: Up with the negotiated
// intervals, Poll/Final when FRR's profile changes, detection when the
// server's link goes down, AdminDown at Shutdown.
func TestBFDFRRStatic(t *testing.T) {
	RequireFRR(t)
	l := New(t)
	lan := l.AddLink("lan")
	r1, s1 := l.AddHost("r1"), l.AddHost("s1")
	rIf := r1.Attach(lan, "eth0", netip.MustParsePrefix("2001:db8:1::1/64"))
	sIf := s1.Attach(lan, "eth0", netip.MustParsePrefix("2001:db8:1::11/64"))
	capt := lan.CaptureBFD(t)
	frr := r1.StartFRR(FRRBFDConfig("fast", 50*bfdMs, 3, "eth0", sIf.LinkLocal))
	sp := s1.StartBFD("eth0", bfd.Config{DesiredMinTx: 50 * bfdMs, RequiredMinRx: 50 * bfdMs}, bfdLog(t, "s1"))
	if err := sp.SetPeers([]netip.Addr{rIf.LinkLocal}); err != nil {
		t.Fatal(err)
	}
	if got := sp.Transport.LocalAddr(); got.Addr() != sIf.LinkLocal || got.Port() < 49152 {
		t.Errorf("transport sends from %v, want %v port 49152-65535", got, sIf.LinkLocal)
	}

	t.Run("up", func(t *testing.T) {
		ss := waitSession(t, sp, rIf.LinkLocal, 15*time.Second, "the speaker's session Up at 50 ms", func(ss bfd.SessionStatus) bool {
			return isUp(ss) && !ss.Polling && ss.RemoteRequiredMinRx == 50*bfdMs
		})
		if ss.TxInterval != 50*bfdMs || ss.RxInterval != 50*bfdMs || ss.DetectTime != 150*bfdMs || ss.RemoteMultiplier != 3 || ss.Polling {
			t.Errorf("negotiated: %+v; want 50 ms both ways, detection 150 ms", ss)
		}
		p, _ := waitFRRPeer(t, frr, sIf.LinkLocal, 5*time.Second, "bfdd's session up", func(p FRRBFDPeer) bool { return p.Status == "up" })
		if p.RemoteTransmit != 50 || p.RemoteReceive != 50 || p.RemoteMultiplier != 3 || p.RemoteID != ss.LocalDiscriminator || p.ID != ss.RemoteDiscriminator {
			t.Errorf("bfdd sees %+v; speaker %+v", p, ss)
		}
	})

	t.Run("poll on profile change", func(t *testing.T) {
		if _, err := frr.Vtysh("configure terminal", "bfd", "profile fast", "transmit-interval 200", "receive-interval 200"); err != nil {
			t.Fatal(err)
		}
		ss := waitSession(t, sp, rIf.LinkLocal, 5*time.Second, "200 ms from FRR's Poll", func(ss bfd.SessionStatus) bool {
			return ss.RemoteDesiredMinTx == 200*bfdMs && ss.RemoteRequiredMinRx == 200*bfdMs
		})
		if ss.TxInterval != 200*bfdMs || ss.DetectTime != 600*bfdMs || !isUp(ss) {
			t.Errorf("after FRR's Poll: %+v; want interval 200 ms, detection 600 ms, Up", ss)
		}
		// FRR's Poll with 200 ms, then our Final (tshark lags a little).
		var poll, final BFDPacket
		WaitFor(t, 5*time.Second, "FRR's Poll and our Final in the capture", func() (bool, error) {
			pkts, err := capt.Packets()
			if err != nil {
				return false, err
			}
			i := slices.IndexFunc(pkts, func(p BFDPacket) bool {
				return p.Src == rIf.LinkLocal && p.Packet.Poll && p.Packet.DesiredMinTx == 200*bfdMs
			})
			if i < 0 {
				return false, fmt.Errorf("no Poll with 200 ms from FRR among %d packets", len(pkts))
			}
			j := slices.IndexFunc(pkts[i:], func(p BFDPacket) bool { return p.Src == sIf.LinkLocal && p.Packet.Final })
			if j < 0 {
				return false, errors.New("no Final from the speaker after FRR's Poll")
			}
			poll, final = pkts[i], pkts[i+j]
			return true, nil
		})
		t.Logf("FRR's Poll -> our Final in %v", final.At.Sub(poll.At).Round(time.Microsecond))
		if _, err := frr.Vtysh("configure terminal", "bfd", "profile fast", "transmit-interval 50", "receive-interval 50"); err != nil {
			t.Fatal(err)
		}
		waitSession(t, sp, rIf.LinkLocal, 5*time.Second, "50 ms again", func(ss bfd.SessionStatus) bool { return ss.TxInterval == 50*bfdMs && isUp(ss) })
	})

	t.Run("server link down", func(t *testing.T) {
		before, err := frr.BFDCounters(sIf.LinkLocal)
		if err != nil {
			t.Fatal(err)
		}
		l.mustRun("ip", "-n", s1.Namespace(), "link", "set", "eth0", "down")
		p, took := waitFRRPeer(t, frr, sIf.LinkLocal, 5*time.Second, "bfdd's session down", func(p FRRBFDPeer) bool { return p.Status != "up" })
		if p.Status != "down" || p.Diagnostic != "control detection time expired" {
			t.Errorf("bfdd after the server's link went down: %+v", p)
		}
		t.Logf("server link down -> bfdd shows Down after %v (vtysh polled every 50 ms)", took.Round(time.Millisecond))
		var last, down BFDPacket
		WaitFor(t, 5*time.Second, "the router's Down in the capture", func() (bool, error) {
			pkts, err := capt.Packets()
			if err != nil {
				return false, err
			}
			i := slices.IndexFunc(pkts, func(p BFDPacket) bool {
				return p.Src == rIf.LinkLocal && p.Packet.State == bfd.StateDown && p.Packet.Diag == bfd.DiagTimeExpired
			})
			if i < 0 {
				return false, errors.New("no Down with diag 1 from the router yet")
			}
			for _, p := range pkts[:i] {
				if p.Src == sIf.LinkLocal {
					last = p
				}
			}
			down = pkts[i]
			return true, nil
		})
		t.Logf("the server's last packet -> the router's Down (diag 1) in %v on the wire (detection time 150 ms)", down.At.Sub(last.At).Round(time.Millisecond))
		ss := waitSession(t, sp, rIf.LinkLocal, 5*time.Second, "the speaker's session Down", func(ss bfd.SessionStatus) bool { return ss.State == "Down" })
		if ss.Diag != "detection-time-expired" || ss.Downs != 1 {
			t.Errorf("speaker after its link went down: %+v", ss)
		}
		after, _ := frr.BFDCounters(sIf.LinkLocal)
		if after.SessionDown != before.SessionDown+1 {
			t.Errorf("bfdd session-down %d -> %d", before.SessionDown, after.SessionDown)
		}
		l.mustRun("ip", "-n", s1.Namespace(), "link", "set", "eth0", "up")
		WaitFor(t, 10*time.Second, "DAD after link up", func() (bool, error) { _, err := s1.Iface("eth0"); return err == nil, err })
		waitSession(t, sp, rIf.LinkLocal, 15*time.Second, "Up again", isUp)
		waitFRRPeer(t, frr, sIf.LinkLocal, 5*time.Second, "bfdd up again", func(p FRRBFDPeer) bool { return p.Status == "up" })
		var failures int
		for _, ev := range sp.Events() {
			if ev.Failure() {
				failures++
			}
		}
		if failures != 1 {
			t.Errorf("%d failure events, want 1: %+v", failures, sp.Events())
		}
	})

	t.Run("shutdown", func(t *testing.T) {
		at := time.Now()
		if err := sp.Shutdown(); err != nil {
			t.Fatal(err)
		}
		if err := sp.Wait(5 * time.Second); err != nil {
			t.Fatalf("Run after Shutdown: %v", err)
		}
		ended := time.Now() // the speaker sends nothing from here on
		t.Logf("Shutdown -> Run returned in %v", ended.Sub(at).Round(time.Millisecond))
		p, _ := waitFRRPeer(t, frr, sIf.LinkLocal, 5*time.Second, "bfdd's session down", func(p FRRBFDPeer) bool { return p.Status != "up" })
		if p.Status != "down" || p.Diagnostic != "neighbor signaled session down" || p.RemoteDiagnostic != "administratively down" {
			t.Errorf("bfdd after Shutdown: %+v; want down, neighbor signaled session down, remote administratively down", p)
		}
		// tshark's lines can lag the wire by more than a second (seen in
		// 3 of 20 runs on a 2-core machine with builds running beside):
		// the capture is complete up to the speaker's end once it holds a
		// packet sent after it (bfdd keeps sending, Down, once a second).
		var pkts []BFDPacket
		WaitFor(t, 10*time.Second, "a captured packet sent after the speaker ended", func() (bool, error) {
			var err error
			pkts, err = capt.Packets()
			return err == nil && len(pkts) > 0 && pkts[len(pkts)-1].At.After(ended), err
		})
		t.Logf("the capture held a packet sent after the speaker ended %v after it ended", time.Since(ended).Round(time.Millisecond))
		own := checkOwnPackets(t, pkts, sIf.LinkLocal)
		// The speaker's goroutine may send one last Up packet after at
		// (time.Now before Shutdown) and before it handles the Shutdown,
		// so the packets are judged by their order, not by at: Up until
		// the first AdminDown, AdminDown (diag 7) only from there on,
		// and none of those before at.
		first := slices.IndexFunc(own, func(p BFDPacket) bool { return p.Packet.State == bfd.StateAdminDown })
		if first < 0 {
			t.Fatal("no AdminDown packet of the speaker after Shutdown")
		}
		if own[first].At.Before(at) {
			t.Errorf("an AdminDown packet at %v, before Shutdown at %v", own[first].At, at)
		}
		admin := own[first:]
		for _, p := range admin {
			if p.Packet.State != bfd.StateAdminDown || p.Packet.Diag != bfd.DiagAdminDown {
				t.Errorf("after the first AdminDown: %+v", p.Packet)
			}
		}
		// 3 intervals of 50 ms (75-100% each): 2-4 packets.
		if len(admin) < 2 || len(admin) > 5 {
			t.Errorf("%d AdminDown packets, want 2-5", len(admin))
		} else {
			t.Logf("%d AdminDown packets over %v", len(admin), admin[len(admin)-1].At.Sub(admin[0].At).Round(time.Millisecond))
		}
	})
}

// Issue 18, lab 3: a wrong or absent peer does not disturb OSPF. The
// router runs `ipv6 ospf6 bfd` (50 ms x 3) and the anycostd server is Full
// with it; the speaker on the server knows only an absent address: its
// session stays Down, sending at the slow rate, and the router's packets
// are counted as from an unknown peer; a packet with hop limit 64 and a
// malformed one are counted too. bfdd's session with the server never
// comes up, so ospf6d keeps the server: no inactivity timer, the route
// stays. Once the right peer is set the session comes Up, and OSPF still
// does not move.
func TestBFDWrongPeer(t *testing.T) {
	f := NewFarm(t, 1)
	f.Router.AddBFDD()
	if _, err := f.Router.Vtysh(FRRBFDOSPFCommands("fast", 50*bfdMs, 3, "eth0")...); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Router.Vtysh("configure terminal", "log stdout debugging", "end", "debug ospf6 neighbor event"); err != nil {
		t.Fatal(err)
	}
	s1 := f.Servers[0]
	s1.Start()
	fibIs(t, f, Anycast, 30*time.Second, "s1 in the router's FIB", LinkLocals(s1))
	rIf, sIf := f.RouterIf, s1.Iface
	ospf6d := f.Router.Daemon("ospf6d")
	inactivity := func() int { return logLines(ospf6d, "Neighbor Event 192.0.2.11%eth0: *InactivityTimer*") }
	sp := s1.StartBFD("eth0", bfd.Config{}, bfdLog(t, "s1"))
	absent := netip.MustParseAddr("fe80::dead")
	if err := sp.SetPeers([]netip.Addr{absent}); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	WaitFor(t, 10*time.Second, "router's packets counted as from an unknown peer", func() (bool, error) {
		st, err := sp.Status(ctx)
		return err == nil && st.Dropped["unknown-peer"] >= 2, fmt.Errorf("status %+v, %v", st, err)
	})
	// Off-link (hop limit 64) and malformed packets from the router's
	// namespace, to the speaker's port.
	good, _ := bfd.ControlPacket{State: bfd.StateDown, DetectMult: 3, MyDiscriminator: 1, DesiredMinTx: time.Second, RequiredMinRx: time.Second}.Marshal()
	sendBFDRaw(t, f.RouterHost, rIf.Index, sIf.LinkLocal, 64, good)
	sendBFDRaw(t, f.RouterHost, rIf.Index, sIf.LinkLocal, 255, []byte{0x20, 0x40, 0x03})
	st := func() bfd.Status {
		st, err := sp.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	WaitFor(t, 5*time.Second, "hop-limit and truncated drops", func() (bool, error) {
		s := st()
		return s.Dropped["hop-limit"] == 1 && s.Dropped["truncated"] == 1, fmt.Errorf("dropped %v", s.Dropped)
	})
	time.Sleep(2 * time.Second)
	s := st()
	if len(s.Sessions) != 1 {
		t.Fatalf("sessions %+v", s.Sessions)
	}
	ss := s.Sessions[0]
	if ss.State != "Down" || ss.Counters.PacketsIn != 0 || ss.Counters.PacketsOut < 2 || ss.TxInterval != time.Second {
		t.Errorf("session with the absent peer: %+v", ss)
	}
	if p, ok, err := f.Router.BFDPeer(sIf.LinkLocal); err != nil || !ok || p.Status == "up" {
		t.Errorf("bfdd's session with s1 (registered by ospf6d): %+v %v %v; want one, not up", p, ok, err)
	}
	t.Logf("after 2 s with a wrong peer: dropped %v, session %s out %d in %d", s.Dropped, ss.State, ss.Counters.PacketsOut, ss.Counters.PacketsIn)
	checkOSPF := func(when string) {
		t.Helper()
		if n := inactivity(); n != 0 {
			t.Errorf("%s: ospf6d ran the inactivity timer for s1 %d times", when, n)
		}
		if st, err := f.Router.NeighborState("192.0.2.11"); err != nil || !strings.HasPrefix(st, "Full") {
			t.Errorf("%s: the router's neighbor s1 is %q (%v), want Full", when, st, err)
		}
		fibIs(t, f, Anycast, time.Second, "s1 still in the router's FIB", LinkLocals(s1))
	}
	checkOSPF("with a wrong peer")
	if err := sp.SetPeers([]netip.Addr{rIf.LinkLocal}); err != nil {
		t.Fatal(err)
	}
	waitSession(t, sp, rIf.LinkLocal, 15*time.Second, "Up with the right peer", isUp)
	waitFRRPeer(t, f.Router, sIf.LinkLocal, 5*time.Second, "bfdd up", func(p FRRBFDPeer) bool { return p.Status == "up" })
	if s := st(); len(s.Sessions) != 1 || s.Sessions[0].Peer != rIf.LinkLocal.String() {
		t.Errorf("sessions after SetPeers: %+v", s.Sessions)
	}
	checkOSPF("after the session came Up")
}

// sendBFDRaw sends payload to the BFD port of dst (link-local, on the
// interface with index ifindex of h) from h, with the given hop limit.
func sendBFDRaw(t *testing.T, h *Host, ifindex int, dst netip.Addr, hopLimit int, payload []byte) {
	t.Helper()
	err := h.Do(func() error {
		c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6unspecified})
		if err != nil {
			return err
		}
		defer c.Close()
		if err := ipv6.NewConn(c).SetHopLimit(hopLimit); err != nil {
			return err
		}
		_, err = c.WriteToUDPAddrPort(payload, netip.AddrPortFrom(dst.WithZone(strconv.Itoa(ifindex)), bfd.Port))
		return err
	})
	if err != nil {
		t.Fatalf("sending to %v from %s: %v", dst, h.Name(), err)
	}
}

// logLines counts the lines of a process log that hold every one of subs.
func logLines(p *Proc, subs ...string) int {
	n := 0
	for _, line := range strings.Split(tail(p.LogPath(), 1<<20), "\n") {
		all := true
		for _, sub := range subs {
			all = all && strings.Contains(line, sub)
		}
		if all {
			n++
		}
	}
	return n
}

// Issue 18, lab 1 with OSPF: FRR's ospf6d registers the server (an
// anycostd OSPF neighbor) with bfdd, the speaker answers; when the
// server's link goes down, bfdd detects it and ospf6d drops the neighbor
// and its route at once (and deregisters the session). The speaker's
// AdminDown at Shutdown: FRR 8.4.4 reports it to ospf6d as Down, which
// resets the adjacency (see bfd.Speaker.Shutdown).
func TestBFDFRROSPF(t *testing.T) {
	f := NewFarm(t, 2)
	f.Router.AddBFDD()
	if _, err := f.Router.Vtysh(FRRBFDOSPFCommands("fast", 50*bfdMs, 3, "eth0")...); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Router.Vtysh("configure terminal", "log stdout debugging", "end", "debug ospf6 neighbor event", "debug bfd peer"); err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Servers {
		s.Start()
	}
	fibIs(t, f, Anycast, 30*time.Second, "2-way ECMP", LinkLocals(f.Servers...))
	s1 := f.Servers[0]
	sp := s1.StartBFD("eth0", bfd.Config{DesiredMinTx: 50 * bfdMs, RequiredMinRx: 50 * bfdMs}, bfdLog(t, "s1"))
	if err := sp.SetPeers([]netip.Addr{f.RouterIf.LinkLocal}); err != nil {
		t.Fatal(err)
	}
	waitSession(t, sp, f.RouterIf.LinkLocal, 15*time.Second, "speaker Up with the router", isUp)
	p, _ := waitFRRPeer(t, f.Router, s1.Iface.LinkLocal, 5*time.Second, "bfdd's session (registered by ospf6d) up", func(p FRRBFDPeer) bool { return p.Status == "up" })
	if p.TransmitInterval != 50 || p.ReceiveInterval != 50 || p.DetectMultiplier != 3 {
		t.Errorf("bfdd's session uses %+v, want the profile's 50 ms x 3", p)
	}
	// s2 runs no BFD: ospf6d registered it too; its session stays down
	// and OSPF keeps it (BFD only acts on Up -> Down).
	if p2, ok, _ := f.Router.BFDPeer(f.Servers[1].Iface.LinkLocal); !ok || p2.Status == "up" {
		t.Errorf("bfdd's session with s2 (no BFD): %+v %v", p2, ok)
	}
	bfdd, ospf6d := f.Router.Daemon("bfdd"), f.Router.Daemon("ospf6d")
	peer := "peer:" + s1.Iface.LinkLocal.String()
	inactivity := func() int { return logLines(ospf6d, "Neighbor Event 192.0.2.11%eth0: *InactivityTimer*") }

	t.Run("dark server", func(t *testing.T) {
		f.Lab.mustRun("ip", "-n", s1.Namespace(), "link", "set", "eth0", "down")
		took := fibIs(t, f, Anycast, 10*time.Second, "s1 out of the router's FIB", LinkLocals(f.Servers[1]))
		t.Logf("s1's link down -> out of the router's FIB in %v (BFD 50 ms x 3; OSPF dead interval 4 s)", took.Round(time.Millisecond))
		// bfdd detected it (debug bfd peer) and ospf6d ran the inactivity
		// timer; the session is deregistered with the neighbor.
		if n := logLines(bfdd, peer, "up -> down reason:control-expired"); n != 1 {
			t.Errorf("bfdd logged %d detections for s1, want 1", n)
		}
		if n := inactivity(); n != 1 {
			t.Errorf("ospf6d ran the inactivity timer for s1 %d times, want 1", n)
		}
		f.Lab.mustRun("ip", "-n", s1.Namespace(), "link", "set", "eth0", "up")
		fibIs(t, f, Anycast, 30*time.Second, "s1 back in the FIB", LinkLocals(f.Servers...))
		waitFRRPeer(t, f.Router, s1.Iface.LinkLocal, 15*time.Second, "bfdd up again", func(p FRRBFDPeer) bool { return p.Status == "up" })
	})

	t.Run("shutdown AdminDown", func(t *testing.T) {
		before, downs := inactivity(), logLines(bfdd, peer, "up -> down reason:neighbor-down")
		if err := sp.Shutdown(); err != nil {
			t.Fatal(err)
		}
		if err := sp.Wait(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		WaitFor(t, 5*time.Second, "bfdd to log s1's AdminDown", func() (bool, error) {
			return logLines(bfdd, peer, "up -> down reason:neighbor-down") == downs+1, nil
		})
		time.Sleep(500 * bfdMs)
		// FRR 8.4.4: bfdd notifies ospf6d Down on a peer's AdminDown, and
		// ospf6d fires the inactivity timer (changed in FRR 10.7). The
		// server still runs OSPF here, so the adjacency comes back.
		t.Logf("ospf6d inactivity timer runs for s1 on its AdminDown: %d", inactivity()-before)
		if inactivity() == before {
			t.Errorf("ospf6d did not reset the adjacency on AdminDown: FRR no longer treats AdminDown as a failure; update bfd.Speaker.Shutdown's doc and docs/bfd.md")
		}
		fibIs(t, f, Anycast, 30*time.Second, "s1 back in the FIB after the adjacency reset", LinkLocals(f.Servers...))
	})
}

// Issue 18, lab 2: BIRD 2.0.12 as the router, `bfd yes` in its OSPF
// interface and a `protocol bfd` at 50 ms x 3: BIRD requests a session
// with the anycostd server and it comes Up with the speaker.
func TestBFDBIRD(t *testing.T) {
	f := NewBIRDFarm(t, 1, BIRDOptions{
		Kernel:         true,
		InterfaceExtra: "bfd yes;",
		OSPFExtra:      "debug { events };",
		Extra:          `protocol bfd { interface "eth0" { interval 50 ms; multiplier 3; }; }`,
	})
	bird, s1 := f.BIRD, f.Servers[0]
	s1.Start()
	sp := s1.StartBFD("eth0", bfd.Config{DesiredMinTx: 50 * bfdMs, RequiredMinRx: 50 * bfdMs}, bfdLog(t, "s1"))
	if err := sp.SetPeers([]netip.Addr{f.RouterIf.LinkLocal}); err != nil {
		t.Fatal(err)
	}
	ss := waitSession(t, sp, f.RouterIf.LinkLocal, 30*time.Second, "speaker Up with BIRD", isUp)
	bs, _ := waitFound(t, 10*time.Second, "BIRD's session Up", func() (BIRDBFDSession, bool, error) {
		return bird.BFDSession(s1.Iface.LinkLocal)
	}, func(bs BIRDBFDSession) bool { return bs.State == "Up" })
	ss = waitSession(t, sp, f.RouterIf.LinkLocal, 5*time.Second, "BIRD's timers", func(ss bfd.SessionStatus) bool {
		return ss.RemoteDesiredMinTx == 50*bfdMs && !ss.Polling
	})
	if ss.TxInterval != 50*bfdMs || ss.DetectTime != 150*bfdMs {
		t.Errorf("negotiated with BIRD: %+v", ss)
	}
	if bs.Interval != "0.050" || bs.Timeout != "0.150" {
		out, _ := bird.Birdc("show bfd sessions")
		t.Errorf("BIRD's session: %+v, want interval 0.050 timeout 0.150; birdc:\n%s", bs, out)
	}
	if testing.Verbose() {
		out, _ := bird.Birdc("show bfd sessions")
		t.Logf("birdc show bfd sessions:\n%q", out)
	}
	fibIs(t, f.Farm, Anycast, 30*time.Second, "s1 in BIRD's FIB", LinkLocals(s1))
	// BIRD's OSPF logs this when a BFD session of a neighbor goes Down
	// (proto/ospf/neighbor.c, ospf_neigh_bfd_hook); then it drops the
	// neighbor and with it the BFD session.
	bfdDowns := func() int {
		return logLines(bird.Proc(), "BFD session down for nbr 192.0.2.11")
	}
	t.Run("dark server", func(t *testing.T) {
		f.Lab.mustRun("ip", "-n", s1.Namespace(), "link", "set", "eth0", "down")
		took := fibIs(t, f.Farm, Anycast, 10*time.Second, "s1 out of the router's FIB", nil)
		t.Logf("s1's link down -> out of BIRD's FIB in %v (BFD 50 ms x 3, BIRD's 1 s tick; dead interval 4 s)", took.Round(time.Millisecond))
		if n := bfdDowns(); n != 1 {
			t.Errorf("BIRD's OSPF logged %d BFD downs for s1, want 1 (BFD, not the dead interval, removed it)", n)
		}
		out, _ := bird.Birdc("show ospf neighbors")
		if strings.Contains(out, "192.0.2.11") {
			t.Errorf("BIRD keeps s1 as an OSPF neighbor:\n%s", out)
		}
		f.Lab.mustRun("ip", "-n", s1.Namespace(), "link", "set", "eth0", "up")
		fibIs(t, f.Farm, Anycast, 30*time.Second, "s1 back in BIRD's FIB", LinkLocals(s1))
		waitSession(t, sp, f.RouterIf.LinkLocal, 15*time.Second, "speaker Up again", isUp)
	})
	t.Run("shutdown AdminDown", func(t *testing.T) {
		before := bfdDowns()
		if err := sp.Shutdown(); err != nil {
			t.Fatal(err)
		}
		if err := sp.Wait(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		// BIRD 2.0.12 reports any Up -> Down to OSPF, the peer's AdminDown
		// included (proto/bfd/bfd.c bfd_request_notify), and OSPF resets
		// the neighbor.
		WaitFor(t, 5*time.Second, "BIRD's OSPF to act on our AdminDown", func() (bool, error) {
			return bfdDowns() > before, nil
		})
		t.Logf("BIRD's OSPF BFD downs on our AdminDown: %d (BIRD 2.0.12 resets the adjacency)", bfdDowns()-before)
	})
}
