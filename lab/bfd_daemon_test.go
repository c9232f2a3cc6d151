package lab

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anycostd/anycostd/bfd"
	"github.com/anycostd/anycostd/ospf"
)

// bfdDaemonPerf is the load of TestBFDDaemonFRR's planned stop: 4 s at
// 3000 qps from 50 client sockets, the SIGTERM 1 s in; queries
// unanswered after 2 s count as lost.
var bfdDaemonPerf = PerfOptions{Server: Anycast.Addr(), Duration: 4 * time.Second, QPS: 3000, Clients: 50, Timeout: 2 * time.Second}

// bfdDaemonTOML turns BFD on in the servers' [ospf] at 50 ms x 3.
const bfdDaemonTOML = "\n[ospf.bfd]\ninterval = \"50ms\"\n"

// Issue 18 with the daemon: three anycostd servers with [ospf.bfd]
// interval 50 ms behind FRR 8.4.4. First the router runs no BFD and a
// stranger on the link speaks BFD to s1 (bfdAbsentAndWrongPeer): the
// sessions stay Down at the slow rate, the stranger's packets are counted
// and get no session, and OSPF does not move. Then the router turns BFD
// on (`ipv6 ospf6 bfd`, profile 50 ms x 3): each server's session with
// the router (the DR) comes Up at 50 ms x 3 without OSPF moving, and
// `anycostd status` and `neighbors` show it; s1's link dropped takes it
// out of the router's FIB before the dead interval (4 s); s2's SIGTERM
// under dnsperf loses no query, and its session says AdminDown only after
// the flush, which bfdd sees (remote diagnostic administratively down).
func TestBFDDaemonFRR(t *testing.T) {
	d := NewDNSFarm(t, 3, nil)
	// ospf6d logs its neighbors' events (inactivity timers) from the start.
	if _, err := d.Router.Vtysh("configure terminal", "log stdout debugging", "end", "debug ospf6 neighbor event"); err != nil {
		t.Fatal(err)
	}
	d.OSPFExtra = bfdDaemonTOML
	for _, s := range d.Servers {
		s.WriteConfig(s.TOML(DNSServiceTOML(time.Second)))
		s.Start()
	}
	x, err := d.addHost("x1")
	if err != nil {
		t.Fatal(err)
	}
	xIf := x.Attach(d.LAN, "eth0", bfdStrangerPrefix)
	fibIs(t, d.Farm, Anycast, 40*time.Second, "3-way ECMP", LinkLocals(d.Servers...))
	s1, s2, s3 := d.Servers[0], d.Servers[1], d.Servers[2]
	router, routerID := d.RouterIf.LinkLocal, "192.0.2.1"

	// The router runs no BFD yet; a stranger speaks BFD to s1.
	bfdAbsentAndWrongPeer(t, d, x, xIf)

	// The router turns BFD on: bfdd, the profile, and `ipv6 ospf6 bfd`.
	// s2's session is also a static peer, so that bfdd keeps it (and the
	// AdminDown it heard) after ospf6d lets go of it with the neighbor;
	// it is configured before ospf6d registers s2, as bfdd's config had
	// it when this test started bfdd with the router.
	on := time.Now()
	d.Router.AddBFDD()
	s2ll := s2.Iface.LinkLocal
	cmds := FRRBFDOSPFCommands("fast", 50*bfdMs, 3, "eth0")
	i := slices.Index(cmds, "interface eth0") // the profile comes before
	cmds = slices.Concat(cmds[:i],
		[]string{"bfd", "peer " + s2ll.String() + " interface eth0", "profile fast", "exit", "exit", "log stdout debugging"},
		cmds[i:], []string{"end", "debug bfd peer"})
	if _, err := d.Router.Vtysh(cmds...); err != nil {
		t.Fatal(err)
	}

	// Up on both sides, at the profile's 50 ms x 3, and OSPF did not move.
	for _, s := range d.Servers {
		waitDaemonUp50(t, s, router, 10*time.Second)
		p, _ := waitFRRPeer(t, d.Router, s.Iface.LinkLocal, 5*time.Second, "bfdd's session with "+s.Name()+" up",
			func(p FRRBFDPeer) bool { return p.Status == "up" })
		if p.TransmitInterval != 50 || p.ReceiveInterval != 50 || p.RemoteTransmit != 50 || p.RemoteMultiplier != 3 {
			t.Errorf("bfdd's session with %s: %+v; want 50 ms both ways, x 3", s.Name(), p)
		}
	}
	t.Logf("the router's BFD on -> every session Up at 50 ms on both sides in %v", time.Since(on).Round(time.Millisecond))
	bfdOSPFStill(t, d, "after the sessions came Up")
	if st, err := s1.DaemonStatus(); err != nil || st.BFD == nil || len(st.BFD.Sessions) != 1 || st.BFD.Dropped["unknown-peer"] < 3 {
		t.Errorf("s1's BFD with the router Up and the stranger still sending: %+v %v; want one session, the stranger's packets dropped", st, err)
	}
	checkBFDLine(t, s1, "status", router, "Up/Up", "150ms")
	checkBFDLine(t, s1, "neighbors", router, "Up/Up", "150ms")

	// s1 goes dark: its link drops, nothing on it can speak.
	d.Lab.mustRun("ip", "-n", s1.Namespace(), "link", "set", "eth0", "down")
	took := fibIs(t, d.Farm, Anycast, 10*time.Second, "s1 out of the router's FIB", LinkLocals(s2, s3))
	t.Logf("s1's link down -> out of the router's FIB in %v (BFD 50 ms x 3; dead interval 4 s)", took.Round(time.Millisecond))
	if took >= 4*time.Second {
		t.Errorf("s1 left the FIB after %v: the dead interval, not BFD", took)
	}

	// s2's planned stop under load: nothing lost, AdminDown after the
	// flush.
	perf := d.Client.StartDNSPerf(context.Background(), bfdDaemonPerf)
	time.Sleep(time.Second)
	sig := time.Now()
	s2.Signal(syscall.SIGTERM)
	if err := s2.Proc.WaitTimeout(15 * time.Second); err != nil {
		t.Errorf("s2's anycostd exit: %v", err)
	}
	t.Logf("s2: SIGTERM -> exit in %v (drain_time 1 s)", time.Since(sig).Round(time.Millisecond))
	r, err := perf()
	if err != nil {
		t.Fatalf("dnsperf: %v\n%s", err, r.Output)
	}
	t.Logf("SIGTERM under 3000 qps with BFD: sent %d, completed %d, lost %d", r.Sent, r.Completed, r.Lost)
	if r.Lost != 0 || r.Sent == 0 {
		t.Errorf("%d of %d queries lost in a planned stop with BFD", r.Lost, r.Sent)
	}
	fibIs(t, d.Farm, Anycast, 5*time.Second, "s3 alone in the FIB", LinkLocals(s3))
	flushed := logIndex(s2.Proc, "shutting down: flushing the advertisements")
	adminDown := logIndex(s2.Proc, "bfd session AdminDown")
	if flushed < 0 || adminDown < flushed {
		t.Errorf("s2's log: flush at line %d, AdminDown at line %d; want the AdminDown after the flush", flushed, adminDown)
	}
	// bfdd logs the AdminDown as the peer's Down (reason neighbor-down)
	// when it handles the packet before ospf6d deregisters s2's session.
	// When ospf6d's deregistration ("session-delete", on s2's goodbye)
	// comes first, FRR 8.4.4 logs no state change for it (one CI-style
	// run of 2026-12-07: "init -> up", then "session-delete", nothing
	// else), and `show bfd peer` below is the evidence that the AdminDown
	// arrived. Either way no Down for another reason: a detection-time
	// expiry there would be a false Down.
	bfdd, peer := d.Router.Daemon("bfdd"), "peer:"+s2ll.String()
	_, err = Wait(5*time.Second, "bfdd to log s2's AdminDown or its deregistration", func() (bool, error) {
		return logLines(bfdd, peer, "up -> down") >= 1 || logLines(bfdd, "session-delete", peer) >= 1, nil
	})
	downs, adminDowns := logLines(bfdd, peer, "up -> down"), logLines(bfdd, peer, "up -> down reason:neighbor-down")
	if err != nil || downs > 1 || downs != adminDowns {
		t.Errorf("bfdd logged %d Downs of s2's session, %d of them for its AdminDown; want at most one, that one (%v); bfdd:\n%s\ns2's BFD log:\n%s",
			downs, adminDowns, err, strings.Join(logMatching(bfdd, peer), "\n"), strings.Join(logMatching(s2.Proc, "bfd"), "\n"))
	}
	p, ok, err := d.Router.BFDPeer(s2ll)
	if err != nil || !ok {
		t.Fatalf("bfdd's session with s2 (a static peer) after its stop: %v %v", ok, err)
	}
	t.Logf("bfdd's session with s2 after its stop: %s, diagnostic %q, remote %q", p.Status, p.Diagnostic, p.RemoteDiagnostic)
	if p.Status != "down" || p.RemoteDiagnostic != "administratively down" {
		t.Errorf("bfdd's session with s2: %s, remote diagnostic %q; want down, administratively down", p.Status, p.RemoteDiagnostic)
	}

	// s2's anycostd starts again: a new session (new discriminator) with
	// the one bfdd kept comes Up, and OSPF is Full again.
	start := time.Now()
	s2.Start()
	waitDaemonUp50(t, s2, router, 15*time.Second)
	waitFRRPeer(t, d.Router, s2ll, 5*time.Second, "bfdd's session with s2 up again", func(p FRRBFDPeer) bool { return p.Status == "up" })
	WaitFor(t, 10*time.Second, "s2 Full with the router again", func() (bool, error) {
		n, ok, err := daemonNeighbor(s2, routerID)
		return ok && n.State == "Full", err
	})
	t.Logf("s2 restarted: BFD Up on both sides and OSPF Full %v after the start", time.Since(start).Round(time.Millisecond))

	// The router goes dark (its link drops): s2's and s3's own sessions go
	// Down and take the router down as a neighbor at once, not after the
	// dead interval (4 s).
	d.Lab.mustRun("ip", "-n", d.RouterHost.Namespace(), "link", "set", "eth0", "down")
	for _, s := range []*Server{s2, s3} {
		took := WaitFor(t, 10*time.Second, s.Name()+"'s status without the router", func() (bool, error) {
			_, ok, err := daemonNeighbor(s, routerID)
			return !ok && err == nil, err
		})
		dead := logLines(s.Proc, `msg="neighbor dead"`, "reason=\"bfd session down: ")
		t.Logf("router's link down -> %s's status without the router in %v (dead interval 4 s)", s.Name(), took.Round(time.Millisecond))
		if dead != 1 || took >= 4*time.Second {
			t.Errorf("%s: %d neighbor Downs by BFD in its log (want 1), the router gone from its status after %v; log:\n%s", s.Name(), dead, took,
				strings.Join(logMatching(s.Proc, "neighbor"), "\n"))
		}
	}
}

// waitDaemonUp50 waits until s's session with peer is Up at 50 ms x 3
// both ways (the peer's timers heard, no Poll pending), checks the
// negotiated intervals and detection time, and returns how long it
// waited.
func waitDaemonUp50(t *testing.T, s *Server, peer netip.Addr, timeout time.Duration) time.Duration {
	t.Helper()
	ss, took := waitFound(t, timeout, s.Name()+"'s session with "+peer.String()+" Up at 50 ms", func() (bfd.SessionStatus, bool, error) {
		return daemonBFDSession(s, peer)
	}, func(ss bfd.SessionStatus) bool {
		return isUp(ss) && !ss.Polling && ss.RemoteDesiredMinTx == 50*bfdMs && ss.RemoteRequiredMinRx == 50*bfdMs
	})
	if ss.TxInterval != 50*bfdMs || ss.RxInterval != 50*bfdMs || ss.DetectTime != 150*bfdMs || ss.Multiplier != 3 {
		t.Errorf("%s's session: %+v; want 50 ms both ways, detection 150 ms", s.Name(), ss)
	}
	return took
}

// checkBFDLine checks that `anycostd cmd` (status, neighbors) on s shows
// the session with peer on a line holding every one of want.
func checkBFDLine(t *testing.T, s *Server, cmd string, peer netip.Addr, want ...string) {
	t.Helper()
	out, err := s.CLI(cmd)
	if err != nil {
		t.Fatalf("%s: anycostd %s: %v: %s", s.Name(), cmd, err, out)
	}
	line := bfdLine(string(out), peer)
	t.Logf("%s: anycostd %s: %s", s.Name(), cmd, line)
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("%s: anycostd %s shows no session with %v holding %q:\n%s", s.Name(), cmd, peer, w, out)
		}
	}
}

// daemonNeighbor is the daemon's OSPF neighbor with router ID rid, from
// `anycostd status` (ok false: none).
func daemonNeighbor(s *Server, rid string) (ospf.NeighborStatus, bool, error) {
	st, err := s.Status()
	if err != nil {
		return ospf.NeighborStatus{}, false, err
	}
	for _, n := range st.Neighbors {
		if n.RouterID == rid {
			return n, true, nil
		}
	}
	return ospf.NeighborStatus{}, false, nil
}

// daemonBFDSession is the daemon's BFD session with peer, from `anycostd
// status` over the control socket.
func daemonBFDSession(s *Server, peer netip.Addr) (bfd.SessionStatus, bool, error) {
	st, err := s.DaemonStatus()
	if err != nil || st.BFD == nil {
		return bfd.SessionStatus{}, false, err
	}
	for _, ss := range st.BFD.Sessions {
		if ss.Peer == peer.WithZone("").String() {
			return ss, true, nil
		}
	}
	return bfd.SessionStatus{}, false, nil
}

// bfdLine is the line of a status or neighbors text about the BFD
// session with peer ("" without).
func bfdLine(text string, peer netip.Addr) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, peer.WithZone("").String()+" ") {
			return line
		}
	}
	return ""
}

// logIndex is the number of the first line of p's log holding sub, -1
// without.
func logIndex(p *Proc, sub string) int {
	for i, line := range strings.Split(tail(p.LogPath(), 1<<20), "\n") {
		if strings.Contains(line, sub) {
			return i
		}
	}
	return -1
}

// logMatching returns the lines of p's log holding sub.
func logMatching(p *Proc, sub string) []string {
	var out []string
	for _, line := range strings.Split(tail(p.LogPath(), 1<<20), "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return out
}
