package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fibIs waits until the router's kernel FIB routes p via exactly want.
func fibIs(t *testing.T, f *Farm, p netip.Prefix, timeout time.Duration, what string, want []netip.Addr) time.Duration {
	t.Helper()
	return WaitFor(t, timeout, what, func() (bool, error) {
		hops, err := f.RouterHost.FIBNextHops(p)
		if err != nil {
			return false, err
		}
		if !slices.Equal(hops, want) {
			return false, errors.New("FIB next hops (-want +got):\n" + cmp.Diff(want, hops, addrOpt))
		}
		return true, nil
	})
}

// Issue 2, lab 1: three anycostd servers Full with a real FRR router, the
// anycast /128 installed with three next hops in zebra and the kernel.
func TestSpeakerECMP(t *testing.T) {
	f := NewFarm(t, 3)
	for _, s := range f.Servers {
		s.Start()
	}
	took := fibIs(t, f, Anycast, 30*time.Second, "3-way ECMP in the router's FIB", LinkLocals(f.Servers...))
	t.Logf("3-way ECMP route in the router's FIB %v after start", took.Round(time.Millisecond))
	hops, err := f.Router.Route(Anycast.String())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(LinkLocals(f.Servers...), hops, addrOpt); d != "" {
		t.Errorf("zebra next hops (-want +got):\n%s", d)
	}
	out, err := f.Router.Vtysh("show ipv6 ospf6 neighbor")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("router: show ipv6 ospf6 neighbor\n%s", out)
}

// Issue 2, lab 2-5 on one farm: SIGHUP metric change, SIGTERM flush,
// kill -9 and restart with a sequence bump, FRR restart.
func TestSpeakerLifecycle(t *testing.T) {
	f := NewFarm(t, 3)
	for _, s := range f.Servers {
		s.Start()
	}
	all := LinkLocals(f.Servers...)
	fibIs(t, f, Anycast, 30*time.Second, "3-way ECMP", all)
	s1, s2, s3 := f.Servers[0], f.Servers[1], f.Servers[2]

	t.Run("reload raises metric", func(t *testing.T) {
		s1.WriteConfig(s1.TOML(ServiceTOML("dns", Anycast, 40)))
		s1.Signal(syscall.SIGHUP)
		took := fibIs(t, f, Anycast, 15*time.Second, "s1 out of the FIB after its metric went to 40", LinkLocals(s2, s3))
		t.Logf("SIGHUP with metric 40 -> s1 out of the router's FIB in %v", took.Round(time.Millisecond))
		s1.WriteConfig(s1.TOML(ServiceTOML("dns", Anycast, 10)))
		s1.Signal(syscall.SIGHUP)
		fibIs(t, f, Anycast, 15*time.Second, "s1 back after metric 10", all)
	})

	t.Run("SIGTERM flushes", func(t *testing.T) {
		time.Sleep(1500 * time.Millisecond) // past pacing of the last change
		start := time.Now()
		s3.Signal(syscall.SIGTERM)
		took := fibIs(t, f, Anycast, 10*time.Second, "s3 out of the FIB after SIGTERM", LinkLocals(s1, s2))
		t.Logf("SIGTERM -> s3 out of the router's FIB in %v (dead interval 4s)", took.Round(time.Millisecond))
		// The flush, not the dead interval (4 s), must have done it.
		if took >= 2*time.Second {
			t.Errorf("route left only after %v: the dead interval, not the flush, removed it", took)
		}
		if err := s3.Proc.WaitTimeout(10 * time.Second); err != nil {
			t.Errorf("anycostd after SIGTERM: %v", err)
		}
		t.Logf("anycostd exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))
		WaitFor(t, 3*time.Second, "router to drop s3 below Full", func() (bool, error) {
			st, err := f.Router.NeighborState(s3.RouterID)
			return st != "Full", err
		})
	})

	t.Run("kill -9 and restart bumps the sequence", func(t *testing.T) {
		// Two changes first, so the router's copy is well above the
		// sequence number a fresh process starts from.
		for _, m := range []int{20, 10} {
			time.Sleep(1200 * time.Millisecond)
			s2.WriteConfig(s2.TOML(ServiceTOML("dns", Anycast, m)))
			s2.Signal(syscall.SIGHUP)
		}
		time.Sleep(1500 * time.Millisecond)
		l, ok, err := f.Router.LSA("intra-prefix", "0.0.0.1", s2.RouterID)
		before := l.Seq
		if err != nil || !ok {
			t.Fatalf("router holds no Intra-Area-Prefix-LSA of s2: %v", err)
		}
		s2.Signal(syscall.SIGKILL)
		s2.Proc.Wait()
		s2.Start()
		time.Sleep(500 * time.Millisecond)
		fibIs(t, f, Anycast, 30*time.Second, "s2 back in the FIB after restart", LinkLocals(s1, s2))
		var after uint32
		WaitFor(t, 10*time.Second, "the router's copy of s2's LSA above its pre-kill sequence", func() (bool, error) {
			l, ok, err := f.Router.LSA("intra-prefix", "0.0.0.1", s2.RouterID)
			after = l.Seq
			return ok && l.Age < 3600 && int32(after) > int32(before), err
		})

		t.Logf("s2's Intra-Area-Prefix-LSA: sequence %#x before kill -9, %#x after restart", before, after)
	})

	t.Run("router restart", func(t *testing.T) {
		f.Router.Restart()
		took := fibIs(t, f, Anycast, 40*time.Second, "route back after FRR restart", LinkLocals(s1, s2))
		t.Logf("FRR restarted -> route back in %v", took.Round(time.Millisecond))
		for _, s := range []*Server{s1, s2} {
			st, err := f.Router.NeighborState(s.RouterID)
			if err != nil || st != "Full" {
				t.Errorf("router sees %s in %q (%v)", s.RouterID, st, err)
			}
		}
	})
}

// Issue 2, lab 6: ten services on one server, ten prefixes at the router,
// each in its own Intra-Area-Prefix-LSA.
func TestSpeakerTenServices(t *testing.T) {
	t.Parallel() // quiet: see "Tests side by side" in doc.go
	f := NewFarm(t, 1)
	s := f.Servers[0]
	var blocks []string
	var prefixes []netip.Prefix
	for i := range 10 {
		p := netip.MustParsePrefix(fmt.Sprintf("2001:db8:53::%x/128", 0x100+i))
		prefixes = append(prefixes, p)
		blocks = append(blocks, ServiceTOML(fmt.Sprintf("svc%d", i), p, 10+i))
	}
	s.WriteConfig(s.TOML(blocks...))
	s.Start()
	for _, p := range prefixes {
		fibIs(t, f, p, 30*time.Second, "route for "+p.String(), LinkLocals(s))
	}
	lsas, err := f.Router.LSAs("intra-prefix")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range lsas {
		if l.AdvRouter != s.RouterID {
			continue
		}
		if n := len(prefixLine.FindAllString(l.Text, -1)); n != 1 {
			t.Errorf("LSA %s holds %d prefixes, want 1:\n%s", l.LSID, n, l.Text)
		}
		seen[l.LSID] = true
	}
	if len(seen) != 10 {
		t.Errorf("router holds %d Intra-Area-Prefix-LSAs of %s, want 10", len(seen), s.RouterID)
	}
	out, _ := f.Router.Vtysh("show ipv6 ospf6 database intra-prefix")
	t.Logf("router's Intra-Area-Prefix-LSAs:\n%s", out)
}

var prefixLine = regexp.MustCompile(`(?m)^\s*Prefix: \S+`)
