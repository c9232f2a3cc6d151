package lab

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Bounds of the restart tests, measured on the lab machine (2 shared
// cores, hello 1 s, dead 4 s) with margin; RELIABILITY.md has the figures.
const (
	// linkDownBound: a server's link goes down -> its next hop leaves
	// the router's FIB (the router's dead interval, 4 s, plus SPF).
	linkDownBound = 8 * time.Second
	// linkUpBound: the link comes back -> the route through it is back
	// (DAD of the link-local address, hello, DBD exchange, SPF).
	linkUpBound = 15 * time.Second
	// restartBound: the last start after the kill -9 series -> Full and
	// the route right.
	restartBound = 20 * time.Second
	// failoverBound: the DR dies -> the BDR's FIB routes the anycast /128
	// through every server again.
	failoverBound = 15 * time.Second
)

// hostFIBIs waits until h's kernel FIB routes p via exactly want.
func hostFIBIs(t *testing.T, h *Host, p netip.Prefix, timeout time.Duration, what string, want []netip.Addr) time.Duration {
	t.Helper()
	return WaitFor(t, timeout, what, func() (bool, error) {
		hops, err := h.FIBNextHops(p)
		if err != nil {
			return false, err
		}
		if !slices.Equal(hops, want) {
			return false, errors.New("FIB next hops (-want +got):\n" + cmp.Diff(want, hops, addrOpt))
		}
		return true, nil
	})
}

// Issue 6, part 4: s1's interface goes down (ip link set eth0 down in its
// namespace): its next hop leaves the router's FIB within the router's
// dead interval; back up, the route through s1 returns.
func TestLinkDownUp(t *testing.T) {
	t.Parallel() // quiet: see "Tests side by side" in doc.go
	f := NewFarm(t, 2)
	s1, s2 := f.Servers[0], f.Servers[1]
	for _, s := range f.Servers {
		s.Start()
	}
	fibIs(t, f, Anycast, 30*time.Second, "2-way ECMP", LinkLocals(s1, s2))
	for round := range 2 {
		time.Sleep(1500 * time.Millisecond)
		f.Lab.mustRun("ip", "-n", s1.Namespace(), "link", "set", "eth0", "down")
		down := fibIs(t, f, Anycast, 2*linkDownBound, "s1 out of the FIB after its link went down", LinkLocals(s2))
		if down > linkDownBound {
			t.Errorf("round %d: s1's next hop stayed %v after its link went down, bound %v", round, down, linkDownBound)
		}
		time.Sleep(2 * time.Second)
		f.Lab.mustRun("ip", "-n", s1.Namespace(), "link", "set", "eth0", "up")
		up := fibIs(t, f, Anycast, 2*linkUpBound, "s1 back in the FIB after its link came up", LinkLocals(s1, s2))
		if up > linkUpBound {
			t.Errorf("round %d: s1 back in the FIB only %v after its link came up, bound %v", round, up, linkUpBound)
		}
		t.Logf("round %d: link down -> s1 out of the router's FIB in %v; link up -> back in %v",
			round, down.Round(time.Millisecond), up.Round(time.Millisecond))
	}
	if st, err := s1.Status(); err == nil {
		t.Logf("s1 after the flaps: interface %s, neighbors %d, counters %+v", st.Interface.State, len(st.Neighbors), st.Counters)
	}
}

var toState = regexp.MustCompile(`msg="neighbor state" neighbor=192\.0\.2\.1 event=\S+ from=\S+ to=(\S+)`)

// lastNeighborState is the state toward the router that the last
// "neighbor state" line of the daemon's log names.
func lastNeighborState(p *Proc) string {
	b, _ := os.ReadFile(p.LogPath())
	m := toState.FindAllStringSubmatch(string(b), -1)
	if len(m) == 0 {
		return "Down"
	}
	return m[len(m)-1][1]
}

// Issue 6, part 4: anycostd killed (SIGKILL) ten times at random moments
// of its database exchange with the router, restarted each time. On a
// veth the whole exchange takes a few milliseconds, so s1's wire delays
// every frame by 40 ms: from ExStart to Full then takes several round
// trips (about 300 ms), and the kill comes 0-300 ms after s1 logged
// ExStart. After the last start: Full, the route right, and the router's
// copies of s1's LSAs are the instances s1 holds.
func TestKillDuringDBD(t *testing.T) {
	t.Parallel() // quiet: see "Tests side by side" in doc.go
	f := NewFarm(t, 2)
	s1, s2 := f.Servers[0], f.Servers[1]
	s1.Impair(f.LAN, "eth0", Impairment{Delay: 40 * time.Millisecond}, 4)
	for _, s := range f.Servers {
		s.Start()
	}
	fibIs(t, f, Anycast, 30*time.Second, "2-way ECMP", LinkLocals(s1, s2))
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 4))
	var killedIn []string
	s1.Signal(syscall.SIGKILL)
	s1.Proc.Wait()
	for i := range 10 {
		p := s1.Start()
		deadline := time.Now().Add(15 * time.Second)
		for {
			b, err := os.ReadFile(p.LogPath())
			if err == nil && strings.Contains(string(b), "to=ExStart") {
				break
			}
			select {
			case <-p.Done():
				t.Fatalf("start %d: anycostd exited: %v\n%s", i, p.Wait(), tail(p.LogPath(), 20))
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("start %d: s1 not in ExStart after 15 s:\n%s", i, tail(p.LogPath(), 20))
			}
			time.Sleep(2 * time.Millisecond)
		}
		d := time.Duration(rng.IntN(300)) * time.Millisecond
		time.Sleep(d)
		s1.Signal(syscall.SIGKILL)
		s1.Proc.Wait()
		killedIn = append(killedIn, fmt.Sprintf("%v in %s", d, lastNeighborState(p)))
	}
	t.Logf("kill -9 after ExStart + [%s]", strings.Join(killedIn, ", "))
	time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
	start := time.Now()
	s1.Start()
	took := fibIs(t, f, Anycast, 2*restartBound, "2-way ECMP after the kills", LinkLocals(s1, s2))
	WaitFor(t, restartBound, "router Full with s1", func() (bool, error) {
		st, err := f.Router.NeighborState(s1.RouterID)
		return st == "Full", err
	})
	full := time.Since(start)
	if full > restartBound {
		t.Errorf("Full and the route right %v after the last start, bound %v", full, restartBound)
	}
	t.Logf("last start -> route right in the router's FIB %v, router Full with s1 %v", took.Round(time.Millisecond), full.Round(time.Millisecond))
	// The router's copies of s1's LSAs are s1's current instances.
	WaitFor(t, 15*time.Second, "router's copies of s1's LSAs equal to s1's", func() (bool, error) {
		return sameOwnLSAs(f.Router, s1)
	})
}

// frrTypeOf maps anycostd's LSA type names to FRR's short ones. FRR 8.4.4
// shows an LSA type it does not know, as the server load LSA, as "Unk".
var frrTypeOf = map[string]string{"Router": "Rtr", "Network": "Net", "Intra-Prefix": "INP", "Link": "Lnk", "Server-Load": "Unk"}

// sameOwnLSAs reports whether the router holds, for every LSA s holds of
// its own (Router, Link, Intra-Area-Prefix, Server-Load), the same sequence number,
// and no live LSA of s that s lacks. The error lists the differences.
func sameOwnLSAs(r *FRR, s *Server) (bool, error) {
	mine, err := s.LSDB()
	if err != nil {
		return false, err
	}
	theirs, err := r.Database()
	if err != nil {
		return false, err
	}
	type key struct{ typ, id string }
	want := map[key]string{}
	for _, e := range mine {
		if e.Self && e.Age < 3600 {
			want[key{frrTypeOf[e.Type], e.LSID}] = e.Seq
		}
	}
	got := map[key]string{}
	for _, e := range theirs {
		if e.AdvRouter == s.RouterID && e.Age < 3600 {
			got[key{e.Type, e.LSID}] = fmt.Sprintf("%08x", e.Seq)
		}
	}
	if len(want) == 0 {
		return false, fmt.Errorf("%s holds no LSA of its own", s.Name())
	}
	var diffs []string
	for k, v := range want {
		if got[k] != v {
			diffs = append(diffs, fmt.Sprintf("%s %s: %s has %s, router %q", k.typ, k.id, s.Name(), v, got[k]))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s %s: router has %s, %s none", k.typ, k.id, v, s.Name()))
		}
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		return false, errors.New(strings.Join(diffs, "; "))
	}
	return true, nil
}

// Issue 6, part 4: two FRR routers on the link, r1 (priority 10, DR) and
// r2 (priority 5, BDR). r1 dies (SIGKILL to its daemons). r2 takes over
// as DR and its FIB routes the anycast /128 through both servers again
// within failoverBound; what r2's FIB did meanwhile is logged.
func TestDRFailover(t *testing.T) {
	t.Parallel() // quiet: see "Tests side by side" in doc.go
	f := NewFarm(t, 2)
	s1, s2 := f.Servers[0], f.Servers[1]
	r2 := f.Lab.AddHost("r2")
	r2.Sysctl("net.ipv6.conf.all.forwarding", "1")
	r2.Attach(f.LAN, "eth0", netip.MustParsePrefix("2001:db8:1::2/64"))
	frr2 := r2.StartFRR(strings.ReplaceAll(RouterConfig("192.0.2.2", "eth0"), "priority 10", "priority 5"))
	for _, s := range f.Servers {
		s.Start()
	}
	all := LinkLocals(s1, s2)
	fibIs(t, f, Anycast, 40*time.Second, "r1 routes via both servers", all)
	hostFIBIs(t, r2, Anycast, 40*time.Second, "r2 routes via both servers", all)
	WaitFor(t, 20*time.Second, "r1 DR and r2 BDR", func() (bool, error) {
		dr, bdr, err := frr2.DR("eth0")
		if err == nil && (dr != "192.0.2.1" || bdr != "192.0.2.2") {
			err = fmt.Errorf("r2 sees DR %s BDR %s", dr, bdr)
		}
		return err == nil, err
	})
	for _, s := range f.Servers {
		WaitFor(t, 10*time.Second, s.Name()+" Full with r2", func() (bool, error) {
			st, err := frr2.NeighborState(s.RouterID)
			return st == "Full", err
		})
	}
	time.Sleep(2 * time.Second)

	// Watch r2's FIB every 20 ms from the kill on.
	type sample struct {
		at   time.Duration
		hops []netip.Addr
	}
	stop := make(chan struct{})
	samples := make(chan []sample, 1)
	start := time.Now()
	go func() {
		var ss []sample
		var last []netip.Addr
		for first := true; ; first = false {
			hops, err := r2.FIBNextHops(Anycast)
			if err == nil && (first || !slices.Equal(hops, last)) {
				ss = append(ss, sample{time.Since(start), hops})
				last = hops
			}
			select {
			case <-stop:
				samples <- ss
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	for _, p := range f.Router.Procs() {
		p.Kill()
	}
	WaitFor(t, 2*failoverBound, "r2 DR", func() (bool, error) {
		dr, _, err := frr2.DR("eth0")
		if err == nil && dr != "192.0.2.2" {
			err = fmt.Errorf("r2 sees DR %s", dr)
		}
		return err == nil, err
	})
	drAt := time.Since(start)
	// Right again: both servers, and stays so for 3 s.
	back := hostFIBIs(t, r2, Anycast, 2*failoverBound, "r2 routes via both servers after r1 died", all)
	time.Sleep(3 * time.Second)
	close(stop)
	ss := <-samples
	var trace []string
	rightAgain := time.Duration(0)
	for _, s := range ss {
		trace = append(trace, fmt.Sprintf("%v %v", s.at.Round(time.Millisecond), s.hops))
		if slices.Equal(s.hops, all) {
			if rightAgain == 0 {
				rightAgain = s.at
			}
		} else {
			rightAgain = 0
		}
	}
	if n := len(ss); n == 0 || !slices.Equal(ss[n-1].hops, all) {
		t.Errorf("r2's FIB did not stay at both servers: %s", strings.Join(trace, "; "))
	}
	if rightAgain > failoverBound {
		t.Errorf("r2's FIB right again %v after r1 died, bound %v", rightAgain, failoverBound)
	}
	t.Logf("r1 killed -> r2 DR after %v; r2's FIB for %s over time: %s", drAt.Round(time.Millisecond), Anycast, strings.Join(trace, "; "))
	t.Logf("r2's FIB right (both servers) for good %v after r1 died (waited %v)", rightAgain.Round(time.Millisecond), back.Round(time.Millisecond))
	for _, s := range f.Servers {
		st, err := s.Status()
		if err != nil {
			t.Fatal(err)
		}
		if st.Interface.DR != "192.0.2.2" {
			t.Errorf("%s sees DR %s, want 192.0.2.2", s.Name(), st.Interface.DR)
		}
	}
}
