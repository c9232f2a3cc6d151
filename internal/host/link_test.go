package host_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/anycostd/anycostd/internal/host"
	"github.com/anycostd/anycostd/lab"
	"github.com/anycostd/anycostd/netif"
)

var addrOpts = cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})

func TestLookupLink(t *testing.T) {
	l := lab.New(t)
	lan := l.AddLink("lan")
	a := l.AddHost("a")
	global := netip.MustParsePrefix("2001:db8:1::a/64")
	ia := a.Attach(lan, "eth0", global)
	a.AddAddr("lo", netip.MustParsePrefix("2001:db8:53::53/128"))
	if out, err := a.Run(t.Context(), "ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}

	err := a.Do(func() error {
		got, err := host.LookupLink("eth0")
		if err != nil {
			t.Errorf("LookupLink(eth0): %v", err)
		}
		want := netif.Link{Name: "eth0", Index: ia.Index, MTU: 1500, Up: true, LinkLocal: ia.LinkLocal, Prefixes: []netip.Prefix{global}}
		if d := cmp.Diff(want, got, addrOpts); d != "" {
			t.Errorf("LookupLink(eth0) (-want +got):\n%s", d)
		}

		lo, err := host.LookupLink("lo")
		// lo has ::1 (host scope) but no link-local address.
		if !errors.Is(err, host.ErrNoLinkLocal) {
			t.Errorf("LookupLink(lo) error = %v, want ErrNoLinkLocal", err)
		}
		if !lo.Up || lo.Index != 1 || !cmp.Equal(lo.Prefixes, []netip.Prefix{netip.MustParsePrefix("2001:db8:53::53/128")}, addrOpts) {
			t.Errorf("LookupLink(lo) = %+v, want up, index 1, the anycast /128 only", lo)
		}

		d0, err := host.LookupLink("d0")
		if !errors.Is(err, host.ErrNoLinkLocal) || d0.Up || d0.Index == 0 {
			t.Errorf("LookupLink(d0, down) = %+v, %v; want down, an index, ErrNoLinkLocal", d0, err)
		}

		if _, err := host.LookupLink("nosuch0"); !errors.Is(err, host.ErrNoSuchInterface) {
			t.Errorf("LookupLink(nosuch0) error = %v, want ErrNoSuchInterface", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWatchLink(t *testing.T) {
	l := lab.New(t)
	a := l.AddHost("a")
	run := func(argv ...string) {
		t.Helper()
		if out, err := a.Run(t.Context(), argv...); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	// w0 does not exist yet.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events := make(chan netif.Link, 64)
	done := make(chan error, 1)
	go func() {
		done <- a.Do(func() error {
			return host.WatchLink(ctx, "w0", func(li netif.Link) { events <- li })
		})
	}()
	// expect waits for an event that satisfies ok, skipping intermediate
	// ones (the kernel may report a change in several steps).
	expect := func(what string, ok func(netif.Link) bool) netif.Link {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case li := <-events:
				t.Logf("event: %+v", li)
				if ok(li) {
					return li
				}
			case err := <-done:
				t.Fatalf("WatchLink returned early: %v", err)
			case <-deadline:
				t.Fatalf("no event with %s within 10 s", what)
			}
		}
	}
	first := expect("the initial state", func(li netif.Link) bool { return true })
	if first.Index != 0 || first.Name != "w0" {
		t.Fatalf("initial event %+v, want Name w0, Index 0 (no such link)", first)
	}

	run("ip", "link", "add", "w0", "type", "veth", "peer", "name", "w1")
	created := expect("w0 created", func(li netif.Link) bool { return li.Index != 0 })
	if created.Up || created.LinkLocal.IsValid() {
		t.Errorf("new w0 %+v: want down, no link-local", created)
	}
	run("ip", "link", "set", "w1", "up")
	run("ip", "link", "set", "w0", "up")
	expect("w0 up", func(li netif.Link) bool { return li.Up })
	ll := expect("a link-local after DAD", func(li netif.Link) bool { return li.LinkLocal.IsValid() })
	if !ll.LinkLocal.IsLinkLocalUnicast() || !ll.Up {
		t.Errorf("after DAD %+v: want up with fe80:: address", ll)
	}
	run("ip", "link", "set", "w0", "mtu", "1400")
	expect("MTU 1400", func(li netif.Link) bool { return li.MTU == 1400 })

	// A global address added, then removed, is reported (the Link-LSA
	// follows the interface's prefixes).
	run("ip", "addr", "add", "2001:db8:9::1/64", "dev", "w0", "nodad")
	li := expect("2001:db8:9::1/64", func(li netif.Link) bool { return len(li.Prefixes) == 1 })
	if !cmp.Equal(li.Prefixes, []netip.Prefix{netip.MustParsePrefix("2001:db8:9::1/64")}, addrOpts) || li.MTU != 1400 {
		t.Errorf("Prefixes %v MTU %d, want [2001:db8:9::1/64] 1400", li.Prefixes, li.MTU)
	}
	run("ip", "addr", "del", "2001:db8:9::1/64", "dev", "w0")
	expect("no global address", func(li netif.Link) bool { return len(li.Prefixes) == 0 })

	run("ip", "link", "set", "w0", "down")
	expect("w0 down", func(li netif.Link) bool { return !li.Up })
	run("ip", "link", "del", "w0")
	expect("w0 gone", func(li netif.Link) bool { return li.Index == 0 })

	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("WatchLink after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WatchLink did not return within 5 s of cancel")
	}
}
