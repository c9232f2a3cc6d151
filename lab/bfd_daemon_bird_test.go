package lab

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Issue 18 with the daemon against BIRD 2.0.12: two anycostd servers with
// [ospf.bfd] interval 50 ms behind BIRD (`bfd yes` in its OSPF interface,
// `protocol bfd` at 50 ms x 3). Each server's session with BIRD comes Up
// at 50 ms x 3 on both sides and `anycostd status` shows it; s1's link
// dropped takes it out of BIRD's FIB before the dead interval (4 s), by
// BFD (BIRD's OSPF logs the BFD Down; BIRD's 1 s tick sets the figure);
// s2's SIGTERM says AdminDown after the flush, and BIRD's session goes
// Down on it, not on a timeout.
func TestBFDDaemonBIRD(t *testing.T) {
	f := NewBIRDFarm(t, 2, BIRDOptions{
		Kernel:         true,
		InterfaceExtra: "bfd yes;",
		OSPFExtra:      "debug { events };",
		Extra:          `protocol bfd { debug { events }; interface "eth0" { interval 50 ms; multiplier 3; }; }`,
	})
	f.OSPFExtra = bfdDaemonTOML
	for _, s := range f.Servers {
		s.WriteConfig(s.TOML(ServiceTOML("dns", Anycast, 10) + "drain_time = \"0s\"\n"))
		s.Start()
	}
	bird, s1, s2, router := f.BIRD, f.Servers[0], f.Servers[1], f.RouterIf.LinkLocal
	fibIs(t, f.Farm, Anycast, 40*time.Second, "2-way ECMP in BIRD's FIB", LinkLocals(s1, s2))

	// Up on both sides, at 50 ms x 3.
	for _, s := range f.Servers {
		took := waitDaemonUp50(t, s, router, 10*time.Second)
		t.Logf("%s: session Up (%v after the ECMP route)", s.Name(), took.Round(time.Millisecond))
		bs, _ := waitFound(t, 5*time.Second, "BIRD's session with "+s.Name()+" Up at 50 ms", func() (BIRDBFDSession, bool, error) {
			return bird.BFDSession(s.Iface.LinkLocal)
		}, func(bs BIRDBFDSession) bool { return bs.State == "Up" && bs.Interval == "0.050" })
		if bs.Timeout != "0.150" {
			t.Errorf("BIRD's session with %s: %+v; want interval 0.050, timeout 0.150", s.Name(), bs)
		}
	}
	checkBFDLine(t, s1, "status", router)

	// BIRD originates its Network-LSA at most once in 5 s (MinLSInterval)
	// and postpones a change that comes sooner: as long as the Network-LSA
	// lists a neighbor BIRD dropped, its routes through it stay. The link
	// formed just now; wait until the Network-LSA is 5 s old, as on a link
	// whose servers have not changed for a while.
	WaitFor(t, 10*time.Second, "BIRD's Network-LSA 5 s old", func() (bool, error) {
		age, err := birdNetworkLSAAge(bird, "192.0.2.1")
		return age >= 5, fmt.Errorf("age %d s (%v)", age, err)
	})

	// s1 goes dark: its link drops, nothing on it can speak. BIRD's OSPF
	// logs the BFD Down of the neighbor (proto/ospf/neighbor.c) and drops
	// it; the Network-LSA and the routes follow on the next tick.
	f.Lab.mustRun("ip", "-n", s1.Namespace(), "link", "set", "eth0", "down")
	took := fibIs(t, f.Farm, Anycast, 10*time.Second, "s1 out of BIRD's FIB", LinkLocals(s2))
	t.Logf("s1's link down -> out of BIRD's FIB in %v (BFD 50 ms x 3, BIRD's 1 s tick; dead interval 4 s)", took.Round(time.Millisecond))
	if n := logLines(bird.Proc(), "BFD session down for nbr "+s1.RouterID); n != 1 || took >= 4*time.Second {
		t.Errorf("BIRD's OSPF logged %d BFD Downs for s1 (want 1), s1 left the FIB after %v: the dead interval, not BFD", n, took)
	}

	// s2's planned stop: the flush, then the AdminDown, which BIRD's
	// session takes as the peer's Down (diagnostic neighbor down), not as
	// an expiry.
	sig := time.Now()
	s2.Signal(syscall.SIGTERM)
	if err := s2.Proc.WaitTimeout(15 * time.Second); err != nil {
		t.Errorf("s2's anycostd exit: %v", err)
	}
	t.Logf("s2: SIGTERM -> exit in %v", time.Since(sig).Round(time.Millisecond))
	fibIs(t, f.Farm, Anycast, 5*time.Second, "no server in BIRD's FIB", nil)
	flushed := logIndex(s2.Proc, "shutting down: flushing the advertisements")
	adminDown := logIndex(s2.Proc, "bfd session AdminDown")
	if flushed < 0 || adminDown < flushed {
		t.Errorf("s2's log: flush at line %d, AdminDown at line %d; want the AdminDown after the flush", flushed, adminDown)
	}
	peer := "Session to " + s2.Iface.LinkLocal.WithZone("").String()
	WaitFor(t, 5*time.Second, "BIRD's session with s2 down", func() (bool, error) {
		return logIndex(bird.Proc(), peer+" changed state from Up to Down") >= 0, nil
	})
	down, expired := logIndex(bird.Proc(), peer+" changed state from Up to Down"), logIndex(bird.Proc(), peer+" expired")
	if expired >= 0 && expired < down {
		t.Errorf("BIRD's session with s2 expired (line %d) before it went Down (line %d): no AdminDown heard; BIRD:\n%s", expired, down,
			strings.Join(logMatching(bird.Proc(), peer), "\n"))
	}
	if n := logLines(bird.Proc(), "BFD session down for nbr "+s2.RouterID); n != 1 {
		t.Errorf("BIRD's OSPF logged %d BFD Downs for s2, want 1 (our AdminDown: BIRD 2.0.12 takes it as a failure)", n)
	}
}

// birdNetworkLSAAge is the age in seconds of the Network-LSA that BIRD
// (router ID rid) originates as the DR, -1 without one.
func birdNetworkLSAAge(b *BIRD, rid string) (int, error) {
	ls, err := b.LSDB()
	if err != nil {
		return -1, err
	}
	for _, l := range ls {
		if l.Type == 0x2002 && l.AdvRouter == rid {
			return l.Age, nil
		}
	}
	return -1, nil
}
