package lab

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Issue 16, D10: a manual drain survives a crash. s1 is drained, its
// anycostd killed with SIGKILL (nothing is flushed, nothing saved at
// exit) and started again: from the kill until s1 is Full again and the
// router holds s1's new LSAs, the router's FIB never routes the anycast
// /128 through s1. After undrain it does, which shows the watch would
// have seen s1 come back.
func TestDrainSurvivesKill(t *testing.T) {
	f := NewFarm(t, 2)
	s1, s2 := f.Servers[0], f.Servers[1]
	for _, s := range f.Servers {
		s.Start()
	}
	fibIs(t, f, Anycast, 30*time.Second, "2-way ECMP", LinkLocals(s1, s2))
	if out, err := s1.CLI("drain", "dns"); err != nil {
		t.Fatalf("drain: %v: %s", err, out)
	}
	fibIs(t, f, Anycast, 10*time.Second, "s1 out of the FIB after its drain", LinkLocals(s2))

	// Watch the router's FIB from the kill on, every 20 ms.
	var (
		mu       sync.Mutex
		seen     []string // FIB states with s1 as a next hop
		polls    int
		stop     = make(chan struct{})
		finished = make(chan struct{})
	)
	s1ll := s1.Iface.LinkLocal
	go func() {
		defer close(finished)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			hops, err := f.RouterHost.FIBNextHops(Anycast)
			mu.Lock()
			polls++
			if err == nil && slices.Contains(hops, s1ll) {
				seen = append(seen, fmt.Sprintf("%s %v", time.Now().Format("15:04:05.000"), hops))
			}
			mu.Unlock()
		}
	}()

	s1.Signal(syscall.SIGKILL)
	s1.Proc.Wait()
	start := time.Now()
	s1.Start()
	WaitFor(t, 20*time.Second, "router Full with the restarted s1", func() (bool, error) {
		st, err := f.Router.NeighborState(s1.RouterID)
		return st == "Full", err
	})
	WaitFor(t, 15*time.Second, "router's copies of s1's LSAs equal to s1's", func() (bool, error) {
		return sameOwnLSAs(f.Router, s1)
	})
	// One more MinLSInterval and SPF for anything that followed.
	time.Sleep(2 * time.Second)
	close(stop)
	<-finished
	mu.Lock()
	if len(seen) > 0 {
		t.Errorf("the router routed the anycast /128 through the drained s1 after its restart (%d of %d polls): %v", len(seen), polls, seen)
	}
	t.Logf("restart -> Full and LSAs in sync in %v; %d FIB polls, %d through s1", time.Since(start).Round(time.Millisecond), polls, len(seen))
	mu.Unlock()

	out, err := s1.CLI("status")
	if err != nil || !strings.Contains(string(out), "Drained by the operator: dns (kept in "+s1.StateDir()+"/drains.json") {
		t.Errorf("status of the restarted s1 does not show the drain (%v):\n%s", err, out)
	}
	if out, err := s1.CLI("undrain", "dns"); err != nil {
		t.Fatalf("undrain: %v: %s", err, out)
	}
	fibIs(t, f, Anycast, 10*time.Second, "s1 back in the FIB after undrain", LinkLocals(s1, s2))
}
