package lab

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/anycostd/anycostd/bfd"
	"github.com/anycostd/anycostd/control"
)

// bfdStrangerPrefix is the address of TestBFDDaemonFRR's stranger: a host
// on the servers' link that is no OSPF neighbor of theirs.
var bfdStrangerPrefix = netip.MustParsePrefix("2001:db8:1::99/64")

// bfdAbsentAndWrongPeer is issue 18's "a wrong or absent peer does not
// disturb OSPF" with the daemon, on TestBFDDaemonFRR's farm while the
// router runs no BFD at all (no bfdd: its port is closed).
//
// Absent peer: each daemon's session with the DR stays Down, sending at
// one packet a second (RFC 5880 6.8.3: Desired Min TX at least 1 s while
// not Up), hearing nothing, and `anycostd status` shows it Down.
//
// Wrong peer: the stranger x, a host on the link that is no OSPF
// neighbor, runs a bfd.Speaker with s1 as its peer (Down, Your
// Discriminator 0, once a second), and sends s1 a good packet with hop
// limit 64 (RFC 5881 5), a truncated one, and one that names s1's
// session's discriminator from the stranger's address. s1 counts each as
// a packet no session took (unknown-peer, hop-limit, truncated,
// wrong-source), shows them in its status, and creates no session for
// the stranger; the stranger's session stays Down.
//
// Throughout, OSPF does not move (bfdOSPFStill).
func bfdAbsentAndWrongPeer(t *testing.T, d *DNSFarm, x *Host, xIf Iface) {
	t.Helper()
	router, s1 := d.RouterIf.LinkLocal, d.Servers[0]
	first, firstAt := map[*Server]bfd.SessionStatus{}, map[*Server]time.Time{}
	for _, s := range d.Servers {
		firstAt[s] = time.Now()
		first[s], _ = waitFound(t, 10*time.Second, s.Name()+"'s session with the router", func() (bfd.SessionStatus, bool, error) {
			return daemonBFDSession(s, router)
		}, func(bfd.SessionStatus) bool { return true })
	}
	start := time.Now()

	sp := x.StartBFD("eth0", bfd.Config{}, bfdLog(t, "x1"))
	if err := sp.SetPeers([]netip.Addr{s1.Iface.LinkLocal}); err != nil {
		t.Fatal(err)
	}
	p := bfd.ControlPacket{State: bfd.StateDown, DetectMult: 3, MyDiscriminator: 7, DesiredMinTx: time.Second, RequiredMinRx: time.Second}
	good, _ := p.Marshal()
	p.State, p.YourDiscriminator = bfd.StateInit, first[s1].LocalDiscriminator
	stolen, _ := p.Marshal()
	sendBFDRaw(t, x, xIf.Index, s1.Iface.LinkLocal, 64, good)
	sendBFDRaw(t, x, xIf.Index, s1.Iface.LinkLocal, 255, []byte{0x20, 0x40, 0x03})
	sendBFDRaw(t, x, xIf.Index, s1.Iface.LinkLocal, 255, stolen)
	// Three of the stranger's packets (about 2 s): the window in which
	// the sessions with the absent router are watched too.
	var st *control.Status
	WaitFor(t, 10*time.Second, "s1 to count the stranger's packets", func() (bool, error) {
		var err error
		if st, err = s1.DaemonStatus(); err != nil || st.BFD == nil {
			return false, fmt.Errorf("status: %v", err)
		}
		dr := st.BFD.Dropped
		return dr["unknown-peer"] >= 3 && dr["hop-limit"] == 1 && dr["truncated"] == 1 && dr["wrong-source"] == 1,
			fmt.Errorf("dropped %v", dr)
	})
	window := time.Since(start)
	t.Logf("s1 counted the stranger's packets in %v: dropped %v", window.Round(time.Millisecond), st.BFD.Dropped)
	if len(st.BFD.Sessions) != 1 || st.BFD.Sessions[0].Peer != router.String() {
		t.Errorf("s1's sessions with the stranger about: %+v; want only the one with the router", st.BFD.Sessions)
	}
	if ss, ok, err := sp.Session(s1.Iface.LinkLocal); err != nil || !ok || ss.State != "Down" || ss.Counters.PacketsIn != 0 {
		t.Errorf("the stranger's session with s1: %+v %v %v; want Down, nothing heard", ss, ok, err)
	}
	out, err := s1.CLI("status")
	if err != nil || !strings.Contains(string(out), "BFD packets no session took: ") || !strings.Contains(string(out), "unknown-peer") {
		t.Errorf("s1's status shows no drops: %v\n%s", err, out)
	}

	for _, s := range d.Servers {
		ss, ok, err := daemonBFDSession(s, router)
		if err != nil || !ok {
			t.Fatalf("%s's session with the router: %v %v", s.Name(), ok, err)
		}
		// One packet a second with 0-25% jitter: at most one per 750 ms
		// between the two readings, and the one that may have been due
		// at the first.
		between := time.Since(firstAt[s])
		sent, most := ss.Counters.PacketsOut-first[s].Counters.PacketsOut, uint64(between/(750*time.Millisecond))+1
		t.Logf("%s's session with the absent router: %s, sent %d in %v, TX %v", s.Name(), ss.State, sent, between.Round(time.Millisecond), ss.TxInterval)
		if ss.State != "Down" || ss.RemoteDiscriminator != 0 || ss.Counters.PacketsIn != 0 || ss.Downs != 0 ||
			ss.DesiredMinTx < time.Second || ss.TxInterval != time.Second || sent == 0 || sent > most || ss.Counters.Dropped["send-error"] != 0 {
			t.Errorf("%s's session with the absent router: %+v; sent %d in %v (want 1 to %d), Down at 1 s, nothing heard", s.Name(), ss, sent, between, most)
		}
	}
	checkBFDLine(t, s1, "status", router, "Down/Down", "1s")
	bfdOSPFStill(t, d, "with the router's BFD absent and a stranger")
}

// bfdOSPFStill checks that OSPF has not moved on the farm so far: the
// router's ospf6d (debug ospf6 neighbor event) never ran a server's
// inactivity timer and has every server Full, no daemon left Full with
// the router or took it down, and the route is 3-way ECMP.
func bfdOSPFStill(t *testing.T, d *DNSFarm, when string) {
	t.Helper()
	ospf6d := d.Router.Daemon("ospf6d")
	for _, s := range d.Servers {
		if n := logLines(ospf6d, "Neighbor Event "+s.RouterID+"%eth0: *InactivityTimer*"); n != 0 {
			t.Errorf("%s: ospf6d ran %s's inactivity timer %d times", when, s.Name(), n)
		}
		if st, err := d.Router.NeighborState(s.RouterID); err != nil || st != "Full" {
			t.Errorf("%s: the router has %s %q (%v), want Full", when, s.Name(), st, err)
		}
		if logLines(s.Proc, `msg="neighbor state"`, "to=Full") == 0 {
			t.Errorf("%s: no neighbor state line with to=Full in %s's log: the check below reads the wrong lines", when, s.Name())
		}
		if n := logLines(s.Proc, `msg="neighbor state"`, "from=Full"); n != 0 {
			t.Errorf("%s: %s left Full with the router %d times:\n%s", when, s.Name(), n, strings.Join(logMatching(s.Proc, "neighbor"), "\n"))
		}
		if n := logLines(s.Proc, `msg="neighbor dead"`); n != 0 {
			t.Errorf("%s: %s took a neighbor down %d times", when, s.Name(), n)
		}
	}
	fibIs(t, d.Farm, Anycast, time.Second, "3-way ECMP "+when, LinkLocals(d.Servers...))
}
